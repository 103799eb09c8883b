"""The fraud pipeline from stored uploads to findings: loading the facts, upserting drafts by key,
the work-order hook, the worker's scan queue, and the ``jiapei fraud`` command."""

from __future__ import annotations

import io
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from jiapei.core.actors import Actor
from jiapei.core.models import AuditLogEntry
from jiapei.fraud import loading, params, services
from jiapei.fraud.models import Finding, FindingStatus
from jiapei.fraud.tests.conftest import DAY, ZHUZHOU_LUSONG, at, per_session, school_draft
from jiapei.registry.models import Institution, TeachingArea
from jiapei.registry.services import review_area
from jiapei.testing import factories as f
from jiapei.testing.sessions import play_session
from jiapei.training.models import ScanRequest, TeachingLog, TrainingPhoto

ACTOR = Actor.system("test")


def test_the_day_context_holds_the_sessions_minutes_photos_and_the_look_back(
    session, school, django_assert_max_num_queries
):
    today = session(DAY, length=20)
    before = session(DAY - timedelta(days=5), length=10)
    too_old = session(DAY - timedelta(days=settings.JIAPEI_FRAUD_LOOKBACK_DAYS + 1), length=10)
    session(DAY + timedelta(days=1), length=10)  # after the day: in neither list
    call_command("worker", once=True)

    with django_assert_max_num_queries(12):
        context = loading.day_context(DAY, params.current())
    [s] = context.sessions
    assert (s.rnum, s.stunum, s.inscode, s.platnum) == (
        today,
        school.stunum,
        school.inscode,
        "A0041",
    )
    assert (s.coach, s.car, s.devnum, s.mode, s.part) == (
        school.coachnum,
        school.carnum,
        school.devnum,
        1,
        2,
    )
    assert s.day == DAY and s.audit_status != "pending"
    assert len(s.minutes) == 20 and all(m.accepted for m in s.minutes)
    assert s.minutes[0].lng is not None and s.minutes[0].at.tzinfo is None  # naive local
    # Photos at minutes 0 and 15 and the sign-out at 20, with their event types.
    assert [p.event for p in s.photos] == [17, 5, 18]
    assert all(p.fingerprint for p in s.photos)
    assert [e.rnum for e in context.earlier] == [before]
    # A look-back session comes as a compact track, [lng, lat, seconds] per minute with a fix.
    track = context.earlier[0].track
    assert context.earlier[0].minutes == () and track.shape == (10, 3)
    assert list(track[:, 2]) == sorted(track[:, 2]) and track[0, 0] == pytest.approx(112.9)
    assert too_old not in {e.rnum for e in context.earlier}


def test_the_day_context_reads_a_fixed_number_of_queries(session, django_assert_max_num_queries):
    for hour in (8, 10, 12, 14, 16):
        session(DAY, length=5, hour=hour)
        session(DAY - timedelta(days=3), length=5, hour=hour)
    with django_assert_max_num_queries(12):
        context = loading.day_context(DAY, params.current())
    assert len(context.sessions) == 5 and len(context.earlier) == 5
    assert all(len(s.minutes) == 5 for s in context.sessions)


def test_a_rescan_updates_the_finding_and_never_duplicates_it(session, school, fake, orders):
    rnum = session(DAY)
    fake.day = per_session(severity="medium")
    [first] = services.scan_day(actor=ACTOR, day=DAY)
    fake.day = per_session(severity="high")
    [again] = services.scan_day(actor=ACTOR, day=DAY)

    assert again.pk == first.pk and Finding.objects.count() == 1
    row = Finding.objects.get()
    assert (row.key, row.severity, row.status) == (f"PHOTO_FROZEN:{rnum}", "high", "open")
    # Every reference resolved from the draft's numbers and the log.
    log = TeachingLog.objects.get(rnum=rnum)
    school_row = Institution.objects.get(inscode=school.inscode)
    assert row.region_id == "430104" == school_row.district_id
    assert (row.institution_id, row.platform_id) == (school_row.pk, log.platform_id)
    assert row.student.stunum == school.stunum
    assert row.coach.number == school.coachnum and row.car.carnum == school.carnum
    assert [x.rnum for x in row.logs.all()] == [rnum]
    assert row.day == DAY and row.score == 1.5 and len(row.evidence["minutes"]) == 2
    # The work-order service heard of the finding once, when it was new.
    assert [f.pk for f in orders] == [row.pk]
    scans = AuditLogEntry.objects.filter(action="fraud.scan", object_id=f"day:{DAY}")
    assert scans.count() == 2
    assert scans.order_by("id").last().after["created"] == 0


