"""Evidence on a time axis: sessions that overlap (COACH_TWO_CARS, CAR_TWO_STUDENTS,
THEORY_PRACTICE_CROSS) and a night session in a car idle all day (NIGHT_IDLE_CAR).

Each session is one row on a shared axis, labelled with its student (masked), car, mode and
times and linked to its page; the stretch where two sessions run at once is drawn hatched red
over the sessions' green, and the overlap is stated in minutes, so the impossibility reads at a
glance and in words.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from jiapei.console.evidence import Panel, draws
from jiapei.console.evidence.drawing import (
    figure_rows,
    finding_logs,
    local,
    panel,
    session_row,
    session_url,
    span_words,
)
from jiapei.fraud import params as fraud_params
from jiapei.fraud.models import Finding
from jiapei.training import queries as training
from jiapei.training.models import TeachingLog
from jiapei.web.svg.chart import Span, time_strip

HEADINGS = {
    "COACH_TWO_CARS": _("同一教练员同时带教的培训"),
    "CAR_TWO_STUDENTS": _("同一教练车同时为两名学员计时"),
    "THEORY_PRACTICE_CROSS": _("同一学员同时参加的培训"),
}


def _row_label(row: dict[str, Any]) -> str:
    return _t("%(student)s · %(car)s · %(mode)s · %(start)s–%(end)s") % {
        "student": row["student"],
        "car": row["car"],
        "mode": row["mode"],
        "start": f"{row['start']:%m-%d %H:%M}",
        "end": f"{row['end']:%H:%M}",
    }


def _axis(starts: list[datetime], ends: list[datetime]) -> tuple[datetime, datetime]:
    """The axis of a strip: the sessions' span with a little room either side."""
    first, last = min(starts), max(ends)
    room = max((last - first) / 20, timedelta(minutes=5))
    return first - room, last + room


@draws("COACH_TWO_CARS", "CAR_TWO_STUDENTS", "THEORY_PRACTICE_CROSS")
def overlapping(finding: Finding, user: Any) -> list[Panel]:
    """The two sessions on one time axis with their overlap, and how long it lasted."""
    evidence = finding.evidence or {}
    logs = {log.rnum: log for log in finding_logs(finding, user)}
    stored = [s for s in evidence.get("sessions") or [] if isinstance(s, dict) and s.get("rnum")]
    notes = []
    if not stored:
        # An older finding kept no copy of the sessions: draw the stored logs instead.
        stored = [{"rnum": rnum} for rnum in logs]
        if stored:
            notes.append(_t("该疑点的证据中没有保存培训的时间，以下按教学日志现有记录绘制。"))
    # Sessions of the look-back may not be among the finding's logs: look them up by number.
    missing = [s["rnum"] for s in stored if s["rnum"] not in logs]
    if missing:
        logs.update(training.logs_by_rnum(user, missing))
    rows = [session_row(logs.get(s["rnum"]), s) for s in stored]
    rows = [r for r in rows if r["start"] and r["end"]]
    rows.sort(key=lambda r: (r["start"], r["rnum"]))
    heading = str(HEADINGS.get(finding.detector, _("同时进行的培训")))
    figures = figure_rows(evidence.get("figures") or {})
    if len(rows) < 2:
        notes.append(_t("未能取得两次培训的起止时间，无法绘制时间轴。"))
        return [panel("overlap", heading, notes=notes, sessions=rows, figures=figures)]
    window_start = max(r["start"] for r in rows)
    window_end = min(r["end"] for r in rows)
    overlap = window_end - window_start
    shortest = min(r["end"] - r["start"] for r in rows)
    facts = [
        _t(
            "%(n)d 次培训在 %(from)s 至 %(to)s 同时进行，"
            "重叠 %(span)s（占较短一次培训的 %(share)s）。"
        )
        % {
            "n": len(rows),
            "from": f"{window_start:%Y-%m-%d %H:%M}",
            "to": f"{window_end:%H:%M}",
            "span": span_words(overlap),
            "share": f"{overlap / shortest:.0%}" if shortest.total_seconds() > 0 else "—",
        }
    ]
    if finding.detector == "COACH_TWO_CARS" and finding.coach is not None:
        facts.append(
            _t("带教教练员：%(name)s（%(number)s）")
            % {"name": finding.coach.name, "number": finding.coach.number}
        )
    low, high = _axis([r["start"] for r in rows], [r["end"] for r in rows])
    strips = []
    for row in rows:
        label = _row_label(row)
        spans = [Span(row["start"], row["end"], "valid", label)]
        if overlap.total_seconds() > 0:
            spans.append(
                Span(
                    window_start,
                    window_end,
                    "void",
                    _t("重叠 %(span)s") % {"span": span_words(overlap)},
                )
            )
        strips.append(
            {"label": label, "url": row["url"], "svg": time_strip(label, low, high, spans)}
        )
    for row in rows:
        row["role"] = _t("重叠 %(span)s") % {"span": span_words(overlap)}
    return [
        panel(
            "overlap",
            heading,
            notes=notes,
            facts=facts,
            sessions=rows,
            strips={
                "caption": _t("每行一次培训，绿色为培训时段，红色斜纹为与另一次培训重叠的时段。"),
                "rows": strips,
                "legend": [("valid", _t("培训时段")), ("overlap", _t("重叠时段"))],
            },
            figures=figures,
        )
    ]


