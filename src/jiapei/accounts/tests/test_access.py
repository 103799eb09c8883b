"""Who may see and do what (``accounts.access``), table by table: every regulator level against
every region relation (own, child, sibling, parent, another province), the accounts that are not
regulators, and anonymous callers; for the rows (``scope``), for one object (``covers``) and for
each action (``allowed`` / ``require``).

Regions: 湖南 430000 (the installation's, from the shipped data) with 长沙 430100 (岳麓区 430104,
芙蓉区 430102) and 株洲 430200 (芦淞区 430203); 广东 440000 with 广州 440100 (海珠区 440106)
as the other province.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from jiapei.accounts import access
from jiapei.accounts.access import Action
from jiapei.accounts.models import Region, Role, User
from jiapei.core.actors import Actor
from jiapei.core.errors import DomainError, ErrorCode, Forbidden, NotAuthenticated
from jiapei.testing.factories import RegionFactory

# The regulators under test: name -> (role, region).
REGULATORS = {
    "province": (Role.PROVINCE_REGULATOR, "430000"),
    "city": (Role.CITY_REGULATOR, "430100"),
    "county": (Role.COUNTY_REGULATOR, "430104"),
    "other_province": (Role.PROVINCE_REGULATOR, "440000"),
}

# (caller, relation of the region to the caller's, region code, may the caller see it)
RELATIONS = [
    ("province", "own", "430000", True),
    ("province", "child", "430100", True),
    ("province", "grandchild", "430104", True),
    ("province", "other province", "440000", False),
    ("province", "other province's city", "440100", False),
    ("city", "own", "430100", True),
    ("city", "child", "430104", True),
    ("city", "sibling", "430200", False),
    ("city", "sibling's child", "430203", False),
    ("city", "parent", "430000", False),
    ("city", "other province", "440100", False),
    ("county", "own", "430104", True),
    ("county", "sibling", "430102", False),
    ("county", "parent", "430100", False),
    ("county", "grandparent", "430000", False),
    ("county", "cousin", "430203", False),
    ("county", "other province", "440106", False),
    ("other_province", "own", "440000", True),
    ("other_province", "child", "440100", True),
    ("other_province", "grandchild", "440106", True),
    ("other_province", "other province", "430000", False),
    ("other_province", "other province's county", "430104", False),
]
RELATION_IDS = [f"{caller}-{relation}" for caller, relation, _, _ in RELATIONS]


@pytest.fixture
def guangdong(db: Any) -> None:
    province = RegionFactory(code="440000", name="广东省")
    city = RegionFactory(code="440100", name="广州市", parent=province)
    RegionFactory(code="440106", name="海珠区", parent=city)


@pytest.fixture
def regulator(guangdong: None, make_user: Callable[..., User]) -> Callable[[str], User]:
    """A regulator by its name in :data:`REGULATORS`."""
    return lambda name: make_user(*REGULATORS[name], username=name)


def unbound_regulator(make_user: Callable[..., User]) -> User:
    """A city regulator whose region binding was removed: no longer a regulator."""
    user = make_user(Role.CITY_REGULATOR, "430100")
    User.objects.filter(pk=user.pk).update(region=None)
    return User.objects.get(pk=user.pk)


# Accounts that are not regulators, and callers that are not logged in: name -> maker.
NON_REGULATORS: dict[str, Callable[[Callable[..., User]], Any]] = {
    "school": lambda make_user: make_user(Role.SCHOOL),
    "timing platform account": lambda make_user: make_user(Role.TIMING_PLATFORM),
    "student": lambda make_user: make_user(Role.STUDENT),
    "unbound regulator": unbound_regulator,
    "system actor": lambda make_user: Actor.system("worker"),
    "timing platform actor": lambda make_user: Actor(kind="platform", label="platform:A0041"),
}
ANONYMOUS: dict[str, Any] = {"nobody": None, "anonymous user": AnonymousUser()}


def assert_refused(error: DomainError, kind: type[DomainError]) -> None:
    expected = {Forbidden: (ErrorCode.FORBIDDEN, 403), NotAuthenticated: (3002, 401)}[kind]
    assert type(error) is kind and (error.code, error.status) == expected


# Rows and single objects, by relation.


@pytest.mark.parametrize(("caller", "relation", "code", "sees"), RELATIONS, ids=RELATION_IDS)
def test_a_regulator_sees_its_region_and_below_and_nothing_else(
    caller: str, relation: str, code: str, sees: bool, regulator: Callable[[str], User]
) -> None:
    user = regulator(caller)
    regions = access.scope(user, Region.objects.all(), region_field="code")
    assert regions.filter(code=code).exists() is sees
    assert access.covers(user, code) is sees
    assert access.covers(Actor.for_user(user), code) is sees
    assert access.visible_regions(user).filter(code=code).exists() is sees


@pytest.mark.parametrize(("caller", "relation", "code", "sees"), RELATIONS, ids=RELATION_IDS)
def test_rows_are_scoped_through_a_relation_to_their_region(
    caller: str,
    relation: str,
    code: str,
    sees: bool,
    regulator: Callable[[str], User],
    make_user: Callable[..., User],
) -> None:
    """The region field may lie across relations (here a user's ``region__code``)."""
    row = make_user(Role.SCHOOL)
    User.objects.filter(pk=row.pk).update(region_id=code)
    scoped = access.scope(regulator(caller), User.objects.all(), region_field="region__code")
    assert scoped.filter(pk=row.pk).exists() is sees


# Settings made above a region are in force in it: with include_above its regulator reads them.
INCLUDE_ABOVE = {
    "province": {"430000", "430100", "430104", "430102", "430200"},
    "city": {"430000", "430100", "430104", "430102"},
    "county": {"430000", "430100", "430104"},
    "other_province": {"440000", "440100"},
}
PROBES = ["430000", "430100", "430104", "430102", "430200", "440000", "440100"]


@pytest.mark.parametrize("caller", INCLUDE_ABOVE)
def test_include_above_adds_the_regions_containing_the_callers_and_no_siblings(
    caller: str, regulator: Callable[[str], User]
) -> None:
    user = regulator(caller)
    rows = access.scope(
        user, Region.objects.filter(code__in=PROBES), region_field="code", include_above=True
    )
    assert set(rows.values_list("code", flat=True)) == INCLUDE_ABOVE[caller]


@pytest.mark.parametrize(
    ("caller", "above", "prefix", "figures"),
    [
        ("province", [], "43", None),
        ("city", ["430000"], "4301", "4301"),
        ("county", ["430100", "430000"], "430104", "430104"),
        ("other_province", [], "44", None),
    ],
)
def test_the_regions_above_and_the_prefixes_of_each_level(
    caller: str,
    above: list[str],
    prefix: str,
    figures: str | None,
    regulator: Callable[[str], User],
) -> None:
    user = regulator(caller)
    assert access.above(user) == above
    assert access.region_prefix(user) == prefix
    assert access.figures_prefix(user) == figures


def test_visible_regions_are_the_callers_subtree_in_code_order(
    regulator: Callable[[str], User],
) -> None:
    assert list(access.visible_regions(regulator("county")).values_list("code", flat=True)) == [
        "430104"
    ]
    city = list(access.visible_regions(regulator("city")).values_list("code", flat=True))
    assert city[0] == "430100" and city == sorted(city) and "430104" in city
    assert all(code.startswith("4301") for code in city)
    province = access.visible_regions(regulator("province"))
    assert province.count() == Region.objects.filter(code__startswith="43").count()


# Callers who are not regulators see nothing and may do nothing.


@pytest.mark.parametrize("name", NON_REGULATORS)
def test_accounts_that_are_not_regulators_are_forbidden(
    name: str, guangdong: None, make_user: Callable[..., User]
) -> None:
    caller = NON_REGULATORS[name](make_user)
    assert access.is_regulator(caller) is False
    for call in (
        lambda: access.regulator(caller),
        lambda: access.scope(caller, Region.objects.all(), region_field="code"),
        lambda: access.visible_regions(caller),
        lambda: access.region_prefix(caller),
        lambda: access.require(caller, Action.REVIEW_AREAS),
        lambda: access.require(caller, Action.DRAW_SAMPLES, region="430104"),
    ):
        with pytest.raises(Forbidden) as refused:
            call()
        assert_refused(refused.value, Forbidden)
    for code in ("430000", "430100", "430104", "440000"):
        assert access.covers(caller, code) is False
    assert not any(access.allowed(caller, action) for action in Action)


@pytest.mark.parametrize("name", ANONYMOUS)
def test_anonymous_callers_are_told_to_log_in(name: str, db: Any) -> None:
    caller = ANONYMOUS[name]
    assert access.is_regulator(caller) is False
    for call in (
        lambda: access.regulator(caller),
        lambda: access.scope(caller, Region.objects.all(), region_field="code"),
        lambda: access.visible_regions(caller),
        lambda: access.require(caller, Action.MANAGE_PLATFORMS),
        lambda: access.require(caller, Action.READ_REPORTS, region="430100"),
    ):
        with pytest.raises(NotAuthenticated) as refused:
            call()
        assert_refused(refused.value, NotAuthenticated)
    assert access.covers(caller, "430000") is False
    assert not any(access.allowed(caller, action) for action in Action)


def test_a_missing_region_is_never_covered(regulator: Callable[[str], User]) -> None:
    assert access.covers(regulator("province"), None) is False


# Actions, by role: the levels that may take each one (spelled out here, not read from RULES).
ALL_LEVELS = {"province", "city", "county"}
PROVINCE_AND_CITY = {"province", "city"}
MAY: dict[Action, set[str]] = {
    Action.MANAGE_PLATFORMS: {"province"},
    Action.READ_PLATFORM_CREDENTIALS: {"province"},
    Action.SET_PROVINCE_THRESHOLDS: {"province"},
    Action.SET_CITY_THRESHOLDS: PROVINCE_AND_CITY,
    Action.SET_INSTITUTION_THRESHOLDS: ALL_LEVELS,
    Action.SET_SAMPLING_POLICIES: PROVINCE_AND_CITY,
    Action.ENTER_POLICE_ROUTES: PROVINCE_AND_CITY,
    Action.SCAN_FRAUD: PROVINCE_AND_CITY,
    Action.READ_REPORTS: PROVINCE_AND_CITY,
    Action.ENTER_REPORT_INPUTS: PROVINCE_AND_CITY,
    Action.REVIEW_AREAS: ALL_LEVELS,
    Action.REVOKE_FILINGS: ALL_LEVELS,
    Action.DISMISS_FINDINGS: ALL_LEVELS,
    Action.REVIEW_STAGES: ALL_LEVELS,
    Action.HANDLE_WORK_ORDERS: ALL_LEVELS,
    Action.DRAW_SAMPLES: ALL_LEVELS,
    Action.RECORD_VERDICTS: ALL_LEVELS,
    Action.MANAGE_WATCHLIST: ALL_LEVELS,
    Action.BAN_TRAINING: ALL_LEVELS,
    Action.DECIDE_TRANSFERS: ALL_LEVELS,
    Action.READ_OPERATIONAL_ALERTS: {"province"},
}


def test_every_action_has_a_rule_and_a_row_here() -> None:
    assert set(MAY) == set(Action) == set(access.RULES)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("caller", ["province", "city", "county"])
def test_each_level_may_take_exactly_its_actions(
    caller: str, action: Action, regulator: Callable[[str], User]
) -> None:
    user = regulator(caller)
    may = caller in MAY[action]
    assert access.allowed(user, action) is may
    assert access.allowed(Actor.for_user(user), action) is may
    if may:
        assert access.require(Actor.for_user(user), action) == user
    else:
        with pytest.raises(Forbidden) as refused:
            access.require(user, action)
        assert_refused(refused.value, Forbidden)
        assert refused.value.message == access.RULES[action].refused


# Actions in a region the caller names: (caller, action, region, relation, allowed).
IN_REGION = [
    ("province", Action.READ_REPORTS, "430100", "child", True),
    ("province", Action.READ_REPORTS, "440100", "other province", False),
    ("city", Action.ENTER_POLICE_ROUTES, "430100", "own", True),
    ("city", Action.ENTER_POLICE_ROUTES, "430104", "child", True),
    ("city", Action.ENTER_POLICE_ROUTES, "430200", "sibling", False),
    ("city", Action.ENTER_POLICE_ROUTES, "430000", "parent", False),
    ("city", Action.ENTER_POLICE_ROUTES, "440100", "other province", False),
    ("county", Action.DRAW_SAMPLES, "430104", "own", True),
    ("county", Action.DRAW_SAMPLES, "430102", "sibling", False),
    ("county", Action.DRAW_SAMPLES, "430100", "parent", False),
    ("county", Action.DRAW_SAMPLES, "440106", "other province", False),
    ("county", Action.ENTER_POLICE_ROUTES, "430104", "own, but not its level's", False),
    ("other_province", Action.SET_SAMPLING_POLICIES, "440100", "child", True),
    ("other_province", Action.SET_SAMPLING_POLICIES, "430100", "other province", False),
]


@pytest.mark.parametrize(
    ("caller", "action", "region", "relation", "may"),
    IN_REGION,
    ids=[f"{c}-{a}-{rel}" for c, a, _, rel, _ in IN_REGION],
)
def test_an_action_in_a_named_region_needs_the_role_and_the_region(
    caller: str,
    action: Action,
    region: str,
    relation: str,
    may: bool,
    regulator: Callable[[str], User],
) -> None:
    user = regulator(caller)
    assert access.allowed(user, action, region=region) is may
    if may:
        assert access.require(user, action, region=region) == user
        return
    with pytest.raises(Forbidden) as refused:
        access.require(user, action, region=region, field="scope_code")
    assert_refused(refused.value, Forbidden)
    # The region is the caller's own words: the refusal names it.
    assert refused.value.as_data() == {
        "errors": [
            {"field": "scope_code", "value": region, "message": refused.value.message},
        ]
    }


def test_a_refusal_can_name_the_callers_value_instead_of_the_region(
    regulator: Callable[[str], User],
) -> None:
    with pytest.raises(Forbidden) as refused:
        access.require(regulator("county"), Action.SET_INSTITUTION_THRESHOLDS,
                       region="430102", field="scope_code", value="4301021234567890")  # fmt: skip
    assert refused.value.field == "scope_code" and refused.value.value == "4301021234567890"
    assert refused.value.message.startswith("scope_code='4301021234567890': ")
