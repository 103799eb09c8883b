"""Fixtures of the fraud pipeline tests.

The detectors are written and tested on their own; these tests check the pipeline around them
(loading, storing, the worker, the API, the CLI), so most of them replace the detectors with
``fake``: detectors that report whatever drafts a test decides from the context they are given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from jiapei.accounts.models import User
from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.fraud import detectors
from jiapei.fraud.detectors.base import Draft, ScanContext
from jiapei.registry.models import TeachingArea
from jiapei.registry.services import review_area
from jiapei.testing import factories as f
from jiapei.testing.fixtures import School
from jiapei.testing.sessions import play_session

# Two days ago: in the past for every check, and recent enough for any upload window.
DAY = clock.today() - timedelta(days=2)
ZHUZHOU_LUSONG = "430203"


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), timezone.get_current_timezone())


@pytest.fixture
def ground(tp: Any, school: School, changsha_regulator: User) -> User:
    """The school's training ground, approved by the 长沙 regulator (minutes in it count)."""
    tp.post("region", f.AreaPayload(inscode=school.inscode, seq="1"))
    area = TeachingArea.objects.get(institution__inscode=school.inscode)
    review_area(actor=Actor.for_user(changsha_regulator), area_id=area.pk, approve=True)
    return changsha_regulator


@pytest.fixture
def session(tp: Any, school: School, ground: User) -> Callable[..., str]:
    """Upload one practical session (with photos: a log needs its sign-in and sign-out photos)
    of the school's student on a day; returns its rnum."""
    counter = iter(range(1, 1000))

    def upload(day: date = DAY, *, length: int = 12, hour: int = 9) -> str:
        n = next(counter)
        return play_session(
            tp,
            school,
            recnum=f"{n:05d}",
            start=at(day, hour),
            length=length,
            seq0=n * 100,
        )

    return upload


@dataclass
class Fake:
    """Fake detectors: ``day`` and ``period`` turn a context into drafts; every context seen is
    kept in ``seen``."""

    day: Callable[[ScanContext], list[Draft]] = lambda context: []
    period: Callable[[ScanContext], list[Draft]] = lambda context: []
    seen: list[ScanContext] = field(default_factory=list)

    def run_day(self, context: ScanContext) -> list[Draft]:
        self.seen.append(context)
        return self.day(context)

    def run_period(self, context: ScanContext) -> list[Draft]:
        self.seen.append(context)
        return self.period(context)


def per_session(
    detector: str = "PHOTO_FROZEN", severity: str = "medium"
) -> Callable[[ScanContext], list[Draft]]:
    """A day detector that reports every session of the day scanned."""

    def detect(context: ScanContext) -> list[Draft]:
        return [
            Draft(
                detector=detector,
                key=f"{detector}:{s.rnum}",
                severity=severity,
                summary=f"会话{s.rnum}可疑",
                summary_en=f"session {s.rnum} looks suspicious",
                day=s.day,
                logs=[s.rnum],
                stunum=s.stunum,
                coach=s.coach,
                car=s.car,
                score=1.5,
                evidence={"minutes": [m.recordnum for m in s.minutes[:2]]},
            )
            for s in context.sessions
        ]

    return detect


def school_draft(inscode: str, day: date, detector: str = "SCHOOL_VOID_RATE") -> Draft:
    """A finding about a school alone (no teaching logs)."""
    return Draft(
        detector=detector,
        key=f"{detector}:{inscode}:{day:%Y-%m}",
        severity="high",
        summary=f"驾校{inscode}无效学时率偏高",
        summary_en=f"school {inscode} has a high void rate",
        day=day,
        inscode=inscode,
    )


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Fake:
    """Replace the registered detectors (the services read the registry at call time)."""
    faked = Fake()
    monkeypatch.setattr(detectors, "DAY_DETECTORS", (faked.run_day,))
    monkeypatch.setattr(detectors, "PERIOD_DETECTORS", (faked.run_period,))
    return faked


@pytest.fixture
def orders(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record the findings handed to the work-order service (which opens nothing here)."""
    from jiapei.workorders import services as workorders

    calls: list[Any] = []

    def open_for_finding(finding: Any, *, actor: Actor) -> None:
        calls.append(finding)
        return None

    monkeypatch.setattr(workorders, "open_for_finding", open_for_finding)
    return calls


@pytest.fixture
def zhuzhou_school(file_school: Callable[..., School]) -> School:
    return file_school(district=ZHUZHOU_LUSONG)
