"""The preview of a "voided" decision is what the decision then does, and leaves nothing behind;
the monthly clearance series agrees with the clearance of each month; "other" closes an order
with its hours standing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.core.errors import Conflict, FieldError, NotFound
from jiapei.core.models import AuditLogEntry
from jiapei.outbox.models import OutboxMessage
from jiapei.stages.models import StageReview
from jiapei.training.models import TeachingLog
from jiapei.workorders import queries, services
from jiapei.workorders.tests.factories import order_for, session
from jiapei.workorders.tests.test_voiding import approved_and_pushed


def test_the_preview_is_what_the_decision_does_and_keeps_nothing(
    tp, school, ground, police, county_regulator
):
    rnum, review = approved_and_pushed(tp, school)
    order = order_for([rnum])
    actor = Actor.for_user(county_regulator)
    counts = (AuditLogEntry.objects.count(), OutboxMessage.objects.count())

    preview = queries.void_preview(actor=actor, order_id=order.pk, reason="代培")
    assert [(log.rnum, log.minutes) for log in preview.logs] == [(rnum, 60)]
    assert preview.minutes == 60
    [part] = preview.parts
    assert (part.stunum, part.part, part.required, part.before, part.after) == (
        school.stunum,
        2,
        60,
        60,
        0,
    )
    assert part.falls_below and preview.falling == [part]
    [revoked] = preview.revoked
    assert (revoked.review, revoked.part, revoked.subject) == (review.pk, 2, "2")
    assert revoked.withdrawal and revoked.push_status == "delivered"

    # Nothing of the dry run is kept.
    assert (AuditLogEntry.objects.count(), OutboxMessage.objects.count()) == counts
    assert TeachingLog.objects.get(rnum=rnum).voided_at is None
    assert StageReview.objects.get(pk=review.pk).status == "auto_approved"

    services.resolve(actor=actor, order_id=order.pk, decision="voided", reason="代培")
    outcome = queries.order_detail(order)
    assert outcome["voided"] == [log.rnum for log in preview.logs]
    assert [r["review"] for r in outcome["revoked"]] == [r.review for r in preview.revoked]
    [withdrawal] = OutboxMessage.objects.filter(path="/hours/withdraw")
    assert withdrawal.payload["stageid"] == str(review.pk)


def test_the_preview_refuses_what_the_decision_refuses(
    tp, school, ground, county_regulator, zhuzhou_regulator
):
    rnum = session(tp, school, 1, length=20)
    order = order_for([rnum])
    mine, theirs = Actor.for_user(county_regulator), Actor.for_user(zhuzhou_regulator)
    with pytest.raises(NotFound):
        queries.void_preview(actor=theirs, order_id=order.pk)
    with pytest.raises(FieldError) as error:
        queries.void_preview(actor=mine, order_id=order.pk, rnums=["43"])
    assert error.value.field == "rnums"
    services.resolve(actor=mine, order_id=order.pk, decision="other", reason="移交公安")
    with pytest.raises(Conflict):
        queries.void_preview(actor=mine, order_id=order.pk)
    order.refresh_from_db()
    assert (order.state, order.decision) == ("resolved", "other")
    assert TeachingLog.objects.get(rnum=rnum).voided_at is None


def test_the_monthly_clearance_agrees_with_each_months_clearance(tp, school, ground, settings):

    rnum = session(tp, school, 1, length=20)
    order_for([rnum])
    settings.JIAPEI_WORKORDER_DEADLINE_DAYS = -1
    order_for([rnum], detector="FACE_SHARED")
    month = clock.today().replace(day=1)
    previous = (month - timedelta(days=1)).replace(day=1)
    series = queries.clearance_by_month("4301", [previous, month])
    assert series[0] == queries.clearance("4301", *queries.month_bounds(previous))
    assert series[1] == queries.clearance("4301", *queries.month_bounds(month))
    assert (series[1].opened, series[1].overdue_open, series[0].opened) == (2, 1, 0)
