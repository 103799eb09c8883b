"""GNSS_STILL_MILEAGE without any position: a car that claims to drive while its terminal
reports no GNSS fix at all (antenna unplugged, positions withheld, a 跑马机 fed pulses in a
garage). The minutes are rejected at ingest (no fix is outside every fence) or voided by the
audit, but that alone tells a regulator nothing about why; this finding does.

Reported under the same detector code as the still-position case (the same pattern: distance
claimed that no position supports), keyed ``GNSS_STILL_MILEAGE:<rnum>:nofix`` so that a
session with both gets two findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jiapei.fraud.detectors.base import Draft, MinuteData, ScanContext, SessionData, about


@dataclass(frozen=True)
class NoFixParams:
    min_minutes: int = 11
    """Adjacent minutes without a fix a run needs: longer than the longest GNSS dropout the
    audit tolerates (``gnss_stale_max_minutes``, 10). Dropouts (an underpass, a tunnel, an
    urban canyon, a multi-storey car park) last minutes, and issue 19 saw honest ones taken for
    a 跑马机; eleven claimed-moving minutes in a row without any position is not a dropout."""
    min_km: float = 0.5
    """Mileage the run must claim, as for the still-position case."""
    min_speed: float = 5.0
    """A minute "claims movement" with any mileage or a top speed of at least this (km/h)."""


def _params(context: ScanContext) -> NoFixParams:
    params = getattr(context.params, "nofix", context.params)
    return params if isinstance(params, NoFixParams) else NoFixParams()


def _has_fix(minute: MinuteData) -> bool:
    # Terminals without a fix send zeros (the Gulf of Guinea), as the audit's ``fix`` says.
    return (
        minute.lng is not None
        and minute.lat is not None
        and not (minute.lng == 0 and minute.lat == 0)
    )


def blind_runs(minutes: Sequence[MinuteData], params: NoFixParams) -> list[list[MinuteData]]:
    """Maximal runs of adjacent minutes claiming movement without a fix, long enough."""
    runs: list[list[MinuteData]] = []
    current: list[MinuteData] = []
    for minute in [*minutes, None]:
        blind = (
            minute is not None
            and (minute.mileage > 0 or minute.max_speed >= params.min_speed)
            and not _has_fix(minute)
        )
        if blind:
            assert minute is not None
            current.append(minute)
            continue
        claimed = sum(m.mileage for m in current)
        if len(current) >= params.min_minutes and claimed >= params.min_km - 1e-9:
            runs.append(current)
        current = []
    return runs


def detect(context: ScanContext) -> list[Draft]:
    params = _params(context)
    drafts = []
    for session in sorted(context.sessions, key=lambda s: s.rnum):
        if session.mode != 1:
            continue
        minutes = sorted(session.minutes, key=lambda m: (m.at, m.recordnum))
        runs = blind_runs(minutes, params)
        if runs:
            drafts.append(_draft(session, minutes, runs, params))
    return drafts


def _draft(
    session: SessionData,
    minutes: list[MinuteData],
    runs: list[list[MinuteData]],
    params: NoFixParams,
) -> Draft:
    flagged = [m for run in runs for m in run]
    claimed = sum(m.mileage for m in flagged)
    speed = sum(m.max_speed for m in flagged) / len(flagged)
    index = {m.recordnum: i + 1 for i, m in enumerate(minutes)}
    longest = max(runs, key=len)
    first, last = index[longest[0].recordnum], index[longest[-1].recordnum]
    who = f"车辆{session.car}" if session.car else f"终端{session.devnum or '-'}"
    who_en = f"car {session.car}" if session.car else f"terminal {session.devnum or '-'}"
    more = f"（共{len(runs)}段、{len(flagged)}分钟）" if len(runs) > 1 else ""
    return Draft(
        detector="GNSS_STILL_MILEAGE",
        key=f"GNSS_STILL_MILEAGE:{session.rnum}:nofix",
        severity="high" if len(flagged) >= 2 * params.min_minutes else "medium",
        summary=(
            f"{who}在{session.start:%Y-%m-%d %H:%M}开始的培训中，第{first}至第{last}分钟上报"
            f"速度约{speed:.0f}公里/小时、里程{claimed:.1f}公里，但终端没有上报任何卫星定位"
            f"{more}，行驶里程无法核实，疑似屏蔽定位或使用跑马机。"
        ),
        summary_en=(
            f"{who_en}, session starting {session.start:%Y-%m-%d %H:%M}: minutes {first}-{last} "
            f"report about {speed:.0f} km/h and {claimed:.1f} km without any GNSS fix "
            f"({len(flagged)} minutes in all); the distance cannot be verified and a blocked "
            "antenna or a pulse generator (跑马机) is suspected."
        ),
        **about(session),
        score=float(len(flagged)),
        evidence={
            "minutes": [m.recordnum for m in flagged],
            "figures": {
                "minutes_without_fix": len(flagged),
                "runs": len(runs),
                "claimed_km": round(claimed, 2),
                "mean_speed_kmh": round(speed, 1),
            },
        },
    )
