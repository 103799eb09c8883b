"""Stand-in detectors on the face-match confidence the terminal reports with each photo (替学):
FACE_FALLING (a good sign-in, then photos that fail) and FACE_LOW (a session whose photos fail
overall). Their thresholds are in :class:`~jiapei.fraud.detectors.photos.PhotoParams`
(``falling_*``, ``low_*``), beside the picture-based detectors.
"""

from __future__ import annotations

import statistics

from jiapei.fraud.detectors.base import Draft, ScanContext, SessionData
from jiapei.fraud.detectors.photos import (
    EVENT_SIGNIN,
    PhotoParams,
    fmt_number,
    join_numbers,
    session_draft,
    student_photos,
)


def detect(context: ScanContext) -> list[Draft]:
    """FACE_FALLING / FACE_LOW drafts of the day's sessions, sorted by key."""
    params = getattr(context.params, "photos", None) or PhotoParams()
    seen: set[str] = set()
    drafts: list[Draft] = []
    for session in context.sessions:
        if session.rnum not in seen:
            seen.add(session.rnum)
            drafts += confidences(session, params, context)
    return sorted(drafts, key=lambda d: d.key)


def confidences(session: SessionData, params: PhotoParams, context: ScanContext) -> list[Draft]:
    """FACE_FALLING if the confidence falls after a good sign-in, else FACE_LOW if low overall.

    A fall after the sign-in is the more specific pattern (someone took over after signing in);
    its session is not reported a second time as FACE_LOW.
    """
    rated = [p for p in student_photos(session) if p.confidence is not None]
    signin = next((p for p in rated if p.event == EVENT_SIGNIN), None)
    start = (signin.confidence or 0) if signin else 0
    shift = params.shift(session)
    later_below = params.falling_later_below - shift
    if signin is not None and start >= params.falling_signin_min - shift:
        later = [p for p in rated if p.at > signin.at and p.event != EVENT_SIGNIN]
        scores = [p.confidence or 0 for p in later]
        low = [c for c in scores if c < later_below]
        median = statistics.median(scores) if scores else start
        if (
            len(low) >= params.falling_min_low
            and median < later_below
            and start - median >= params.falling_min_drop
        ):
            drop = start - median
            return [
                session_draft(
                    "FACE_FALLING",
                    session,
                    context,
                    severity="medium",
                    zh=(
                        f"签到照片的人脸比对置信度为{start}，其后{len(scores)}张照片为"
                        f"{join_numbers(scores)}（中位数{fmt_number(median)}，下降{fmt_number(drop)}），"
                        "疑似签到后换人培训（替学）。"
                    ),
                    en=(
                        f"face-match confidence {start} at sign-in, then "
                        f"{join_numbers(scores, ', ')} "
                        f"in the {len(scores)} later photos (median {fmt_number(median)}, down "
                        f"{fmt_number(drop)}): someone else may have taken over after the sign-in."
                    ),
                    score=float(drop),
                    evidence={
                        "photos": [signin.id] + [p.id for p in later],
                        "figures": {
                            "signin_confidence": start,
                            "later_median": median,
                            "later_low": len(low),
                            "drop": drop,
                        },
                    },
                )
            ]
    scores = [p.confidence or 0 for p in rated]
    if len(scores) < params.low_min_photos:
        return []
    median = statistics.median(scores)
    if median >= params.low_median_below - shift:
        return []
    bound = fmt_number(params.low_median_below - shift)
    return [
        session_draft(
            "FACE_LOW",
            session,
            context,
            severity="medium",
            zh=(
                f"{len(scores)}张照片的人脸比对置信度为{join_numbers(scores)}，中位数仅{fmt_number(median)}，"
                f"低于{bound}，疑似他人代学（替学）。"
            ),
            en=(
                f"face-match confidences {join_numbers(scores, ', ')} in {len(scores)} photos, "
                f"median {fmt_number(median)} below {bound}: a stand-in may have trained."
            ),
            score=float(median),
            evidence={
                "photos": [p.id for p in rated],
                "figures": {
                    "photos": len(scores),
                    "median_confidence": median,
                    "bar": params.low_median_below - shift,
                    "terminal_median": session.terminal_confidence_median,
                },
            },
        )
    ]
