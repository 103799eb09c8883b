"""The checks of a stage review and the manual-review draw: pure functions over plain values.

Each check returns ``{"check": name, "ok": bool, "detail": text}``; the detail says what was
compared so that a regulator can see why a record waits for them. Names are stable strings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Check = dict[str, Any]

PART_COMPLETE = "part_complete"
PLATFORM_TOTALS = "platform_totals"
TEACHING_LOGS = "teaching_logs"
MILEAGE = "mileage"

# Stage-record field -> course mode (first digit of subjcode) it reports.
MODE_FIELDS: dict[str, str] = {
    "vehicletime": "1",  # 实操 practical
    "classtime": "2",  # 课堂 classroom
    "simulatortime": "3",  # 模拟 simulator
    "networktime": "4",  # 远程 remote
}


@dataclass(frozen=True)
class LogFact:
    """What the records check needs to know about one teaching log."""

    rnum: str
    stunum: str
    part: int
    audit_status: str


def _check(name: str, ok: bool, detail: str) -> Check:
    return {"check": name, "ok": ok, "detail": detail}


def part_complete(audited: bool, complete: bool, remaining: Mapping[str, Any]) -> Check:
    """The audit found the part complete against the syllabus."""
    if not audited:
        return _check(PART_COMPLETE, False, "尚无审核结果 (no audit result for this part yet)")
    if complete:
        return _check(PART_COMPLETE, True, "学时已达大纲要求 (syllabus requirements met)")
    short = ", ".join(f"{k} {v}" for k, v in sorted(remaining.items()))
    return _check(PART_COMPLETE, False, f"未达大纲要求，尚缺 (still short): {short}")


TRANSITION_WAIVED = "存量学员：不要求大纲学时 (transition case)"


def part_complete_waived() -> Check:
    """Seed 000 §三(四): a student whose police business began before the cut-over is pushed
    without the syllabus minimums, so completeness is recorded as met rather than skipped (the
    regulator still sees that it was waived, and why)."""
    return _check(PART_COMPLETE, True, TRANSITION_WAIVED)


def platform_totals(credited: Mapping[str, int], submitted: Mapping[str, int]) -> Check:
    """The platform's totals equal what we credited, mode by mode and in total.

    ``credited`` maps a mode ("1".."4") to our credited minutes; ``submitted`` maps the stage
    record's field names (totaltime, vehicletime, …) to the platform's minutes.
    """
    ours = {name: int(credited.get(mode, 0)) for name, mode in MODE_FIELDS.items()}
    ours["totaltime"] = sum(ours.values())
    differences = [
        f"{name}: 平台 (platform) {submitted.get(name, 0)} ≠ 审核 (audit) {ours[name]}"
        for name in ("totaltime", *MODE_FIELDS)
        if int(submitted.get(name, 0)) != ours[name]
    ]
    if differences:
        return _check(PLATFORM_TOTALS, False, "; ".join(differences))
    return _check(
        PLATFORM_TOTALS, True, f"与审核学时一致 (equal to the audit: {ours['totaltime']})"
    )


def teaching_logs(
    rnums: Sequence[str], logs: Mapping[str, LogFact], *, stunum: str, part: int
) -> Check:
    """Every listed log exists, is the student's, belongs to the part and has been audited."""
    if not rnums:
        return _check(TEACHING_LOGS, False, "未列出教学日志 (no teaching logs listed)")
    problems = []
    for rnum in rnums:
        log = logs.get(rnum)
        if log is None:
            problems.append(f"{rnum}: 不存在 (unknown log)")
        elif log.stunum != stunum:
            problems.append(f"{rnum}: 不属于该学员 (another student's log)")
        elif log.part != part:
            problems.append(f"{rnum}: 属于第{log.part}部分 (belongs to part {log.part})")
        elif log.audit_status == "pending":
            problems.append(f"{rnum}: 尚未审核 (not yet audited)")
    duplicates = len(rnums) - len(set(rnums))
    if duplicates:
        problems.append(f"重复列出 {duplicates} 条 ({duplicates} listed twice)")
    if problems:
        return _check(TEACHING_LOGS, False, "; ".join(problems))
    return _check(TEACHING_LOGS, True, f"{len(rnums)} 条日志均已审核 (all {len(rnums)} audited)")


def mileage(credited_km: float, required_km: float, *, transition: bool = False) -> Check:
    """The syllabus mileage is met; for a transition case the minimum is waived like the
    minutes (it is a syllabus minimum too) and the detail only reports the distance."""
    detail = f"{credited_km:g} km / 要求 (required) {required_km:g} km"
    if transition:
        return _check(MILEAGE, True, f"{credited_km:g} km; {TRANSITION_WAIVED}")
    ok = credited_km + 1e-9 >= required_km
    return _check(MILEAGE, ok, detail if ok else f"里程不足 (too short): {detail}")


def draw_fraction(stunum: str, part: int) -> float:
    """A number in [0, 1) fixed by the student and part, so re-assembly never re-draws."""
    digest = hashlib.sha256(f"{stunum}:{part}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def drawn_for_manual(stunum: str, part: int, share: float) -> bool:
    """Is this record in the ``share`` (0..1) drawn for manual review? 0 never, 1 always."""
    return draw_fraction(stunum, part) < share


def all_ok(checks: Sequence[Check]) -> bool:
    return all(c["ok"] for c in checks)
