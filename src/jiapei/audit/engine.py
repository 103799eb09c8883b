"""The audit engine: minute → session → day → part, with reason codes and a rule version.

``audit_student`` is pure and deterministic: the same facts, thresholds and syllabus give
identical verdicts in the same order. The stages are:

1. Minute rules (``rules/minute.py``), OVERLAP (``rules/day.py``) and PHOTO_GAP
   (``rules/photos.py``) give each minute its codes; ingest rejections come first.
2. Session rules give session codes. A session is *invalid* when one of ``VOIDING`` applies
   (SHORT_DISTANCE, TWO_BAD_PHOTOS, PHOTO_REUSED, VALID_SHARE: fewer than 75% valid
   minutes, or MANUAL_VOID: a regulator voided it on a work order); otherwise it is *valid*
   when every minute passed and *partial* if not. The status judges the session's own records.
3. DAILY_CAP: the minutes that would be credited (valid minutes of non-invalid sessions) are
   taken in time order per local day and category; those beyond the cap become invalid with
   DAILY_CAP. ``valid_minutes`` counts minutes valid before the cap, ``credited_minutes``
   those still valid after it (0 for an invalid session).
4. Part progress: credited minutes by the session's part and mode, clipped to the syllabus
   caps, against the class's plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from jiapei.audit.facts import (
    Interval,
    MinuteVerdict,
    Mode,
    SessionFact,
    SessionVerdict,
    StudentAudit,
    StudentFact,
)
from jiapei.audit.reasons import ordered
from jiapei.audit.rules.common import in_time_order
from jiapei.audit.rules.day import CapCandidate, daily_cap, overlap_minutes
from jiapei.audit.rules.minute import session_minute_codes
from jiapei.audit.rules.part import part_progress
from jiapei.audit.rules.photos import photo_gap_minutes, photo_slots, session_photo_codes
from jiapei.audit.rules.session import short_distance, valid_share_fails
from jiapei.audit.syllabus import Syllabus
from jiapei.audit.thresholds import Thresholds

# Bump when a rule's logic changes, so stored verdicts show which code produced them.
RULES_VERSION = "2"

# Session codes that make the whole session invalid. SIGNIN/SIGNOUT_PHOTO_MISSING and
# FACE_MISMATCH cost the minutes around the photo (PHOTO_GAP) but do not void by themselves.
VOIDING = ("SHORT_DISTANCE", "TWO_BAD_PHOTOS", "PHOTO_REUSED", "VALID_SHARE", "MANUAL_VOID")


def rule_version(thresholds: Thresholds, syllabus: Syllabus) -> str:
    """Name of the rule code, syllabus and threshold values, e.g. ``rules-2/syllabus-2016/…``."""
    return (
        f"rules-{RULES_VERSION}/syllabus-{syllabus.version}/thresholds-{thresholds.fingerprint()}"
    )


def _session_order(sessions: Sequence[SessionFact]) -> list[SessionFact]:
    return sorted(sessions, key=lambda s: (s.start, s.end, s.key, s.id))


def _check_unique_minutes(sessions: Sequence[SessionFact]) -> None:
    seen: set[int] = set()
    for session in sessions:
        for minute in session.minutes:
            if minute.id in seen:
                raise ValueError(f"minute id {minute.id} appears twice in the audited sessions")
            seen.add(minute.id)


def minute_rule_codes(
    student: StudentFact,
    sessions: Sequence[SessionFact],
    *,
    thresholds: Thresholds,
    others: Sequence[Interval],
) -> dict[int, list[str]]:
    """Stage 1: every minute's rule codes (without ingest codes and without DAILY_CAP)."""
    codes: dict[int, list[str]] = {}
    for session in sessions:
        codes.update(
            session_minute_codes(
                session.minutes,
                student=student,
                session_day=session.start.date(),
                thresholds=thresholds,
            )
        )
        if session.mode in thresholds.photo_modes:
            slots = photo_slots(session, thresholds)
            for minute_id in photo_gap_minutes(session.minutes, slots, thresholds):
                codes[minute_id].append("PHOTO_GAP")
    for minute_id in overlap_minutes(sessions, others, thresholds):
        codes[minute_id].append("OVERLAP")
    return {minute_id: ordered(found) for minute_id, found in codes.items()}


def session_codes(session: SessionFact, *, valid: int, thresholds: Thresholds) -> list[str]:
    """Stage 2: a session's codes given how many of its minutes are valid before the cap."""
    codes: list[str] = []
    if session.mode in thresholds.photo_modes:
        codes += session_photo_codes(session, thresholds)
    if short_distance(session, thresholds):
        codes.append("SHORT_DISTANCE")
    if valid_share_fails(len(session.minutes), valid, thresholds):
        codes.append("VALID_SHARE")
    if session.voided:
        codes.append("MANUAL_VOID")
    return ordered(codes)


def _with_ingest(ingest: Sequence[str], rules: Sequence[str]) -> list[str]:
    # Ingest codes keep their order and come first; rule codes follow without repeats.
    result: list[str] = []
    for code in [*ingest, *rules]:
        if code not in result:
            result.append(code)
    return result


