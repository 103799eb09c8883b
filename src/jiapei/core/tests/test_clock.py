"""The clock seam: real time by default, frozen and advanced by tests, days in Shanghai."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from jiapei.core import clock
from jiapei.core.models import AuditLogEntry
from jiapei.core.timestamps import ClockDateTimeField
from jiapei.testing.clock import FROZEN_AT

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_real_clock_is_aware_utc_and_follows_the_system_clock():
    assert not clock.is_frozen()
    before = datetime.now(UTC)
    got = clock.now()
    after = datetime.now(UTC)
    assert got.utcoffset() == timedelta(0)
    assert before <= got <= after
    assert clock.localnow().utcoffset() == timedelta(hours=8)
    assert clock.today() == clock.localnow().date()
    assert abs(clock.epoch_ms() - time.time() * 1000) < 5000


def test_a_naive_instant_is_shanghai_wall_clock_time_and_a_date_is_noon_there():
    assert clock.freeze("2027-03-31 23:50") == datetime(2027, 3, 31, 15, 50, tzinfo=UTC)
    naive = datetime(2027, 3, 31, 23, 50)  # noqa: DTZ001 — what a naive instant means is tested
    assert clock.freeze(naive) == datetime(2027, 3, 31, 15, 50, tzinfo=UTC)
    assert clock.freeze(date(2028, 2, 29)) == datetime(2028, 2, 29, 4, 0, tzinfo=UTC)
    assert clock.freeze("2028-02-29") == datetime(2028, 2, 29, 4, 0, tzinfo=UTC)
    aware = datetime(2027, 4, 1, 0, 10, tzinfo=SHANGHAI)
    assert clock.freeze(aware) == aware
    clock.unfreeze()


def test_today_is_the_shanghai_day_not_the_utc_one(frozen_clock):
    frozen_clock.freeze(datetime(2027, 3, 31, 16, 10, tzinfo=UTC))  # 00:10 on 1 April there
    assert clock.now().date() == date(2027, 3, 31)
    assert clock.today() == date(2027, 4, 1)
    assert clock.localnow() == datetime(2027, 4, 1, 0, 10, tzinfo=SHANGHAI)
    assert clock.localnow().tzinfo.key == "Asia/Shanghai"


def test_a_frozen_clock_stands_still_until_advanced_across_month_end_and_leap_day(frozen_clock):
    frozen_clock.freeze("2028-02-28 23:50")
    first = clock.now()
    time.sleep(0.01)
    assert clock.now() == first
    assert clock.today() == date(2028, 2, 28)
    assert frozen_clock.advance(minutes=20) == first + timedelta(minutes=20)
    assert clock.today() == date(2028, 2, 29)
    frozen_clock.advance(timedelta(days=1))
    assert clock.today() == date(2028, 3, 1)
    frozen_clock.advance(days=-2)
    assert clock.today() == date(2028, 2, 28)


def test_epoch_milliseconds_follow_the_clock(frozen_clock):
    frozen_clock.freeze(datetime(2027, 1, 1, tzinfo=UTC))
    assert clock.epoch_ms() == 1_798_761_600_000
    frozen_clock.advance(seconds=1.5)
    assert clock.epoch_ms() == 1_798_761_601_500


def test_a_ticking_clock_runs_on_from_its_instant():
    start = clock.freeze("2027-02-28 23:59:59", tick=True)
    try:
        time.sleep(0.05)
        moved = clock.now() - start
        assert timedelta(seconds=0.04) <= moved < timedelta(seconds=30)
        clock.advance(hours=1)
        assert clock.now() - start >= timedelta(hours=1)
    finally:
        clock.unfreeze()


def test_frozen_restores_the_clock_it_found():
    with clock.frozen("2026-12-07 08:00") as outer:
        with clock.frozen("2028-02-29 12:00"):
            assert clock.today() == date(2028, 2, 29)
        assert clock.now() == outer
    assert not clock.is_frozen()


def test_advancing_the_real_clock_is_refused():
    with pytest.raises(RuntimeError, match="not frozen"):
        clock.advance(minutes=1)


def test_the_fixture_defaults_to_its_instant(frozen_clock):
    assert clock.is_frozen()
    assert frozen_clock.now() == clock.instant(FROZEN_AT)
    assert frozen_clock.today() == date(2026, 9, 1)


@pytest.mark.parametrize("frozen_clock", ["2027-04-01 00:10"], indirect=True)
def test_the_fixture_takes_its_instant_by_indirect_parametrisation(frozen_clock):
    assert frozen_clock.localnow() == datetime(2027, 4, 1, 0, 10, tzinfo=SHANGHAI)


def test_model_timestamps_take_the_clock():
    created = ClockDateTimeField(auto_now_add=True)
    created.set_attributes_from_name("created_at")
    updated = ClockDateTimeField(auto_now=True)
    updated.set_attributes_from_name("updated_at")
    plain = ClockDateTimeField(null=True)
    plain.set_attributes_from_name("decided_at")
    row = SimpleNamespace(created_at=None, updated_at=None, decided_at=None)
    with clock.frozen("2027-02-28 10:00") as first:
        created.pre_save(row, add=True)
        updated.pre_save(row, add=True)
        plain.pre_save(row, add=True)
        assert (row.created_at, row.updated_at, row.decided_at) == (first, first, None)
        clock.advance(days=1)
        created.pre_save(row, add=False)
        updated.pre_save(row, add=False)
        assert (row.created_at, row.updated_at) == (first, first + timedelta(days=1))
    # Migrations see Django's field: swapping the class needs none.
    assert created.deconstruct()[1] == "django.db.models.DateTimeField"


@pytest.mark.django_db
def test_a_stored_row_is_stamped_with_the_frozen_instant(frozen_clock):
    frozen_clock.freeze("2028-02-29 23:59")
    entry = AuditLogEntry.objects.create(
        actor_kind="system", actor_label="test", action="test", object_type="x", object_id="1"
    )
    entry.refresh_from_db()
    assert entry.at == datetime(2028, 2, 29, 15, 59, tzinfo=UTC)
