"""Writes of the key-supervision list (seed 002 （四）重点监管) and training bans (禁训).

Each service is one transaction with one audit-log row; repeating a request that was already
carried out changes nothing and returns what is stored.

Training bans are sent to the timing platform that filed the coach, car or terminal as
``POST /trainingban`` — our extension of the callbacks of standards.md §2.3 — carrying the
0x8502 禁训状态 (``banstatus`` "2" = banned, "1" = enabled again) for the platform to relay to
the terminal. Ingest enforces them itself (``training.services.minutes``), whatever the
terminal does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiapei.accounts import access
from jiapei.accounts.models import User
from jiapei.core import clock
from jiapei.core import services as trail
from jiapei.core.actors import Actor
from jiapei.core.errors import Conflict, FieldError, NotFound
from jiapei.core.wire import Fields, wire_date
from jiapei.integrations.timingplatform.messages import training_ban
from jiapei.outbox.models import Destination
from jiapei.outbox.services import enqueue_message
from jiapei.registry.models import (
    Device,
    FilingStatus,
    Institution,
    Personnel,
    PersonnelRole,
    TrainingCar,
)
from jiapei.supervision.models import BanKind, TrainingBan, WatchKind, WatchlistEntry
from jiapei.supervision.services.manual_audit import text

# Key-supervision list.


def _choice(*values: str) -> Any:
    def parse(field: str, value: str) -> str:
        if value not in values:
            raise FieldError(field, value, f"取值应为 {'/'.join(values)}")
        return value

    return parse


def _watch_subject(user: User, kind: str, number: str) -> tuple[Institution, Personnel | None]:
    """The school (by inscode) or coach (by coachnum) to list, locked; NotFound outside the
    user's region."""
    institution: Institution | None
    coach: Personnel | None = None
    if kind == WatchKind.SCHOOL:
        institution = Institution.objects.select_for_update().filter(inscode=number).first()
    else:
        coach = (
            Personnel.objects.select_for_update()
            .select_related("institution")
            .filter(number=number, role=PersonnelRole.COACH)
            .first()
        )
        institution = coach.institution if coach else None
    if institution is None or not access.covers(user, institution.district_id):
        raise NotFound(
            f"number={number!r}: 备案不存在 (no such filing)", field="number", value=number
        )
    return institution, coach


def add_to_watchlist(*, actor: Actor, data: Mapping[str, Any]) -> tuple[WatchlistEntry, bool]:
    """List a school (``number`` = inscode) or coach (``number`` = coachnum) on the
    key-supervision list from ``listed_on`` (default today). Listing what is already listed
    with the same date and reason returns the entry; while listed otherwise, a Conflict."""
    user = access.require(actor, access.Action.MANAGE_WATCHLIST)
    f = Fields(data)
    kind = f.get("kind", _choice(*WatchKind.values))
    number = f.get("number", text)
    reason = f.get("reason", text)
    listed_on = f.get("listed_on", wire_date, required=False) or clock.today()
    f.check()
    with transaction.atomic():
        institution, coach = _watch_subject(user, kind, number)
        active = WatchlistEntry.objects.filter(
            kind=kind, institution=institution, coach=coach, lifted_on__isnull=True
        ).first()
        if active is not None:
            if (active.listed_on, active.reason) == (listed_on, reason):
                return active, False
            raise Conflict(
                f"number={number!r}: 已在重点监管名单中（{active.listed_on} 起）(already listed)",
                field="number",
                value=number,
            )
        row = WatchlistEntry.objects.create(
            kind=kind,
            region_id=institution.district_id,
            institution=institution,
            coach=coach,
            reason=reason,
            listed_on=listed_on,
            listed_by=user,
        )
        trail.record(actor=actor, action="watchlist.add", obj=row, after=trail.snapshot(row))
        return row, True


def lift_watch(*, actor: Actor, entry_id: int, data: Mapping[str, Any]) -> WatchlistEntry:
    """Take an entry off the list from ``lifted_on`` (default today; not before it was listed).
    Lifting again with the same date and reason changes nothing; otherwise a Conflict."""
    user = access.require(actor, access.Action.MANAGE_WATCHLIST)
    f = Fields(data)
    reason = f.get("reason", text)
    lifted_on = f.get("lifted_on", wire_date, required=False) or clock.today()
    f.check()
    with transaction.atomic():
        row = WatchlistEntry.objects.select_for_update().filter(pk=entry_id).first()
        if row is None or not access.covers(user, row.region_id):
            raise NotFound(
                f"entry {entry_id}: 名单记录不存在 (no such entry)", field="id", value=entry_id
            )
        if row.lifted_on is not None:
            if (row.lifted_on, row.lift_reason) == (lifted_on, reason):
                return row
            raise Conflict(
                f"entry {entry_id}: 已于 {row.lifted_on} 移出名单 (already lifted)",
                field="id",
                value=entry_id,
            )
        if lifted_on < row.listed_on:
            raise FieldError(
                "lifted_on",
                data.get("lifted_on"),
                f"不能早于列入日期 {row.listed_on} (before the listing date)",
            )
        before = trail.snapshot(row)
        row.lifted_on, row.lift_reason = lifted_on, reason
        row.save(update_fields=["lifted_on", "lift_reason"])
        trail.record(
            actor=actor,
            action="watchlist.lift",
            obj=row,
            before=before,
            after=trail.snapshot(row),
            reason=reason,
        )
        return row


