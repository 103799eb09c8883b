"""Minute records through the signed batch interface: accepted, rejected with reasons, refused
by field, and replays that change nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jiapei.accounts.models import Role
from jiapei.core.actors import Actor
from jiapei.registry.models import TeachingArea
from jiapei.registry.services import review_area, set_filing_revoked
from jiapei.testing import factories as f
from jiapei.training.models import MinuteRecord

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 11, 20, 9, 0, 59, tzinfo=SHANGHAI)


@pytest.fixture
def ground(tp, school, make_user):
    """The school's approved part-2 training ground around (112.90, 28.20)."""
    tp.post("region", f.AreaPayload(inscode=school.inscode, seq="1"))
    regulator = make_user(Role.CITY_REGULATOR, "430100", "cs-reviewer")
    area = TeachingArea.objects.get(institution__inscode=school.inscode)
    review_area(actor=Actor.for_user(regulator), area_id=area.pk, approve=True)
    return regulator


def minutes(school, count: int, start: datetime = MORNING, **kwargs):
    return [
        f.minute(
            school.devnum,
            school.stunum,
            school.coachnum,
            start + timedelta(minutes=i),
            i + 1,
            **kwargs,
        )
        for i in range(count)
    ]


def test_honest_minutes_inside_the_ground_are_accepted(tp, school, ground):
    data = tp.post("minuterecords", minutes(school, 5))
    assert (data["accepted"], data["rejected"], data["refused"]) == (5, 0, 0)
    assert MinuteRecord.objects.filter(result="accepted").count() == 5
    assert all(r["result"] == "accepted" for r in data["results"])


def test_minutes_outside_the_fence_are_kept_as_rejected(tp, school, ground):
    data = tp.post("minuterecords", minutes(school, 3, lng=113.5, lat=28.6))
    assert data["rejected"] == 3
    assert {tuple(r["codes"]) for r in data["results"]} == {("OUT_OF_FENCE",)}
    assert MinuteRecord.objects.filter(result="rejected").count() == 3


def test_no_fence_approved_yet_means_out_of_fence(tp, school):
    data = tp.post("minuterecords", minutes(school, 2))
    assert data["rejected"] == 2


def test_a_revoked_coach_earns_nothing(tp, school, ground):
    set_filing_revoked(
        actor=Actor.for_user(ground),
        kind="coach",
        number=school.coachnum,
        revoked=True,
        reason="违规带教",
    )
    data = tp.post("minuterecords", minutes(school, 2))
    assert {tuple(r["codes"]) for r in data["results"]} == {("COACH_NOT_FILED",)}


def test_an_unbound_terminal_earns_nothing(tp, school, ground):
    tp.post("devrembinding", {"devnum": school.devnum, "carnum": school.carnum})
    data = tp.post("minuterecords", minutes(school, 2))
    assert all("DEVICE_UNBOUND" in r["codes"] for r in data["results"])


def test_one_bad_item_does_not_reject_the_others(tp, school, ground):
    batch = minutes(school, 3)
    batch[1]["maxspeed"] = "fast"
    batch.insert(2, "not an object")
    data = tp.post("minuterecords", batch)
    assert [r["result"] for r in data["results"]] == ["accepted", "refused", "refused", "accepted"]
    assert data["results"][1]["errors"][0]["field"] == "maxspeed"
    assert data["results"][1]["errors"][0]["value"] == "fast"
    assert MinuteRecord.objects.count() == 2


def test_a_replay_returns_the_first_result_and_stores_nothing(tp, school, ground):
    batch = minutes(school, 4)
    first = tp.post("minuterecords", batch)
    again = tp.post("minuterecords", batch)
    assert [r["result"] for r in again["results"]] == [r["result"] for r in first["results"]]
    assert all(r.get("duplicate") for r in again["results"])
    assert MinuteRecord.objects.count() == 4


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("recordnum", "123"),
        ("subjcode", "9212110000"),
        ("rectime", "256199"),
        ("mileage", -1),
        ("stunum", "4300500000000000"),
    ],
)
def test_malformed_items_are_refused_by_field(tp, school, ground, field, value):
    item = minutes(school, 1)[0]
    item[field] = value
    result = tp.post("minuterecords", [item])["results"][0]
    assert result["result"] == "refused"
    assert result["errors"][0]["field"] == field
    assert MinuteRecord.objects.count() == 0


def test_a_batch_body_must_be_an_array(tp, school):
    status, envelope = tp.call("minuterecords", {"records": []})
    assert status == 400 and envelope["errorcode"] == 2003
