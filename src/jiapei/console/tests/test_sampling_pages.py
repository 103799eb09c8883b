"""The manual-audit pages over HTTP: the cities' shares, drawing a month and its progress per
county, a draw's logs, the workbench (evidence, verdicts, the work order of a bad one, the next
log), re-verification from the seed, region scoping (another county's draw and logs are 404)
and flat query counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from jiapei.console.tests.sampling_world import (  # noqa: F401
    Sampling,
    flag,
    ground,
    login,
    sampling_fixture,
    upload_logs,
)
from jiapei.core import clock
from jiapei.supervision.models import ManualReview, SampleDraw, SamplingPolicy, Verdict
from jiapei.supervision.tests.conftest import OCTOBER
from jiapei.testing.pages import assert_flat_queries
from jiapei.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def set_share(sampling: Sampling, share: str = "60") -> None:
    response = login(sampling.city).post(
        "/console/sampling/policy/",
        {"region": "430100", "share": share, "effective_from": "2026-10-01", "note": "附件"},
    )
    assert response.status_code == 302, response.content.decode()


def test_a_city_sets_its_share_and_a_county_reads_it(sampling: Sampling) -> None:
    city = login(sampling.city)
    page = city.get("/console/sampling/policy/").content.decode()
    assert "默认比例" in page and "20 %" in page and 'name="share"' in page
    set_share(sampling)
    [policy] = SamplingPolicy.objects.all()
    assert (policy.region_id, str(policy.share), policy.effective_from) == (
        "430100",
        "0.600",
        date(2026, 10, 1),
    )
    county = login(sampling.county).get("/console/sampling/policy/").content.decode()
    assert "60 %" in county and "2026-10-01" in county
    assert 'name="share"' not in county  # a county sets no share
    response = login(sampling.county).post(
        "/console/sampling/policy/",
        {"region": "430100", "share": "40", "effective_from": "2026-10-01"},
    )
    assert response.status_code == 403
    assert SamplingPolicy.objects.get().share == policy.share


@pytest.mark.parametrize(
    ("share", "error"),
    [
        ("0", "确保该值大于或等于0.1。"),
        ("150", "确保该值小于或等于100。"),
        ("x", "输入一个数字。"),
    ],
)
def test_a_bad_share_is_refused_in_chinese(sampling: Sampling, share: str, error: str) -> None:
    response = login(sampling.city).post(
        "/console/sampling/policy/",
        {"region": "430100", "share": share, "effective_from": "2026-10-01"},
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not SamplingPolicy.objects.exists()


def test_a_county_draws_its_month_and_sees_its_progress(sampling: Sampling) -> None:
    set_share(sampling)
    county = login(sampling.county)
    response = county.post("/console/sampling/draw/", {"region": "430104", "month": "2026-10"})
    assert response.status_code == 302 and response["Location"].endswith("?month=2026-10")
    [row] = SampleDraw.objects.all()
    assert (row.region_id, row.logs_total, row.drawn_with_findings, row.drawn_at_random) == (
        "430104",
        5,
        2,
        1,
    )
    page = county.get("/console/sampling/?month=2026-10").content.decode()
    assert "岳麓区" in page and "0/3（0%）" in page and 'class="chart chart-bar"' in page
    # A future month and a county outside the user's are refused on the form, in Chinese.
    later = f"{clock.today().replace(day=1) + timedelta(days=64):%Y-%m}"
    refused = county.post("/console/sampling/draw/", {"region": "430104", "month": later})
    assert refused.status_code == 200 and "不能抽查未来的月份" in refused.content.decode()
    refused = county.post("/console/sampling/draw/", {"region": "430102", "month": "2026-10"})
    assert refused.status_code == 200 and "选择一个有效的选项" in refused.content.decode()
    assert SampleDraw.objects.count() == 1
    # The other county sees no draw of its neighbour.
    other = login(sampling.other_county).get("/console/sampling/?month=2026-10")
    assert "岳麓区" not in other.content.decode() and "该月尚未抽取" in other.content.decode()


def test_another_countys_draw_and_logs_are_not_found(sampling: Sampling) -> None:
    row = sampling.draw()
    review = row.reviews.first()
    assert review is not None
    other = login(sampling.other_county)
    for url in (
        f"/console/sampling/{row.pk}/",
        f"/console/sampling/{row.pk}/verify/",
        f"/console/sampling/{row.pk}/reviews/{review.pk}/",
    ):
        assert login(sampling.city).get(url).status_code == 200, url
        assert other.get(url).status_code == 404, url
    response = other.post(
        f"/console/sampling/{row.pk}/reviews/{review.pk}/", {"verdict": "good", "note": ""}
    )
    assert response.status_code == 404
    assert ManualReview.objects.get(pk=review.pk).verdict == Verdict.PENDING
    # A log of one draw is not found under another draw's URL either.
    other_draw = sampling.draw(sampling.other_county, "430102")
    url = f"/console/sampling/{other_draw.pk}/reviews/{review.pk}/"
    assert login(sampling.city).get(url).status_code == 404


def test_the_workbench_shows_the_evidence_of_a_drawn_log(sampling: Sampling) -> None:
    row = sampling.draw()
    review = row.reviews.get(log__rnum=sampling.rnums[1])
    assert review.log.rnum == sampling.rnums[1]
    page = login(sampling.county).get(f"/console/sampling/{row.pk}/reviews/{review.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert 'src="/console/photos/' in text and "学员签到" in text
    assert 'class="map-valid"' in text and "起点" in text
    assert 'class="strip-valid"' in text and "有疑点线索" in text
    assert "测试线索" in text  # the finding on the log, by its summary
    assert 'name="verdict"' in text and "发现违规" in text


def test_verdicts_go_log_by_log_and_a_bad_one_opens_a_work_order(sampling: Sampling) -> None:
    set_share(sampling)
    row = sampling.draw()
    county = login(sampling.county)
    reviews = list(row.reviews.order_by("reason", "log__starttime", "id"))
    assert len(reviews) == 3
    url = f"/console/sampling/{row.pk}/reviews/{{}}/"

    # A bad verdict needs a note: refused on the form, in Chinese, nothing stored.
    refused = county.post(url.format(reviews[0].pk), {"verdict": "bad", "note": ""})
    assert refused.status_code == 400 and "判定违规须填写说明" in refused.content.decode()
    missing = county.post(url.format(reviews[0].pk), {"note": "x"})
    assert missing.status_code == 400 and "这个字段是必填项。" in missing.content.decode()
    assert not WorkOrder.objects.filter(review__isnull=False).exists()

    response = county.post(url.format(reviews[0].pk), {"verdict": "bad", "note": "照片非本人"})
    assert response.status_code == 302
    assert response["Location"] == url.format(reviews[1].pk)
    [order] = WorkOrder.objects.filter(review__isnull=False)
    assert order.review_id == reviews[0].pk and order.description == "照片非本人"
    done = county.get(url.format(reviews[0].pk)).content.decode()
    assert order.number in done and "照片非本人" in done and 'name="verdict"' not in done

    response = county.post(url.format(reviews[1].pk), {"verdict": "good"})
    assert response["Location"] == url.format(reviews[2].pk)
    response = county.post(url.format(reviews[2].pk), {"verdict": "good"})
    assert response["Location"] == f"/console/sampling/{row.pk}/"
    page = county.get(f"/console/sampling/{row.pk}/").content.decode()
    assert "本批次已全部抽查完毕" in page and "<strong>100%</strong>" in page
    assert "照片非本人" in page  # the bad verdict's note, in the draw's history
    progress = county.get("/console/sampling/?month=2026-10").content.decode()
    assert "3/3（100%）" in progress
    # A recorded verdict is not changed by posting another.
    again = county.post(url.format(reviews[1].pk), {"verdict": "bad", "note": "改判"})
    assert again.status_code == 400 and "不能更改" in again.content.decode()
    assert ManualReview.objects.get(pk=reviews[1].pk).verdict == Verdict.GOOD


def test_a_draw_is_re_verified_from_its_seed(sampling: Sampling, upload_logs) -> None:  # noqa: F811
    set_share(sampling)
    row = sampling.draw()
    county = login(sampling.county)
    page = county.get(f"/console/sampling/{row.pk}/verify/").content.decode()
    assert "一致：重新抽取的 3 条日志与批次记录完全相同" in page
    detail = county.get(f"/console/sampling/{row.pk}/").content.decode()
    assert row.seed in detail.replace("<wbr>", "")
    # Someone tampers with the draw: the page names the log that differs.
    review = row.reviews.filter(reason="random").first()
    assert review is not None
    swapped = next(r for r in sampling.rnums if not row.reviews.filter(log__rnum=r).exists())
    ManualReview.objects.filter(pk=review.pk).update(
        log=review.log.__class__.objects.get(rnum=swapped)
    )
    page = county.get(f"/console/sampling/{row.pk}/verify/").content.decode()
    assert "不一致" in page and swapped in page and review.log.rnum in page


def test_the_draw_pages_do_not_grow_queries_with_their_logs(
    sampling: Sampling,
    upload_logs,  # noqa: F811
    flag,  # noqa: F811
) -> None:
    set_share(sampling)
    row = sampling.draw()
    review = row.reviews.get(log__rnum=sampling.rnums[1])
    county = login(sampling.county)

    def grow() -> None:
        upload_logs(sampling.school, [OCTOBER.replace(day=d) for d in (20, 21, 22, 23)])
        sampling.draw()
        flag(review.log.rnum)

    assert_flat_queries(county, f"/console/sampling/{row.pk}/", grow)
    assert row.reviews.count() == 6
    assert_flat_queries(
        login(sampling.city),
        "/console/sampling/?month=2026-10",
        lambda: sampling.draw_all(sampling.city, "430100"),
    )
    assert_flat_queries(
        county,
        f"/console/sampling/{row.pk}/reviews/{review.pk}/",
        lambda: flag(review.log.rnum),
    )
