"""The wire contract between jiapei and the police platform (互联网交通安全综合服务管理平台).

Standard library only: the police-platform simulator (:mod:`jiapei.police_sim`) imports this module
too, and it must run without Django.

No public specification of the real interface exists (standards.md §5.3); the fields follow the one
real push seen in public code (anchors.md §1a: 身份证明号码, 培训科目, 培训学时, 培训里程, 教练员,
审核单位, 审核人, 审核日期, 更新时间) plus the identifiers jiapei needs to reconcile. The mode
minutes use the names of the stage record (``stagetrainningtime``) they are copied from.

Ordering: every push and withdrawal carries ``updatetime`` (更新时间), the moment jiapei made the
decision, timezone-aware ISO 8601. The receiver applies an event for a student and subject only if
it is not older than the one it already holds, so a retried, delayed push cannot undo a later
withdrawal (the outbox retries with backoff and may deliver out of order).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

# Exam subject (考试科目) -> syllabus part (培训部分) whose approved hours open its booking.
# "3" is 科目三 道路驾驶技能 and "4" is 科目三 安全文明驾驶常识; each is gated by its own part.
PART_FOR_SUBJECT: dict[str, int] = {"1": 1, "2": 2, "3": 3, "4": 4}
SUBJECT_FOR_PART: dict[int, str] = {part: subject for subject, part in PART_FOR_SUBJECT.items()}

SUBJECT_NAMES_ZH: dict[str, str] = {
    "1": "科目一",
    "2": "科目二",
    "3": "科目三道路驾驶技能",
    "4": "科目三安全文明驾驶常识",
}
SUBJECT_NAMES_EN: dict[str, str] = {
    "1": "subject 1",
    "2": "subject 2",
    "3": "subject 3 (road driving skills)",
    "4": "subject 3 (safe and civil driving knowledge)",
}

# Approved minutes by training mode: 实操 / 课堂 / 模拟 / 远程, and their total.
MINUTE_FIELDS = ("totaltime", "vehicletime", "classtime", "simulatortime", "networktime")

HOURS_TEXT_FIELDS = (
    "idcard",  # 身份证明号码
    "name",
    "stunum",  # 16-character unified student number
    "traintype",  # licence class, e.g. C1
    "inscode",  # school's unified number
    "insname",
    "auditunit",  # 审核单位: the approving transport department
    "auditor",  # 审核人
    "stageid",  # the stage record the approval is about
)
OPTIONAL_TEXT_FIELDS = ("coachnum", "coachname", "cardtype")

PATH_HOURS = "/hours"
PATH_WITHDRAW = "/hours/withdraw"


def _text_problems(message: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    return [
        f"{name}: required non-empty string"
        for name in names
        if not isinstance(message.get(name), str) or not message[name].strip()
    ]


def parse_updatetime(value: Any) -> datetime | None:
    """Return ``value`` as an aware datetime, or None if it is not an aware ISO 8601 string."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _subject_problems(message: dict[str, Any]) -> list[str]:
    if message.get("subject") not in PART_FOR_SUBJECT:
        return [f"subject: one of {sorted(PART_FOR_SUBJECT)}"]
    return []


def hours_problems(message: dict[str, Any]) -> list[str]:
    """Everything wrong with an hours push; an empty list means it is well formed.

    A push is one approved training record for one student and one exam subject::

        {"idcard", "name", "stunum", "traintype", "subject": "1".."4", "part": 1..4,
         "totaltime", "vehicletime", "classtime", "simulatortime", "networktime" (minutes, int),
         "mileage" (km, number), "coachnum", "coachname" (optional), "inscode", "insname",
         "auditunit", "auditor", "auditdate" (YYYY-MM-DD), "updatetime" (aware ISO 8601),
         "stageid", "transition" (bool: a legacy 存量 student's backfilled hours)}
    """
    problems = _text_problems(message, HOURS_TEXT_FIELDS) + _subject_problems(message)
    for name in OPTIONAL_TEXT_FIELDS:
        if name in message and not isinstance(message[name], str):
            problems.append(f"{name}: string if present")
    subject = message.get("subject")
    part = message.get("part")
    if subject in PART_FOR_SUBJECT and part != PART_FOR_SUBJECT[subject]:
        problems.append(f"part: subject {subject} is fed by part {PART_FOR_SUBJECT[subject]}")
    for name in MINUTE_FIELDS:
        value = message.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(f"{name}: required non-negative integer (minutes)")
    mileage = message.get("mileage")
    if isinstance(mileage, bool) or not isinstance(mileage, int | float) or mileage < 0:
        problems.append("mileage: required non-negative number (km)")
    try:
        date.fromisoformat(str(message.get("auditdate")))
    except ValueError:
        problems.append("auditdate: required date YYYY-MM-DD")
    if parse_updatetime(message.get("updatetime")) is None:
        problems.append("updatetime: required timezone-aware ISO 8601 datetime")
    if not isinstance(message.get("transition"), bool):
        problems.append("transition: required boolean")
    return problems


def withdraw_problems(message: dict[str, Any]) -> list[str]:
    """Everything wrong with a withdrawal; an empty list means it is well formed.

    ``{"idcard", "subject", "stageid", "reason", "updatetime"}``: the approved hours of that
    stage record no longer stand (e.g. fraud found on review), so the subject may not be booked.
    """
    problems = _text_problems(message, ("idcard", "stageid", "reason"))
    problems += _subject_problems(message)
    if parse_updatetime(message.get("updatetime")) is None:
        problems.append("updatetime: required timezone-aware ISO 8601 datetime")
    return problems


def hours_key(message: dict[str, Any]) -> str:
    """A deterministic idempotency key for a push: the same decision always gets the same key."""
    return f"police:hours:{message['stageid']}:{message['updatetime']}"


def withdraw_key(message: dict[str, Any]) -> str:
    """A deterministic idempotency key for a withdrawal."""
    return f"police:withdraw:{message['stageid']}:{message['updatetime']}"
