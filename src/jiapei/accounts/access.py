"""Who may see and do what: the one place that decides access (DESIGN §9).

API handlers, services and the web ends ask this module and decide nothing themselves: a list
asks :func:`scope` for its rows, a detail or a write asks :func:`covers` about one object's
region, an action asks :func:`require` (or :func:`allowed`, to show or hide a button).

The contract, which the regulators' API has kept from the start and its tests pin down:

* An anonymous caller is :class:`NotAuthenticated` (3002, HTTP 401). The API's authenticators
  answer before a handler runs; a web view reaching this module anonymously gets the same.
* Only regulators bound to a region (:data:`REGULATOR_ROLES`) read or write regulators' data.
  Every other account — a school's, a timing platform's, a student's — and an actor with no
  user (the system, a timing platform) is :class:`Forbidden` (3001, HTTP 403), lists included.
* A regulator sees its region and every region below it, by GB/T 2260 code prefix: the
  province's two digits, a city's four, a county's six. A city sees itself and its counties, a
  county itself; nobody sees a sibling's, a parent's or another province's rows.
* An object outside the caller's region is not admitted to exist: the caller answers
  :class:`NotFound` (2002, HTTP 404), never 403, so a guessed id or number tells nothing.
  (:func:`scope` filters lists; a detail or write looks the object up and asks :func:`covers`.)
* Acting *in a region the caller names* (a route for a city, a report, a draw, a threshold's
  scope) outside its region is :class:`Forbidden` naming the field: the caller chose the
  region, so there is nothing to hide.
* Some actions belong to some levels only (:data:`RULES`): timing platforms to the province;
  police routes, city settings, fraud scans and the reports to the province and the cities.

Timing platforms are not users: they sign their requests (``api.auth``) and the registry
services limit each to the schools it serves.

Extension points for the school port and the student portal. Accounts with ``Role.SCHOOL``
(bound to ``User.institution``) and ``Role.STUDENT`` exist and are refused everywhere here
today. When those ends arrive, :func:`scope` takes the institution (or student) a row belongs
to alongside its region (e.g. an ``institution_field``), :func:`covers` gets its counterpart
for one object, and :data:`RULES` gains their actions with the roles allowed; every caller that
already goes through these functions then needs no change of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeAlias, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Q, QuerySet

from jiapei.accounts.models import REGULATOR_ROLES, Region, Role, User
from jiapei.core.actors import Actor
from jiapei.core.errors import Forbidden, NotAuthenticated

M = TypeVar("M", bound=Model)

Who: TypeAlias = User | AnonymousUser | Actor | None
"""A caller: a user (``request.auth``, ``request.user``), an actor (services), or nobody."""

REGULATOR_REQUIRED = "需要监管账户 (regulator account required)"
LOGIN_REQUIRED = "需要登录 (authentication required)"

PROVINCE_ONLY = frozenset({Role.PROVINCE_REGULATOR})
PROVINCE_AND_CITY = frozenset({Role.PROVINCE_REGULATOR, Role.CITY_REGULATOR})


class Action(StrEnum):
    """Everything a regulator does beyond reading its region's lists."""

    MANAGE_PLATFORMS = "manage_platforms"  # register, suspend, revoke, restore timing platforms
    READ_PLATFORM_CREDENTIALS = "read_platform_credentials"  # certificates, callback URLs
    SET_PROVINCE_THRESHOLDS = "set_province_thresholds"
    SET_CITY_THRESHOLDS = "set_city_thresholds"
    SET_INSTITUTION_THRESHOLDS = "set_institution_thresholds"
    SET_SAMPLING_POLICIES = "set_sampling_policies"
    ENTER_POLICE_ROUTES = "enter_police_routes"
    SCAN_FRAUD = "scan_fraud"
    READ_REPORTS = "read_reports"  # the timing-platform ranking and the monthly report
    ENTER_REPORT_INPUTS = "enter_report_inputs"
    REVIEW_AREAS = "review_areas"
    REVOKE_FILINGS = "revoke_filings"
    DISMISS_FINDINGS = "dismiss_findings"
    REVIEW_STAGES = "review_stages"  # stage reviews and legacy backfills
    HANDLE_WORK_ORDERS = "handle_work_orders"
    DRAW_SAMPLES = "draw_samples"
    RECORD_VERDICTS = "record_verdicts"
    MANAGE_WATCHLIST = "manage_watchlist"
    BAN_TRAINING = "ban_training"
    DECIDE_TRANSFERS = "decide_transfers"  # approve or reject a student's move between platforms
    READ_OPERATIONAL_ALERTS = "read_operational_alerts"  # failures of the background work


