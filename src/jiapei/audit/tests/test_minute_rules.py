"""Minute-level rules, each with a case that fires and a case that must not."""

from __future__ import annotations

import dataclasses
from datetime import date, time, timedelta

from jiapei.audit.facts import MinuteFact, Mode
from jiapei.audit.rules.minute import (
    no_mileage,
    odometer_gnss_mismatch,
    session_minute_codes,
    single_minute_codes,
    stale_fixes,
    stationary,
    teleport,
)
from jiapei.audit.tests import builders as b
from jiapei.audit.thresholds import Thresholds

T = b.thresholds()


def codes(m: MinuteFact, thresholds: Thresholds = T) -> list[str]:
    return single_minute_codes(
        m, student=b.student(), session_day=m.at.date(), thresholds=thresholds
    )


def test_honest_minute_has_no_codes() -> None:
    assert codes(b.minute(1, b.when(9, 0, 59))) == []


def test_time_window_practical_default() -> None:
    assert "TIME_WINDOW" in codes(b.minute(1, b.when(4, 59, 59)))
    assert "TIME_WINDOW" not in codes(b.minute(1, b.when(5, 0, 59)))
    assert "TIME_WINDOW" not in codes(b.minute(1, b.when(23, 54, 59)))
    assert "TIME_WINDOW" in codes(b.minute(1, b.when(23, 55, 59)))


def test_time_window_is_per_mode_and_may_wrap_midnight() -> None:
    t = b.thresholds(remote_window_start=time(22, 0), remote_window_end=time(6, 0))
    night = b.theory_minute(1, b.when(23, 30, 59), mode=Mode.REMOTE)
    noon = b.theory_minute(2, b.when(12, 0, 59), mode=Mode.REMOTE)
    assert "TIME_WINDOW" not in codes(night, thresholds=t)
    assert "TIME_WINDOW" in codes(noon, thresholds=t)
    # The practical window is unchanged by the remote override.
    early_remote = b.theory_minute(3, b.when(4, 30, 59), mode=Mode.REMOTE)
    assert "TIME_WINDOW" not in codes(early_remote, thresholds=t)
    assert "TIME_WINDOW" in codes(b.minute(4, b.when(4, 30, 59)), thresholds=t)


def test_coach_not_filed_only_when_known_false() -> None:
    assert "COACH_NOT_FILED" in codes(b.minute(1, b.when(9, 0, 59), coach_ok=False))
    assert "COACH_NOT_FILED" not in codes(b.minute(1, b.when(9, 0, 59), coach_ok=None))


def test_coach_class_uses_course_class_then_students() -> None:
    assert "COACH_CLASS" in codes(b.minute(1, b.when(9, 0, 59), coach_classes=("C2",)))
    assert "COACH_CLASS" not in codes(b.minute(1, b.when(9, 0, 59), coach_classes=("C1",)))
    assert "COACH_CLASS" not in codes(b.minute(1, b.when(9, 0, 59), coach_classes=()))
    # Class "" (code 00) falls back to the student's traintype, C1.
    blank = b.minute(1, b.when(9, 0, 59), vehicle_class="", coach_classes=("B2",))
    assert "COACH_CLASS" in codes(blank)


def test_car_rules_only_for_practical_minutes() -> None:
    assert "CAR_NOT_FILED" in codes(b.minute(1, b.when(9, 0, 59), car_ok=False))
    assert "CAR_CLASS" in codes(b.minute(1, b.when(9, 0, 59), car_class="C2"))
    assert "CAR_CLASS" not in codes(b.minute(1, b.when(9, 0, 59), car_class="C1"))
    classroom = b.theory_minute(1, b.when(9, 0, 59), car_ok=False, car_class="B2")
    assert codes(classroom) == []


def test_device_unbound() -> None:
    assert "DEVICE_UNBOUND" in codes(b.minute(1, b.when(9, 0, 59), device_ok=False))
    assert "DEVICE_UNBOUND" not in codes(b.minute(1, b.when(9, 0, 59), device_ok=None))


def test_engine_off() -> None:
    assert "ENGINE_OFF" in codes(b.minute(1, b.when(9, 0, 59), engine_rpm=0))
    assert "ENGINE_OFF" not in codes(b.minute(1, b.when(9, 0, 59), engine_rpm=None))
    assert "ENGINE_OFF" not in codes(b.theory_minute(1, b.when(9, 0, 59), engine_rpm=0))


