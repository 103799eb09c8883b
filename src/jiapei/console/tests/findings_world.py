"""The world of the findings tests (the ``shared`` fixture): one picture in two students'
sessions, found by the real fraud scan.

A test module imports ``shared_fixture`` to use it.

Two schools of 长沙 岳麓区 (430104) each upload one part-2 session through the signed API, the
second six hours after the first with the very same pictures (``play_session`` draws its photos
from the log's sequence number), as a stand-in who borrows another student's photos would. The
worker audits the sessions and the real detectors scan the day: the later session is a
FACE_SHARED finding with the three photo pairs as evidence. FACE_SHARED is made a quiet
detector here (``JIAPEI_WORKORDER_QUIET_DETECTORS``), so the finding stays open for an officer
to judge instead of opening its work order by itself.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command

from jiapei.accounts.models import Role, User
from jiapei.console.tests.students_world import approve_ground
from jiapei.core.actors import Actor
from jiapei.fraud import services
from jiapei.fraud.detectors.base import Draft, ScanContext
from jiapei.fraud.models import Finding
from jiapei.testing.fixtures import School
from jiapei.testing.sessions import START, play_session
from jiapei.training.models import TeachingLog

ACTOR = Actor.system("fraud scan")
DAY = START.date()


@dataclass
class Shared:
    finding: Finding
    first: TeachingLog  # the earlier session, where the pictures were first taken
    later: TeachingLog  # the copy: the finding's log
    school: School
    other_school: School

    @property
    def url(self) -> str:
        return f"/console/findings/{self.finding.pk}/"


@pytest.fixture(name="shared")
def shared_fixture(
    tp: Any,
    school: School,
    ground: User,
    file_school: Callable[..., School],
    settings: Any,
) -> Shared:
    settings.JIAPEI_WORKORDER_QUIET_DETECTORS = ("FACE_SHARED",)
    other = file_school("430104")
    approve_ground(tp, other, ground)
    first = play_session(tp, school, recnum="00031", start=START, length=20, seq0=3100)
    later = play_session(
        tp, other, recnum="00031", start=START + timedelta(hours=6), length=20, seq0=3200
    )
    call_command("worker", once=True, stdout=io.StringIO())
    services.scan_day(actor=ACTOR, day=DAY)
    return Shared(
        finding=Finding.objects.get(detector="FACE_SHARED"),
        first=TeachingLog.objects.get(rnum=first),
        later=TeachingLog.objects.get(rnum=later),
        school=school,
        other_school=other,
    )


def store(*drafts: Draft) -> list[Finding]:
    """Store drafts through the fraud scan's own upsert (as if a detector had made them)."""

    def detect(context: ScanContext) -> list[Draft]:
        return list(drafts)

    return services.scan_day(actor=ACTOR, day=DAY, detectors=[detect])


def more_findings(log: TeachingLog, detector: str, count: int, severity: str = "medium") -> None:
    """``count`` findings of ``detector`` about ``log``'s session (keys made unique)."""
    store(
        *(
            Draft(
                detector=detector,
                key=f"{detector}:{log.rnum}:{n}",
                severity=severity,
                summary=f"学员{log.student.stunum}的培训（{log.rnum}）可疑 {n}",
                summary_en=f"session {log.rnum} looks suspicious {n}",
                day=DAY,
                logs=[log.rnum],
                stunum=log.student.stunum,
                coach=log.coach.number if log.coach else None,
                car=log.car.carnum if log.car else None,
                score=float(n),
                evidence={"figures": {"overlap_minutes": n}},
            )
            for n in range(count)
        )
    )


def redraft(finding: Finding, **changes: Any) -> Finding:
    """Store ``finding`` again under its key with ``changes`` (logs as rnums, evidence, ...)."""
    draft = Draft(
        detector=finding.detector,
        key=finding.key,
        severity=finding.severity,
        summary=finding.summary,
        summary_en=finding.summary_en,
        day=finding.day,
        logs=sorted(finding.logs.values_list("rnum", flat=True)),
        inscode=finding.institution.inscode if finding.institution else "",
        stunum=finding.student.stunum if finding.student else None,
        coach=finding.coach.number if finding.coach else None,
        car=finding.car.carnum if finding.car else None,
        score=finding.score,
        evidence=finding.evidence,
    )
    [stored] = store(replace(draft, **changes))
    return stored


def county_user(make_user: Callable[..., User], region: str, username: str) -> User:
    return make_user(Role.COUNTY_REGULATOR, region, username=username)
