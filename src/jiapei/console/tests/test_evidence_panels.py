"""The evidence panels of the non-photo detectors, drawn for real findings: sessions uploaded
through the API, audited, scanned by the real detectors, then rendered as the finding's page
includes them. Each test asserts what a regulator must see (both tracks, the time shift, the
overlap, the stretch, the school's place among the province's) and a flat number of queries;
old or partial evidence must be said, not crash."""

from __future__ import annotations

import json
import os
import pathlib
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.template.loader import render_to_string

from jiapei.console.evidence import panels_for
from jiapei.console.tests.evidence_world import (
    ACTOR,
    DAY,
    at,
    audit,
    found,
    loop,
    rendered,
    second_student,
    store,
    upload,
)
from jiapei.fraud import loading, services
from jiapei.fraud import queries as fraud
from jiapei.fraud.detectors import driving, nofix, overlaps, patterns, replay, resent, schools
from jiapei.fraud.detectors.base import SchoolPeriod, StageData
from jiapei.fraud.models import Finding
from jiapei.testing import fraud_facts as facts

pytestmark = pytest.mark.django_db

# Queries each drawer makes beyond the finding itself, whatever the number of sessions, minutes
# or schools: the logs with their students and cars (1), then the minutes (1), the source
# session of a replay (1), the car's day (1), the province's schools (2), the student's part (1).
QUERIES = {
    "TRACK_REPLAYED": 3,
    "GNSS_STILL_MILEAGE": 2,
    "SPEED_TOO_REGULAR": 2,
    "CAR_TWO_STUDENTS": 1,
    "NIGHT_IDLE_CAR": 2,
    "SCHOOL_VOID_RATE": 2,
    "STAGE_BURST": 2,
    "THEORY_PRACTICE_CROSS": 1,
    "MINUTE_RESENT": 3,
}


def _panels_within(finding: Finding, user: Any, assert_max: Any) -> str:
    with assert_max(QUERIES[finding.detector]):
        panels = panels_for(finding, user)
    return "".join(render_to_string(p.template, p.context) for p in panels)


@pytest.fixture
def replayed(tp: Any, school: Any, ground: Any) -> dict[str, str]:
    """A session on DAY replaying one of three days before (with 8 m of noise and a constant
    speed, so it is too regular as well), and a 跑马机 session the same afternoon."""
    original = upload(
        tp,
        school,
        number=1,
        start=at(DAY - timedelta(days=3), 9),
        fixes=loop(20, speeds=(120, 180, 240, 150, 200)),
    )
    copy = upload(
        tp, school, number=2, start=at(DAY, 9, 30), fixes=loop(20, speeds=(200,), jitter_m=8)
    )
    still = [(112.9 + 0.0004 * i, 28.2, 220 + 10 * (i % 3), 4) for i in range(4)]
    still += [(112.9016 + 0.00001 * (i % 3), 28.2, 300 + 20 * (i % 4), 5) for i in range(12)]
    still += [(112.9016 + 0.0004 * i, 28.2005, 250, 4) for i in range(1, 5)]
    pulses = upload(tp, school, number=3, start=at(DAY, 14), fixes=still)
    audit()
    return {"original": original, "copy": copy, "still": pulses}


def test_a_replayed_track_is_drawn_over_its_original_with_the_shift_and_share(
    replayed, province_regulator, django_assert_max_num_queries
):
    finding = found(
        province_regulator, "TRACK_REPLAYED", replayed["copy"], detectors=[replay.detect]
    )
    html = _panels_within(finding, province_regulator, django_assert_max_num_queries)
    _dump(finding, html)
    # Both tracks on one map, the suspect over the original, with start and end.
    assert html.count('class="map-source"') >= 1 and html.count('class="map-suspect"') >= 1
    assert "起点 09:30" in html and 'class="map-scale"' in html
    # The time between them: three days and 30 minutes; the matching share of 20 fixes.
    assert "两者相差 3天30分钟" in html
    assert re.search(r"共 20 个有效定位点，其中 \d+ 个（\d+%）与原始轨迹逐点对应", html)
    # The two sessions, each linked to its page.
    for rnum in (replayed["original"], replayed["copy"]):
        assert re.search(
            rf'<a href="/console/students/\d+/sessions/\d+/"><code>{rnum}</code>', html
        )
    # The distances chart stays within the replay's noise.
    assert "对应定位点距离" in html
    assert 'aria-label="每分钟对应定位点之间的距离（去除整体平移后，米）"' in html


