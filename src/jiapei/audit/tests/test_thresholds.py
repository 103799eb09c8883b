"""Threshold defaults, validation and resolution by scope and effective date."""

from __future__ import annotations

import dataclasses
from datetime import date, time

import pytest

from jiapei.audit.thresholds import ThresholdOverride, Thresholds, coerce, resolve

PROVINCE, CITY, SCHOOL = "320000", "320100", "3201000000000S01"
ON = date(2024, 5, 6)


def override(
    kind: str,
    field: str,
    value: object,
    start: date = date(2024, 1, 1),
    end: date | None = None,
    code: str | None = None,
) -> ThresholdOverride:
    default_code = {"province": PROVINCE, "city": CITY, "institution": SCHOOL}.get(kind, "?")
    return ThresholdOverride(kind, code or default_code, field, value, start, end)


def here(overrides: list[ThresholdOverride], on: date = ON) -> Thresholds:
    return resolve(overrides, province=PROVINCE, city=CITY, inscode=SCHOOL, on=on)


def test_defaults_follow_the_standards_reference() -> None:
    t = Thresholds()
    assert (t.practical_window_start, t.practical_window_end) == (time(5), time(23, 55))
    assert t.stationary_minutes == 2 and t.no_mileage_minutes == 2
    assert (t.photo_interval_minutes, t.photo_window_minutes) == (15, 7)
    assert (t.short_distance_km, t.valid_share_min) == (0.1, 0.75)
    assert (t.daily_cap_practical_minutes, t.daily_cap_theory_minutes) == (240, 240)
    assert t.speed_limit(2) == 40.0 and t.speed_limit(3) == 120.0 and t.speed_limit(1) is None


def test_every_field_has_a_documented_source() -> None:
    import inspect

    source = inspect.getsource(Thresholds)
    for f in dataclasses.fields(Thresholds):
        after = source.split(f"    {f.name}:", 1)[1]
        docstring = after.split('"""', 2)[1]
        assert any(tag in docstring for tag in ("[V", "[S]", "[I]", "[U]")), f.name


def test_no_overrides_gives_defaults() -> None:
    assert here([]) == Thresholds()


def test_most_specific_scope_wins() -> None:
    rows = [
        override("province", "stationary_minutes", 3),
        override("city", "stationary_minutes", 4),
        override("institution", "stationary_minutes", 5, start=date(2023, 1, 1)),
    ]
    assert here(rows).stationary_minutes == 5
    other_school = resolve(rows, province=PROVINCE, city=CITY, inscode="OTHER", on=ON)
    assert other_school.stationary_minutes == 4
    other_city = resolve(rows, province=PROVINCE, city="320200", inscode=None, on=ON)
    assert other_city.stationary_minutes == 3
    elsewhere = resolve(rows, province="330000", city=None, inscode=None, on=ON)
    assert elsewhere.stationary_minutes == 2


def test_latest_effective_from_wins_within_a_scope() -> None:
    rows = [
        override("province", "valid_share_min", 0.8, start=date(2022, 1, 1)),
        override("province", "valid_share_min", 0.9, start=date(2024, 3, 1)),
        override("province", "valid_share_min", 0.95, start=date(2024, 6, 1)),
    ]
    assert here(rows).valid_share_min == 0.9
    assert here(rows, on=date(2023, 1, 1)).valid_share_min == 0.8
    assert here(rows, on=date(2024, 6, 1)).valid_share_min == 0.95
    assert here(rows, on=date(2021, 12, 31)).valid_share_min == 0.75


def test_effective_to_is_inclusive() -> None:
    rows = [override("city", "face_confidence_min", 60, end=date(2024, 5, 6))]
    assert here(rows).face_confidence_min == 60
    assert here(rows, on=date(2024, 5, 7)).face_confidence_min == 80


def test_values_are_coerced_from_json_shapes() -> None:
    rows = [
        override("province", "practical_window_start", "06:30"),
        override("province", "short_distance_km", 1),
        override("province", "photo_modes", [1, 2]),
    ]
    t = here(rows)
    assert t.practical_window_start == time(6, 30)
    assert t.short_distance_km == 1.0 and isinstance(t.short_distance_km, float)
    assert t.photo_modes == (1, 2)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("no_such_field", 1),
        ("stationary_minutes", "2"),
        ("stationary_minutes", 2.5),
        ("stationary_minutes", True),
        ("stationary_minutes", -1),
        ("valid_share_min", "0.75"),
        ("photo_require_confidence", 1),
        ("practical_window_start", "25:00"),
        ("photo_modes", [1, "2"]),
    ],
)
def test_bad_values_raise_naming_field_and_value(field: str, value: object) -> None:
    with pytest.raises(ValueError) as error:
        here([override("province", field, value)])
    assert field in str(error.value) and repr(value) in str(error.value)
    with pytest.raises(ValueError):
        coerce(field, value)


def test_bad_rows_fail_even_when_out_of_scope() -> None:
    with pytest.raises(ValueError, match="stationary_minutes"):
        here([override("city", "stationary_minutes", "x", code="999999")])


def test_bad_scope_and_date_range() -> None:
    with pytest.raises(ValueError, match="county"):
        here([override("county", "stationary_minutes", 3)])
    with pytest.raises(ValueError, match="effective_to"):
        here([override("city", "stationary_minutes", 3, end=date(2023, 1, 1))])


def test_conflicting_rows_raise_but_equal_ones_do_not() -> None:
    twin = [override("city", "stationary_minutes", 3), override("city", "stationary_minutes", 3)]
    assert here(twin).stationary_minutes == 3
    clash = [override("city", "stationary_minutes", 3), override("city", "stationary_minutes", 4)]
    with pytest.raises(ValueError, match="conflicting"):
        here(clash)


def test_resolution_is_independent_of_row_order() -> None:
    rows = [
        override("province", "stationary_minutes", 3),
        override("city", "stationary_minutes", 4, start=date(2024, 2, 1)),
        override("city", "stationary_minutes", 6, start=date(2024, 4, 1)),
        override("institution", "photo_window_minutes", 5),
    ]
    assert here(rows) == here(list(reversed(rows)))


def test_fingerprint_changes_with_any_value() -> None:
    assert Thresholds().fingerprint() == Thresholds().fingerprint()
    changed = dataclasses.replace(Thresholds(), photo_grace_seconds=30)
    assert changed.fingerprint() != Thresholds().fingerprint()
