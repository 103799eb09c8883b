"""Reads of sampled audits, key-supervision lists and training bans, always scoped by region."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import CharField, Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat

from jiapei.accounts import access
from jiapei.accounts.models import Region, User
from jiapei.core.models import AuditLogEntry
from jiapei.outbox.models import OutboxMessage
from jiapei.supervision import sampling as method
from jiapei.supervision.models import (
    DrawReason,
    ManualReview,
    SampleDraw,
    SamplingPolicy,
    TrainingBan,
    Verdict,
    WatchlistEntry,
)
from jiapei.supervision.sampling import METHOD, target
from jiapei.training.bans import Window
from jiapei.training.models import TeachingLog


def default_share() -> Decimal:
    """``settings.JIAPEI_MANUAL_AUDIT_SHARE``: the share of a city that has set
    no policy of its own."""
    share = Decimal(str(settings.JIAPEI_MANUAL_AUDIT_SHARE))
    return share.quantize(Decimal("0.001"))


def city_of(code: str) -> str:
    """The city a county (or the city itself) belongs to, by its GB/T 2260 digits."""
    return code[:4] + "00"


def share_in_force(city: str, day: date) -> tuple[Decimal, SamplingPolicy | None]:
    """The manual-audit share of ``city`` on ``day``: its latest policy effective by then, else
    the default."""
    policy = (
        SamplingPolicy.objects.filter(region_id=city, effective_from__lte=day)
        .order_by("-effective_from")
        .first()
    )
    return (policy.share if policy else default_share()), policy


# Sampling policies.


def policies_for(user: User) -> QuerySet[SamplingPolicy]:
    """Policies a regulator may read: those of its region and below, and (policies being set
    per city) a county regulator its city's, which are in force in the county."""
    return access.scope(
        user, SamplingPolicy.objects.all(), region_field="region__code", include_above=True
    )


def policy_wire(row: SamplingPolicy) -> dict[str, Any]:
    return {
        "id": row.pk,
        "region": row.region_id,
        "share": str(row.share),
        "effective_from": row.effective_from.isoformat(),
        "note": row.note,
    }


# Draws and reviews.


def draws_for(user: User) -> QuerySet[SampleDraw]:
    """Draws in the user's region, with their progress counts annotated."""
    return (
        access.scope(user, SampleDraw.objects.all(), region_field="region__code")
        .annotate(
            n_drawn=Count("reviews"),
            n_reviewed=Count("reviews", filter=~Q(reviews__verdict=Verdict.PENDING)),
            n_bad=Count("reviews", filter=Q(reviews__verdict=Verdict.BAD)),
        )
        .order_by("-month", "region_id")
    )


def draw_wire(row: SampleDraw) -> dict[str, Any]:
    return {
        "id": row.pk,
        "region": row.region_id,
        "month": row.month.strftime("%Y-%m"),
        "share": str(row.share),
        "logs_total": row.logs_total,
        "target": target(row.share, row.logs_total),
        "drawn_with_findings": row.drawn_with_findings,
        "drawn_at_random": row.drawn_at_random,
        "seed": row.seed,
        "method": METHOD,
        "drawn_at": row.drawn_at.isoformat() if row.drawn_at else None,
        "progress": progress(row),
    }


def progress(row: SampleDraw) -> dict[str, int]:
    """Drawn, reviewed and bad counts (annotated by :func:`draws_for`, else counted)."""
    annotated: Any = row
    if hasattr(annotated, "n_drawn"):
        drawn, reviewed, bad = annotated.n_drawn, annotated.n_reviewed, annotated.n_bad
    else:
        counts = dict(
            row.reviews.values_list("verdict").annotate(n=Count("id")).values_list("verdict", "n")
        )
        drawn = sum(counts.values())
        reviewed = drawn - counts.get(Verdict.PENDING, 0)
        bad = counts.get(Verdict.BAD, 0)
    return {"drawn": drawn, "reviewed": reviewed, "bad": bad, "pending": drawn - reviewed}


def reviews_of(draw: SampleDraw) -> QuerySet[ManualReview]:
    return draw.reviews.select_related(
        "log__student", "log__institution", "reviewer", "work_order"
    ).order_by("reason", "log__starttime", "id")


def review_wire(row: ManualReview) -> dict[str, Any]:
    log = row.log
    order = getattr(row, "work_order", None)
    return {
        "id": row.pk,
        "draw": row.draw_id,
        "rnum": log.rnum,
        "stunum": log.student.stunum,
        "inscode": log.institution.inscode,
        "starttime": log.starttime.isoformat(),
        "endtime": log.endtime.isoformat(),
        "audit_status": log.audit_status,
        "reason": row.reason,
        "verdict": row.verdict,
        "note": row.note,
        "reviewer": row.reviewer.username if row.reviewer else None,
        "reviewed_at": row.reviewed_at.isoformat() if row.reviewed_at else None,
        "work_order": order.number if order else None,
    }


