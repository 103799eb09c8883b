"""计时平台排名通报 on a hand-made set of minute records with known gaps, rejections and delays."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from jiapei.registry.models import Student
from jiapei.reports.ranking import WEIGHTS, percentile
from jiapei.reports.tests.conftest import MONTH, finding, local, minute_row, post_log
from jiapei.signing import generate_key

URL = "/api/regulator/platforms/ranking"


@pytest.fixture
def minutes(tp, platform, file_school, make_platform):
    """A0041: Changsha terminal, 7 of 8 expected records, one rejected, delays
    30 30 30 40 50 60 600 s; 2 logs, 2 findings. B0007 and C0003: identical clean Changsha data
    (4 of 4, 10 s); B0007 also has a Zhuzhou terminal with records 1 and 10 only (2 of 10)."""
    cs = file_school("430104")
    zz = file_school("430202")
    b = make_platform(generate_key(), platnum="B0007", serial="B0007AB01")
    c = make_platform(generate_key(), platnum="C0003", serial="C0003AB02")
    student = Student.objects.get(stunum=cs.stunum)
    zz_student = Student.objects.get(stunum=zz.stunum)
    dev_a, dev_b, dev_c, dev_z = (f"{n}" * 16 for n in "1234")

    day = local(2026, 10, 10)
    for seq, delay in [(1, 30), (2, 30), (3, 30), (5, 40), (6, 50)]:
        minute_row(platform, student, dev_a, day.replace(minute=seq), seq, delay=delay)
    nxt = local(2026, 10, 11)
    minute_row(platform, student, dev_a, nxt.replace(minute=1), 1, delay=60, rejected=True)
    minute_row(platform, student, dev_a, nxt.replace(minute=2), 2, delay=600)
    # Outside the month (local time): not counted, and its higher sequence adds no gap.
    minute_row(platform, student, dev_a, local(2026, 9, 30, 23, 59), 9, delay=5)
    minute_row(platform, student, dev_a, local(2026, 11, 1, 0, 0, 30), 9, delay=5)

    for plat, dev in ((b, dev_b), (c, dev_c)):
        for seq in range(1, 5):
            minute_row(plat, student, dev, day.replace(minute=seq), seq, delay=10)
    for seq in (1, 10):
        minute_row(b, zz_student, dev_z, day.replace(minute=seq), seq, delay=10)

    log1 = post_log(tp, cs, "00001", local(2026, 10, 10))
    post_log(tp, cs, "00002", local(2026, 10, 11))
    finding(cs, "2026-10-10", platform=platform)
    finding(cs, "2026-10-11", platform=None, logs=[log1])
    finding(cs, "2026-10-12", platform=platform, status="dismissed")
    finding(cs, "2026-09-30", platform=platform)
    return {"a": platform, "b": b, "c": c}


def test_percentile_is_nearest_rank():
    values = [(30, 3), (40, 1), (50, 1), (60, 1), (600, 1)]
    assert percentile(values, 0.5) == 40
    assert percentile(values, 0.95) == 600
    assert percentile([(v, 1) for v in range(1, 21)], 0.95) == 19
    assert percentile([], 0.5) is None


def test_province_ranking_figures(minutes, api, province_regulator):
    reply = api(province_regulator, "GET", URL, params={"month": MONTH})
    assert reply.status_code == 200, reply.text
    data = reply.json()["data"]
    assert data["weights"] == WEIGHTS and data["month"] == MONTH
    rows = {r["platnum"]: r for r in data["platforms"]}
    a = rows["A0041"]
    assert (a["minutes"], a["rejected"], a["expected"], a["received"], a["missing"]) == (
        7,
        1,
        8,
        7,
        1,
    )
    assert a["completeness"] == 0.875
    assert a["rejected_share"] == round(1 / 7, 6)
    assert (a["delay_median_s"], a["delay_p95_s"]) == (40, 600)
    assert (a["logs"], a["findings"], a["findings_per_thousand"]) == (2, 2, 1000.0)
    assert a["components"]["integrity"] == 0.0
    assert a["components"]["timeliness"] == round(1 - 540 / 3540, 6)
    expected_score = 0.35 * 0.875 + 0.25 * (6 / 7) + 0.15 * (1 - 540 / 3540)
    assert a["score"] == round(expected_score, 4)

    b, c = rows["B0007"], rows["C0003"]
    assert (b["expected"], b["received"], b["completeness"]) == (14, 6, round(6 / 14, 6))
    assert (c["expected"], c["received"], c["score"]) == (4, 4, 1.0)
    assert [r["platnum"] for r in data["platforms"]] == ["C0003", "B0007", "A0041"]
    assert [r["rank"] for r in data["platforms"]] == [1, 2, 3]


def test_a_city_sees_its_own_schools_and_ties_go_by_platnum(minutes, api, changsha_regulator):
    data = api(changsha_regulator, "GET", URL, params={"month": MONTH}).json()["data"]
    assert data["scope"]["code"] == "430100"
    order = [(r["platnum"], r["rank"], r["score"]) for r in data["platforms"]]
    assert order[:2] == [("B0007", 1, 1.0), ("C0003", 2, 1.0)]
    b = next(r for r in data["platforms"] if r["platnum"] == "B0007")
    assert (b["minutes"], b["expected"]) == (4, 4)


def test_zhuzhou_sees_only_its_terminal(minutes, api, zhuzhou_regulator):
    data = api(zhuzhou_regulator, "GET", URL, params={"month": MONTH}).json()["data"]
    rows = {r["platnum"]: r for r in data["platforms"]}
    assert (rows["B0007"]["minutes"], rows["B0007"]["completeness"]) == (2, 0.2)
    assert rows["A0041"]["minutes"] == 0 and rows["A0041"]["rank"] is None
    assert rows["A0041"]["findings"] == 0
    assert data["platforms"][-1]["rank"] is None


def test_who_may_see_the_ranking(minutes, api, county_regulator, province_regulator):
    assert api(county_regulator, "GET", URL, params={"month": MONTH}).status_code == 403
    bad = api(province_regulator, "GET", URL, params={"month": "10/2026"})
    assert bad.status_code == 400
    assert bad.json()["data"]["errors"][0]["field"] == "month"
    missing = api(province_regulator, "GET", URL)
    assert missing.status_code == 400


def test_ranking_from_the_command_line(minutes):
    out = StringIO()
    call_command("report", "ranking", "--month", MONTH, "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert [r["platnum"] for r in data["platforms"]] == ["C0003", "B0007", "A0041"]
    out = StringIO()
    call_command("report", "ranking", "--month", MONTH, "--region", "430100", stdout=out)
    text = out.getvalue()
    assert "计时平台排名通报 2026-10 长沙市" in text
    lines = [line.split() for line in text.splitlines()[3:]]
    assert [(line[0], line[1]) for line in lines] == [
        ("1", "B0007"),
        ("2", "C0003"),
        ("3", "A0041"),
    ]
    assert "87.5%" in text