def test_a_rescan_keeps_the_regulators_decision(session, fake, orders, changsha_regulator):
    session(DAY)
    fake.day = per_session(severity="low")
    [finding] = services.scan_day(actor=ACTOR, day=DAY)
    services.dismiss(
        actor=Actor.for_user(changsha_regulator), finding_id=finding.pk, reason="教练员已说明情况"
    )
    fake.day = per_session(severity="high")
    services.scan_day(actor=ACTOR, day=DAY)
    finding.refresh_from_db()
    assert (finding.status, finding.severity) == ("dismissed", "high")
    assert len(orders) == 1


def test_a_work_order_opened_for_a_new_finding_marks_it_ordered(session, fake, monkeypatch):
    from jiapei.workorders import services as workorders

    monkeypatch.setattr(
        workorders, "open_for_finding", lambda *, actor, finding: SimpleNamespace(pk=1)
    )
    session(DAY)
    fake.day = per_session()
    [finding] = services.scan_day(actor=ACTOR, day=DAY)
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.ORDERED


def test_drafts_about_no_known_school_are_skipped(session, school, fake, orders):
    session(DAY, length=10)  # a day is scanned city by city: it needs a session somewhere
    fake.day = lambda context: [
        school_draft("NO-SUCH-SCHOOL", DAY),
        school_draft(school.inscode, DAY),
    ]
    result = services.scan_day_result(actor=ACTOR, day=DAY)
    assert result.skipped == 1
    [row] = result.findings
    assert row.institution.inscode == school.inscode and row.logs.count() == 0
    assert row.student is None and row.platform_id == row.institution.platform_id


def test_the_period_scan_sees_each_schools_figures(session, school, fake, orders):
    session(DAY, length=12)
    session(DAY, length=8, hour=14)
    call_command("worker", once=True)
    fake.period = lambda context: [school_draft(s.inscode, context.day) for s in context.schools]
    first = DAY.replace(day=1)
    [finding] = services.scan_period(actor=ACTOR, first=first, last=DAY)
    [figures] = fake.seen[-1].schools
    assert fake.seen[-1].period == (first, DAY)
    assert (figures.inscode, figures.sessions, figures.minutes) == (school.inscode, 2, 20)
    assert figures.practical_minutes == 20 and figures.void_minutes >= 0
    # A school finding covers the period even if the detector did not say so.
    assert (finding.day, finding.period_end) == (first, DAY)


def test_the_worker_scans_the_days_the_audit_touched(session, fake, orders):
    fake.day = per_session()
    rnum = session(DAY)
    call_command("worker", once=True)
    assert ScanRequest.objects.count() == 0
    assert Finding.objects.get().key == f"PHOTO_FROZEN:{rnum}"
    days = [c.day for c in fake.seen if c.period is None]
    assert days == [DAY]
    month = [c.period for c in fake.seen if c.period is not None]
    assert month and month[0][0] == DAY.replace(day=1) and month[0][1] >= DAY


def test_real_detectors_run_end_to_end_on_uploaded_sessions(session):
    session(DAY, length=20)
    session(DAY - timedelta(days=1), length=15)
    call_command("worker", once=True)
    assert ScanRequest.objects.count() == 0
    scanned = set(
        AuditLogEntry.objects.filter(action="fraud.scan").values_list("object_id", flat=True)
    )
    assert {f"day:{DAY}", f"day:{DAY - timedelta(days=1)}"} <= scanned
    # Whatever the detectors found is stored against this school's county.
    assert set(Finding.objects.values_list("region_id", flat=True)) <= {"430104"}


