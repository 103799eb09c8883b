"""The fraud part of ``jiapei demo``: a few injected fraud patterns, what the detectors found,
and a regulator acting on it (a work order decided, a sampled manual audit, the monthly report).

Kept out of the demo command so that the command stays a readable script of the main job.
Everything here goes through the same services the API and CLI use.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Case, When

from jiapei.accounts.models import User
from jiapei.core.actors import Actor
from jiapei.fraud.detectors.base import DETECTORS
from jiapei.fraud.models import Finding
from jiapei.reports import xlsx
from jiapei.reports.monthly import BY_NAME, monthly_report, report_region
from jiapei.reports.periods import Month
from jiapei.sim.days import SimReport
from jiapei.sim.fraud import FraudInjector
from jiapei.supervision import services as supervision
from jiapei.workorders import services as workorders
from jiapei.workorders.models import OrderSource, OrderState, WorkOrder


def injector(*, seed: int, first_day: date, days: int, share: float) -> FraudInjector | None:
    """Each fraud pattern about once over the demo's days (none when ``share`` is 0)."""
    if share <= 0 or days <= 0:
        return None
    return FraudInjector(seed=seed, first_day=first_day, days=days, share=share, min_per_pattern=1)


@dataclass
class FollowUp:
    findings: Counter[str] = field(default_factory=Counter)
    caught: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    orders: int = 0
    decided: WorkOrder | None = None
    voided_status: dict[str, str] = field(default_factory=dict)
    drawn: int = 0
    drawn_with_findings: int = 0
    logs_in_draw: int = 0
    report: dict[str, Any] = field(default_factory=dict)
    xlsx_path: Path | None = None


def follow_up(users: dict[str, User], report: SimReport, last_day: date) -> FollowUp:
    """What a regulator does after the worker scanned the days: decide one work order (hours
    voided), draw the month's manual audit for 长沙, and produce 长沙's monthly report."""
    out = FollowUp()
    out.findings = Counter(Finding.objects.values_list("detector", flat=True))
    injected = {s.rnum: s.injected for s in report.sessions if s.injected}
    out.injected = Counter(injected.values())
    for detector, rnum in Finding.objects.values_list("detector", "logs__rnum"):
        if rnum in injected and injected[rnum] == detector:
            out.caught[detector] += 1
    out.orders = WorkOrder.objects.count()
    # A 长沙 order if there is one, so that the 长沙 monthly report below shows it resolved.
    order = (
        WorkOrder.objects.filter(source=OrderSource.FINDING, state=OrderState.OPEN)
        .select_related("region")
        .order_by(Case(When(region__code__startswith="4301", then=0), default=1), "id")
        .first()
    )
    if order is not None:
        regulator = _regulator_of(users, order.region_id)
        if regulator is not None:
            actor = Actor.for_user(regulator)
            workorders.start(actor=actor, order_id=order.pk)
            out.decided = workorders.resolve(
                actor=actor,
                order_id=order.pk,
                decision="voided",
                reason="演示：核查确认学时造假，相关学时作废 (demo: fraud confirmed, hours voided)",
            )
            out.voided_status = dict(out.decided.logs.values_list("rnum", "audit_status"))
    month = Month.of(last_day)
    draws = supervision.draw(
        actor=Actor.for_user(users["city4301"]), region_code="430100", month=month.first
    )
    for row in draws:
        out.drawn += row.drawn_with_findings + row.drawn_at_random
        out.drawn_with_findings += row.drawn_with_findings
        out.logs_in_draw += row.logs_total
    city = report_region("430100")
    monthly = monthly_report(city, month)
    out.report = {
        BY_NAME[name].label: value
        for name, value in monthly.main.values.items()
        if BY_NAME[name].source == "computed"
    }
    out.xlsx_path = Path(settings.DATA_DIR) / xlsx.ascii_filename(monthly)
    out.xlsx_path.write_bytes(xlsx.render(monthly))
    return out


def _regulator_of(users: dict[str, User], region_code: str) -> User | None:
    """The demo regulator whose region is ``region_code`` or, failing that, its city."""
    for user in users.values():
        if user.region_id == region_code:
            return user
    return users.get(f"city{region_code[:4]}")


def print_follow_up(w: Callable[[str], Any], out: FollowUp) -> None:
    w("")
    w("学时造假检测 hours-fraud detection (seed 002)")
    if not out.findings:
        w("  线索 findings: none")
    for code, count in sorted(out.findings.items()):
        zh, en, _pattern = DETECTORS[code]
        planted = out.injected.get(code, 0)
        caught = f"; 注入 injected {out.caught[code]}/{planted} caught" if planted else ""
        w(f"    {code:<22} {count:>4}  {zh} ({en}){caught}")
    w(f"  工单 work orders opened: {out.orders}")
    if out.decided is not None:
        statuses = ", ".join(f"{rnum} → {status}" for rnum, status in out.voided_status.items())
        w(
            f"  工单 {out.decided.number} 处置 decided: {out.decided.get_decision_display()} — "
            f"教学日志重新审核 re-audited: {statuses}"
        )
    w(
        f"  人工抽查 manual audit drawn for 长沙 this month: {out.drawn} of {out.logs_in_draw} "
        f"teaching logs ({out.drawn_with_findings} because of findings)"
    )
    w("  长沙市月报表 monthly report (computed fields):")
    for label, value in out.report.items():
        shown = f"{value:.0%}" if isinstance(value, float) else value
        w(f"    {label}: {shown}")
    if out.xlsx_path is not None:
        w(f"  月报表文件 .xlsx: {out.xlsx_path}")
