"""The audit rate of the ingest benchmark: the ingested sessions closed with their teaching
logs, then ``audit_students`` timed over every ingested student (first audits and a re-audit),
and first audits split over two processes."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from ingest_http import load_signer
from ingest_machine import log, summary
from ingest_plan import MINUTES_PER_SLOT, day_logs, day_minutes, sessions

from jiapei.core import progress


def file_logs(world: dict, days: int, records: int) -> int:
    """Close the ingested sessions with their teaching logs (in-process, untimed), as timing
    platforms do at sign-out; the audit groups minutes by log. Returns the number of logs."""
    from jiapei.sim.client import TimingPlatformClient

    plan = world["plan"]
    client = TimingPlatformClient.in_process(load_signer(world["key_pem"], world["serial"]))
    per_day = len(day_minutes(plan, 0))
    filed = 0
    for index in range(days):
        left = records - index * per_day
        count = len(sessions(plan, index))
        minutes = MINUTES_PER_SLOT if left >= per_day else max(1, -(-left // count))
        for teaching_log in day_logs(plan, index, minutes):
            client.post("classrecord", teaching_log)
            filed += 1
    client.close()
    return filed


def reset_verdicts(vendor: str) -> None:
    """Forget every audit verdict, so the next audit is a first audit of fresh minutes."""
    from django.db import connection

    from jiapei.audit.models import PartResult
    from jiapei.training.models import MinuteRecord, TeachingLog

    MinuteRecord.objects.update(valid=None, codes=[])
    TeachingLog.objects.update(
        audit_status="pending",
        total_minutes=0,
        valid_minutes=0,
        credited_minutes=0,
        credited_mileage=0,
        codes=[],
        rule_version="",
        audited_at=None,
    )
    PartResult.objects.all().delete()
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {MinuteRecord._meta.db_table}")


AUDIT_PART = (
    "import os, sys, time, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
    "'jiapei.settings'); django.setup(); from jiapei.audit.services import audit_students; "
    "from jiapei.core.actors import Actor; ids = [int(x) for x in sys.argv[1].split(',')]; "
    "t = time.perf_counter(); audit_students(student_ids=ids, actor=Actor.system('bench')); "
    "print(time.perf_counter() - t)"
)


def parallel_audit(student_ids: list[int], processes: int) -> float:
    """First audits split over ``processes`` worker processes (as several ``jiapei worker``
    would share the queue); returns the slowest process's audit time, Django start-up excluded."""
    shares = [student_ids[i::processes] for i in range(processes)]
    procs = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and inline code
            [sys.executable, "-c", AUDIT_PART, ",".join(map(str, share))],
            stdout=subprocess.PIPE,
        )
        for share in shares
        if share
    ]
    return max(float(p.communicate()[0].decode().strip().splitlines()[-1]) for p in procs)


def audit_rate(runs: int, vendor: str, world: dict, days: int, records: int) -> dict[str, Any]:
    """Time ``audit_students`` over every ingested student: ``runs`` first audits (verdicts
    reset before each; every minute's verdict is written) and one re-audit (nothing changes)."""
    from collections import Counter

    from jiapei.core.actors import Actor
    from jiapei.training.models import MinuteRecord, TeachingLog

    try:
        from jiapei.audit.services import audit_students
    except (ImportError, AttributeError) as exc:
        return {"available": False, "why": f"{type(exc).__name__}: {exc}"}
    logs = file_logs(world, days, records)
    student_ids = sorted(set(MinuteRecord.objects.values_list("student_id", flat=True)))
    minutes = MinuteRecord.objects.filter(student_id__in=student_ids).count()

    def timed() -> float:
        began = time.perf_counter()
        audit_students(student_ids=student_ids, actor=Actor.system("bench"))
        return time.perf_counter() - began

    first = []
    for _ in progress.bar(range(runs), desc="first audits", unit="run"):
        reset_verdicts(vendor)
        first.append(minutes / timed())
    again = minutes / timed()
    reset_verdicts(vendor)
    parallel = minutes / parallel_audit(student_ids, 2)
    return {
        "available": True,
        "two_processes_minutes_per_s": parallel,
        "students": len(student_ids),
        "minutes": minutes,
        "teaching_logs": logs,
        "minutes_per_s": summary(first) | {"runs": first},
        "reaudit_minutes_per_s": again,
        "minute_verdicts": dict(Counter(MinuteRecord.objects.values_list("valid", flat=True))),
        "session_verdicts": dict(
            Counter(TeachingLog.objects.values_list("audit_status", flat=True))
        ),
        "top_minute_codes": Counter(
            code for codes in MinuteRecord.objects.values_list("codes", flat=True) for code in codes
        ).most_common(5),
    }


def log_audit(audit: dict[str, Any]) -> None:
    """One log line with the audit's figures and verdicts."""
    if audit["available"]:
        log(f"audit: {audit['minutes']} minutes of {audit['students']} students in "
            f"{audit['teaching_logs']} sessions, first audit median "
            f"{audit['minutes_per_s']['median']:,.0f} minutes/s, re-audit "
            f"{audit['reaudit_minutes_per_s']:,.0f} minutes/s; minutes valid "
            f"{audit['minute_verdicts']}, sessions {audit['session_verdicts']}, "
            f"codes {audit['top_minute_codes']}")  # fmt: skip
    else:
        log(f"audit: not available ({audit['why']})")
