"""A small simulation (1 city, 1 school, 3 students, a few days) through the signed in-process
API: honest minutes are accepted, ingest-level plants are rejected with their codes, the same
seed gives the same report, and replaying a day stores nothing new."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jiapei.core import clock
from jiapei.sim import world as sim_world
from jiapei.sim.days import simulate_days
from jiapei.training.models import MinuteRecord, TeachingLog

# Days well in the past, with room after START for the day-by-day play below.
START = clock.today() - timedelta(days=40)
INGEST_PLANTS = {"OUT_OF_FENCE", "DEVICE_UNBOUND", "COACH_NOT_FILED"}
# Which plants a day carries is drawn from the day itself (the simulator seeds its RNG with the
# date, so that a replayed day is the same day): three students make about 1.4 plants a day, and
# all three codes appear within two days for only some dates. Playing day after day until they
# have (nine at most on 730 consecutive start dates) keeps the test independent of the date.
MAX_DAYS = 30


@pytest.fixture
def world(tp, platform, changsha_regulator):
    cfg = sim_world.WorldConfig(
        seed=7, cities=1, institutions_per_city=1, students_per_institution=3, today=START
    )
    return sim_world.build_world(tp, platform, {"city4301": changsha_regulator}, cfg)


def play(tp, world, *, days=2, start=START, seed=11):
    return simulate_days(
        tp, world, days=days, start_day=start, seed=seed, violation_share=0.5,
        violations=INGEST_PLANTS,
    )  # fmt: skip


def test_honest_minutes_are_accepted_and_plants_rejected_with_their_codes(tp, world):
    report = play(tp, world)
    day = START + timedelta(days=2)
    while not {s.planted for s in report.sessions} >= INGEST_PLANTS:
        assert day < START + timedelta(days=MAX_DAYS), {s.planted for s in report.sessions}
        more = play(tp, world, days=1, start=day)
        report.sessions += more.sessions
        report.minutes_sent += more.minutes_sent
        report.refused += more.refused
        report.logs_refused += more.logs_refused
        report.errors += more.errors
        day += timedelta(days=1)
    assert report.refused == 0 and report.logs_refused == 0, report.errors
    honest = [s for s in report.sessions if s.planted is None]
    assert honest and all(s.accepted == s.minutes and s.rejected == 0 for s in honest)
    assert {s.planted for s in report.sessions} >= INGEST_PLANTS
    for session in report.sessions:
        if session.planted:
            assert session.rejected > 0, session
            assert session.planted in session.ingest_codes, session
    assert report.minutes_sent == sum(s.minutes for s in report.sessions)
    assert MinuteRecord.objects.count() == report.minutes_sent
    assert TeachingLog.objects.count() == len(report.sessions)


def test_the_same_seed_gives_the_same_report_and_a_replayed_day_changes_nothing(tp, world):
    first = play(tp, world)
    stored = MinuteRecord.objects.count()
    again = play(tp, world)
    assert again == first
    assert again.duplicates == again.minutes_sent
    day_two = play(tp, world, days=1, start=START + timedelta(days=1))
    assert day_two.sessions == [s for s in first.sessions if s.day == START + timedelta(days=1)]
    assert MinuteRecord.objects.count() == stored
    assert play(tp, world, seed=12) != first