def test_out_of_fence() -> None:
    assert "OUT_OF_FENCE" in codes(b.minute(1, b.when(9, 0, 59), in_fence=False))
    assert "OUT_OF_FENCE" not in codes(b.minute(1, b.when(9, 0, 59), in_fence=None))


def test_speed_limit_per_part() -> None:
    assert "SPEED" in codes(b.minute(1, b.when(9, 0, 59), part=2, max_speed=45.0))
    assert "SPEED" not in codes(b.minute(1, b.when(9, 0, 59), part=2, max_speed=40.0))
    assert "SPEED" not in codes(b.minute(1, b.when(9, 0, 59), part=3, max_speed=100.0))
    assert "SPEED" in codes(b.minute(1, b.when(9, 0, 59), part=3, max_speed=130.0))


def test_before_enrol_and_cross_day() -> None:
    early = b.minute(1, b.when(9, 0, 59, day=date(2024, 2, 29)))
    assert "BEFORE_ENROL" in codes(early)
    assert "BEFORE_ENROL" not in codes(b.minute(1, b.when(9, 0, 59, day=date(2024, 3, 1))))
    late = b.minute(1, b.when(0, 0, 59, day=date(2024, 5, 7)))
    found = single_minute_codes(late, student=b.student(), session_day=b.DAY, thresholds=T)
    assert "CROSS_DAY" in found
    same = single_minute_codes(
        b.minute(2, b.when(23, 59, 59)), student=b.student(), session_day=b.DAY, thresholds=T
    )
    assert "CROSS_DAY" not in same


def _run(**changes: object) -> tuple[MinuteFact, ...]:
    return b.driving(1, b.when(9), 6, **changes)


def _with(minutes: tuple[MinuteFact, ...], positions: range, **changes: object) -> list[MinuteFact]:
    return [
        dataclasses.replace(m, **changes) if i in positions else m  # type: ignore[arg-type]
        for i, m in enumerate(minutes)
    ]


def test_stationary_needs_two_adjacent_zero_minutes() -> None:
    minutes = _run()
    assert stationary(_with(minutes, range(2, 3), max_speed=0.0), T) == []
    assert stationary(_with(minutes, range(2, 4), max_speed=0.0), T) == [3, 4]
    split = [*_with(minutes, range(1, 2), max_speed=0.0)]
    split = _with(tuple(split), range(3, 4), max_speed=0.0)
    assert stationary(split, T) == []


def test_stationary_ignores_classroom_minutes() -> None:
    minutes = [b.theory_minute(i, b.when(9, i, 59)) for i in range(5)]
    assert stationary(minutes, T) == []


def test_no_mileage_needs_two_adjacent_minutes() -> None:
    minutes = _run()
    assert no_mileage(_with(minutes, range(0, 1), mileage=0.0, max_speed=3.0), T) == []
    assert no_mileage(_with(minutes, range(0, 3), mileage=0.0, max_speed=3.0), T) == [1, 2, 3]


def _slow(count: int, metres: float, speed: float, **changes: object) -> list[MinuteFact]:
    """``count`` minutes whose fixes are ``metres`` apart in a straight line, at ``speed``."""
    lng, lat = b.GROUND
    step = metres / 111_000
    minutes = []
    for i in range(count):
        here: dict[str, object] = {"lng": lng, "lat": lat + i * step, "max_speed": speed}
        here.update(mileage=0.0, **changes)
        minutes.append(b.minute(i + 1, b.when(9, i, 59), **here))
    return minutes


def test_no_mileage_spares_slow_manoeuvres_under_the_wire_step() -> None:
    # 6 km/h is 100 m a minute: the 0.1 km mileage field honestly reads 0 (issue 19).
    assert no_mileage(_slow(4, 95.0, 6.5), T) == []
    # Movement needs both the speed and the fix: creeping, or a fix that stays, is no movement.
    assert no_mileage(_slow(4, 95.0, 3.0), T) == [1, 2, 3, 4]
    assert no_mileage(_slow(4, 10.0, 6.5), T) == [1, 2, 3, 4]
    # A car 300 m further each minute that reports nothing has a broken odometer.
    assert no_mileage(_slow(4, 300.0, 20.0), T) == [1, 2, 3, 4]
    # Without fixes the movement cannot be confirmed.
    assert no_mileage(_slow(3, 95.0, 6.5, lng=None, lat=None), T) == [1, 2, 3]


