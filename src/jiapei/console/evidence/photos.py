"""Photo evidence: the pairs of photos a detector took for one picture, side by side, and the
photos whose face-match confidences fell short.

An officer decides a FACE_SHARED, PHOTO_REPLAYED or PHOTO_FROZEN finding by looking at the two
photos: the same picture, or two honest shots of a seated student that merely hash alike? Each
pair is drawn with, for each photo, its capture time and event, the session it belongs to (a
link to the session's page), the student (name masked), the school, the car and the terminal,
and between them the measure (the perceptual hashes' Hamming distance) with the bound the
detector applies. FACE_LOW and FACE_FALLING show the session's photos with their confidences
against the bar.

The photos come from :func:`jiapei.training.queries.photos_with_sessions`, scoped to the user:
a photo of a student outside the user's region is drawn as withheld, never served (the file
view :class:`jiapei.console.files.PhotoFile` scopes it again).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiapei.console.evidence import Panel, draws
from jiapei.console.sessions import PHOTO_EVENTS
from jiapei.fraud import params as fraud_params
from jiapei.fraud.models import Finding
from jiapei.training import queries as training
from jiapei.web import masking

# A finding may name dozens of pairs (a photo machine repeats every photo); the closest few
# are enough to judge, and the page stays light.
MAX_PAIRS = 8
MAX_PHOTOS = 24

PAIR_DETECTORS = ("FACE_SHARED", "PHOTO_REPLAYED", "PHOTO_FROZEN")
FACE_DETECTORS = ("FACE_LOW", "FACE_FALLING")


def card(
    photo_id: int, seen: dict[int, Any], finding: Finding, covered: set[int]
) -> dict[str, Any]:
    """What the page shows of one photo: the picture and where it comes from, or only that it
    lies outside the user's region."""
    if photo_id not in seen:
        return {"id": photo_id, "visible": False}
    photo, log = seen[photo_id]
    session = None
    if log is not None:
        session = {
            "rnum": log.rnum,
            "url": reverse("console:session", args=[log.student_id, log.pk]),
            "start": log.starttime,
            "end": log.endtime,
            "car": log.car.licnum if log.car else "",
            "terminal": log.device.devnum if log.device else "",
            "own": False,  # set by the caller, which knows the finding's logs
        }
    student = photo.student
    return {
        "id": photo_id,
        "visible": True,
        "url": reverse("console:photo", args=[photo_id]),
        "at": photo.ptime,
        "event": PHOTO_EVENTS.get(photo.event, photo.event),
        "confidence": photo.confidence,
        "student": masking.mask_name(student.name),
        "student_url": reverse("console:student", args=[student.pk]),
        "stunum": student.stunum,
        "school": student.institution.name,
        "session": session,
        "covered": photo_id in covered,
    }


def bound_of(finding: Finding) -> tuple[int, Any]:
    """The Hamming distance at or under which the detector takes two photos for one picture
    (with today's parameters), and what the bound applies to."""
    photos = fraud_params.current().photos
    if finding.detector == "PHOTO_FROZEN":
        return photos.frozen_max_distance, _("同一次培训内的两张照片")
    if finding.detector == "PHOTO_REPLAYED":
        return photos.replay_max_distance, _("同一学员不同培训的两张照片")
    if finding.evidence.get("figures", {}).get("same_school"):
        return photos.shared_max_distance, _("同一驾校不同学员的两张照片")
    return photos.shared_cross_school_max_distance, _("不同驾校学员的两张照片（只认完全相同的）")


@draws(*PAIR_DETECTORS)
def photo_pairs(finding: Finding, user: Any) -> list[Panel]:
    evidence = finding.evidence or {}
    pairs = sorted(
        (p for p in evidence.get("pairs", []) if len(p) == 3), key=lambda p: (p[2], p[0], p[1])
    )[:MAX_PAIRS]
    ids = sorted({int(i) for a, b, _d in pairs for i in (a, b)})
    seen = training.photos_with_sessions(user, ids)
    own = set(finding.logs.values_list("rnum", flat=True))
    covered = {int(i) for i in evidence.get("covered", [])}
    rows: list[dict[str, Any]] = []
    for a, b, distance in pairs:
        first, second = card(int(a), seen, finding, covered), card(int(b), seen, finding, covered)
        # Earlier on the left: the original, then the copy (or the later repeat).
        if first.get("at") and second.get("at") and second["at"] < first["at"]:
            first, second = second, first
        for side in (first, second):
            session = side.get("session")
            if session:
                session["own"] = session["rnum"] in own
        rows.append({"left": first, "right": second, "distance": int(distance)})
    bound, applies = bound_of(finding)
    context = {
        "finding": finding,
        "pairs": rows,
        "total_pairs": len(evidence.get("pairs", [])),
        "bound": bound,
        "applies": applies,
        "pixels": fraud_params.current().photos.pixel_check,
        "withheld": any(not r["left"]["visible"] or not r["right"]["visible"] for r in rows),
    }
    # The copied sessions are named on the cards the user may see; their log numbers (which
    # begin with the student's number) are left out of the figures, since a copied session
    # may belong to another region's student.
    figures = {key: value for key, value in evidence.items() if key != "sources"}
    return [
        Panel("console/evidence/photos.html", context),
        Panel("console/evidence/figures.html", {"evidence": figures}),
    ]


@draws(*FACE_DETECTORS)
def face_photos(finding: Finding, user: Any) -> list[Panel]:
    evidence = finding.evidence or {}
    figures = evidence.get("figures", {})
    ids = [int(i) for i in evidence.get("photos", [])][:MAX_PHOTOS]
    seen = training.photos_with_sessions(user, ids)
    if finding.detector == "FACE_LOW":
        bar = figures.get("bar", fraud_params.current().photos.low_median_below)
    else:
        bar = fraud_params.current().photos.falling_later_below
    cards = []
    for n, photo_id in enumerate(ids):
        item = card(photo_id, seen, finding, set())
        confidence = item.get("confidence")
        item["low"] = confidence is not None and confidence < bar
        item["signin"] = finding.detector == "FACE_FALLING" and n == 0
        cards.append(item)
    context = {"finding": finding, "cards": cards, "bar": bar}
    return [
        Panel("console/evidence/faces.html", context),
        Panel("console/evidence/figures.html", {"evidence": evidence}),
    ]
