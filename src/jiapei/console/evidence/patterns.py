"""Evidence of time patterns in a student's hours: a burst before the stage review
(STAGE_BURST) and minutes sent again under new numbers (MINUTE_RESENT).

A burst shows as the student's credited minutes per day over the part, the days just before the
review drawn in a second, red series; re-sent minutes as a table pairing each copy with the
record it repeats, so the regulator can open both.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _t

from jiapei.console.evidence import Panel, draws
from jiapei.console.evidence.drawing import figure_rows, finding_logs, local, panel, session_row
from jiapei.fraud.models import Finding
from jiapei.training import queries as training
from jiapei.training.models import TeachingLog
from jiapei.web.svg.chart import Series, line_chart

# Days drawn at most: a part trained over months would make unreadable bars of the early days,
# which say nothing about the burst anyway.
MAX_DAYS = 60


def _credited(log: TeachingLog) -> int:
    """Minutes the session counts for, as the detector counts them: the audit's credit, or the
    reported length before the audit ran."""
    if log.audit_status == "pending":
        return max(int((log.endtime - log.starttime).total_seconds() // 60), 0)
    return log.credited_minutes


def _part(finding: Finding, logs: list[TeachingLog]) -> int | None:
    if logs:
        return logs[0].part
    tail = finding.key.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


@draws("STAGE_BURST")
def stage_burst(finding: Finding, user: Any) -> list[Panel]:
    """The student's credited minutes per day over the part, the days before the review
    marked, with the sessions of those days listed."""
    evidence = finding.evidence or {}
    figures = evidence.get("figures") or {}
    logs = finding_logs(finding, user)
    part = _part(finding, logs)
    heading = _t("阶段报审前集中培训")
    sessions = [session_row(log, role=_t("报审前的培训")) for log in logs]
    if finding.student is None or part is None:
        notes = [_t("该疑点没有关联学员或培训部分，无法绘制每日学时。")]
        return [
            panel(
                "stage-burst", heading, notes=notes, sessions=sessions, figures=figure_rows(figures)
            )
        ]
    history = list(training.student_logs(finding.student).filter(part=part))
    per_day: dict[date, int] = defaultdict(int)
    reported: dict[date, int] = defaultdict(int)
    for log in history:
        start = local(log.starttime)
        assert start is not None
        per_day[start.date()] += _credited(log)
        reported[start.date()] += log.duration
    last = max([finding.day, *per_day])
    first = min(per_day, default=last)
    notes = []
    if (last - first).days >= MAX_DAYS:
        first = last - timedelta(days=MAX_DAYS - 1)
        notes.append(_t("只画出报审前最近 %(n)d 天的学时。") % {"n": MAX_DAYS})
    window = int(figures.get("window_days") or 3)
    # The window's days: the review's day and the ``window - 1`` days before it (the detector
    # counts from the submission's moment, so the day before those is partly in it too).
    window_start = finding.day - timedelta(days=window - 1)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    daily = [float(per_day.get(day, 0)) for day in days]
    sent = [float(reported.get(day, 0)) for day in days]
    labels = [f"{day:%m-%d}" for day in days]
    marked = [i for i, day in enumerate(days) if day >= window_start]
    bands = [(marked[0], marked[-1], _t("报审前 %(n)d 天") % {"n": window})] if marked else []
    chart = {
        "svg": line_chart(
            _t("科目%(part)d每日学时（分钟）") % {"part": part},
            labels,
            [Series(_t("每日认定学时"), daily), Series(_t("每日上报学时"), sent)],
            unit="",
            height=240,
            bands=bands,
        ),
        "caption": _t(
            "学员科目%(part)d每天的认定学时与上报学时（分钟），浅红斜纹底为报审前 %(n)d 天。"
        )
        % {"part": part, "n": window},
        "table": {
            "header": [_t("日期"), _t("认定学时（分钟）"), _t("上报学时（分钟）")],
            "rows": [
                [f"{d:%Y-%m-%d}", f"{v:.0f}", f"{r:.0f}"]
                for d, v, r in zip(days, daily, sent, strict=True)
                if v or r
            ],
        },
    }
    facts = []
    share = figures.get("window_share")
    if share is not None:
        facts.append(
            _t(
                "科目%(part)d共 %(total)s 分钟认定学时中，"
                "%(window)s 分钟（%(share)s）在报审前 %(n)d 天内。"
            )
            % {
                "part": part,
                "total": figures.get("part_minutes", "—"),
                "window": figures.get("window_minutes", "—"),
                "share": f"{share:.0%}",
                "n": window,
            }
        )
    return [
        panel(
            "stage-burst",
            heading,
            notes=notes,
            facts=facts,
            sessions=sessions,
            charts=[chart],
            figures=figure_rows(figures),
        )
    ]


@draws("MINUTE_RESENT")
def minute_resent(finding: Finding, user: Any) -> list[Panel]:
    """Each re-sent minute beside the record it repeats: time, numbers, terminals."""
    evidence = finding.evidence or {}
    copies = [str(n) for n in evidence.get("minutes") or []]
    originals = [str(n) for n in evidence.get("originals") or []]
    logs = finding_logs(finding, user)
    sessions = [session_row(log, role=_t("含重复上报分钟的培训")) for log in logs]
    heading = _t("同一分钟重复上报的学时记录")
    notes = []
    if not copies:
        notes.append(_t("该疑点的证据中没有保存重复上报的记录编号。"))
    if copies and len(originals) != len(copies):
        notes.append(_t("该疑点的证据中没有保存被重复的原记录编号（较早版本的检测结果）。"))
        originals = []
    found = training.minutes_numbered(copies + originals) if copies else {}
    rows = []
    for index, number in enumerate(copies):
        copy = found.get(number)
        original_number = originals[index] if originals else ""
        original = found.get(original_number)
        at = local(copy.at) if copy else None
        rows.append(
            [
                # The day is in the sessions table above; the seconds tell the minutes apart.
                f"{at:%H:%M:%S}" if at else "—",
                number,
                copy.devnum if copy else "—",
                original_number or "—",
                original.devnum if original else "—",
            ]
        )
    # The sessions the original records belong to, so both sides can be opened.
    known = {log.rnum for log in logs}
    original_rows = [found[n] for n in originals if n in found]
    for log in training.logs_around(user, original_rows):
        if log.rnum not in known:
            known.add(log.rnum)
            sessions.append(session_row(log, role=_t("原记录所在的培训")))
    if copies and len([n for n in copies if n in found]) < len(copies):
        notes.append(_t("部分记录已不在库中，只列出编号。"))
    table = {
        "caption": _t("重复上报的分钟与被重复的原记录（共 %(n)d 分钟）") % {"n": len(rows)},
        "header": [_t("时间"), _t("重复记录编号"), _t("终端"), _t("原记录编号"), _t("原终端")],
        "rows": rows,
    }
    return [
        panel(
            "minute-resent",
            heading,
            notes=notes,
            sessions=sessions,
            table=table,
            figures=figure_rows(evidence.get("figures") or {}),
        )
    ]