# Training bans.


def _ban_subject(user: User, kind: str, number: str) -> Personnel | TrainingCar | Device:
    """The filed coach, car or terminal, locked; NotFound when unknown, withdrawn by its
    platform, or outside the user's region."""
    subject: Personnel | TrainingCar | Device | None
    if kind == BanKind.COACH:
        subject = Personnel.objects.filter(number=number, role=PersonnelRole.COACH).first()
    elif kind == BanKind.CAR:
        subject = TrainingCar.objects.filter(carnum=number).first()
    else:
        subject = Device.objects.filter(devnum=number).first()
    if subject is not None:
        subject = type(subject).objects.select_for_update().get(pk=subject.pk)
    if (
        subject is None
        or subject.filing_status == FilingStatus.DELETED
        or subject.institution is None
        or not access.covers(user, subject.institution.district_id)
    ):
        raise NotFound(
            f"number={number!r}: 备案不存在 (no such filing)", field="number", value=number
        )
    return subject


def _announce(row: TrainingBan, banned: bool) -> None:
    message = training_ban(
        ban_id=row.pk,
        kind=row.kind,
        number=row.number,
        inscode=row.institution.inscode,
        banned=banned,
        message=row.reason if banned else row.lift_reason,
    )
    enqueue_message(message, destination=Destination.TIMING_PLATFORM, platform=row.platform)


def ban(*, actor: Actor, data: Mapping[str, Any]) -> tuple[TrainingBan, bool]:
    """Ban a coach, car or terminal (``kind`` coach/car/device, ``number`` its unified number)
    from training from now on, and tell the platform that filed it. Banning what is already
    banned with the same reason returns the ban; with another reason, a Conflict."""
    user = access.require(actor, access.Action.BAN_TRAINING)
    f = Fields(data)
    kind = f.get("kind", _choice(*BanKind.values))
    number = f.get("number", text)
    reason = f.get("reason", text)
    f.check()
    with transaction.atomic():
        subject = _ban_subject(user, kind, number)
        active = TrainingBan.objects.filter(kind=kind, number=number, lifted_at__isnull=True)
        current = active.first()
        if current is not None:
            if current.reason == reason:
                return current, False
            raise Conflict(
                f"number={number!r}: 已处于禁训状态 (already banned since "
                f"{timezone.localtime(current.banned_from):%Y-%m-%d %H:%M})",
                field="number",
                value=number,
            )
        assert subject.institution is not None
        row = TrainingBan.objects.create(
            kind=kind,
            number=number,
            region_id=subject.institution.district_id,
            institution=subject.institution,
            platform=subject.platform,
            reason=reason,
            banned_from=clock.now(),
            banned_by=user,
        )
        trail.record(
            actor=actor, action="trainingban.ban", obj=row, after=trail.snapshot(row), reason=reason
        )
        _announce(row, banned=True)
        return row, True


def lift_ban(*, actor: Actor, ban_id: int, data: Mapping[str, Any]) -> TrainingBan:
    """Lift a ban from now on and tell the platform (banstatus 1). Minutes recorded from then
    on are accepted again. Lifting a lifted ban changes nothing."""
    user = access.require(actor, access.Action.BAN_TRAINING)
    f = Fields(data)
    reason = f.get("reason", text)
    f.check()
    with transaction.atomic():
        row = (
            TrainingBan.objects.select_for_update()
            .select_related("institution", "platform")
            .filter(pk=ban_id)
            .first()
        )
        if row is None or not access.covers(user, row.region_id):
            raise NotFound(f"ban {ban_id}: 禁训记录不存在 (no such ban)", field="id", value=ban_id)
        if row.lifted_at is not None:
            return row
        before = trail.snapshot(row)
        row.lifted_at, row.lift_reason = clock.now(), reason
        row.save(update_fields=["lifted_at", "lift_reason"])
        trail.record(
            actor=actor,
            action="trainingban.lift",
            obj=row,
            before=before,
            after=trail.snapshot(row),
            reason=reason,
        )
        _announce(row, banned=False)
        return row
