"""Real findings for the evidence panels' tests: sessions uploaded through the signed API, the
audit run by the worker, then the real detectors run by a scan.

``upload`` sends one practical session minute by minute (any track, speed and mileage) with its
sign-in and sign-out photos and its teaching log; ``loop`` is a closed track on the test
school's approved ground. ``found`` runs a scan with the given detectors and returns the
finding of a detector code as the finding's page gets it (``fraud.queries.get_for``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.management import call_command
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import timezone

from jiapei.accounts.models import User
from jiapei.console.evidence import panels_for
from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.fraud import queries as fraud
from jiapei.fraud import services
from jiapei.fraud.detectors.base import Draft, ScanContext
from jiapei.fraud.models import Finding
from jiapei.sim.client import TimingPlatformClient
from jiapei.sim.images import portrait
from jiapei.testing import factories as f
from jiapei.testing.fixtures import School
from jiapei.testing.sessions import post_classrecord

ACTOR = Actor.system("test")
# Two days ago: in the past on any date, and recent enough for every upload window.
DAY = clock.today() - timedelta(days=2)
Fix = tuple[float, float, int, int]  # lng, lat, top speed (0.1 km/h), mileage (0.1 km)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), timezone.get_current_timezone())


def loop(minutes: int, *, speeds: Sequence[int] = (180,), jitter_m: float = 0.0) -> list[Fix]:
    """A 250 m circle round the ground's centre, one fix a minute (``jitter_m`` moves each fix
    by that many metres, alternately east and north, as a replay's added noise does)."""
    fixes = []
    for i in range(minutes):
        angle = 2 * math.pi * i / minutes
        nudge = jitter_m / 111_000 * (1 if i % 2 else -1)
        lng = 112.90 + 0.0025 * math.cos(angle) + nudge
        lat = 28.20 + 0.002 * math.sin(angle) + nudge
        fixes.append((round(lng, 6), round(lat, 6), speeds[i % len(speeds)], 1))
    return fixes


def upload(
    tp: TimingPlatformClient,
    school: School,
    *,
    number: int,
    start: datetime,
    fixes: Sequence[Fix],
    stunum: str | None = None,
    length: int | None = None,
) -> str:
    """Session ``number`` of the school's student (or ``stunum``), practical part 2, with a
    minute record per fix (``length`` minutes long when it has none); returns its rnum."""
    stunum = stunum or school.stunum
    recnum = f"{number:05d}"
    items = [
        f.minute(
            school.devnum,
            stunum,
            school.coachnum,
            start + timedelta(minutes=i, seconds=59),
            number * 100 + i + 1,
            lng=lng,
            lat=lat,
            speed=speed,
            mileage=km,
            classid=recnum,
        )
        for i, (lng, lat, speed, km) in enumerate(fixes)
    ]
    if items:
        tp.post("minuterecords", items)
    photos = {}
    for event, minute in ((17, 0), (18, length or len(fixes))):
        file_id = tp.upload("stuimg", portrait(7000 + number * 10 + event))
        photos[event] = file_id
        tp.post(
            "trainimginfo",
            {
                "inscode": school.inscode,
                "stunum": stunum,
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
    student = School(
        school.inscode, school.coachnum, school.carnum, school.devnum, stunum, school.photo
    )
    return post_classrecord(
        tp, student, recnum, start, length or len(fixes), signin=photos[17], signout=photos[18]
    )


def second_student(tp: TimingPlatformClient, school: School) -> str:
    """Another student of the school; returns the student number."""
    photo = tp.upload("stuimg", portrait(20_001))
    return str(tp.post("student", f.StudentPayload(inscode=school.inscode, photo=photo))["stunum"])


def audit() -> None:
    call_command("worker", once=True)


def found(
    user: User,
    detector: str,
    rnum: str,
    day: date = DAY,
    detectors: Sequence[Callable[[ScanContext], list[Draft]]] | None = None,
) -> Finding:
    """Scan ``day`` with ``detectors`` and return the finding of ``detector`` about the session
    ``rnum``, as the finding's page reads it."""
    services.scan_day(actor=ACTOR, day=day, detectors=detectors)
    rows = fraud.filtered(fraud.findings_for(user), detector=detector, rnum=rnum)
    [finding] = [row for row in rows if ":nofix" not in row.key]
    return fraud.get_for(user, finding.pk)


def rendered(finding: Finding, user: User) -> str:
    """Every panel of the finding rendered as the finding's page includes them."""
    return "".join(
        render_to_string(panel.template, panel.context) for panel in panels_for(finding, user)
    )


def store(drafts: list[Draft], day: date = DAY) -> None:
    """Store drafts a real detector made from hand-built facts, through the scan service (a
    period scan: a day scan runs only for the cities that have sessions that day)."""
    services.scan_period(actor=ACTOR, first=day, last=day, detectors=[lambda context: drafts])


def page(body: str) -> Any:
    """``body`` inside the console's base template, for a screenshot."""
    return Template(
        '{% extends "console/base.html" %}{% block content %}{{ body|safe }}{% endblock %}'
    ).render(Context({"title": "证据面板", "site_name": "jiapei", "body": body}))
