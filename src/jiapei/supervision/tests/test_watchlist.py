"""The key-supervision list of seed 002 (四): schools and coaches are listed with a reason and
lifted with one; the list of a region over a month is what the monthly report publishes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from jiapei.accounts.models import Role
from jiapei.core import clock
from jiapei.core.models import AuditLogEntry
from jiapei.supervision.models import WatchlistEntry
from jiapei.supervision.queries import watchlist_active
from jiapei.supervision.tests.conftest import error_fields, ok, refused

WATCHLIST = "/api/regulator/watchlist"


def listing(api: Any, user: Any, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(api(user, "GET", WATCHLIST, params=params))["items"]
    return items


def test_schools_and_coaches_are_listed_and_lifted_with_reasons(
    api, changsha_regulator, school, file_school
):
    entry = ok(
        api(
            changsha_regulator,
            "POST",
            WATCHLIST,
            json={
                "kind": "school",
                "number": school.inscode,
                "reason": "学时造假",
                "listed_on": "2026-10-10",
            },
        )
    )
    assert (entry["kind"], entry["inscode"], entry["region"], entry["created"]) == (
        "school",
        school.inscode,
        "430104",
        True,
    )
    coach = ok(
        api(
            changsha_regulator,
            "POST",
            WATCHLIST,
            json={
                "kind": "coach",
                "number": school.coachnum,
                "reason": "代培代签",
                "listed_on": "20261020",
            },
        )
    )
    assert (coach["coachnum"], coach["inscode"]) == (school.coachnum, school.inscode)

    # Listing again the same way is a retry; listing it again differently is a conflict.
    again = ok(
        api(
            changsha_regulator,
            "POST",
            WATCHLIST,
            json={
                "kind": "school",
                "number": school.inscode,
                "reason": "学时造假",
                "listed_on": "2026-10-10",
            },
        )
    )
    assert (again["id"], again["created"]) == (entry["id"], False)
    body = refused(
        api(
            changsha_regulator,
            "POST",
            WATCHLIST,
            json={
                "kind": "school",
                "number": school.inscode,
                "reason": "另一原因",
            },
        ),
        409,
    )
    assert error_fields(body) == {"number": school.inscode}
    assert WatchlistEntry.objects.count() == 2

    lifted = ok(
        api(
            changsha_regulator,
            "POST",
            f"{WATCHLIST}/{entry['id']}/lift",
            json={"reason": "整改到位", "lifted_on": "2026-11-05"},
        )
    )
    assert (lifted["lifted_on"], lifted["lift_reason"]) == ("2026-11-05", "整改到位")
    ok(
        api(
            changsha_regulator,
            "POST",
            f"{WATCHLIST}/{entry['id']}/lift",
            json={"reason": "整改到位", "lifted_on": "2026-11-05"},
        )
    )
    refused(
        api(
            changsha_regulator,
            "POST",
            f"{WATCHLIST}/{entry['id']}/lift",
            json={"reason": "整改到位", "lifted_on": "2026-11-06"},
        ),
        409,
    )
    assert AuditLogEntry.objects.filter(action__startswith="watchlist.").count() == 3

    # Who was on the list when: October has both, December only the coach.
    assert {e["kind"] for e in listing(api, changsha_regulator, on="2026-10-25")} == {
        "school",
        "coach",
    }
    assert [e["kind"] for e in listing(api, changsha_regulator, on="2026-11-05")] == ["coach"]
    assert [e["kind"] for e in listing(api, changsha_regulator, active=True)] == ["coach"]
    assert [e["kind"] for e in listing(api, changsha_regulator, kind="school")] == ["school"]

    # A lifted school may be listed again.
    relisted = ok(
        api(
            changsha_regulator,
            "POST",
            WATCHLIST,
            json={
                "kind": "school",
                "number": school.inscode,
                "reason": "复查仍造假",
                "listed_on": "2026-12-01",
            },
        )
    )
    assert relisted["created"] is True and relisted["id"] != entry["id"]


def test_the_monthly_publication_lists_who_was_on_the_list_during_the_month(
    api, changsha_regulator, school, file_school
):
    other = file_school(district="430102")
    for number, listed_on in ((school.inscode, "2026-09-01"), (other.inscode, "2026-10-31")):
        ok(
            api(
                changsha_regulator,
                "POST",
                WATCHLIST,
                json={
                    "kind": "school",
                    "number": number,
                    "reason": "学时造假",
                    "listed_on": listed_on,
                },
            )
        )
    first = WatchlistEntry.objects.get(institution__inscode=school.inscode)
    ok(
        api(
            changsha_regulator,
            "POST",
            f"{WATCHLIST}/{first.pk}/lift",
            json={"reason": "整改到位", "lifted_on": "2026-10-01"},
        )
    )
    coach = ok(
        api(
            changsha_regulator,
            "POST",
            WATCHLIST,
            json={
                "kind": "coach",
                "number": school.coachnum,
                "reason": "代培",
                "listed_on": "2026-11-01",
            },
        )
    )

    def published(region: str, first: date, last: date, kind: str | None = None) -> set[str]:
        return {
            e.coach.number if e.coach else e.institution.inscode
            for e in watchlist_active(region, first, last, kind)
        }

    september = published("430100", date(2026, 9, 1), date(2026, 9, 30))
    october = published("430100", date(2026, 10, 1), date(2026, 10, 31))
    november = published("430000", date(2026, 11, 1), date(2026, 11, 30))
    assert september == {school.inscode}
    # Lifted on 1 October: no longer on the list that day.
    assert october == {other.inscode}
    assert november == {other.inscode, coach["coachnum"]}
    assert published("430104", date(2026, 11, 1), date(2026, 11, 30)) == {school.coachnum}
    assert published("430100", date(2026, 11, 1), date(2026, 11, 30), "school") == {other.inscode}
    assert published("430200", date(2026, 11, 1), date(2026, 11, 30)) == set()


def test_another_citys_regulator_cannot_list_lift_or_see(
    api, changsha_regulator, zhuzhou_regulator, make_user, school
):
    body = refused(
        api(
            zhuzhou_regulator,
            "POST",
            WATCHLIST,
            json={"kind": "coach", "number": school.coachnum, "reason": "x"},
        ),
        404,
    )
    assert error_fields(body) == {"number": school.coachnum}
    assert WatchlistEntry.objects.count() == 0
    entry = ok(
        api(
            changsha_regulator,
            "POST",
            WATCHLIST,
            json={"kind": "coach", "number": school.coachnum, "reason": "代培"},
        )
    )
    assert entry["listed_on"] == clock.today().isoformat()
    assert listing(api, zhuzhou_regulator) == []
    refused(
        api(zhuzhou_regulator, "POST", f"{WATCHLIST}/{entry['id']}/lift", json={"reason": "x"}), 404
    )
    county = make_user(Role.COUNTY_REGULATOR, "430104", "yuelu-watch")
    assert [e["id"] for e in listing(api, county)] == [entry["id"]]
    assert listing(api, make_user(Role.COUNTY_REGULATOR, "430102", "furong")) == []


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"kind": "teacher", "number": "X", "reason": "r"}, {"kind": "teacher"}),
        ({"kind": "school", "reason": "r"}, {"number": None}),
        ({"kind": "school", "number": "X", "reason": " "}, {"reason": " "}),
        (
            {"kind": "school", "number": "X", "reason": "r", "listed_on": "2026-02-30"},
            {"listed_on": "2026-02-30"},
        ),
    ],
)
def test_bad_listings_are_refused_by_field_and_store_nothing(
    api, changsha_regulator, school, body, errors
):
    reply = refused(api(changsha_regulator, "POST", WATCHLIST, json=body), 400)
    assert error_fields(reply) == errors
    assert WatchlistEntry.objects.count() == 0


def test_lifting_before_the_listing_date_is_refused(api, changsha_regulator, school):
    entry = ok(
        api(
            changsha_regulator,
            "POST",
            WATCHLIST,
            json={
                "kind": "school",
                "number": school.inscode,
                "reason": "学时造假",
                "listed_on": "2026-10-10",
            },
        )
    )
    body = refused(
        api(
            changsha_regulator,
            "POST",
            f"{WATCHLIST}/{entry['id']}/lift",
            json={"reason": "整改", "lifted_on": "2026-10-09"},
        ),
        400,
    )
    assert error_fields(body) == {"lifted_on": "2026-10-09"}
    body = refused(api(changsha_regulator, "POST", f"{WATCHLIST}/{entry['id']}/lift", json={}), 400)
    assert error_fields(body) == {"reason": None}
    assert WatchlistEntry.objects.get().lifted_on is None