def test_a_pending_scan_request_is_touched_not_duplicated(session):
    from jiapei.training.services.requests import request_scans

    assert request_scans([DAY, DAY, DAY - timedelta(days=1)]) == 2
    assert request_scans([DAY]) == 1
    assert sorted(ScanRequest.objects.values_list("day", flat=True)) == [
        DAY - timedelta(days=1),
        DAY,
    ]


# ----- the command line -----


def test_the_scan_command_prints_findings_by_detector(session, fake, orders, capsys):
    session(DAY)
    session(DAY, hour=15)
    fake.day = per_session("COACH_TWO_CARS")
    call_command("fraud", "scan", "--day", DAY.isoformat())
    out = capsys.readouterr().out
    assert f"scanned 1 day(s) {DAY}..{DAY}: 2 findings, 2 new" in out
    assert "COACH_TWO_CARS" in out and "教练员同时在两辆车上带教" in out

    call_command("fraud", "scan", "--since", (DAY - timedelta(days=1)).isoformat())
    out = capsys.readouterr().out
    assert "2 findings, 0 new" in out


def test_the_findings_command_lists_by_region(session, school, fake, orders, capsys):
    session(DAY)
    fake.day = per_session()
    services.scan_day(actor=ACTOR, day=DAY)
    call_command("fraud", "findings", "--region", "4301", "--since", DAY.isoformat())
    out = capsys.readouterr().out
    assert "PHOTO_FROZEN" in out and school.stunum in out and "1 of 1 findings" in out
    call_command("fraud", "findings", "--region", "4302")
    assert "0 of 0 findings" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["scan", "--day", "2026-13-01"],
        ["scan", "--month", "2026/11"],
        ["scan", "--since", DAY.isoformat(), "--until", (DAY - timedelta(days=3)).isoformat()],
        ["scan", "--day", (DAY + timedelta(days=30)).isoformat()],
        ["findings", "--detector", "NO_SUCH"],
    ],
)
def test_the_command_refuses_bad_options(db, args):
    with pytest.raises(CommandError):
        call_command("fraud", *args)
    assert not AuditLogEntry.objects.filter(action="fraud.scan").exists()


def test_evaluate_delegates_to_the_evaluation_module(db, monkeypatch, capsys):
    from jiapei.cli.management.commands import fraud as command

    seen: dict[str, Any] = {}

    def add_arguments(parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=7)

    def run(options: dict[str, Any], stdout: Any) -> None:
        seen.update(options)
        stdout.write("evaluated")

    fake_module = SimpleNamespace(add_arguments=add_arguments, run=run)
    monkeypatch.setattr(command, "_fraud_eval", lambda: fake_module)
    call_command("fraud", "evaluate", "--seed", "3")
    assert seen["seed"] == 3 and "evaluated" in capsys.readouterr().out


def test_evaluate_without_the_evaluation_module_is_refused(db, monkeypatch):
    from jiapei.cli.management.commands import fraud as command

    def missing() -> Any:
        raise ImportError("jiapei.sim.fraud_eval")

    monkeypatch.setattr(command, "_fraud_eval", missing)
    with pytest.raises(CommandError, match="fraud_eval"):
        call_command("fraud", "evaluate")


def test_stage_reviews_of_the_day_come_with_the_students_part_history(session, school):
    from jiapei.registry.models import Student
    from jiapei.stages.models import StageReview

    first = session(DAY - timedelta(days=3))
    second = session(DAY, hour=8)
    # Set up directly: assembling a real review needs a complete part (hours of uploads).
    review = StageReview.objects.create(
        student=Student.objects.get(stunum=school.stunum), part=2, source="audit"
    )
    StageReview.objects.filter(pk=review.pk).update(created_at=loading.day_range(DAY)[0])
    context = loading.day_context(DAY, params.current())
    [stage] = context.stages
    assert (stage.stunum, stage.inscode, stage.part) == (school.stunum, school.inscode, 2)
    assert stage.submitted_at.date() == DAY
    assert [s.rnum for s in context.history[(school.stunum, 2)]] == [first, second]
    assert loading.day_context(DAY + timedelta(days=1), params.current()).stages == []