# Key-supervision list.


def watchlist_for(user: User) -> QuerySet[WatchlistEntry]:
    return access.scope(
        user,
        WatchlistEntry.objects.select_related("institution", "coach"),
        region_field="region__code",
    )


def active_on(qs: QuerySet[WatchlistEntry], first: date, last: date | None = None) -> QuerySet:
    """Entries on the list at some time in [first, last] (one day when ``last`` is None).

    An entry is on the list from ``listed_on`` up to the day before ``lifted_on``: lifting on a
    day takes effect that day.
    """
    last = last or first
    return qs.filter(Q(lifted_on__isnull=True) | Q(lifted_on__gt=first), listed_on__lte=last)


def watchlist_active(
    region: str, first: date, last: date, kind: str | None = None
) -> QuerySet[WatchlistEntry]:
    """The key-supervision list of ``region`` (a GB/T 2260 code of any level) for publication:
    schools and coaches on it at some time in [first, last], ordered by kind, school, coach.
    The monthly report uses it with the month's first and last days."""
    row = Region.objects.filter(code=region).first()
    prefix = row.scope_prefix if row else region
    qs = WatchlistEntry.objects.filter(region__code__startswith=prefix).select_related(
        "institution", "coach"
    )
    if kind:
        qs = qs.filter(kind=kind)
    return active_on(qs, first, last).order_by("kind", "institution__inscode", "coach__number")


def watch_wire(row: WatchlistEntry) -> dict[str, Any]:
    return {
        "id": row.pk,
        "kind": row.kind,
        "region": row.region_id,
        "inscode": row.institution.inscode,
        "institution": row.institution.name,
        "coachnum": row.coach.number if row.coach else None,
        "coach": row.coach.name if row.coach else None,
        "reason": row.reason,
        "listed_on": row.listed_on.isoformat(),
        "lifted_on": row.lifted_on.isoformat() if row.lifted_on else None,
        "lift_reason": row.lift_reason,
    }


# Training bans.


def bans_for(user: User) -> QuerySet[TrainingBan]:
    return access.scope(
        user,
        TrainingBan.objects.select_related("institution", "platform"),
        region_field="region__code",
    ).order_by("-banned_from", "-id")


def ban_wire(row: TrainingBan) -> dict[str, Any]:
    return {
        "id": row.pk,
        "kind": row.kind,
        "number": row.number,
        "region": row.region_id,
        "inscode": row.institution.inscode,
        "platnum": row.platform.platnum,
        "reason": row.reason,
        "banned_from": row.banned_from.isoformat(),
        "lifted_at": row.lifted_at.isoformat() if row.lifted_at else None,
        "lift_reason": row.lift_reason,
        "active": row.lifted_at is None,
    }


def ban_windows(
    subjects: Iterable[tuple[str, str]], start: datetime, end: datetime
) -> dict[tuple[str, str], list[Window]]:
    """The bans of the given (kind, number) subjects that overlap [start, end], as windows
    ``(banned_from, lifted_at or None)``; one query. Ingest calls it once per batch, through
    :func:`jiapei.training.bans.windows` (registered in :class:`SupervisionConfig.ready`)."""
    by_kind: dict[str, set[str]] = defaultdict(set)
    for kind, number in subjects:
        if number:
            by_kind[kind].add(number)
    if not by_kind:
        return {}
    subject = Q()
    for kind, numbers in by_kind.items():
        subject |= Q(kind=kind, number__in=numbers)
    rows = TrainingBan.objects.filter(
        subject,
        Q(lifted_at__isnull=True) | Q(lifted_at__gt=start),
        banned_from__lte=end,
    ).values_list("kind", "number", "banned_from", "lifted_at")
    windows: dict[tuple[str, str], list[Window]] = defaultdict(list)
    for kind, number, banned_from, lifted_at in rows:
        windows[(kind, number)].append((banned_from, lifted_at))
    return dict(windows)


# Pages of the console: the list with the /trainingban callbacks' state, the monthly notice.


def _callback(status: str, column: str) -> Subquery:
    """The ``column`` of the ``/trainingban`` message a ban (the outer row) queued with
    ``banstatus`` ``status`` ("2" banned, "1" lifted): its key is ``trainingban:<id>:<status>``
    (:func:`jiapei.integrations.timingplatform.messages.training_ban`)."""
    key = Concat(
        Value("trainingban:"),
        Cast(OuterRef("pk"), output_field=CharField()),
        Value(f":{status}"),
        output_field=CharField(),
    )
    return Subquery(OutboxMessage.objects.filter(idempotency_key=key).values(column)[:1])


