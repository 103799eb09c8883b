"""From upload to credited hours: minutes, photos and the teaching log go in through the
signed API, the worker audits the closed session, and the progress says what counts and why."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from jiapei.accounts.models import Role
from jiapei.core.actors import Actor
from jiapei.registry.models import TeachingArea
from jiapei.registry.services import review_area
from jiapei.sim.images import portrait
from jiapei.testing import factories as f
from jiapei.training.models import AuditRequest, TeachingLog

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 20, 9, 0, 0, tzinfo=SHANGHAI)


@pytest.fixture
def ground(tp, school, make_user):
    tp.post("region", f.AreaPayload(inscode=school.inscode, seq="1"))
    regulator = make_user(Role.CITY_REGULATOR, "430100", "cs-auditor")
    area = TeachingArea.objects.get(institution__inscode=school.inscode)
    review_area(actor=Actor.for_user(regulator), area_id=area.pk, approve=True)
    return regulator


def play_session(
    tp,
    school,
    *,
    recnum: str,
    start: datetime,
    length: int,
    seq0: int = 0,
    stationary: range = range(0),
    photos: bool = True,
    one_picture: bool = False,
) -> str:
    """Upload one practical part-2 session: photos, minutes moving on the ground, the log.
    ``one_picture`` sends the same image file for every photo, as a photo device (照片机) does."""
    items = []
    for i in range(length):
        still = i in stationary
        lng = 112.90 + (0 if still else 0.0005 * (i % 6))
        items.append(
            f.minute(
                school.devnum,
                school.stunum,
                school.coachnum,
                start + timedelta(minutes=i, seconds=59),
                seq0 + i + 1,
                lng=lng,
                speed=0 if still else 150,
                mileage=0 if still else 3,
                classid=recnum,
            )
        )
    assert tp.post("minuterecords", items)["accepted"] == length
    photo_ids = {}
    if photos:
        for n, minute in enumerate([0, *range(15, length, 15), length]):
            event = 17 if minute == 0 else 18 if minute == length else 5
            seed = 7000 + int(recnum) * 100 + (0 if one_picture else n)
            file_id = tp.upload("stuimg", portrait(seed))
            photo_ids[event] = file_id
            tp.post(
                "trainimginfo",
                {
                    "inscode": school.inscode,
                    "stunum": school.stunum,
                    "coachnum": school.coachnum,
                    "subjcode": "1212110000",
                    "platnum": "A0041",
                    "recnum": recnum,
                    "ptime": f"{start + timedelta(minutes=minute):%Y%m%d%H%M%S}",
                    "fileid": file_id,
                    "event": event,
                    "confidence": 92,
                },
            )
    return post_classrecord(
        tp,
        school,
        recnum,
        start,
        length,
        signin=photo_ids.get(17, "0"),
        signout=photo_ids.get(18, "0"),
    )


def post_classrecord(
    tp, school, recnum: str, start: datetime, length: int, *, signin: str, signout: str
) -> str:
    """Upload the teaching log of a part-2 practical session (0.3 km a minute) through the
    signed ``classrecord`` interface, with its sign-in and sign-out photo file ids; returns its
    rnum. Shared with the tests that need logs without minute records."""
    tp.post(
        "classrecord",
        {
            "inscode": school.inscode,
            "stunum": school.stunum,
            "coachnum": school.coachnum,
            "carnum": school.carnum,
            "simunum": school.devnum,
            "platnum": "A0041",
            "recnum": recnum,
            "classid": recnum,
            "subjcode": "1212110000",
            "photo1": signin,
            "photo3": signout,
            "starttime": f"{start:%Y%m%d%H%M%S}",
            "endtime": f"{start + timedelta(minutes=length):%Y%m%d%H%M%S}",
            "duration": length,
            "mileage": f"{0.3 * length:.1f}",
        },
    )
    return school.stunum + recnum


def test_an_honest_session_is_credited_after_the_worker_runs(tp, school, ground, api):
    rnum = play_session(tp, school, recnum="00001", start=START, length=60)
    assert AuditRequest.objects.count() == 1
    call_command("worker", once=True)
    log = TeachingLog.objects.get(rnum=rnum)
    assert (log.audit_status, log.credited_minutes) == ("valid", 60), log.codes
    assert AuditRequest.objects.count() == 0

    progress = tp.post("traininfo/get", {"stunum": school.stunum})
    part2 = next(p for p in progress["parts"] if p["part"] == 2)
    practical = next(m for m in part2["modes"] if m["mode"] == "practical")
    assert practical["credited"] == 60 and practical["required"] > 60
    assert part2["complete"] is False and part2["sessions"] == []


def test_a_stationary_stretch_is_void_and_explained(tp, school, ground, api):
    rnum = play_session(
        tp, school, recnum="00002", start=START, length=60, stationary=range(20, 25)
    )
    call_command("worker", once=True)
    log = TeachingLog.objects.get(rnum=rnum)
    assert log.audit_status == "partial", log.codes
    assert log.credited_minutes == 55

    reply = api(ground, "GET", f"/api/regulator/students/{school.stunum}/progress").json()
    part2 = next(p for p in reply["data"]["parts"] if p["part"] == 2)
    [session] = part2["sessions"]
    reasons = {r["code"]: r for r in session["reasons"]}
    assert reasons["STATIONARY"]["minutes"] == 5
    assert "连续" in reasons["STATIONARY"]["why"]


def test_reauditing_changes_nothing(tp, school, ground, capsys):
    play_session(tp, school, recnum="00003", start=START, length=45)
    call_command("worker", once=True)
    call_command("audit", student=school.stunum)
    assert "0 students changed" in capsys.readouterr().out


def test_a_city_regulator_cannot_read_another_citys_progress(tp, school, zhuzhou_regulator, api):
    reply = api(zhuzhou_regulator, "GET", f"/api/regulator/students/{school.stunum}/progress")
    assert reply.status_code == 404 and reply.json()["errorcode"] != 0


def test_a_threshold_change_is_applied_by_reauditing_and_reported(tp, school, ground, api, capsys):
    rnum = play_session(tp, school, recnum="00004", start=START, length=30)
    call_command("worker", once=True)
    assert TeachingLog.objects.get(rnum=rnum).credited_minutes == 30

    reply = api(
        ground,
        "POST",
        "/api/regulator/thresholds",
        json={
            "scope_kind": "city",
            "scope_code": "430100",
            "field": "speed_limit_part2_kmh",
            "value": 10,
            "effective_from": "2026-11-01",
            "note": "场地限速10公里",
        },
    )
    assert reply.json()["errorcode"] == 0, reply.json()
    capsys.readouterr()
    call_command("audit", since="2026-11-01")
    out = capsys.readouterr().out
    assert "1 students changed" in out and "30 → 0" in out and "SPEED+30" in out
    assert TeachingLog.objects.get(rnum=rnum).audit_status == "invalid"


def test_bad_threshold_settings_are_refused_by_field(api, ground, zhuzhou_regulator):
    bad = {
        "scope_kind": "city",
        "scope_code": "430100",
        "field": "speed_limit_part2_kmh",
        "value": "fast",
        "effective_from": "2026-11-01",
    }
    reply = api(ground, "POST", "/api/regulator/thresholds", json=bad)
    assert reply.status_code == 400 and reply.json()["data"]["errors"][0]["field"] == "value"
    unknown = {**bad, "field": "no_such_threshold", "value": 3}
    assert api(ground, "POST", "/api/regulator/thresholds", json=unknown).status_code == 400
    other_city = {**bad, "value": 10}
    reply = api(zhuzhou_regulator, "POST", "/api/regulator/thresholds", json=other_city)
    assert reply.status_code == 403