def test_counts_by_detector_for_a_region_and_period(session, fake, orders):
    from jiapei.accounts.models import Region
    from jiapei.fraud import queries

    session(DAY)
    session(DAY, hour=14)
    fake.day = per_session()
    services.scan_day(actor=ACTOR, day=DAY)
    changsha = Region.objects.get(code="430100")
    counts = queries.counts_by_detector(changsha, DAY, DAY)
    assert counts["PHOTO_FROZEN"] == 2 and sum(counts.values()) == 2
    assert sum(queries.counts_by_detector("4302", DAY, DAY).values()) == 0
    assert sum(queries.counts_by_detector("4301", DAY + timedelta(days=1), DAY).values()) == 0
    assert queries.counts_by_status("430104", DAY, DAY) == {
        "open": 2,
        "ordered": 0,
        "dismissed": 0,
    }


def test_detectors_can_be_passed_to_a_scan(session, orders):
    rnum = session(DAY)
    [finding] = services.scan_day(actor=ACTOR, day=DAY, detectors=[per_session("NIGHT_IDLE_CAR")])
    assert finding.key == f"NIGHT_IDLE_CAR:{rnum}"
    assert services.scan_period(actor=ACTOR, first=DAY, last=DAY, detectors=[]) == []


def test_one_image_file_sent_for_every_photo_is_a_frozen_session(tp, school, ground):
    """A photo device that re-sends the very same JPEG (so the same uploaded file) for every
    photo: each ``trainimginfo`` is stored, and the scan finds PHOTO_FROZEN from the pixels
    with the photos as evidence. The audit does not void on the hash alone (fixed cameras'
    honest photos hash alike); the work order does."""
    rnum = play_session(
        tp, school, recnum="00777", start=at(DAY, 14), length=40, seq0=7000, one_picture=True
    )
    call_command("worker", once=True, stdout=io.StringIO())
    photos = TrainingPhoto.objects.filter(student__stunum=school.stunum)
    assert photos.count() == 4 and photos.values("file").distinct().count() == 1
    log = TeachingLog.objects.get(rnum=rnum)
    assert "PHOTO_REUSED" not in log.codes
    finding = Finding.objects.get(detector="PHOTO_FROZEN")
    assert finding.severity == "high" and finding.evidence["figures"]["pixels_checked"] == 1
    assert list(finding.logs.values_list("rnum", flat=True)) == [rnum]
    assert sorted(finding.evidence["photos"]) == sorted(photos.values_list("pk", flat=True))


def test_a_day_is_scanned_city_by_city_and_a_picture_shared_across_cities_is_found(
    tp, school, ground, zhuzhou_school, zhuzhou_regulator
):
    """Sessions in 长沙 and 株洲: each city's context holds its own sessions only, and the same
    picture sent for a 株洲 student after a 长沙 student (an exact copy) is still found, told
    from the later session whichever city is scanned first."""
    tp.post("region", f.AreaPayload(inscode=zhuzhou_school.inscode, seq="1"))
    area = TeachingArea.objects.get(institution__inscode=zhuzhou_school.inscode)
    review_area(actor=Actor.for_user(zhuzhou_regulator), area_id=area.pk, approve=True)
    # The same recnum gives play_session the same photo seeds, so the same pictures.
    first = play_session(tp, school, recnum="00031", start=at(DAY, 9), length=20, seq0=3100)
    later = play_session(
        tp, zhuzhou_school, recnum="00031", start=at(DAY, 15), length=20, seq0=3200
    )
    assert loading.cities_of_day(DAY) == ["4301", "4302"]
    changsha = loading.day_context(DAY, params.current(), "4301")
    assert [s.rnum for s in changsha.sessions] == [first]
    assert [s.rnum for s in changsha.earlier] == [later]  # the copy, photos only
    assert changsha.earlier[0].minutes == () and changsha.earlier[0].track is None

    services.scan_day(actor=ACTOR, day=DAY)
    shared = Finding.objects.get(detector="FACE_SHARED")
    assert shared.key == "FACE_SHARED:{}:{}".format(*sorted([first, later]))
    assert list(shared.logs.values_list("rnum", flat=True)) == [later]
    assert shared.evidence["sources"] == [first] and shared.region_id == ZHUZHOU_LUSONG