def audit_student(
    student: StudentFact,
    sessions: Sequence[SessionFact],
    *,
    thresholds: Thresholds,
    syllabus: Syllabus,
    others: Sequence[Interval] = (),
) -> StudentAudit:
    """Audit all of one student's sessions and return the verdicts (see the module doc).

    ``sessions`` are the student's sessions to date (the daily cap and the part totals need
    them all); ``others`` are other students' sessions that may share a coach or car. Minute
    ids must be unique across ``sessions`` (``ValueError`` otherwise).
    """
    ordered_sessions = _session_order(sessions)
    _check_unique_minutes(ordered_sessions)
    # Stage 1: minute codes, ingest rejections first. ``final`` gains DAILY_CAP in stage 3.
    rule_codes = minute_rule_codes(student, ordered_sessions, thresholds=thresholds, others=others)
    final: dict[int, list[str]] = {
        m.id: _with_ingest(m.ingest_rejected, rule_codes[m.id])
        for s in ordered_sessions
        for m in s.minutes
    }
    judged = _judge_sessions(ordered_sessions, final, thresholds)
    credited_ids = _apply_daily_cap(judged.candidates, final, thresholds)
    tally = _tally(ordered_sessions, final, judged, credited_ids)
    plan = syllabus.plan(student.vehicle_class)
    parts = [] if plan is None else part_progress(plan, tally.part_minutes, tally.part_mileage)
    return StudentAudit(
        student=student.stunum,
        rule_version=rule_version(thresholds, syllabus),
        minutes=tally.minutes,
        sessions=tally.sessions,
        parts=parts,
    )


@dataclass
class _Judged:
    """Stage 2: each session's codes and valid-minute count (by session id), and the minutes
    that would be credited before the daily cap."""

    codes: dict[int, list[str]] = field(default_factory=dict)
    valid: dict[int, int] = field(default_factory=dict)
    candidates: list[CapCandidate] = field(default_factory=list)


def _judge_sessions(
    ordered_sessions: list[SessionFact], final: dict[int, list[str]], thresholds: Thresholds
) -> _Judged:
    """Stage 2: session codes and status, before the daily cap."""
    judged = _Judged()
    for index, session in enumerate(ordered_sessions):
        valid_ids = [m.id for m in in_time_order(session.minutes) if not final[m.id]]
        judged.codes[session.id] = session_codes(
            session, valid=len(valid_ids), thresholds=thresholds
        )
        judged.valid[session.id] = len(valid_ids)
        if not any(code in VOIDING for code in judged.codes[session.id]):
            judged.candidates += [
                CapCandidate(m.id, m.at, session.mode, index)
                for m in session.minutes
                if not final[m.id]
            ]
    return judged


def _apply_daily_cap(
    candidates: list[CapCandidate], final: dict[int, list[str]], thresholds: Thresholds
) -> set[int]:
    """Stage 3: the daily cap over what would be credited. Marks the capped minutes DAILY_CAP
    in ``final`` and returns the ids of the minutes credited."""
    capped = set(daily_cap(candidates, thresholds))
    for minute_id in sorted(capped):
        final[minute_id].append("DAILY_CAP")
    return {c.minute_id for c in candidates} - capped


@dataclass
class _Tally:
    """Stage 4: the verdicts, and the credited minutes (by part and mode) and practical
    mileage (by part) that part progress is measured from."""

    minutes: list[MinuteVerdict] = field(default_factory=list)
    sessions: list[SessionVerdict] = field(default_factory=list)
    part_minutes: dict[tuple[int, int], int] = field(default_factory=dict)
    part_mileage: dict[int, float] = field(default_factory=dict)


def _tally(
    ordered_sessions: list[SessionFact],
    final: dict[int, list[str]],
    judged: _Judged,
    credited_ids: set[int],
) -> _Tally:
    """Stage 4: minute and session verdicts, and the totals of part progress."""
    tally = _Tally()
    for session in ordered_sessions:
        minutes = in_time_order(session.minutes)
        tally.minutes += [
            MinuteVerdict(id=m.id, valid=not final[m.id], codes=list(final[m.id])) for m in minutes
        ]
        credited = [m for m in minutes if m.id in credited_ids]
        mileage = round(sum(m.mileage for m in credited if m.mode == Mode.PRACTICAL), 3)
        codes = judged.codes[session.id]
        if any(code in VOIDING for code in codes):
            status = "invalid"
        elif judged.valid[session.id] == len(minutes):
            status = "valid"
        else:
            status = "partial"
        tally.sessions.append(
            SessionVerdict(
                id=session.id,
                status=status,
                total_minutes=len(minutes),
                valid_minutes=judged.valid[session.id],
                credited_minutes=len(credited),
                mileage=mileage,
                codes=list(codes),
            )
        )
        key = (session.part, session.mode)
        tally.part_minutes[key] = tally.part_minutes.get(key, 0) + len(credited)
        tally.part_mileage[session.part] = tally.part_mileage.get(session.part, 0.0) + mileage
    return tally