# --- NIGHT_IDLE_CAR ----------------------------------------------------------------------------


def _nights(day_start: datetime, high: datetime) -> list[tuple[datetime, datetime]]:
    """Night hours (as the detector sets them) between ``day_start`` and ``high``."""
    params = fraud_params.current().patterns
    result = []
    day = day_start - timedelta(days=1)
    while day < high:
        start = day.replace(hour=params.night_start.hour, minute=params.night_start.minute)
        end = day.replace(hour=params.night_end.hour, minute=params.night_end.minute)
        if end <= start:
            end += timedelta(days=1)
        if end > day_start and start < high:
            result.append((max(start, day_start), min(end, high)))
        day += timedelta(days=1)
    return result


@draws("NIGHT_IDLE_CAR")
def night_idle(finding: Finding, user: Any) -> list[Panel]:
    """The car's whole day on a time axis: night hours shaded, the night session marked and
    every other session of the car that day (there should be none in daylight)."""
    evidence = finding.evidence or {}
    figures = evidence.get("figures") or {}
    logs = finding_logs(finding, user)
    log = logs[0] if logs else None
    start = local(log.starttime if log else figures.get("start"))
    end = local(log.endtime if log else figures.get("end"))
    heading = _t("夜间空车培训")
    shown = figure_rows(figures, skip=("start", "end"))
    if start is None or end is None:
        notes = [_t("未能取得该培训的起止时间，无法绘制当天的时间轴。")]
        return [panel("night", heading, notes=notes, figures=shown)]
    day_start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    high = max(day_start + timedelta(days=1), end + timedelta(hours=1))
    car_logs: list[TeachingLog] = []
    if log is not None and log.car_id is not None:
        car_logs = training.car_logs_between(user, log.car_id, day_start, high)
    if log is not None and all(other.pk != log.pk for other in car_logs):
        car_logs.append(log)
    nights = _nights(day_start, high)
    strips = [
        {
            "label": _t("夜间时段"),
            "url": "",
            "svg": time_strip(
                _t("夜间时段"),
                day_start,
                high,
                [Span(a, b, "other", f"{a:%H:%M}–{b:%H:%M}") for a, b in nights],
            ),
        }
    ]
    sessions = []
    for other in sorted(car_logs, key=lambda row: row.starttime):
        row = session_row(other)
        this = log is not None and other.pk == log.pk
        row["role"] = _t("被检测的夜间培训") if this else _t("该车当天的其他培训")
        sessions.append(row)
        label = (_t("被检测的培训：%(label)s") if this else _t("其他培训：%(label)s")) % {
            "label": _row_label(row)
        }
        kind = "void" if this else "valid"
        svg = time_strip(label, day_start, high, [Span(row["start"], row["end"], kind, label)])
        strips.append({"label": label, "url": session_url(other), "svg": svg})
    if log is None:
        label = _t("被检测的培训：%(from)s–%(to)s") % {
            "from": f"{start:%H:%M}",
            "to": f"{end:%H:%M}",
        }
        svg = time_strip(label, day_start, high, [Span(start, end, "void", label)])
        strips.append({"label": label, "url": "", "svg": svg})
    night_minutes = figures.get("night_minutes")
    daytime = [row for row in sessions if row["role"] != _t("被检测的夜间培训")]
    facts = [
        _t(
            "%(day)s 该车共有 %(n)d 次培训；被检测的培训 %(from)s–%(to)s，"
            "其中 %(night)s 分钟在夜间。"
        )
        % {
            "day": f"{start:%Y-%m-%d}",
            "n": max(len(sessions), 1),
            "from": f"{start:%H:%M}",
            "to": f"{end:%H:%M}",
            "night": night_minutes if night_minutes is not None else "—",
        }
    ]
    if not daytime:
        facts.append(_t("该车当天白天没有任何培训记录。"))
    return [
        panel(
            "night",
            heading,
            facts=facts,
            sessions=sessions,
            strips={
                "caption": _t(
                    "该车当天的时间轴（0 时起）：灰色为夜间时段，红色斜纹为被检测的培训，"
                    "绿色为该车其他培训。"
                ),
                "rows": strips,
                "legend": [
                    ("night", _t("夜间时段")),
                    ("overlap", _t("被检测的培训")),
                    ("valid", _t("其他培训")),
                ],
            },
            figures=shown,
        )
    ]
