"""The sampled manual audit of seed 002 (三): a city's share, the monthly draw of teaching logs
(every flagged log, the rest at random, reproducible from the seed), and the reviewers'
verdicts, a bad one opening a work order — all through the regulators' API."""

from __future__ import annotations

import hashlib
import math
from datetime import datetime
from typing import Any

import pytest

from jiapei.accounts.models import Role
from jiapei.core.models import AuditLogEntry
from jiapei.supervision.models import ManualReview, SampleDraw, SamplingPolicy
from jiapei.supervision.tests.conftest import (
    SHANGHAI,
    error_fields,
    october,
    ok,
    refused,
)
from jiapei.training.models import TeachingLog
from jiapei.workorders.models import WorkOrder

DRAWS = "/api/regulator/sampling/draws"
POLICIES = "/api/regulator/sampling/policies"


def draw(api: Any, user: Any, region: str = "430104", month: str = "2026-10") -> list[dict]:
    data: list[dict] = ok(api(user, "POST", DRAWS, json={"region": region, "month": month}))
    return data


def detail(api: Any, user: Any, draw_id: int) -> dict[str, Any]:
    data: dict[str, Any] = ok(api(user, "GET", f"{DRAWS}/{draw_id}"))
    return data


def drawn(draw_id: int) -> dict[str, str]:
    """{rnum: reason} of a draw."""
    return dict(ManualReview.objects.filter(draw_id=draw_id).values_list("log__rnum", "reason"))


def test_a_citys_share_applies_every_flagged_log_is_drawn_and_the_rest_fill_the_share(
    api, changsha_regulator, school, upload_logs, flag
):
    rnums = upload_logs(school, october(10))
    # Outside the month (local time): the evening before and the first minutes after it.
    upload_logs(
        school,
        [
            datetime(2026, 9, 30, 23, 0, tzinfo=SHANGHAI),
            datetime(2026, 11, 1, 0, 5, tzinfo=SHANGHAI),
        ],
    )
    [late] = upload_logs(school, [datetime(2026, 10, 31, 23, 0, tzinfo=SHANGHAI)])
    flag(rnums[7])
    policy = ok(
        api(
            changsha_regulator,
            "POST",
            POLICIES,
            json={"region": "430100", "share": "0.25", "effective_from": "2026-10-01"},
        )
    )
    assert (policy["share"], policy["changed"]) == ("0.250", True)
    # A later policy is not in force on the month's first day.
    ok(
        api(
            changsha_regulator,
            "POST",
            POLICIES,
            json={"region": "430100", "share": 0.6, "effective_from": "2026-10-02"},
        )
    )

    [row] = draw(api, changsha_regulator)
    assert row["region"] == "430104" and row["month"] == "2026-10"
    assert (row["share"], row["logs_total"], row["target"]) == ("0.250", 11, math.ceil(2.75))
    assert (row["drawn_with_findings"], row["drawn_at_random"]) == (1, 2)
    assert row["progress"] == {"drawn": 3, "reviewed": 0, "bad": 0, "pending": 3}
    reasons = drawn(row["id"])
    assert reasons[rnums[7]] == "finding"
    assert sorted(reasons.values()) == ["finding", "random", "random"]
    assert set(reasons) <= {*rnums, late}


def test_without_a_policy_the_default_share_applies_rounded_up(
    api, changsha_regulator, school, upload_logs, settings
):
    settings.JIAPEI_MANUAL_AUDIT_SHARE = 0.2
    upload_logs(school, october(6))
    [row] = draw(api, changsha_regulator)
    # 20 % of 6 is 1.2: rounded up, two logs.
    assert (row["share"], row["target"], row["drawn_at_random"]) == ("0.200", 2, 2)
    listing = ok(api(changsha_regulator, "GET", POLICIES))
    assert listing["default_share"] == "0.200" and listing["total"] == 0


def test_flagged_logs_are_all_drawn_even_beyond_the_share(
    api, changsha_regulator, school, upload_logs, flag
):
    rnums = upload_logs(school, october(5))
    flag(rnums[0], rnums[1])
    flag(rnums[3])
    ok(
        api(
            changsha_regulator,
            "POST",
            POLICIES,
            json={"region": "430100", "share": "0.1", "effective_from": "2026-01-01"},
        )
    )
    [row] = draw(api, changsha_regulator)
    assert (row["target"], row["drawn_with_findings"], row["drawn_at_random"]) == (1, 3, 0)
    assert drawn(row["id"]) == {rnums[i]: "finding" for i in (0, 1, 3)}


