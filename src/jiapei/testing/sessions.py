"""Training sessions uploaded through the signed API, as a timing platform sends them.

``ground`` approves the test school's part-2 training ground (minutes in it count);
:func:`play_session` uploads one practical session (photos, minutes, teaching log) and
:func:`post_classrecord` just its teaching log. Shared by the audit, stage, fraud, report,
supervision and work-order tests.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from jiapei.accounts.models import Role, User
from jiapei.core.actors import Actor
from jiapei.registry.models import TeachingArea
from jiapei.registry.services import review_area
from jiapei.sim.client import TimingPlatformClient
from jiapei.sim.images import portrait
from jiapei.testing import factories as f
from jiapei.testing.fixtures import School

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 20, 9, 0, 0, tzinfo=SHANGHAI)


@pytest.fixture
def ground(tp: TimingPlatformClient, school: School, make_user: Any) -> User:
    """The school's part-2 training ground, approved by a 长沙 regulator (who is returned)."""
    tp.post("region", f.AreaPayload(inscode=school.inscode, seq="1"))
    regulator: User = make_user(Role.CITY_REGULATOR, "430100", "cs-auditor")
    area = TeachingArea.objects.get(institution__inscode=school.inscode)
    review_area(actor=Actor.for_user(regulator), area_id=area.pk, approve=True)
    return regulator


def play_session(
    tp: TimingPlatformClient,
    school: School,
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
    tp: TimingPlatformClient,
    school: School,
    recnum: str,
    start: datetime,
    length: int,
    *,
    signin: str,
    signout: str,
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


def log_payload(school: Any, photos: tuple[str, str], **overrides: Any) -> dict[str, Any]:
    """A valid ``classrecord`` body (a 60-minute part-2 session of ``school``'s student on
    2026-11-20, with its two photos), with ``overrides`` applied."""
    return {
        "inscode": school.inscode,
        "stunum": school.stunum,
        "coachnum": school.coachnum,
        "carnum": school.carnum,
        "simunum": school.devnum,
        "platnum": "A0041",
        "recnum": "1",
        "subjcode": "1212110000",
        "photo1": photos[0],
        "photo3": photos[1],
        "starttime": "20261120090000",
        "endtime": "20261120100000",
        "duration": 60,
        "mileage": "18.5",
        "total": 60,
        "part2": 60,
        **overrides,
    }
