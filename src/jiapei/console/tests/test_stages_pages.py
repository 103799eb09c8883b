"""Stage-review pages over HTTP: the queue and its scoping, the audit's evidence, and each
decision (approve, reject, revoke) with the outbox messages the page shows after it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from jiapei.console.tests.test_areas_pages import login
from jiapei.outbox.models import OutboxMessage
from jiapei.stages.models import StageReview
from jiapei.stages.tasks import assemble_due
from jiapei.testing.pages import assert_flat_queries, xlsx_rows
from jiapei.testing.stages import WORKER, police_messages, reviewmsgs

pytestmark = pytest.mark.django_db


def submit_stage(tp: Any, school: Any, *, logs: int = 2) -> StageReview:
    """The school's platform reports part 2 finished, naming ``logs`` teaching logs it never
    uploaded; the worker assembles the review, which waits for a regulator with the failed
    checks named (no audited hours, totals that disagree, unknown logs)."""
    tp.post(
        "stagetrainningtime",
        {
            "inscode": school.inscode,
            "stunum": school.stunum,
            "subject": "2",
            "totaltime": 60,
            "vehicletime": 60,
            "duration": 60,
            "examresult": "1",
            "mileage": "18.0",
            "esignature": "ab" * 128,
            "rectype": "2",
            "recarray": [{"rnum": f"{school.stunum}{n:05d}"} for n in range(1, logs + 1)],
        },
    )
    assemble_due(actor=WORKER)
    review = StageReview.objects.get(student__stunum=school.stunum, part=2)
    assert review.status == "pending_manual", review.checks
    return review


@pytest.fixture
def changsha(make_user: Callable[..., Any]) -> Client:
    return login(make_user, "city_regulator", "430100", "cs-city")


@pytest.fixture
def zhuzhou(make_user: Callable[..., Any]) -> Client:
    return login(make_user, "city_regulator", "430200", "zz-city")


def decide(client: Client, review: StageReview, decision: str, reason: str = "") -> Any:
    return client.post(
        f"/console/stages/{review.pk}/review/",
        {"decision": decision, "reason": reason, "confirm": "on"},
    )


def test_the_queue_shows_the_regions_reviews_waiting_first(
    changsha: Client, zhuzhou: Client, tp: Any, file_school: Callable[..., Any]
) -> None:
    mine = file_school("430104")
    waiting = submit_stage(tp, mine)
    decided = submit_stage(tp, file_school("430103"))
    assert decide(changsha, decided, "reject", "学时不符").status_code == 302
    theirs = submit_stage(tp, file_school("430203"))

    # The queue opens on what waits for a regulator, oldest first; 全部状态 shows every review.
    second = submit_stage(tp, file_school("430104"))
    page = changsha.get("/console/stages/").content.decode()
    assert mine.stunum in page and second.student.stunum in page
    assert decided.student.stunum not in page and "共 2 条记录" in page
    assert page.index(mine.stunum) < page.index(second.student.stunum), "oldest first"
    assert "平台报送学时与审核一致" in page  # the failed checks, named
    every = changsha.get("/console/stages/", {"status": ""}).content.decode()
    assert decided.student.stunum in every and "共 3 条记录" in every
    assert theirs.student.stunum not in every and theirs.student.name not in every
    assert "共 1 条记录" in changsha.get("/console/stages/", {"q": mine.stunum}).content.decode()
    rejected = changsha.get("/console/stages/", {"status": "rejected"}).content.decode()
    assert decided.student.stunum in rejected and "共 1 条记录" in rejected
    query = {"export": "xlsx", "part": "2", "status": ""}
    rows = xlsx_rows(changsha.get("/console/stages/", query))
    assert rows[0][:3] == ["审核编号", "学员", "学员编号"]
    assert sorted(r[2] for r in rows[1:]) == sorted(
        [mine.stunum, second.student.stunum, decided.student.stunum]
    )
    assert rows[0][3] == "身份证号" and all("*" * 8 in r[3] for r in rows[1:])  # masked

    # Another city's review by its id: not admitted to exist, to read or to decide.
    assert zhuzhou.get(f"/console/stages/{waiting.pk}/").status_code == 404
    assert decide(zhuzhou, waiting, "approve").status_code == 404
    revoke = {"reason": "x", "confirm": "on"}
    assert zhuzhou.post(f"/console/stages/{waiting.pk}/revoke/", revoke).status_code == 404
    assert changsha.get(f"/console/stages/{theirs.pk}/").status_code == 404
    waiting.refresh_from_db()
    assert waiting.status == "pending_manual" and police_messages() == []


def test_the_page_shows_the_evidence_and_approving_queues_the_police_push(
    changsha: Client, tp: Any, school: Any
) -> None:
    review = submit_stage(tp, school)
    page = changsha.get(f"/console/stages/{review.pk}/").content.decode()
    for text in (
        "未通过的检查",
        "学时达到大纲要求",
        "所列教学日志均已审核",
        "引用的教学日志（2 条）",
    ):
        assert text in page
    assert f"{school.stunum}00001" in page  # the unknown log, named by the failed check
    assert "尚未作出决定" in page and "提交审核结论" in page and "撤销审核" not in page
    assert review.student.idcard not in page  # masked

    response = decide(changsha, review, "approve", "抽查核实无误")
    assert response.status_code == 302
    assert response["Location"] == f"/console/stages/{review.pk}/"
    review.refresh_from_db()
    assert (review.status, review.reason) == ("approved", "抽查核实无误")
    [push] = police_messages()
    assert push.payload["stageid"] == str(review.pk) and push.payload["auditor"] == "cs-city"
    assert len(reviewmsgs(school.stunum)) == 1

    page = changsha.get(response["Location"]).content.decode()
    assert "审核结论已保存" in page
    assert f'data-outbox="{push.idempotency_key}"' in page and "学时推送公安平台" in page
    assert "审核结果通知计时平台" in page and "阶段学时报送全国平台" in page
    assert "提交审核结论" not in page and "撤销审核" in page

    # Deciding again is refused, on the form, and sends nothing more.
    again = decide(changsha, review, "approve")
    assert again.status_code == 200 and "已审核" in again.content.decode()
    assert len(police_messages()) == 1


def test_rejecting_needs_a_reason_and_sends_no_push(changsha: Client, tp: Any, school: Any) -> None:
    review = submit_stage(tp, school)
    refused = decide(changsha, review, "reject", "  ")
    assert refused.status_code == 200 and "驳回须说明原因" in refused.content.decode()
    assert not OutboxMessage.objects.filter(path="/reviewmsg").exists()

    assert decide(changsha, review, "reject", "报送学时与审核不符").status_code == 302
    review.refresh_from_db()
    assert (review.status, review.reason) == ("rejected", "报送学时与审核不符")
    assert police_messages() == [] and len(reviewmsgs(school.stunum)) == 1
    page = changsha.get(f"/console/stages/{review.pk}/").content.decode()
    assert "审核结果通知计时平台" in page and "学时推送公安平台" not in page
    assert "撤销审核" not in page


def test_revoking_an_approval_queues_the_withdrawal(
    make_user: Callable[..., Any], tp: Any, school: Any
) -> None:
    # A county's regulators decide their county's reviews too.
    yuelu = login(make_user, "county_regulator", "430104", "yuelu")
    review = submit_stage(tp, school)
    assert decide(yuelu, review, "approve").status_code == 302
    path = f"/console/stages/{review.pk}/revoke/"
    assert "撤销理由" in yuelu.get(path).content.decode()
    refused = yuelu.post(path, {"reason": "", "confirm": "on"})
    assert refused.status_code == 200 and "撤销须说明原因" in refused.content.decode()

    response = yuelu.post(path, {"reason": "查实学时造假", "confirm": "on"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.reason) == ("revoked", "查实学时造假")
    [withdrawal] = police_messages("/hours/withdraw")
    assert withdrawal.payload["stageid"] == str(review.pk)
    page = yuelu.get(f"/console/stages/{review.pk}/").content.decode()
    assert "撤回公安平台学时" in page and f'data-outbox="{withdrawal.idempotency_key}"' in page
    assert "撤销审核" not in page and "提交审核结论" not in page


def test_queue_and_review_pages_do_not_grow_queries_with_rows(
    changsha: Client, tp: Any, file_school: Callable[..., Any]
) -> None:
    review = submit_stage(tp, file_school("430104"))
    assert_flat_queries(
        changsha, "/console/stages/", lambda: submit_stage(tp, file_school("430104"))
    )
    assert decide(changsha, review, "approve").status_code == 302

    def revoke() -> None:
        response = changsha.post(
            f"/console/stages/{review.pk}/revoke/", {"reason": "查实造假", "confirm": "on"}
        )
        assert response.status_code == 302

    assert_flat_queries(changsha, f"/console/stages/{review.pk}/", revoke)
