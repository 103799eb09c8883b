"""Validation of filings through the signed interface: teaching-area polygons and the
institution's district and other codes.

Every refusal must be an HTTP 4xx envelope naming the offending field and value, and must
store nothing (see :func:`jiapei.registry.tests.helpers.refused`).
"""

from __future__ import annotations

import pytest

from jiapei.registry.models import TeachingArea
from jiapei.registry.tests.helpers import (
    area,
    refused,
)
from jiapei.testing import factories as f

pytestmark = pytest.mark.usefixtures("fast_passwords")


BOW_TIE = "112.90,28.20;112.91,28.21;112.91,28.20;112.90,28.21"


SQUARE = "112.90,28.20;112.91,28.20;112.91,28.21;112.90,28.21"


SQUARE_RING = [[112.90, 28.20], [112.91, 28.20], [112.91, 28.21], [112.90, 28.21], [112.90, 28.20]]


# --- teaching-area polygons ---------------------------------------------------------------


def test_self_intersecting_polygon_is_refused(tp, ins, db):
    envelope = refused(tp, "region", area(ins, polygon=BOW_TIE), field="polygon", value=BOW_TIE)
    assert "自相交" in envelope["message"]
    assert "self-intersect" in envelope["message"].lower()


@pytest.mark.parametrize(
    "polygon",
    [
        "112.90,28.20;112.91,28.20",
        "112.90,28.20;112.91,28.20;112.90,28.20",
        [[112.90, 28.20], [112.91, 28.20]],
    ],
    ids=["two-vertices", "two-vertices-closed", "json-two-vertices"],
)
def test_polygon_with_fewer_than_three_vertices_is_refused(tp, ins, polygon, db):
    refused(tp, "region", area(ins, polygon=polygon), field="polygon", value=polygon)


def test_polygon_with_a_vertex_outside_hunan_is_refused(tp, ins, db):
    polygon = "112.90,28.20;112.91,28.20;116.4,39.9"  # the last vertex is in Beijing
    envelope = refused(tp, "region", area(ins, polygon=polygon), field="polygon", value=polygon)
    assert "116.4,39.9" in envelope["message"]


def test_polygon_entirely_outside_hunan_is_refused(tp, ins, db):
    polygon = "116.40,39.90;116.41,39.90;116.41,39.91;116.40,39.91"
    refused(tp, "region", area(ins, polygon=polygon), field="polygon", value=polygon)


@pytest.mark.parametrize("polygon", ["112.9 28.2;112.91 28.2;112.91 28.21", "abc", "1,2,3;4,5,6"])
def test_malformed_polygon_is_refused(tp, ins, polygon, db):
    refused(tp, "region", area(ins, polygon=polygon), field="polygon", value=polygon)


@pytest.mark.parametrize(
    "polygon",
    [
        SQUARE,
        SQUARE + ";112.90,28.20",
        [[112.90, 28.20], [112.91, 28.20], [112.91, 28.21], [112.90, 28.21]],
        SQUARE_RING,
    ],
    ids=["unclosed", "closed", "json-unclosed", "json-closed"],
)
def test_closed_unclosed_and_json_polygons_are_stored_closed(tp, ins, polygon, db):
    filed = tp.post("region", area(ins, seq="7", polygon=polygon))
    assert (filed["seq"], filed["status"], filed["created"]) == ("0007", "pending", True)
    assert TeachingArea.objects.get(institution__inscode=ins.inscode).polygon == SQUARE_RING


def test_gcj02_polygon_is_stored_in_wgs84(tp, ins, db):
    tp.post("region", area(ins, seq="8", polygon=SQUARE, coordtype="GCJ02"))
    ring = TeachingArea.objects.get(seq="0008").polygon
    assert len(ring) == 5 and ring[0] == ring[-1]
    # GCJ-02 is offset from WGS-84 by a few hundred metres around Changsha.
    for (lng, lat), (glng, glat) in zip(ring, SQUARE_RING, strict=True):
        assert 0.001 < abs(lng - glng) + abs(lat - glat) < 0.02


def test_unknown_coordtype_is_refused(tp, ins, db):
    refused(tp, "region", area(ins, coordtype="BD09"), field="coordtype", value="BD09")


@pytest.mark.parametrize("seq", ["12345", "A1", "-1"])
def test_area_seq_must_be_up_to_four_digits(tp, ins, seq, db):
    refused(tp, "region", area(ins, seq=seq), field="seq", value=seq)


# --- institutions -------------------------------------------------------------------------


@pytest.mark.parametrize("district", ["110101", "430000", "439999", "abc"])
def test_institution_district_must_be_a_city_or_county_of_the_province(tp, district, db):
    payload = f.payload(f.InstitutionPayload, district=district)
    refused(tp, "institution", payload, field="district", value=district)


@pytest.mark.parametrize(
    ("field", "value"),
    [("level", "4"), ("coachnumber", "-1"), ("tracarnum", "many"), ("praticefield", "big")],
)
def test_institution_numbers_and_codes_are_checked(tp, field, value, db):
    payload = f.payload(f.InstitutionPayload, **{field: value})
    refused(tp, "institution", payload, field=field, value=value)
