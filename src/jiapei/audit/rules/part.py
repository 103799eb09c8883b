"""Part-level (syllabus) progress: credited minutes by mode against a class's plan.

A session's credited minutes count toward the part of its course code, in its mode. Per
part, each mode's minutes are clipped to the mode's cap (simulator and remote caps; a cap of
0 means the mode does not count there), then compared with the part total, the per-mode
minimums (e.g. classroom ≥ 4 学时 in part 1) and the part's mileage.
"""

from __future__ import annotations

from collections.abc import Mapping

from jiapei.audit.facts import Mode, PartProgress
from jiapei.audit.syllabus import ClassPlan, PartPlan

MODES = (Mode.PRACTICAL, Mode.CLASSROOM, Mode.SIMULATOR, Mode.REMOTE)
MODE_LABELS = {
    Mode.PRACTICAL: "practical",
    Mode.CLASSROOM: "classroom",
    Mode.SIMULATOR: "simulator",
    Mode.REMOTE: "remote",
}


def capped_minutes(plan: PartPlan, raw: Mapping[int, int]) -> dict[int, int]:
    """Each mode's minutes clipped to the part's cap for that mode (all four modes listed)."""
    result = {}
    for mode in MODES:
        minutes = raw.get(mode, 0)
        cap = plan.cap.get(mode)
        result[mode] = minutes if cap is None else min(minutes, cap)
    return result


def progress(plan: PartPlan, raw: Mapping[int, int], mileage_km: float) -> PartProgress:
    """Progress of one part given raw credited minutes by mode and credited mileage (km)."""
    credited = capped_minutes(plan, raw)
    total = sum(credited.values())
    mileage = round(mileage_km, 3)
    remaining: dict[str, float] = {}
    if total < plan.total_minutes:
        remaining["total"] = plan.total_minutes - total
    for mode in MODES:
        short = plan.minimum.get(mode, 0) - credited[mode]
        if short > 0:
            remaining[MODE_LABELS[mode]] = short
    if mileage < plan.mileage_km:
        remaining["mileage"] = round(plan.mileage_km - mileage, 3)
    return PartProgress(
        part=plan.part,
        required=dict(sorted(plan.minimum.items())),
        credited=credited,
        mileage_required=plan.mileage_km,
        mileage=mileage,
        complete=not remaining,
        remaining=remaining,
        total_required=plan.total_minutes,
        total_credited=total,
    )


def part_progress(
    plan: ClassPlan,
    credited: Mapping[tuple[int, int], int],
    mileage: Mapping[int, float],
) -> list[PartProgress]:
    """Progress of every part of a class plan, sorted by part.

    ``credited`` maps (part, mode) to credited minutes before the caps; ``mileage`` maps a
    part to credited km. Entries for parts the plan does not have are ignored.
    """
    return [
        progress(
            part_plan,
            {mode: credited.get((part_plan.part, mode), 0) for mode in MODES},
            mileage.get(part_plan.part, 0.0),
        )
        for part_plan in sorted(plan.parts, key=lambda p: p.part)
    ]