def test_a_replay_without_points_says_so(replayed, province_regulator):
    finding = found(
        province_regulator, "TRACK_REPLAYED", replayed["copy"], detectors=[replay.detect]
    )
    finding.evidence = {"figures": {"pairs": 20}}
    html = rendered(finding, province_regulator)
    assert "没有保存两条轨迹的定位点" in html and "map-suspect" not in html
    assert "逐点重合的定位点" in html  # the figures are still listed


def test_a_still_car_claiming_mileage_shows_the_stretch_on_the_series_and_map(
    replayed, province_regulator, django_assert_max_num_queries
):
    finding = found(
        province_regulator, "GNSS_STILL_MILEAGE", replayed["still"], detectors=[driving.detect]
    )
    html = _panels_within(finding, province_regulator, django_assert_max_num_queries)
    _dump(finding, html)
    # The stretch in words (minutes 5 to 16 of the session, 14:04 to 14:15) with its mileage.
    assert "第 5 至第 16 分钟（14:04–14:15，12 分钟）上报里程 6.0 公里" in html
    # Claimed distance against the displacement, and the speed, with the stretch as a series.
    assert html.count('class="chart chart-line"') == 2
    assert "卫星定位位移" in html and "上报里程" in html and html.count('class="chart-band"') == 2
    # The track, the still minutes in the void style.
    assert 'class="map-void"' in html and 'class="map-valid"' in html
    assert "位置不动却上报行驶的分钟数" in html


def test_a_too_regular_speed_shows_the_flat_speed_line(
    replayed, province_regulator, django_assert_max_num_queries
):
    finding = found(
        province_regulator, "SPEED_TOO_REGULAR", replayed["copy"], detectors=[driving.detect]
    )
    html = _panels_within(finding, province_regulator, django_assert_max_num_queries)
    _dump(finding, html)
    assert "速度曲线过于规则" in html and "共 20 分钟，其中 20 个行驶分钟参与判断" in html
    assert "每分钟最高车速" in html and "最高车速变异系数" in html
    assert 'class="map-valid"' in html and "map-void" not in html


def test_a_driving_finding_whose_minutes_are_gone_lists_its_figures(replayed, province_regulator):
    finding = found(
        province_regulator, "GNSS_STILL_MILEAGE", replayed["still"], detectors=[driving.detect]
    )
    finding.logs.clear()
    finding = Finding.objects.prefetch_related("logs").get(pk=finding.pk)
    html = rendered(finding, province_regulator)
    assert "未能读取该培训的分钟学时" in html
    # The positions the detector stored are still drawn.
    assert "检测时保存的 12 个可疑分钟的位置" in html


def test_a_car_with_two_students_shows_both_sessions_and_the_overlap(
    tp, school, ground, province_regulator, django_assert_max_num_queries
):
    other = second_student(tp, school)
    first = upload(tp, school, number=11, start=at(DAY, 16), fixes=[], length=40)
    second = upload(tp, school, number=12, start=at(DAY, 16, 20), fixes=[], stunum=other, length=40)
    finding = found(province_regulator, "CAR_TWO_STUDENTS", first, detectors=[overlaps.detect])
    html = _panels_within(finding, province_regulator, django_assert_max_num_queries)
    _dump(finding, html)
    assert html.count('class="chart chart-strip"') == 2 and html.count('class="strip-void"') == 2
    assert "重叠 0分钟" not in html
    assert f"2 次培训在 {DAY:%Y-%m-%d} 16:20 至 16:40 同时进行" in html
    for rnum in (first, second):
        assert re.search(
            rf'<a href="/console/students/\d+/sessions/\d+/"><code>{rnum}</code>', html
        )
    # Students are masked; the car shows its plate.
    assert re.search(r'<td>[^<]*\*[^<]*<div class="hint">' + other + "</div></td>", html)
    # An older finding kept no copy of the sessions: they are drawn from the stored logs.
    finding.evidence = {"figures": {"overlap_minutes": 20}}
    html = rendered(finding, province_regulator)
    assert "没有保存培训的时间" in html and html.count('class="strip-void"') == 2


def test_overlapping_sessions_from_hand_built_facts_degrade_without_stored_logs(
    school, province_regulator
):
    a = facts.session(
        rnum="X1", stunum="S1", car="CAR1", inscode=school.inscode, start=facts.NINE, length=60
    )
    b = facts.session(
        rnum="X2",
        stunum="S2",
        car="CAR2",
        inscode=school.inscode,
        start=facts.NINE + timedelta(minutes=30),
        length=60,
    )
    drafts = facts.codes(overlaps.detect(facts.context([a, b])), "COACH_TWO_CARS")
    store(drafts, day=facts.NINE.date())
    finding = Finding.objects.get(detector="COACH_TWO_CARS")
    html = rendered(finding, province_regulator)
    assert "重叠 30分钟" in html and "<code>X1</code>" in html and "CAR2" in html
    assert 'href="/console/students/' not in html  # no stored log to link to