def test_odometer_mismatch_flags_parked_car_claiming_mileage() -> None:
    lng, lat = b.GROUND
    minutes = _run()
    jittered = [
        dataclasses.replace(m, lng=lng, lat=lat + 0.00002 * (i % 3), mileage=0.4, max_speed=25.0)
        if 1 <= i < 5
        else m
        for i, m in enumerate(minutes)
    ]
    assert odometer_gnss_mismatch(jittered, T) == [2, 3, 4, 5]


def test_a_repeated_last_fix_is_a_dropout_not_a_parked_car() -> None:
    # The terminal resends its last fix for four minutes while the odometer runs on.
    minutes = b.driving(1, b.when(9), 12)
    held = minutes[3]
    dropout = [
        dataclasses.replace(m, lng=held.lng, lat=held.lat) if 4 <= i < 8 else m
        for i, m in enumerate(minutes)
    ]
    assert odometer_gnss_mismatch(dropout, T) == []
    assert teleport(dropout, T) == []
    assert stale_fixes(dropout, T) == {5, 6, 7, 8}
    # Out of the fence cannot be told without a fix of one's own.
    outside = [dataclasses.replace(m, in_fence=False) if 4 <= i < 8 else m for i, m in
               enumerate(dropout)]  # fmt: skip
    found = session_minute_codes(outside, student=b.student(), session_day=b.DAY, thresholds=T)
    assert all("OUT_OF_FENCE" not in found[m.id] for m in outside)
    lost = [dataclasses.replace(m, lng=None, lat=None, in_fence=False) if i == 2 else m
            for i, m in enumerate(minutes)]  # fmt: skip
    found = session_minute_codes(lost, student=b.student(), session_day=b.DAY, thresholds=T)
    assert "OUT_OF_FENCE" not in found[3]
    # A fix frozen for longer than a dropout lasts is judged as usual (a 跑马机 may do that).
    frozen = [
        dataclasses.replace(m, lng=held.lng, lat=held.lat, mileage=0.3) if i >= 3 else m
        for i, m in enumerate(minutes)
    ]
    long_run = dataclasses.replace(T, gnss_stale_max_minutes=5)
    assert odometer_gnss_mismatch(frozen, long_run) == list(range(4, 13))


def test_odometer_mismatch_needs_a_full_window_and_real_mileage() -> None:
    lng, lat = b.GROUND
    two = _with(_run(), range(1, 3), lng=lng, lat=lat, mileage=0.4)
    assert odometer_gnss_mismatch(two, T) == []
    crawling = _with(_run(), range(1, 5), lng=lng, lat=lat, mileage=0.05)
    assert odometer_gnss_mismatch(crawling, T) == []
    no_fix = _with(_run(), range(1, 5), lng=None, lat=None, mileage=0.4)
    assert odometer_gnss_mismatch(no_fix, T) == []


def test_odometer_mismatch_spares_a_car_circling_the_ground() -> None:
    minutes = b.driving(1, b.when(9), 120)
    assert odometer_gnss_mismatch(minutes, T) == []


def test_teleport_flags_both_ends_of_an_impossible_jump() -> None:
    minutes = list(_run())
    lng, lat = minutes[3].lng, minutes[3].lat
    assert lng is not None and lat is not None
    minutes[3] = dataclasses.replace(minutes[3], lat=lat + 0.05)  # 5.5 km in a minute
    assert teleport(minutes, T) == [3, 4, 5]
    assert teleport(_run(), T) == []


def test_teleport_ignores_zero_fixes() -> None:
    minutes = _with(_run(), range(2, 3), lng=0.0, lat=0.0)
    assert teleport(minutes, T) == []


def test_session_minute_codes_combine_in_canonical_order() -> None:
    minutes = _with(_run(), range(0, 2), max_speed=0.0, mileage=0.0, engine_rpm=0)
    found = session_minute_codes(minutes, student=b.student(), session_day=b.DAY, thresholds=T)
    assert found[1] == ["ENGINE_OFF", "STATIONARY", "NO_MILEAGE"]
    assert found[3] == []
    assert list(found) == [m.id for m in minutes]


def test_run_with_a_gap_still_counts_as_adjacent() -> None:
    # The record of 09:03 was lost: 09:02 and 09:04 are still neighbours.
    minutes = list(_run())
    del minutes[3]
    minutes = _with(tuple(minutes), range(2, 4), max_speed=0.0)
    assert [m.at - minutes[0].at for m in minutes[2:4]] == [
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert stationary(minutes, T) == [3, 5]
