"""From upload to credited hours: minutes, photos and the teaching log go in through the
signed API, the worker audits the closed session, and the progress says what counts and why."""

from __future__ import annotations

from django.core.management import call_command

from jiapei.testing.sessions import START, play_session
from jiapei.training.models import AuditRequest, TeachingLog


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