def test_a_night_session_in_an_idle_car_is_drawn_on_the_car_s_day(
    tp, school, ground, province_regulator, django_assert_max_num_queries
):
    night = upload(tp, school, number=21, start=at(DAY, 21, 30), fixes=loop(60))
    audit()
    finding = found(province_regulator, "NIGHT_IDLE_CAR", night, detectors=[patterns.detect])
    html = _panels_within(finding, province_regulator, django_assert_max_num_queries)
    _dump(finding, html)
    assert "夜间时段" in html and html.count('class="strip-other"') >= 1
    assert "该车当天白天没有任何培训记录" in html and night in html
    assert "其中 60 分钟在夜间" in html


def _province(inscode: str) -> list[SchoolPeriod]:
    honest = [
        SchoolPeriod(f"4301{n:012d}", 80, 4000, 200 + 20 * n, 3000, 600.0, 2) for n in range(9)
    ]
    return [*honest, SchoolPeriod(inscode, 90, 4000, 1600, 3000, 600.0, 2)]


def test_a_school_outlier_is_marked_among_the_province_s_schools(
    school, province_regulator, monkeypatch, django_assert_max_num_queries
):
    province = _province(school.inscode)
    monkeypatch.setattr(loading, "schools", lambda first, last: province)
    first, last = DAY - timedelta(days=29), DAY
    context = facts.context([])
    context.schools, context.period = province, (first, last)
    drafts = facts.codes(schools.detect(context), "SCHOOL_VOID_RATE")
    assert drafts, "the planted school must be an outlier"
    store(drafts)
    finding = fraud.get_for(province_regulator, Finding.objects.get(detector="SCHOOL_VOID_RATE").pk)
    html = _panels_within(finding, province_regulator, django_assert_max_num_queries)
    _dump(finding, html)
    assert "为 40.0%，全省 10 所驾校的中位数为" in html and "判定阈值：高于" in html
    assert "其他 9 所驾校中，9 所（100%）低于本校" in html
    assert html.count("◀ 本校</th>") == 1 and 'class="chart chart-bar"' in html


def test_a_school_outlier_without_the_province_data_says_so(
    school, province_regulator, monkeypatch
):
    province = _province(school.inscode)
    context = facts.context([])
    context.schools, context.period = province, (DAY - timedelta(days=29), DAY)
    store(facts.codes(schools.detect(context), "SCHOOL_VOID_RATE"))
    finding = Finding.objects.get(detector="SCHOOL_VOID_RATE")
    html = rendered(finding, province_regulator)  # no sessions stored: no distribution
    assert "不能绘制分布图" in html and "判定阈值" in html and "chart-bar" not in html


def test_a_stage_burst_draws_the_part_s_minutes_per_day(
    replayed, school, province_regulator, django_assert_max_num_queries
):
    sessions = [
        facts.session(
            rnum=rnum, stunum=school.stunum, inscode=school.inscode, length=200, start=facts.NINE
        )
        for rnum in (replayed["copy"], replayed["still"])
    ]
    stage = StageData(school.stunum, school.inscode, 2, facts.NINE + timedelta(hours=8))
    drafts = patterns.stage_burst(
        [stage], {(school.stunum, 2): sessions}, DAY, patterns.PatternParams()
    )
    store(drafts)
    finding = fraud.get_for(province_regulator, Finding.objects.get(detector="STAGE_BURST").pk)
    html = _panels_within(finding, province_regulator, django_assert_max_num_queries)
    _dump(finding, html)
    assert (
        "科目2每日学时（分钟）" in html
        and "每日上报学时" in html
        and html.count('class="chart-band"') == 1
    )
    assert replayed["copy"] in html and "报审前学时占比" in html


def test_re_sent_minutes_are_listed_beside_their_originals(school, province_regulator):
    day: date = facts.NINE.date()
    first = facts.walk(facts.NINE, 5)
    copies = [m.__class__(**{**_fields(m), "recordnum": f"COPY{i}"}) for i, m in enumerate(first)]
    a = facts.session(first, rnum="R1", stunum="S1", inscode=school.inscode)
    b = facts.session(copies, rnum="R2", stunum="S1", inscode=school.inscode)
    store(resent.detect(facts.context([a, b])), day=day)
    finding = Finding.objects.get(detector="MINUTE_RESENT")
    html = rendered(finding, province_regulator)
    assert "COPY0" in html and first[0].recordnum in html
    assert "部分记录已不在库中" in html  # hand-built minutes are not in the database


