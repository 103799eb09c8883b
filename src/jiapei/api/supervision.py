"""Regulators' API: sampled manual audits (随机抽查), the key-supervision list (重点监管名单) and
training bans (禁训). Every list and write is limited to the user's region."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from jiapei.accounts.models import Region
from jiapei.api.auth import user_auth
from jiapei.api.common import REGULATOR, Page, paged, regulator_of
from jiapei.api.envelope import ok
from jiapei.core.errors import FieldError, NotFound
from jiapei.core.wire import wire_date
from jiapei.supervision import queries, sampling, services
from jiapei.supervision.models import SampleDraw

router = Router(auth=user_auth, tags=["监管端 / regulators"])


# Sampling policies and draws.


class PolicyIn(Schema):
    region: str | None = None
    share: str | float | None = None
    effective_from: str | None = None
    note: str = ""


@router.get(
    "sampling/policies",
    response=REGULATOR,
    summary="人工审核抽查比例 (manual-audit shares by city)",
)
def policies(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    user, _ = regulator_of(request)
    qs = queries.policies_for(user).order_by("region_id", "-effective_from")
    reply = paged(qs, page, queries.policy_wire)
    reply["data"]["default_share"] = str(queries.default_share())
    return reply


@router.post(
    "sampling/policies",
    response=REGULATOR,
    summary="设置人工审核抽查比例 (set a city's share from a date)",
)
def set_policy(request: HttpRequest, payload: PolicyIn) -> dict[str, Any]:
    _, actor = regulator_of(request)
    row, changed = services.set_policy(actor=actor, data=payload.dict())
    return ok({**queries.policy_wire(row), "changed": changed})


class DrawFilter(Page):
    region: str | None = None
    month: str | None = None


@router.get("sampling/draws", response=REGULATOR, summary="抽查批次 (sample draws in scope)")
def draws(request: HttpRequest, filters: Query[DrawFilter]) -> dict[str, Any]:
    user, _ = regulator_of(request)
    qs = queries.draws_for(user)
    if filters.region:
        region = Region.objects.filter(code=filters.region).first()
        if region is None:
            raise FieldError("region", filters.region, "行政区划不存在 (no such region)")
        qs = qs.filter(region__code__startswith=region.scope_prefix)
    if filters.month:
        qs = qs.filter(month=sampling.parse_month("month", filters.month))
    return paged(qs, filters, queries.draw_wire)


class DrawIn(Schema):
    region: str | None = None
    month: str | None = None


@router.post(
    "sampling/draws",
    response=REGULATOR,
    summary="抽取教学日志人工审核 (draw a month's teaching logs for manual audit)",
    description="A county draws its schools' logs of the month; a city draws each of its "
    "counties (and its city-level schools) that has logs. Every log with a fraud finding is "
    "drawn, then random ones up to ceil(share × total) in sha256(seed + ':' + rnum) order. "
    "Repeating the call tops the draw up and never draws a log twice.",
)
def make_draw(request: HttpRequest, payload: DrawIn) -> dict[str, Any]:
    _, actor = regulator_of(request)
    rows = services.draw(actor=actor, region_code=payload.region or "", month=payload.month or "")
    return ok([queries.draw_wire(r) for r in rows])


def _draw(request: HttpRequest, draw_id: int) -> SampleDraw:
    user, _ = regulator_of(request)
    row = queries.draws_for(user).filter(pk=draw_id).first()
    if row is None:
        raise NotFound(f"draw {draw_id}: 抽查批次不存在 (no such draw)", field="id", value=draw_id)
    return row


class ReviewFilter(Page):
    verdict: str | None = None


@router.get(
    "sampling/draws/{draw_id}",
    response=REGULATOR,
    summary="抽查批次详情与进度 (a draw, its progress, reviews)",
)
def draw_detail(request: HttpRequest, draw_id: int, filters: Query[ReviewFilter]) -> dict[str, Any]:
    row = _draw(request, draw_id)
    reviews = queries.reviews_of(row)
    if filters.verdict:
        reviews = reviews.filter(verdict=filters.verdict)
    data = queries.draw_wire(row)
    data["reviews"] = paged(reviews, filters, queries.review_wire)["data"]
    return ok(data)


class VerdictIn(Schema):
    verdict: str | None = None
    note: str = ""


@router.post(
    "sampling/reviews/{review_id}/verdict",
    response=REGULATOR,
    summary="记录人工审核结论 (record a verdict: good, or bad with a note)",
    description="A bad verdict opens a work order. Recording the same verdict again changes "
    "nothing; changing a recorded verdict is refused (409).",
)
def verdict(request: HttpRequest, review_id: int, payload: VerdictIn) -> dict[str, Any]:
    _, actor = regulator_of(request)
    row = services.record_verdict(actor=actor, review_id=review_id, data=payload.dict())
    row = queries.reviews_of(row.draw).get(pk=row.pk)
    return ok(queries.review_wire(row))


# Key-supervision list.


class WatchFilter(Page):
    kind: str | None = None
    on: str | None = None
    active: bool | None = None


@router.get("watchlist", response=REGULATOR, summary="重点监管名单 (key-supervision list in scope)")
def watchlist(request: HttpRequest, filters: Query[WatchFilter]) -> dict[str, Any]:
    user, _ = regulator_of(request)
    qs = queries.watchlist_for(user)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.on:
        qs = queries.active_on(qs, wire_date("on", filters.on))
    if filters.active is not None:
        qs = qs.filter(lifted_on__isnull=filters.active)
    return paged(qs, filters, queries.watch_wire)


class WatchIn(Schema):
    kind: str | None = None
    number: str | None = None
    reason: str | None = None
    listed_on: str | None = None


@router.post("watchlist", response=REGULATOR, summary="列入重点监管名单 (list a school or coach)")
def watch(request: HttpRequest, payload: WatchIn) -> dict[str, Any]:
    _, actor = regulator_of(request)
    row, created = services.add_to_watchlist(actor=actor, data=payload.dict())
    return ok({**queries.watch_wire(row), "created": created})


class LiftIn(Schema):
    reason: str | None = None
    lifted_on: str | None = None


@router.post(
    "watchlist/{entry_id}/lift", response=REGULATOR, summary="移出重点监管名单 (lift an entry)"
)
def unwatch(request: HttpRequest, entry_id: int, payload: LiftIn) -> dict[str, Any]:
    _, actor = regulator_of(request)
    row = services.lift_watch(actor=actor, entry_id=entry_id, data=payload.dict())
    return ok(queries.watch_wire(row))


# Training bans.


class BanFilter(Page):
    kind: str | None = None
    number: str | None = None
    active: bool | None = None


@router.get("bans", response=REGULATOR, summary="禁训名单 (training bans in scope)")
def bans(request: HttpRequest, filters: Query[BanFilter]) -> dict[str, Any]:
    user, _ = regulator_of(request)
    qs = queries.bans_for(user)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.number:
        qs = qs.filter(number=filters.number)
    if filters.active is not None:
        qs = qs.filter(lifted_at__isnull=filters.active)
    return paged(qs, filters, queries.ban_wire)


class BanIn(Schema):
    kind: str | None = None
    number: str | None = None
    reason: str | None = None


@router.post(
    "bans",
    response=REGULATOR,
    summary="禁训 (ban a coach, car or terminal from training)",
    description="`kind` is coach, car or device and `number` its coachnum, carnum or devnum. "
    "The ban starts now; the filing timing platform is sent `POST /trainingban` "
    '{type, number, inscode, banstatus: "2", message} (our extension carrying 0x8502 禁训状态), '
    "and minute records of the subject are rejected with TRAINING_BAN until it is lifted.",
)
def ban(request: HttpRequest, payload: BanIn) -> dict[str, Any]:
    _, actor = regulator_of(request)
    row, created = services.ban(actor=actor, data=payload.dict())
    return ok({**queries.ban_wire(row), "created": created})


class BanLiftIn(Schema):
    reason: str | None = None


@router.post(
    "bans/{ban_id}/lift", response=REGULATOR, summary="解除禁训 (lift a ban; banstatus 1 is sent)"
)
def lift_ban(request: HttpRequest, ban_id: int, payload: BanLiftIn) -> dict[str, Any]:
    _, actor = regulator_of(request)
    row = services.lift_ban(actor=actor, ban_id=ban_id, data=payload.dict())
    return ok(queries.ban_wire(row))