def test_the_draw_is_reproducible_from_its_seed_and_drawing_again_tops_it_up(
    api, changsha_regulator, school, upload_logs, flag
):
    rnums = upload_logs(school, october(12))
    flag(rnums[0])
    [first] = draw(api, changsha_regulator)
    entries = AuditLogEntry.objects.filter(action__startswith="sampling.").count()
    random_part = {r for r, why in drawn(first["id"]).items() if why == "random"}
    # Anyone with the seed can redo it: the lowest sha256(seed:rnum) of the unflagged logs.
    order = sorted(
        rnums[1:], key=lambda r: hashlib.sha256(f"{first['seed']}:{r}".encode()).digest()
    )
    assert random_part == set(order[: first["target"] - 1])

    # Drawing again with nothing new changes nothing.
    [again] = draw(api, changsha_regulator)
    assert again == first
    assert AuditLogEntry.objects.filter(action__startswith="sampling.").count() == entries

    # A log gains a finding and more logs arrive: the draw is topped up, nothing twice.
    undrawn = next(r for r in order if r not in random_part)
    flag(undrawn)
    more = upload_logs(school, october(8, day=20))
    [topped] = draw(api, changsha_regulator)
    assert topped["id"] == first["id"] and topped["seed"] == first["seed"]
    assert topped["logs_total"] == 20 and topped["target"] == 4
    now = drawn(first["id"])
    assert now[undrawn] == "finding" and set(random_part) <= set(now)
    assert len(now) == ManualReview.objects.filter(draw_id=first["id"]).count() == 4
    assert (topped["drawn_with_findings"], topped["drawn_at_random"]) == (2, 2)
    assert set(now) <= set(rnums) | set(more)
    assert AuditLogEntry.objects.filter(action="sampling.topup").count() == 1
    assert SampleDraw.objects.count() == 1


def test_a_city_draw_covers_each_county_once_and_meets_a_county_draw(
    api, changsha_regulator, make_user, school, file_school, upload_logs
):
    other = file_school(district="430102")
    upload_logs(school, october(4))
    upload_logs(other, october(3))
    yuelu = make_user(Role.COUNTY_REGULATOR, "430104", "yuelu")
    [county] = draw(api, yuelu)
    rows = draw(api, changsha_regulator, region="430100")
    assert {r["region"]: r["logs_total"] for r in rows} == {"430102": 3, "430104": 4}
    assert next(r for r in rows if r["region"] == "430104")["id"] == county["id"]
    logs = list(ManualReview.objects.values_list("log_id", flat=True))
    assert len(logs) == len(set(logs)) == 2
    # The county regulator sees only its county's draw; the city sees both.
    assert ok(api(yuelu, "GET", DRAWS))["total"] == 1
    assert ok(api(changsha_regulator, "GET", DRAWS, params={"month": "2026-10"}))["total"] == 2


def test_verdicts_bad_needs_a_note_opens_a_work_order_and_cannot_be_changed(
    api, changsha_regulator, school, upload_logs, work_orders
):
    upload_logs(school, october(10))
    ok(
        api(
            changsha_regulator,
            "POST",
            POLICIES,
            json={"region": "430100", "share": "0.3", "effective_from": "2026-10-01"},
        )
    )
    [row] = draw(api, changsha_regulator)
    reviews = detail(api, changsha_regulator, row["id"])["reviews"]
    assert reviews["total"] == 3
    good, bad, _ = (r["id"] for r in reviews["items"])
    verdict = "/api/regulator/sampling/reviews/{}/verdict"

    body = refused(
        api(changsha_regulator, "POST", verdict.format(bad), json={"verdict": "bad"}), 400
    )
    assert error_fields(body) == {"note": ""}
    body = refused(
        api(changsha_regulator, "POST", verdict.format(bad), json={"verdict": "maybe"}), 400
    )
    assert error_fields(body) == {"verdict": "maybe"}
    assert ManualReview.objects.exclude(verdict="pending").count() == 0

    done = ok(api(changsha_regulator, "POST", verdict.format(good), json={"verdict": "good"}))
    assert (done["verdict"], done["reviewer"], done["work_order"]) == (
        "good",
        "changsha",
        None,
    )
    # The same verdict again is a no-op; another one is a conflict.
    assert ok(api(changsha_regulator, "POST", verdict.format(good), json={"verdict": "good"}))
    body = refused(
        api(
            changsha_regulator,
            "POST",
            verdict.format(good),
            json={"verdict": "bad", "note": "改主意"},
        ),
        409,
    )
    assert error_fields(body) == {"verdict": "bad"}

    note = "照片中学员与备案照片不符"
    done = ok(
        api(changsha_regulator, "POST", verdict.format(bad), json={"verdict": "bad", "note": note})
    )
    order = WorkOrder.objects.get(review_id=bad)
    assert order.source == "manual_audit" and order.region_id == "430104"
    assert list(order.logs.all()) == [ManualReview.objects.get(pk=bad).log]
    assert done["work_order"] == order.number and done["note"] == note
    ok(api(changsha_regulator, "POST", verdict.format(bad), json={"verdict": "bad", "note": note}))
    assert [r.pk for r in work_orders] == [bad] and WorkOrder.objects.count() == 1

    progress = detail(api, changsha_regulator, row["id"])["progress"]
    assert progress == {"drawn": 3, "reviewed": 2, "bad": 1, "pending": 1}
    pending = ok(
        api(changsha_regulator, "GET", f"{DRAWS}/{row['id']}", params={"verdict": "pending"})
    )["reviews"]
    assert pending["total"] == 1
    assert AuditLogEntry.objects.filter(action="sampling.verdict").count() == 2


