"""The pure parts: the checks' verdicts, the manual-review draw and the derived police status."""

from __future__ import annotations

from datetime import timedelta

from jiapei.core import clock
from jiapei.outbox.models import OutboxMessage
from jiapei.stages import checks as c
from jiapei.stages.queries import delivery_status


def test_totals_name_every_mode_that_differs():
    check = c.platform_totals({"1": 600, "3": 120}, {"totaltime": 720, "vehicletime": 660})
    assert not check["ok"]
    assert "vehicletime: 平台 (platform) 660 ≠ 审核 (audit) 600" in check["detail"]
    assert "simulatortime" in check["detail"] and "totaltime" not in check["detail"]
    agreed = {"totaltime": 720, "vehicletime": 600, "simulatortime": 120}
    assert c.platform_totals({"1": 600, "3": 120}, agreed)["ok"]


def test_teaching_logs_must_be_the_students_audited_logs_of_the_part():
    stunum = "4300505525564520"
    logs = {
        stunum + "00001": c.LogFact(stunum + "00001", stunum, 2, "valid"),
        stunum + "00002": c.LogFact(stunum + "00002", stunum, 3, "valid"),
        stunum + "00003": c.LogFact(stunum + "00003", stunum, 2, "pending"),
        "430050552556452100001": c.LogFact("430050552556452100001", "4300505525564521", 2, "valid"),
    }
    assert c.teaching_logs([stunum + "00001"], logs, stunum=stunum, part=2)["ok"]
    check = c.teaching_logs([*logs, stunum + "00009"], logs, stunum=stunum, part=2)
    detail = check["detail"]
    assert not check["ok"]
    for expected in ("part 3", "not yet audited", "another student", "unknown log"):
        assert expected in detail
    assert not c.teaching_logs([], logs, stunum=stunum, part=2)["ok"]


def test_the_draw_is_fixed_per_student_and_part_and_follows_the_share():
    drawn = [c.drawn_for_manual(f"43005055255645{n:02d}", 2, 0.3) for n in range(100)]
    assert drawn == [c.drawn_for_manual(f"43005055255645{n:02d}", 2, 0.3) for n in range(100)]
    assert 15 <= sum(drawn) <= 45
    assert not any(c.drawn_for_manual(f"43005055255645{n:02d}", 2, 0.0) for n in range(100))
    assert all(c.drawn_for_manual(f"43005055255645{n:02d}", 2, 1.0) for n in range(100))


def test_police_status_follows_the_outbox_message():
    now = clock.now()
    message = OutboxMessage(status="pending", attempts=0, next_attempt_at=now)
    assert delivery_status("push", None) == "pending"
    assert delivery_status("push", message, now) == "pending"
    message.locked_until = now + timedelta(seconds=30)
    assert delivery_status("push", message, now) == "sent"
    message.locked_until, message.attempts = None, 2
    assert delivery_status("push", message, now) == "sent"
    message.status = "delivered"
    assert delivery_status("push", message, now) == "acknowledged"
    message.status = "dead"
    assert delivery_status("push", message, now) == "failed"
    assert delivery_status("withdraw", message, now) == "withdrawn"
