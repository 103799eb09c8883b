"""SCHOOL_VOID_RATE, SCHOOL_FINDING_RATE and SCHOOL_MILEAGE_RATE over a simulated province."""

from __future__ import annotations

import dataclasses
import functools
import random
from datetime import date, timedelta

from jiapei.fraud.detectors import schools
from jiapei.fraud.detectors.base import Draft, ScanContext, SchoolPeriod
from jiapei.fraud.params import Params
from jiapei.testing.fraud_facts import DAY, honest_days, make_school

FIRST, LAST = DAY, DAY + timedelta(days=13)


def province(count: int = 30, *, seed: int = 3) -> list[SchoolPeriod]:
    return list(_province(count, seed))


@functools.cache
def _province(count: int, seed: int) -> tuple[SchoolPeriod, ...]:
    """Fourteen simulated days of ``count`` schools. Mileage and minutes are the simulator's;
    the audit's void minutes and the detectors' findings are drawn at a rate of the school's
    own (1-5% of minutes, 0-3% of sessions) since honest schools are not all alike. Students
    enrol over two months in every school, shifted by up to ten days from school to school, so
    the part-2/part-3 mix (slow ground work or road driving) and with it the km per hour
    differ somewhat (22-33 km/h)."""
    rng = random.Random(seed)
    built = []
    for index in range(count):
        school = make_school(index)
        shift = timedelta(days=rng.randrange(-10, 10))
        learners = [dataclasses.replace(s, applydate=s.applydate + shift) for s in school.students]
        built.append(dataclasses.replace(school, students=learners))
    sim = honest_days(built, FIRST, 14)
    result = []
    for school in built:
        sessions = [s for day in sim.values() for s in day if s.inscode == school.inscode]
        practical = [s for s in sessions if s.mode == 1]
        minutes = sum(len(s.minutes) for s in sessions)
        void_rate, finding_rate = rng.uniform(0.01, 0.05), rng.uniform(0.0, 0.03)
        result.append(
            SchoolPeriod(
                inscode=school.inscode,
                sessions=len(sessions),
                minutes=minutes,
                void_minutes=sum(rng.random() < void_rate for _ in range(minutes)),
                practical_minutes=sum(len(s.minutes) for s in practical),
                practical_mileage=sum(m.mileage for s in practical for m in s.minutes),
                findings=sum(rng.random() < finding_rate for _ in sessions),
            )
        )
    return tuple(result)


def scan(periods: list[SchoolPeriod], first: date = FIRST, last: date = LAST) -> list[Draft]:
    context = ScanContext(
        day=last, sessions=[], params=Params(), schools=periods, period=(first, last)
    )
    return schools.detect(context)


def test_a_simulated_province_of_honest_schools_has_no_outlier() -> None:
    periods = province()
    assert min(p.sessions for p in periods) >= 50  # every school is judged
    assert scan(periods) == []


def test_outlier_schools_are_found_with_stable_keys() -> None:
    periods = province()
    void, finding, fast = periods[0], periods[1], periods[2]
    periods[0] = dataclasses.replace(void, void_minutes=void.minutes // 4)
    periods[1] = dataclasses.replace(finding, findings=finding.sessions // 3)
    periods[2] = dataclasses.replace(fast, practical_mileage=fast.practical_mileage * 3)
    drafts = scan(periods)
    assert sorted((d.detector, d.inscode) for d in drafts) == [
        ("SCHOOL_FINDING_RATE", finding.inscode),
        ("SCHOOL_MILEAGE_RATE", fast.inscode),
        ("SCHOOL_VOID_RATE", void.inscode),
    ]
    by = {d.detector: d for d in drafts}
    draft = by["SCHOOL_VOID_RATE"]
    assert draft.key == f"SCHOOL_VOID_RATE:{void.inscode}:{FIRST:%Y-%m-%d}"
    assert draft.day == FIRST and draft.period_end == LAST and draft.logs == []
    assert draft.severity == "high" and draft.score >= 8
    figures = draft.evidence["figures"]
    assert figures["rate"] >= 0.24 and figures["province_median"] < 0.05
    assert figures["schools"] == 30
    assert "无效学时占比" in draft.summary and void.inscode in draft.summary
    assert "void minutes" in draft.summary_en
    assert "偏高" in by["SCHOOL_MILEAGE_RATE"].summary
    assert scan(list(reversed(periods))) == drafts


def test_too_few_km_per_hour_is_an_outlier_too() -> None:
    periods = province()
    idle = periods[5]
    periods[5] = dataclasses.replace(idle, practical_mileage=idle.practical_mileage / 10)
    drafts = scan(periods)
    assert [(d.detector, d.inscode) for d in drafts] == [("SCHOOL_MILEAGE_RATE", idle.inscode)]
    assert drafts[0].score < 0 and "偏低" in drafts[0].summary


def test_school_near_misses_are_not_reported() -> None:
    periods = province()
    # Void share 4 points above the others' ceiling: far in z, but under the 5-point minimum.
    periods[0] = dataclasses.replace(periods[0], void_minutes=int(periods[0].minutes * 0.07))
    # A tiny school with terrible rates: too little volume to judge.
    periods.append(SchoolPeriod("TINY", 12, 600, 400, 500, 400.0, 10))
    assert scan(periods) == []


def test_identical_schools_do_not_flag_small_differences() -> None:
    same = [SchoolPeriod(f"S{i:02d}", 200, 10_000, 300, 6000, 2000.0, 4) for i in range(10)]
    same.append(SchoolPeriod("S99", 200, 10_000, 500, 6000, 2300.0, 10))  # MAD is 0
    assert scan(same) == []
    same.append(SchoolPeriod("S98", 200, 10_000, 2000, 6000, 2000.0, 4))
    assert [d.key for d in scan(same)] == [f"SCHOOL_VOID_RATE:S98:{FIRST:%Y-%m-%d}"]


def test_too_few_schools_are_not_compared() -> None:
    few = [SchoolPeriod(f"S{i}", 200, 10_000, 300, 6000, 2000.0, 4) for i in range(3)]
    few.append(SchoolPeriod("BAD", 200, 10_000, 5000, 6000, 2000.0, 4))
    assert scan(few) == []
    assert [d.detector for d in scan(few + few[:1] * 2)] == ["SCHOOL_VOID_RATE"]