@dataclass(frozen=True)
class Rule:
    """Who may take an action (``roles``), and what a refusal says: ``refused`` when the role
    may not, ``outside`` when the region the caller named is not within its own."""

    roles: frozenset[Role]
    refused: str = REGULATOR_REQUIRED
    outside: str = "不在辖区内 (outside your region)"


RULES: dict[Action, Rule] = {
    Action.MANAGE_PLATFORMS: Rule(
        PROVINCE_ONLY, "只有省级监管部门可以管理计时平台 (province regulators only)"
    ),
    Action.READ_PLATFORM_CREDENTIALS: Rule(
        PROVINCE_ONLY, "只有省级监管部门可以查看计时平台证书 (province regulators only)"
    ),
    Action.SET_PROVINCE_THRESHOLDS: Rule(
        PROVINCE_ONLY, "只有省级监管部门可以设置全省阈值 (province regulators only)"
    ),
    Action.SET_CITY_THRESHOLDS: Rule(
        PROVINCE_AND_CITY,
        "只有省、市级监管部门可以设置市级阈值 (province or city regulators only)",
    ),
    Action.SET_INSTITUTION_THRESHOLDS: Rule(REGULATOR_ROLES),
    Action.SET_SAMPLING_POLICIES: Rule(
        PROVINCE_AND_CITY,
        "无权设置该市的抽查比例 (province or city regulators only)",
        "无权设置该市的抽查比例 (not your city)",
    ),
    Action.ENTER_POLICE_ROUTES: Rule(
        PROVINCE_AND_CITY,
        "只有市州或省级监管部门可以录入公安指定路线 (city regulators only)",
        "只能录入本辖区市州的路线 (own city only)",
    ),
    Action.SCAN_FRAUD: Rule(
        PROVINCE_AND_CITY, "只有省、市级监管部门可以发起扫描 (province or city regulators only)"
    ),
    Action.READ_REPORTS: Rule(
        PROVINCE_AND_CITY,
        "只有省、市监管部门可以查看 (province or city regulators only)",
        "不在您的管辖范围内 (outside your region)",
    ),
    Action.ENTER_REPORT_INPUTS: Rule(
        PROVINCE_AND_CITY,
        "只有省、市监管部门可以填报 (province or city regulators only)",
        "只有本市或省级监管部门可以填报 (only the city's or the province's regulator may enter)",
    ),
    Action.REVIEW_AREAS: Rule(REGULATOR_ROLES),
    Action.REVOKE_FILINGS: Rule(REGULATOR_ROLES),
    Action.DISMISS_FINDINGS: Rule(REGULATOR_ROLES),
    Action.REVIEW_STAGES: Rule(REGULATOR_ROLES),
    Action.HANDLE_WORK_ORDERS: Rule(REGULATOR_ROLES),
    Action.DRAW_SAMPLES: Rule(REGULATOR_ROLES),
    Action.RECORD_VERDICTS: Rule(REGULATOR_ROLES),
    Action.MANAGE_WATCHLIST: Rule(REGULATOR_ROLES),
    Action.BAN_TRAINING: Rule(REGULATOR_ROLES),
    Action.DECIDE_TRANSFERS: Rule(REGULATOR_ROLES),
    # The worker serves the whole province: its failures are the province's to follow up.
    Action.READ_OPERATIONAL_ALERTS: Rule(
        PROVINCE_ONLY, "只有省级监管部门可以查看运行告警 (province regulators only)"
    ),
}


# Who is calling.


def _account(who: Who) -> User:
    """The logged-in user behind ``who``. An actor without a user (the system, a timing
    platform) is :class:`Forbidden`: it is known, just not a regulator."""
    user = who.user if isinstance(who, Actor) else who
    if isinstance(who, Actor) and user is None:
        raise Forbidden(REGULATOR_REQUIRED)
    if user is None or not user.is_authenticated:
        raise NotAuthenticated(LOGIN_REQUIRED)
    assert isinstance(user, User)
    return user


