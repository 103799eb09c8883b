"""Writes of the sampled manual audit of seed 002 (（三）随机抽查): sampling policies, draws
and reviewers' verdicts. The key-supervision list and training bans are in :mod:`.sanctions`.

Each service is one transaction with one audit-log row; repeating a request that was already
carried out changes nothing and returns what is stored.

Draw levels. A draw for region R covers exactly the teaching logs of the schools whose
``district`` is R. A county draw covers its county; asking for a city draws each of its
counties that has teaching logs in the month, plus the schools licensed at city level (a draw
whose region is the city code itself). So a county draw and its city's never overlap, and a
city regulator drawing after a county regulator simply finds (and tops up) the county's draw.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from jiapei.accounts import access
from jiapei.accounts.models import Region, RegionLevel, User
from jiapei.core import clock
from jiapei.core import services as trail
from jiapei.core.actors import Actor
from jiapei.core.errors import Conflict, FieldError, NotFound
from jiapei.core.wire import Fields, wire_date
from jiapei.fraud.models import FindingStatus
from jiapei.supervision import sampling
from jiapei.supervision.models import (
    DrawReason,
    ManualReview,
    SampleDraw,
    SamplingPolicy,
    Verdict,
)
from jiapei.supervision.queries import city_of, share_in_force
from jiapei.supervision.signals import bad_verdict
from jiapei.training.models import TeachingLog


def text(field: str, value: str) -> str:
    return value


# Sampling policies.


def _city(field: str, value: str) -> Region:
    region = Region.objects.filter(code=value).first()
    if region is None or region.level != RegionLevel.CITY:
        raise FieldError(field, value, "应为地市级行政区划代码 (a city code expected)")
    return region


def set_policy(*, actor: Actor, data: Mapping[str, Any]) -> tuple[SamplingPolicy, bool]:
    """Set a city's manual-audit share from a date on. Province regulators may set any city,
    city regulators their own; county regulators none. Setting the same date again replaces
    its share (draws already made keep the share they applied). Returns (policy, changed)."""
    access.regulator(actor)
    f = Fields(data)
    city = f.get("region", _city)
    share = f.get("share", sampling.parse_share)
    effective_from = f.get("effective_from", wire_date)
    note = f.get("note", text, required=False, default="")
    f.check()
    user = access.require(actor, access.Action.SET_SAMPLING_POLICIES, region=city.code)
    with transaction.atomic():
        row = (
            SamplingPolicy.objects.select_for_update()
            .filter(region=city, effective_from=effective_from)
            .first()
        )
        if row is not None and (row.share, row.note) == (share, note):
            return row, False
        before = trail.snapshot(row)
        if row is None:
            row = SamplingPolicy(region=city, effective_from=effective_from, created_by=user)
        row.share, row.note = share, note
        row.save()
        trail.record(
            actor=actor,
            action="sampling.policy",
            obj=row,
            before=before,
            after=trail.snapshot(row),
        )
        return row, True


# Draws.


def _district(field: str, value: str) -> Region:
    region = Region.objects.filter(code=value).first()
    if region is None or region.level not in (RegionLevel.CITY, RegionLevel.COUNTY):
        raise FieldError(field, value, "应为地市或区县行政区划代码 (a city or county code)")
    return region


def draw(*, actor: Actor, region_code: str, month: str | date) -> list[SampleDraw]:
    """Draw (or top up) the teaching logs of ``month`` for manual audit in ``region_code``.

    For a county: that county's draw, created even when it has no logs. For a city: the draws
    of each district of the city (its counties, and the city itself for schools licensed at
    city level) that has logs in the month, or was drawn before. See
    :mod:`jiapei.supervision.sampling` for which logs are drawn. Drawing again adds logs that
    gained a finding since, and random logs to reach the share of a month that has grown,
    never the same log twice; it writes nothing when nothing changed. The share applied is the
    city's in force on the month's first day, fixed when the draw is first made. Months after
    the current one are refused.
    """
    access.regulator(actor)
    raw_month = month.isoformat() if isinstance(month, date) else month
    f = Fields({"region": region_code, "month": raw_month})
    region = f.get("region", _district)
    first = f.get("month", sampling.parse_month)
    f.check()
    user = access.require(actor, access.Action.DRAW_SAMPLES, region=region.code)
    if first > clock.today().replace(day=1):
        raise FieldError("month", raw_month, "不能抽查未来的月份 (a future month)")
    county = region.level == RegionLevel.COUNTY
    districts = [region]
    if not county:
        districts += list(Region.objects.filter(parent=region).order_by("code"))
    with transaction.atomic():
        rows = [
            _draw_district(d, first, actor=actor, user=user, keep_empty=county) for d in districts
        ]
    return [r for r in rows if r is not None]


def _locked_draw(district: Region, first: date) -> SampleDraw | None:
    return SampleDraw.objects.select_for_update().filter(region=district, month=first).first()


def _draw_district(
    district: Region, first: date, *, actor: Actor, user: User, keep_empty: bool
) -> SampleDraw | None:
    start, end = sampling.month_bounds(first)
    month_logs = TeachingLog.objects.filter(
        institution__district_id=district.code, starttime__gte=start, starttime__lt=end
    )
    logs = dict(month_logs.values_list("id", "rnum"))
    row = _locked_draw(district, first)
    if row is None and not logs and not keep_empty:
        return None
    created = False
    if row is None:
        share, _policy = share_in_force(city_of(district.code), first)
        try:
            with transaction.atomic():
                row = SampleDraw.objects.create(
                    region=district,
                    month=first,
                    share=share,
                    logs_total=0,
                    seed=sampling.new_seed(),
                    drawn_by=user,
                )
            created = True
        except IntegrityError:
            # A concurrent draw of the same district and month committed first: top it up.
            row = _locked_draw(district, first)
            assert row is not None
    # A finding a regulator dismissed no longer forces its logs into the draw.
    live = [FindingStatus.OPEN, FindingStatus.ORDERED]
    flagged = set(
        month_logs.filter(findings__status__in=live).values_list("id", flat=True).distinct()
    )
    drawn = set(row.reviews.values_list("log_id", flat=True))
    chosen = sampling.pick(seed=row.seed, share=row.share, logs=logs, flagged=flagged, drawn=drawn)
    if not created and not chosen and row.logs_total == len(logs):
        return row
    before = None if created else trail.snapshot(row)
    ManualReview.objects.bulk_create(
        [ManualReview(draw=row, log_id=i, reason=DrawReason.FINDING) for i in chosen.findings]
        + [ManualReview(draw=row, log_id=i, reason=DrawReason.RANDOM) for i in chosen.random]
    )
    row.logs_total = len(logs)
    row.drawn_with_findings += len(chosen.findings)
    row.drawn_at_random += len(chosen.random)
    row.save(update_fields=["logs_total", "drawn_with_findings", "drawn_at_random"])
    trail.record(
        actor=actor,
        action="sampling.draw" if created else "sampling.topup",
        obj=row,
        before=before,
        after={
            **(trail.snapshot(row) or {}),
            "added": {
                "finding": [logs[i] for i in chosen.findings],
                "random": [logs[i] for i in chosen.random],
            },
        },
    )
    return row


# Reviews.


def _verdict(field: str, value: str) -> str:
    if value not in (Verdict.GOOD, Verdict.BAD):
        raise FieldError(field, value, "取值应为 good/bad (good or bad)")
    return value


def record_verdict(*, actor: Actor, review_id: int, data: Mapping[str, Any]) -> ManualReview:
    """Record a reviewer's verdict on one drawn log. ``bad`` needs a note and sends
    :data:`~jiapei.supervision.signals.bad_verdict` in the same transaction, on which
    ``workorders`` opens a work order. Recording the verdict already recorded changes nothing
    (the first note stays); a different one is a Conflict."""
    user = access.require(actor, access.Action.RECORD_VERDICTS)
    f = Fields(data)
    verdict = f.get("verdict", _verdict)
    note = f.get("note", text, required=False, default="")
    if verdict == Verdict.BAD and not note:
        f.add(FieldError("note", data.get("note"), "判定违规须填写说明 (a note is required)"))
    f.check()
    with transaction.atomic():
        row = (
            ManualReview.objects.select_for_update()
            .select_related("draw", "log__institution")
            .filter(pk=review_id)
            .first()
        )
        if row is None or not access.covers(user, row.draw.region_id):
            raise NotFound(
                f"review {review_id}: 抽查记录不存在 (no such review)", field="id", value=review_id
            )
        if row.verdict == verdict:
            return row
        if row.verdict != Verdict.PENDING:
            raise Conflict(
                f"verdict={verdict!r}: 已判定为 {row.verdict}，不能更改 (already {row.verdict})",
                field="verdict",
                value=verdict,
            )
        before = trail.snapshot(row)
        row.verdict, row.note = verdict, note
        row.reviewer, row.reviewed_at = user, clock.now()
        row.save(update_fields=["verdict", "note", "reviewer", "reviewed_at"])
        trail.record(
            actor=actor,
            action="sampling.verdict",
            obj=row,
            before=before,
            after=trail.snapshot(row),
            reason=note,
        )
        if verdict == Verdict.BAD:
            bad_verdict.send(sender=ManualReview, review=row, actor=actor)
        return row
