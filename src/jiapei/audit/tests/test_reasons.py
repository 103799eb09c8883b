"""The reason table covers every code of DESIGN.md §6 and explains it with real numbers."""

from __future__ import annotations

import dataclasses

from jiapei.audit.reasons import REASONS, explain, ordered
from jiapei.audit.thresholds import Thresholds

DESIGN_CODES = [
    "TIME_WINDOW",
    "COACH_NOT_FILED",
    "COACH_CLASS",
    "CAR_NOT_FILED",
    "CAR_CLASS",
    "DEVICE_UNBOUND",
    "ENGINE_OFF",
    "STATIONARY",
    "NO_MILEAGE",
    "OUT_OF_FENCE",
    "SPEED",
    "ODOMETER_GNSS_MISMATCH",
    "TELEPORT",
    "PHOTO_GAP",
    "DAILY_CAP",
    "OVERLAP",
    "BEFORE_ENROL",
    "CROSS_DAY",
    "SHORT_DISTANCE",
    "SIGNIN_PHOTO_MISSING",
    "SIGNOUT_PHOTO_MISSING",
    "TWO_BAD_PHOTOS",
    "FACE_MISMATCH",
    "PHOTO_REUSED",
    "VALID_SHARE",
]
# Codes beyond DESIGN §6 that decisions of regulators add (issue 5): a training ban rejects
# minutes at ingest; a work order's decision voids a whole session.
REGULATOR_CODES = ["TRAINING_BAN", "MANUAL_VOID"]
# Codes ingest gives beyond those (issue 18): a minute of a student already recorded.
INGEST_CODES = ["MINUTE_REPEATED"]


def test_table_is_exactly_the_design_catalogue() -> None:
    assert list(REASONS) == DESIGN_CODES + REGULATOR_CODES + INGEST_CODES


def test_every_code_explains_in_both_languages() -> None:
    for code in REASONS:
        zh, en = explain(code), explain(code, lang="en")
        assert zh and en and "{" not in zh + en, code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), code


def test_explanations_state_the_applied_threshold() -> None:
    assert explain("STATIONARY") == "连续2分钟及以上车速为0，这些分钟不计学时"
    three = dataclasses.replace(Thresholds(), stationary_minutes=3)
    assert explain("STATIONARY", thresholds=three).startswith("连续3分钟")
    assert "75%" in explain("VALID_SHARE", lang="en")


def test_unknown_codes_pass_through() -> None:
    assert explain("SIGNATURE_INVALID") == "SIGNATURE_INVALID"


def test_ordered_is_canonical_and_unique() -> None:
    assert ordered(["X", "NO_MILEAGE", "STATIONARY", "NO_MILEAGE"]) == [
        "STATIONARY",
        "NO_MILEAGE",
        "X",
    ]
