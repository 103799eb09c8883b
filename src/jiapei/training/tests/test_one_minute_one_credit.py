"""One minute, one credit (issue 18 item 1), through the signed API and the worker: a student's
wall-clock minute is credited once across record numbers, terminals and sessions; a minute
re-sent under a new number is stored rejected (MINUTE_REPEATED) and found (MINUTE_RESENT)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management import call_command

from jiapei.testing import factories as f
from jiapei.testing.sessions import START, play_session
from jiapei.training.models import MinuteRecord, TeachingLog


def copies(school: Any, length: int, *, seq0: int, classid: str) -> list[dict[str, Any]]:
    """The minutes :func:`play_session` sent, again, under new record numbers."""
    return [
        f.minute(
            school.devnum,
            school.stunum,
            school.coachnum,
            START + timedelta(minutes=i, seconds=59),
            seq0 + i + 1,
            lng=112.90 + 0.0005 * (i % 6),
            classid=classid,
        )
        for i in range(length)
    ]


def practical_credited(tp: Any, stunum: str) -> int:
    progress = tp.post("traininfo/get", {"stunum": stunum})
    part2 = next(p for p in progress["parts"] if p["part"] == 2)
    return int(next(m for m in part2["modes"] if m["mode"] == "practical")["credited"])


def repeated_reason(tp: Any, stunum: str, rnum: str) -> dict[str, Any]:
    progress = tp.post("traininfo/get", {"stunum": stunum})
    sessions = [s for p in progress["parts"] for s in p["sessions"] if s["rnum"] == rnum]
    return next(r for r in sessions[0]["reasons"] if r["code"] == "MINUTE_REPEATED")


def test_minutes_resent_under_new_numbers_are_credited_once_and_found(tp, school, ground, api):
    rnum = play_session(tp, school, recnum="00001", start=START, length=30)
    call_command("worker", once=True)
    assert TeachingLog.objects.get(rnum=rnum).credited_minutes == 30

    reply = tp.post("minuterecords", copies(school, 30, seq0=100, classid="00001"))
    assert (reply["accepted"], reply["rejected"]) == (0, 30)
    assert all("MINUTE_REPEATED" in r["codes"] for r in reply["results"])
    call_command("worker", once=True)
    call_command("worker", once=True)

    # Never 60. Half of the session's records are now copies, so the audit's valid-share rule
    # voids the session as a whole: re-sending costs the school the original minutes too.
    log = TeachingLog.objects.get(rnum=rnum)
    assert (log.credited_minutes, log.codes) == (0, ["VALID_SHARE"])
    assert practical_credited(tp, school.stunum) == 0
    # The school is told why, in words: the progress names the repeated minutes' reason.
    why = repeated_reason(tp, school.stunum, rnum)
    assert why["minutes"] == 30 and why["why"].startswith("该学员在这一分钟已有学时记录"), why
    found = api(ground, "GET", "/api/regulator/findings?detector=MINUTE_RESENT").json()["data"]
    assert found["total"] == 1, found
    [finding] = found["items"]
    assert finding["stunum"] == school.stunum and finding["severity"] == "high"


def test_one_batch_with_one_minute_twice_credits_it_once(tp, school, ground):
    first, second = copies(school, 1, seq0=0, classid="1") + copies(school, 1, seq0=5, classid="2")
    second["rectime"] = second["rectime"][:4] + "30"  # the same minute, another second
    results = tp.post("minuterecords", [first, second])["results"]
    assert [r["result"] for r in results] == ["accepted", "rejected"]
    assert results[1]["codes"] == ["MINUTE_REPEATED"]
    assert MinuteRecord.objects.count() == 2


def test_the_same_minute_from_another_terminal_is_not_credited(tp, school, ground, file_school):
    """A second car of the school (its own terminal) reporting the student in the same minute."""
    at = START + timedelta(seconds=59)
    other = f.minute("4300000000000777", school.stunum, school.coachnum, at, 1)
    tp.post("minuterecords", [f.minute(school.devnum, school.stunum, school.coachnum, at, 1)])
    result = tp.post("minuterecords", [other])["results"][0]
    assert "MINUTE_REPEATED" in result["codes"] and result["result"] == "rejected"
