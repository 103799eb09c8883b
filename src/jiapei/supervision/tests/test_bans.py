"""Training bans (禁训, 0x8502): a regulator bans a coach, car or terminal; the platform that
filed it is told through the outbox; ingest rejects the subject's minutes recorded during the
ban with TRAINING_BAN; lifting it tells the platform and lets minutes in again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from jiapei.cli.worker import relay_once
from jiapei.core import clock
from jiapei.core.models import AuditLogEntry
from jiapei.integrations.timingplatform.fake import RECORDED
from jiapei.outbox.models import OutboxMessage
from jiapei.supervision.models import TrainingBan
from jiapei.supervision.tests.conftest import error_fields, ok, refused
from jiapei.testing import factories as f

BANS = "/api/regulator/bans"


@pytest.fixture
def delivered(settings: Any) -> list[tuple[str, str, dict]]:
    """Callbacks the relay delivers, kept in memory."""
    settings.JIAPEI_CALLBACK_BACKEND = "record"
    RECORDED.clear()
    yield RECORDED
    RECORDED.clear()


def upload(tp: Any, school: Any, at: Any, seq: int) -> dict[str, Any]:
    """One minute record of the school's student, coach, car and terminal at ``at`` (local)."""
    reply = tp.post(
        "minuterecords",
        [f.minute(school.devnum, school.stunum, school.coachnum, at, seq, classid="1")],
    )
    [result] = reply["results"]
    return dict(result)


@pytest.mark.parametrize("kind", ["coach", "car", "device"])
def test_a_ban_reaches_the_platform_rejects_minutes_during_it_and_lifting_ends_it(
    tp, school, ground, api, changsha_regulator, delivered, kind
):
    number = {"coach": school.coachnum, "car": school.carnum, "device": school.devnum}[kind]
    relay_once()  # the teaching area's approval
    delivered.clear()
    now = clock.localnow()
    before_ban = upload(tp, school, now - timedelta(hours=2), 1)
    assert before_ban["result"] == "accepted", before_ban

    ban = ok(
        api(
            changsha_regulator,
            "POST",
            BANS,
            json={"kind": kind, "number": number, "reason": "学时造假，停训整顿"},
        )
    )
    assert (ban["kind"], ban["number"], ban["active"], ban["created"]) == (kind, number, True, True)
    assert ban["inscode"] == school.inscode and ban["platnum"] == "A0041"
    message = OutboxMessage.objects.get(path="/trainingban")
    assert message.idempotency_key == f"trainingban:{ban['id']}:2"
    assert relay_once() == (1, 0)
    assert delivered == [
        (
            "A0041",
            "/trainingban",
            {
                "type": kind,
                "number": number,
                "inscode": school.inscode,
                "banstatus": "2",
                "message": "学时造假，停训整顿",
            },
        )
    ]

    # Minutes recorded during the ban are kept but rejected; one recorded before it (uploaded
    # late) still counts.
    during = upload(tp, school, now + timedelta(hours=1), 2)
    assert (during["result"], during["codes"]) == ("rejected", ["TRAINING_BAN"])
    late = upload(tp, school, now - timedelta(hours=1), 3)
    assert late["result"] == "accepted", late

    lifted = ok(
        api(changsha_regulator, "POST", f"{BANS}/{ban['id']}/lift", json={"reason": "整改完成"})
    )
    assert lifted["active"] is False and lifted["lift_reason"] == "整改完成"
    assert relay_once() == (1, 0)
    assert delivered[1][2]["banstatus"] == "1" and delivered[1][2]["number"] == number

    after = upload(tp, school, now + timedelta(hours=1, minutes=1), 4)
    assert after["result"] == "accepted", after
    # The minute recorded during the ban stays rejected when it is sent again.
    replay = upload(tp, school, now + timedelta(hours=1), 2)
    assert (replay["result"], replay["codes"], replay["duplicate"]) == (
        "rejected",
        ["TRAINING_BAN"],
        True,
    )


def test_banning_again_is_a_retry_or_a_conflict_and_lifting_twice_sends_once(
    api, changsha_regulator, school
):
    body = {"kind": "coach", "number": school.coachnum, "reason": "代培代签"}
    first = ok(api(changsha_regulator, "POST", BANS, json=body))
    again = ok(api(changsha_regulator, "POST", BANS, json=body))
    assert (again["id"], again["created"]) == (first["id"], False)
    reply = refused(api(changsha_regulator, "POST", BANS, json={**body, "reason": "另一原因"}), 409)
    assert error_fields(reply) == {"number": school.coachnum}
    for _ in range(2):
        ok(api(changsha_regulator, "POST", f"{BANS}/{first['id']}/lift", json={"reason": "整改"}))
    assert TrainingBan.objects.count() == 1
    assert OutboxMessage.objects.filter(path="/trainingban").count() == 2
    assert AuditLogEntry.objects.filter(action__startswith="trainingban.").count() == 2
    # Lifted, it may be banned again: a new ban.
    second = ok(api(changsha_regulator, "POST", BANS, json=body))
    assert second["created"] is True and second["id"] != first["id"]
    listing = ok(api(changsha_regulator, "GET", BANS, params={"active": True}))
    assert [b["id"] for b in listing["items"]] == [second["id"]]


def test_another_citys_regulator_can_neither_ban_nor_lift_nor_see(
    api, changsha_regulator, zhuzhou_regulator, school
):
    reply = refused(
        api(
            zhuzhou_regulator,
            "POST",
            BANS,
            json={"kind": "car", "number": school.carnum, "reason": "x"},
        ),
        404,
    )
    assert error_fields(reply) == {"number": school.carnum}
    assert TrainingBan.objects.count() == OutboxMessage.objects.count() == 0
    ban = ok(
        api(
            changsha_regulator,
            "POST",
            BANS,
            json={"kind": "car", "number": school.carnum, "reason": "车辆改装"},
        )
    )
    assert ok(api(zhuzhou_regulator, "GET", BANS))["total"] == 0
    refused(api(zhuzhou_regulator, "POST", f"{BANS}/{ban['id']}/lift", json={"reason": "x"}), 404)
    assert TrainingBan.objects.get().lifted_at is None
    assert ok(api(changsha_regulator, "GET", BANS, params={"kind": "car"}))["total"] == 1


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"kind": "student", "number": "X", "reason": "r"}, {"kind": "student"}),
        ({"kind": "coach", "reason": "r"}, {"number": None}),
        ({"kind": "coach", "number": "X"}, {"reason": None}),
    ],
)
def test_bad_bans_are_refused_by_field_and_store_and_send_nothing(
    api, changsha_regulator, school, body, errors
):
    reply = refused(api(changsha_regulator, "POST", BANS, json=body), 400)
    assert error_fields(reply) == errors
    assert TrainingBan.objects.count() == OutboxMessage.objects.count() == 0


def test_an_unknown_number_is_not_found(api, changsha_regulator, school):
    reply = refused(
        api(
            changsha_regulator,
            "POST",
            BANS,
            json={"kind": "device", "number": "4300499999999999", "reason": "r"},
        ),
        404,
    )
    assert error_fields(reply) == {"number": "4300499999999999"}
    assert TrainingBan.objects.count() == 0
