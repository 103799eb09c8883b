"""Syllabus data, version selection, province overrides and part progress."""

from __future__ import annotations

from datetime import date

import pytest

from jiapei.audit import syllabus
from jiapei.audit.facts import Mode
from jiapei.audit.rules.part import part_progress, progress

P, C, S, R = Mode.PRACTICAL, Mode.CLASSROOM, Mode.SIMULATOR, Mode.REMOTE


def c1() -> syllabus.ClassPlan:
    plan = syllabus.load("2016").plan("C1")
    assert plan is not None
    return plan


def test_2016_totals_match_the_syllabus() -> None:
    data = syllabus.load("2016")
    assert data.effective_from == date(2016, 10, 1)
    assert data.minutes_per_hour == 60
    assert (data.daily_cap_practical_minutes, data.daily_cap_theory_minutes) == (240, 240)
    for name, hours in (("C1", 62), ("C2", 60)):
        plan = data.plan(name)
        assert plan is not None
        assert plan.total_minutes == hours * 60
        assert sum(p.total_minutes for p in plan.parts) == plan.total_minutes
        assert plan.part(1).minimum == {C: 240}
        assert plan.part(4).minimum == {C: 120}
        assert sum(p.mileage_km for p in plan.parts) == data.mileage_total_km == 300
    assert data.plan("C3") is None and data.plan("B2") is None


def test_every_number_in_the_data_file_carries_a_source() -> None:
    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            if "value" in node:
                assert node.get("source") in {"V", "S", "I", "U"}, path
                assert node.get("note"), path
                if node["source"] == "S":
                    assert node.get("confidence") == "secondary", path
                return
            for key, child in node.items():
                walk(child, f"{path}.{key}")
        elif isinstance(node, int | float) and not isinstance(node, bool):
            raise AssertionError(f"bare number at {path}")

    walk(syllabus.raw("2016"), "")


def test_version_for_enrolment_date() -> None:
    assert syllabus.version_for(date(2016, 10, 1)) == "2016"
    assert syllabus.version_for(date(2024, 5, 6)) == "2016"
    with pytest.raises(ValueError, match="2016-09-30"):
        syllabus.version_for(date(2016, 9, 30))


def test_version_for_with_a_province_adoption_date() -> None:
    late = {"2016": date(2017, 1, 1)}
    with pytest.raises(ValueError):
        syllabus.version_for(date(2016, 12, 1), late)
    assert syllabus.version_for(date(2017, 1, 1), {"2016": "2017-01-01"}) == "2016"
    with pytest.raises(ValueError):
        syllabus.version_for(date(2024, 1, 1), {"2016": None})


def test_unknown_version_is_an_error() -> None:
    with pytest.raises(ValueError, match="1999"):
        syllabus.load("1999")


def test_province_override_is_merged_and_tagged() -> None:
    override = {
        "classes": {"C1": {"parts": {"2": {"mileage_km": 60}, "3": {"mileage_km": 240}}}},
        "daily_cap_minutes": {"theory": 180},
    }
    merged = syllabus.merge(syllabus.raw("2016"), override)
    assert merged["classes"]["C1"]["parts"]["2"]["mileage_km"]["source"] == "P"
    loaded = syllabus.load("2016", override)
    plan = loaded.plan("C1")
    assert plan is not None
    assert (plan.part(2).mileage_km, plan.part(3).mileage_km) == (60, 240)
    assert loaded.daily_cap_theory_minutes == 180
    # The packaged data is untouched.
    assert syllabus.raw("2016")["daily_cap_minutes"]["theory"]["value"] == 240


def test_override_none_lifts_a_cap() -> None:
    override = {"classes": {"C1": {"parts": {"1": {"cap_minutes": {"remote": None}}}}}}
    plan = syllabus.load("2016", override).plan("C1")
    assert plan is not None and R not in plan.part(1).cap


def test_bad_override_names_the_path() -> None:
    with pytest.raises(ValueError, match=r"classes\.C1\.parts\.1\.total_minutes"):
        syllabus.load("2016", {"classes": {"C1": {"parts": {"1": {"total_minutes": -5}}}}})
    with pytest.raises(ValueError, match="unknown mode"):
        syllabus.load("2016", {"classes": {"C1": {"parts": {"1": {"cap_minutes": {"x": 1}}}}}})


def test_part_one_complete_with_classroom_minimum_and_remote_cap() -> None:
    part = c1().part(1)
    done = progress(part, {C: 240, R: 480}, 0.0)
    assert done.complete and done.remaining == {} and done.total_credited == 720
    # All remote: the cap keeps 480, and the classroom minimum is still owed.
    remote_only = progress(part, {R: 720}, 0.0)
    assert remote_only.credited[R] == 480
    assert remote_only.remaining == {"total": 240, "classroom": 240}
    assert not remote_only.complete


def test_practical_minutes_do_not_count_toward_theory_parts() -> None:
    part = c1().part(4)
    assert progress(part, {P: 600}, 10.0).credited[P] == 0


def test_simulator_cap_in_part_two() -> None:
    part = c1().part(2)
    result = progress(part, {P: 780, S: 300}, 0.0)
    assert result.credited[S] == 180 and result.complete
    short = progress(part, {P: 700, S: 300}, 0.0)
    assert short.remaining == {"total": 80, "practical": 80}


def test_part_three_needs_the_mileage() -> None:
    part = c1().part(3)
    result = progress(part, {P: 1440}, 250.0)
    assert result.remaining == {"mileage": 50.0} and not result.complete
    assert progress(part, {P: 1440}, 300.0).complete


def test_part_progress_lists_every_part_in_order() -> None:
    result = part_progress(c1(), {(1, C): 240, (9, P): 99}, {3: 12.5})
    assert [p.part for p in result] == [1, 2, 3, 4]
    assert result[0].credited == {P: 0, C: 240, S: 0, R: 0}
    assert result[2].mileage == 12.5