def is_regulator(who: Who) -> bool:
    """Whether ``who`` is a regulator bound to a region; never raises."""
    user = who.user if isinstance(who, Actor) else who
    return isinstance(user, User) and user.is_authenticated and user.is_regulator


def regulator(who: Who) -> User:
    """The calling regulator: :class:`NotAuthenticated` for anonymous callers,
    :class:`Forbidden` for anyone who is not a regulator bound to a region."""
    user = _account(who)
    if not user.is_regulator or user.region is None:
        raise Forbidden(REGULATOR_REQUIRED)
    return user


# Regions.


def region_prefix(who: Who) -> str:
    """The GB/T 2260 code prefix of everything the regulator sees (raises like
    :func:`regulator`)."""
    region = regulator(who).region
    assert region is not None
    return region.scope_prefix


def covers(who: Who, code: str | None) -> bool:
    """Whether region ``code`` lies within the caller's region (its own or below). False for a
    missing code and for callers who are not regulators; never raises."""
    if code is None or not is_regulator(who):
        return False
    return code.startswith(region_prefix(who))


def above(who: Who) -> list[str]:
    """The codes of the regions that contain the regulator's own (its city and province for a
    county, the province for a city, none for the province), nearest first."""
    region = regulator(who).region
    assert region is not None
    codes = []
    while region.parent_id is not None:
        codes.append(region.parent_id)
        region = Region.objects.only("parent").get(pk=region.parent_id)
    return codes


def region_q(who: Who, region_field: str, *, include_above: bool = False) -> Q:
    """The filter for rows whose region code at ``region_field`` the caller may see. With
    ``include_above``, also rows about the regions containing the caller's: settings made
    above a region are in force in it, so its regulator reads them (but not their siblings')."""
    q = Q(**{f"{region_field}__startswith": region_prefix(who)})
    if include_above:
        q |= Q(**{f"{region_field}__in": above(who)})
    return q


def scope(
    who: Who, queryset: QuerySet[M], *, region_field: str, include_above: bool = False
) -> QuerySet[M]:
    """Only the rows of ``queryset`` the caller may see, by the region code at
    ``region_field`` (e.g. ``"institution__district__code"``). Raises like :func:`regulator`:
    a list is refused outright to anyone who may not read regulators' data."""
    return queryset.filter(region_q(who, region_field, include_above=include_above))


def visible_regions(who: Who) -> QuerySet[Region]:
    """The caller's region and every region below it, ordered by code."""
    return Region.objects.filter(code__startswith=region_prefix(who)).order_by("code")


def figures_prefix(who: Who) -> str | None:
    """The prefix that narrows province-wide figures to the caller's region, or None for the
    province's regulators, who count everything (and so spare the figures the join)."""
    user = regulator(who)
    return None if user.role == Role.PROVINCE_REGULATOR else region_prefix(user)


# Actions.


def allowed(who: Who, action: Action, *, region: str | None = None) -> bool:
    """Whether ``who`` may take ``action`` (in ``region``, when the action names one); never
    raises."""
    if not is_regulator(who):
        return False
    user = _account(who)
    return user.role in RULES[action].roles and (region is None or covers(user, region))


def require(
    who: Who,
    action: Action,
    *,
    region: str | None = None,
    field: str = "region",
    value: Any = None,
) -> User:
    """The calling regulator, if it may take ``action`` — in ``region`` when the action is
    about a region the caller named. Raises :class:`NotAuthenticated` for anonymous callers
    and :class:`Forbidden` otherwise; with ``region``, the refusal names ``field`` and ``value``
    (default: the region code)."""
    user = regulator(who)
    rule = RULES[action]
    shown = region if value is None else value
    named = {"field": field, "value": shown} if region is not None else {}
    if user.role not in rule.roles:
        raise Forbidden(rule.refused, **named)
    if region is not None and not covers(user, region):
        raise Forbidden(f"{field}={shown!r}: {rule.outside}", **named)
    return user