def bans_with_callbacks(user: User) -> QuerySet[TrainingBan]:
    """:func:`bans_for`, each ban annotated with the delivery state of its ``/trainingban``
    messages to the timing platform: ``ban_message`` / ``ban_attempts`` for the ban and
    ``lift_message`` / ``lift_attempts`` for its lifting (an outbox ``MessageStatus`` value and
    the number of attempts; None when no message was queued). No query per row."""
    return bans_for(user).annotate(
        ban_message=_callback("2", "status"),
        ban_attempts=_callback("2", "attempts"),
        lift_message=_callback("1", "status"),
        lift_attempts=_callback("1", "attempts"),
    )


def watchlist_notice_for(user: User, first: date, last: date) -> QuerySet[WatchlistEntry]:
    """The monthly notice of the key-supervision list (seed 002 附件1 每月通报) as the user's
    region publishes it: entries of its region on the list at some time in [first, last],
    schools first, then coaches, each by region and number."""
    return active_on(
        watchlist_for(user).select_related("region", "institution__district"), first, last
    ).order_by("kind", "region_id", "institution__inscode", "coach__number", "id")


# The console's manual-audit workbench.


def reviews_for(user: User) -> QuerySet[ManualReview]:
    """Drawn logs in the user's region (by the draw's region), with what a page shows of them."""
    return access.scope(
        user,
        ManualReview.objects.select_related(
            "draw__region", "log__student", "log__institution__district", "reviewer"
        ),
        region_field="draw__region__code",
    )


def next_pending(review: ManualReview) -> ManualReview | None:
    """The next log of the same draw still waiting for a verdict, in the draw's list order
    (:func:`reviews_of`), after ``review`` if there is one, else from the top."""
    pending = list(
        reviews_of(review.draw)
        .filter(verdict=Verdict.PENDING)
        .exclude(pk=review.pk)
        .values_list("pk", flat=True)
    )
    position = {pk: i for i, pk in enumerate(reviews_of(review.draw).values_list("pk", flat=True))}
    after = position.get(review.pk, -1)
    later = [pk for pk in pending if position[pk] > after]
    chosen = later or pending
    return reviews_of(review.draw).get(pk=chosen[0]) if chosen else None


def draw_months(user: User) -> list[date]:
    """The months with draws in the user's region, newest first."""
    return list(draws_for(user).order_by("-month").values_list("month", flat=True).distinct())


@dataclass
class Replay:
    """A draw done again from its seed (:func:`replay_draw`)."""

    logs_now: int
    expected: set[str]
    drawn: set[str]
    keys: dict[str, str]

    @property
    def matches(self) -> bool:
        return self.expected == self.drawn

    @property
    def missing(self) -> list[str]:
        """Logs the seed draws that the stored draw lacks."""
        return sorted(self.expected - self.drawn)

    @property
    def extra(self) -> list[str]:
        """Logs in the stored draw that the seed does not draw."""
        return sorted(self.drawn - self.expected)


def replay_draw(row: SampleDraw) -> Replay:
    """Re-run the draw's method on the month's teaching logs as they are now, with its seed,
    its share and the logs it drew for a finding: when nothing changed in the month since, the
    logs chosen are exactly those drawn. ``keys`` gives each drawn log's sha256 order key."""
    start, end = method.month_bounds(row.month)
    logs = dict(
        TeachingLog.objects.filter(
            institution__district_id=row.region_id, starttime__gte=start, starttime__lt=end
        ).values_list("id", "rnum")
    )
    drawn = dict(row.reviews.values_list("log__rnum", "reason"))
    by_rnum = {rnum: pk for pk, rnum in logs.items()}
    flagged = [by_rnum[r] for r, why in drawn.items() if why == DrawReason.FINDING and r in by_rnum]
    chosen = method.pick(seed=row.seed, share=row.share, logs=logs, flagged=flagged)
    expected = {logs[i] for i in [*chosen.findings, *chosen.random]}
    keys = {rnum: method.order_key(row.seed, rnum) for rnum in drawn}
    return Replay(logs_now=len(logs), expected=expected, drawn=set(drawn), keys=keys)


def draw_history(row: SampleDraw) -> QuerySet[AuditLogEntry]:
    """The audit-log rows of a draw and of the verdicts on its logs, newest first."""
    reviews = [str(pk) for pk in row.reviews.values_list("pk", flat=True)]
    return (
        AuditLogEntry.objects.filter(
            Q(object_type=SampleDraw._meta.label_lower, object_id=str(row.pk))
            | Q(object_type=ManualReview._meta.label_lower, object_id__in=reviews)
        )
        .select_related("actor_user")
        .order_by("-at", "-pk")
    )