def test_regulators_of_another_city_can_neither_draw_nor_see_nor_judge(
    api, changsha_regulator, zhuzhou_regulator, province_regulator, make_user, school, upload_logs
):
    upload_logs(school, october(3))
    body = refused(
        api(zhuzhou_regulator, "POST", DRAWS, json={"region": "430104", "month": "2026-10"}), 403
    )
    assert error_fields(body) == {"region": "430104"}
    assert SampleDraw.objects.count() == 0
    [row] = draw(api, changsha_regulator)
    review = ManualReview.objects.filter(draw_id=row["id"]).first()
    assert review is not None
    assert ok(api(zhuzhou_regulator, "GET", DRAWS))["total"] == 0
    refused(api(zhuzhou_regulator, "GET", f"{DRAWS}/{row['id']}"), 404)
    refused(
        api(
            zhuzhou_regulator,
            "POST",
            f"/api/regulator/sampling/reviews/{review.pk}/verdict",
            json={"verdict": "good"},
        ),
        404,
    )
    review.refresh_from_db()
    assert review.verdict == "pending"

    # Policies: a city sets its own, the province any, a county none.
    policy = {"region": "430100", "share": "0.6", "effective_from": "2026-12-01"}
    refused(api(zhuzhou_regulator, "POST", POLICIES, json=policy), 403)
    yuelu = make_user(Role.COUNTY_REGULATOR, "430104", "yuelu")
    refused(api(yuelu, "POST", POLICIES, json=policy), 403)
    assert SamplingPolicy.objects.count() == 0
    ok(api(province_regulator, "POST", POLICIES, json=policy))
    assert ok(api(yuelu, "GET", POLICIES))["total"] == 1
    assert ok(api(zhuzhou_regulator, "GET", POLICIES))["total"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"region": "430104", "month": "2026-13"}, "month"),
        ({"region": "999999", "month": "2026-10"}, "region"),
        ({"region": "430000", "month": "2026-10"}, "region"),
        ({"region": "430104", "month": "2099-01"}, "month"),
        ({"region": "430104"}, "month"),
    ],
)
def test_bad_draw_requests_are_refused_by_field_and_store_nothing(
    api, province_regulator, school, upload_logs, body, field
):
    upload_logs(school, october(2))
    reply = refused(api(province_regulator, "POST", DRAWS, json=body), 400)
    assert field in error_fields(reply)
    assert SampleDraw.objects.count() == ManualReview.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"region": "430100", "share": "1.5", "effective_from": "2026-10-01"}, {"share": "1.5"}),
        ({"region": "430100", "share": "0", "effective_from": "2026-10-01"}, {"share": "0"}),
        (
            {"region": "430104", "share": "0.2", "effective_from": "2026-10-01"},
            {"region": "430104"},
        ),
        (
            {"region": "430100", "share": "abc", "effective_from": "10/01"},
            {"share": "abc", "effective_from": "10/01"},
        ),
    ],
)
def test_bad_policies_are_refused_by_field(api, province_regulator, body, errors):
    reply = refused(api(province_regulator, "POST", POLICIES, json=body), 400)
    assert error_fields(reply) == errors
    assert SamplingPolicy.objects.count() == 0


def test_logs_left_outside_the_month_do_not_count(api, changsha_regulator, school, upload_logs):
    upload_logs(school, [datetime(2026, 9, 30, 23, 59, tzinfo=SHANGHAI)])
    [row] = draw(api, changsha_regulator)
    assert (row["logs_total"], row["progress"]["drawn"]) == (0, 0)
    assert TeachingLog.objects.count() == 1


def test_a_dismissed_finding_no_longer_forces_its_log_into_the_draw(
    api, changsha_regulator, school, upload_logs, flag
):
    rnums = upload_logs(school, october(10))
    flag(rnums[0])
    dismissed = flag(rnums[1])
    dismissed.status = "dismissed"
    dismissed.save()
    ok(
        api(
            changsha_regulator,
            "POST",
            POLICIES,
            json={"region": "430100", "share": "0.1", "effective_from": "2026-01-01"},
        )
    )
    [row] = draw(api, changsha_regulator)
    assert drawn(row["id"]) == {rnums[0]: "finding"}