def _fields(minute: Any) -> dict[str, Any]:
    return {name: getattr(minute, name) for name in minute.__slots__}


def _dump(finding: Finding, html: str) -> None:
    """With ``EVIDENCE_DUMP=<folder>`` set, keep each panel's HTML (and the finding's evidence)
    there, for looking at the panels in a browser while working on them."""
    if os.environ.get("EVIDENCE_DUMP"):
        name = finding.detector + ("-nofix" if finding.key.endswith(":nofix") else "")
        folder = pathlib.Path(os.environ["EVIDENCE_DUMP"])
        (folder / f"{name}.html").write_text(html)
        (folder / f"{name}.json").write_text(json.dumps(finding.evidence, ensure_ascii=False))


def test_driving_without_any_fix_is_drawn_from_its_minutes(
    tp, school, ground, province_regulator, django_assert_max_num_queries
):
    blind = [(112.9 + 0.0004 * i, 28.2, 250, 4) for i in range(3)]
    blind += [(0.0, 0.0, 300 + 10 * (i % 3), 5) for i in range(14)]
    rnum = upload(tp, school, number=41, start=at(DAY, 10), fixes=blind)
    audit()
    services.scan_day(actor=ACTOR, day=DAY, detectors=[nofix.detect])
    rows = fraud.filtered(fraud.findings_for(province_regulator), rnum=rnum)
    [row] = [r for r in rows if r.key.endswith(":nofix")]
    finding = fraud.get_for(province_regulator, row.pk)
    html = _panels_within(finding, province_regulator, django_assert_max_num_queries)
    _dump(finding, html)
    assert "上报行驶但没有卫星定位" in html and "无卫星定位却上报行驶的分钟数" in html
    assert "第 4 至第 17 分钟（10:03–10:16，14 分钟）上报里程 7.0 公里" in html
    assert html.count('class="chart-band"') == 2 and "14 分钟无定位" in html


def test_a_student_in_two_sessions_at_once_and_the_minutes_sent_twice(
    tp, school, ground, province_regulator, django_assert_max_num_queries
):
    first = upload(tp, school, number=51, start=at(DAY, 15), fixes=loop(30))
    again = upload(tp, school, number=52, start=at(DAY, 15, 10), fixes=loop(30)[10:])
    audit()
    cross = found(province_regulator, "THEORY_PRACTICE_CROSS", first, detectors=[overlaps.detect])
    html = _panels_within(cross, province_regulator, django_assert_max_num_queries)
    _dump(cross, html)
    assert "同一学员同时参加的培训" in html and "重叠 20分钟" in html
    assert html.count('class="chart chart-strip"') == 2 and again in html
    resent_finding = found(province_regulator, "MINUTE_RESENT", again, detectors=[resent.detect])
    html = _panels_within(resent_finding, province_regulator, django_assert_max_num_queries)
    _dump(resent_finding, html)
    assert "重复上报的分钟与被重复的原记录（共 20 分钟）" in html
    # The time of day (the day is in the sessions table above it).
    assert school.devnum in html and '<td class="nowrap">15:10:59</td>' in html
    assert "部分记录已不在库中" not in html
    # The session holding the originals is listed (and linked) beside the one re-sending them.
    assert "原记录所在的培训" in html and f"<code>{first}</code>" in html


def test_a_school_too_far_below_the_province_s_mileage_is_marked_too(
    school, province_regulator, monkeypatch
):
    honest = [
        SchoolPeriod(f"4301{n:012d}", 80, 4000, 400, 3000, 600.0 + 10 * n, 2) for n in range(9)
    ]
    province = [*honest, SchoolPeriod(school.inscode, 90, 4000, 400, 3000, 100.0, 2)]
    monkeypatch.setattr(loading, "schools", lambda first, last: province)
    context = facts.context([])
    context.schools, context.period = province, (DAY - timedelta(days=29), DAY)
    store(facts.codes(schools.detect(context), "SCHOOL_MILEAGE_RATE"))
    finding = Finding.objects.get(detector="SCHOOL_MILEAGE_RATE")
    html = rendered(finding, province_regulator)
    _dump(finding, html)
    assert "为 2.0 公里/小时" in html and "判定阈值：低于" in html
    assert "其他 9 所驾校中，0 所（0%）低于本校" in html
    assert html.count("◀ 本校</th>") == 1
