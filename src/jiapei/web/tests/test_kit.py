"""The web kit's own contracts: vendored files, no network at run time, masking, SVG maps."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from jiapei.web import masking
from jiapei.web.svg.chart import Series, bar_chart, line_chart
from jiapei.web.svg.map import SvgMap
from jiapei.web.svg.projection import Projection, nice_length

WEB = Path(__file__).resolve().parents[1]
SRC = WEB.parent


def test_vendored_files_match_their_manifest() -> None:
    vendor = WEB / "static" / "vendor"
    manifest = json.loads((vendor / "MANIFEST.json").read_text())
    listed = set()
    for entry in manifest:
        folder = vendor / f"{entry['name']}-{entry['version']}"
        assert any(p.name.lower().startswith("licen") for p in folder.iterdir()), folder
        for name, digest in entry["files"].items():
            listed.add(folder / name)
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    present = {p for p in vendor.rglob("*") if p.is_file() and p.name != "MANIFEST.json"}
    assert present == listed, "every vendored file is listed with its hash, and only those"


def test_pages_load_nothing_from_the_network() -> None:
    """No CDN, no web fonts, no map tiles: no template or own static file points off-site."""
    offsite = re.compile(r"""(?:src|href|url)\s*=?\s*\(?["']?\s*(?:https?:)?//""", re.I)
    files = list(SRC.rglob("templates/**/*.html"))
    files += [p for p in (WEB / "static" / "web").rglob("*") if p.suffix in {".css", ".js"}]
    assert files
    for path in files:
        assert not offsite.search(path.read_text(encoding="utf-8")), path


@pytest.mark.parametrize(
    ("value", "masked"),
    [("430104199001011234", "4301**********1234"), ("", ""), ("1234", "****")],
)
def test_id_numbers_are_masked(value: str, masked: str) -> None:
    assert masking.mask_idcard(value) == masked


def test_phones_and_public_names_are_masked() -> None:
    assert masking.mask_phone("13812345678") == "138****5678"
    assert masking.mask_name("张三") == "张*"
    assert masking.mask_name("欧阳小明") == "欧**明"


def test_projection_keeps_east_west_distances_true_at_the_latitude() -> None:
    project = Projection(112.9, 28.2)
    x, y = project(112.91, 28.2)
    # 0.01° of longitude at 28.2° N is 980 m; a projection ignoring cos φ would say 1,112 m.
    assert 975 < x < 985 and abs(y) < 1e-6
    assert project(112.9, 28.21)[1] < 0  # north is up: SVG's y points down


def test_scale_bar_lengths_are_round() -> None:
    assert [nice_length(v) for v in (7, 130, 2400, 999)] == [5, 100, 2000, 500]


def test_map_draws_fences_tracks_scale_and_north() -> None:
    m = SvgMap(label="教学区域")
    m.polygon([[112.90, 28.20], [112.91, 28.20], [112.91, 28.21], [112.90, 28.21]], title="<场地>")
    m.line([[112.901, 28.201], [112.905, 28.205], [112.909, 28.201]], kind="valid", title="轨迹")
    m.marker([112.901, 28.201], kind="start", title="起点")
    svg = str(m.render())
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-label="教学区域"' in svg
    assert "&lt;场地&gt;" in svg, "titles are escaped"
    assert 'class="map-scale"' in svg and 'class="map-north"' in svg
    assert 'fill-rule="evenodd"' in svg and "non-scaling-stroke" in svg
    assert re.search(r">\d+ (m|km)<", svg), "the scale bar is labelled"
    assert str(SvgMap(label="空").render()) == ""


def test_charts_escape_text_and_write_values() -> None:
    svg = str(line_chart("作废率", ["12-01", "12-02"], [Series("<作废>", [1.5, None])], unit="%"))
    assert "&lt;作废&gt;" in svg and 'role="img"' in svg
    bars = str(bar_chart("按原因", [("照片", 12), ("超速", 3)]))
    assert ">12<" in bars and ">3<" in bars


def test_a_line_chart_shades_its_bands_behind_the_lines_from_half_a_step_either_side() -> None:
    labels = [f"09:{m:02d}" for m in range(5)]
    svg = str(line_chart("车速", labels, [Series("车速", [1, 2, 3, 4, 5])], bands=[(1, 2, "可疑")]))
    [band] = re.findall(r'<rect class="chart-band" x="([\d.]+)" y="\d+" width="([\d.]+)"', svg)
    # Five points over 648 px are 162 px apart: the band over points 1 and 2 runs from half a
    # step before the first (x = 56 + 81) to half a step after the last, two steps wide.
    assert (float(band[0]), float(band[1])) == (56 + 81.0, 324.0)
    assert "<title>可疑</title>" in svg and svg.index("chart-band") < svg.index("<path")
    assert "chart-band" not in str(line_chart("车速", labels, [Series("车速", [1, 2, 3, 4, 5])]))
