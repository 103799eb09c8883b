"""Writes of work orders (工单): opening, starting, escalating and resolving.

Life of an order::

    (new) ──▶ open ──start──▶ in_progress ──resolve──▶ resolved (voided | upheld)
               │                  │
               └──escalate──▶ escalated ──start / resolve by the region above

Findings are grouped (issue 19): a new finding joins the order of its group (same school, local
day and detector; :func:`grouping_key`) while that order is open or in progress at the school's
county, and opens a new one otherwise, so a scan that finds a hundred sessions of one school on
one day hands the county one order, not a hundred. Manual-audit orders stay one per review.

Every service runs in one transaction with one audit-log row and locks the order row, so two
regulators acting at once are serialised. An order belongs to a region (the school's county at
first; escalation moves it to the region above); only a regulator whose scope covers that region
may act on it. An order outside the caller's scope altogether is not admitted to exist
(:class:`NotFound`); one the caller can see but that now belongs to the region above is
:class:`Forbidden`.

Resolving with the decision "voided" voids the teaching logs (the audit then marks each session
MANUAL_VOID, wholly invalid), re-audits the student's affected days at once, and revokes any
approved stage review whose part is no longer complete, which withdraws the hours from the police
platform through the outbox — all in the resolving transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jiapei.accounts import access
from jiapei.accounts.models import User
from jiapei.audit.models import PartResult
from jiapei.audit.services import audit_student
from jiapei.core import clock
from jiapei.core import services as trail
from jiapei.core.actors import Actor
from jiapei.core.errors import Conflict, FieldError, Forbidden, NotFound
from jiapei.fraud import services as fraud_services
from jiapei.fraud.models import Finding, FindingStatus
from jiapei.registry.models import Institution, Student
from jiapei.stages import services as stage_services
from jiapei.stages.models import APPROVED_STATUSES, ReviewSource, StageReview
from jiapei.stages.services.reviews import reviewable
from jiapei.supervision.models import ManualReview, Verdict
from jiapei.training.models import TeachingLog
from jiapei.training.queries import local_days
from jiapei.training.services import voiding
from jiapei.workorders.models import (
    Decision,
    OrderSource,
    OrderState,
    WorkOrder,
    WorkOrderFinding,
)

# States from which an order may still be worked on (started, escalated, resolved).
ACTIVE_STATES = (OrderState.OPEN, OrderState.IN_PROGRESS, OrderState.ESCALATED)


def severities() -> tuple[str, ...]:
    """Finding severities that open a work order (``JIAPEI_WORKORDER_SEVERITIES``)."""
    return tuple(settings.JIAPEI_WORKORDER_SEVERITIES)


def quiet_detectors() -> frozenset[str]:
    """Fraud detectors whose findings open no work order by themselves
    (``JIAPEI_WORKORDER_QUIET_DETECTORS``): those whose honest-flag rate on the evaluation is
    over 1 %, until they are fixed. Their findings are still stored and listed."""
    return frozenset(settings.JIAPEI_WORKORDER_QUIET_DETECTORS)


def deadline_days() -> int:
    """Days a region has to resolve an order (``JIAPEI_WORKORDER_DEADLINE_DAYS``)."""
    return int(settings.JIAPEI_WORKORDER_DEADLINE_DAYS)


def _create(
    *,
    actor: Actor,
    source: str,
    institution: Institution,
    region_id: str,
    logs: list[TeachingLog],
    title: str,
    description: str,
    finding: Finding | None = None,
    review: ManualReview | None = None,
    grouping_key: str = "",
) -> WorkOrder:
    """Insert an order owned by ``region_id``, give it its readable number, and record
    it. The number needs the row id, so the row is first stored under a throwaway unique number
    and renamed in the same transaction; nobody outside the transaction ever sees the first."""
    now = clock.now()
    order = WorkOrder.objects.create(
        number=f"tmp{uuid4().hex[:17]}",
        source=source,
        review=review,
        grouping_key=grouping_key,
        region_id=region_id,
        institution=institution,
        title=title[:200],
        description=description,
        deadline=now + timedelta(days=deadline_days()),
    )
    order.number = f"GD{timezone.localtime(now):%Y%m}{order.pk:08d}"
    order.save(update_fields=["number"])
    order.logs.set(logs)
    if finding is not None:
        WorkOrderFinding.objects.create(order=order, finding=finding)
    after = trail.snapshot(order)
    assert after is not None
    after["rnums"] = sorted(log.rnum for log in logs)
    if finding is not None:
        after["findings"] = [finding.pk]
    trail.record(actor=actor, action="workorders.open", obj=order, after=after)
    return order


def open_for_finding(*, actor: Actor, finding: Finding) -> WorkOrder | None:
    """Put a finding in a work order: the unresolved order of its group (see
    :func:`grouping_key`) if there is one, else a new order; ``None`` if the finding's severity
    is not in :func:`severities`, its detector is quiet, it was dismissed or it is about no
    school. A finding already in an order returns that order and changes nothing, so a re-scan
    never attaches it twice. The finding's logs join the order's and its status becomes
    "ordered". Runs inside the caller's transaction (nested)."""
    with transaction.atomic():
        # The lock makes a second pipeline run wait and then find the order the first opened.
        finding = Finding.objects.select_for_update().get(pk=finding.pk)
        existing = WorkOrder.objects.filter(findings=finding).first()
        if existing is not None:
            return existing
        if finding.severity not in severities() or finding.status == FindingStatus.DISMISSED:
            return None
        if finding.detector in quiet_detectors():
            return None
        if finding.institution_id is None:
            # A finding about a whole platform has no school whose regulator could handle it.
            return None
        order, _created = _group(actor=actor, finding=finding)
        return order


def grouping_key(finding: Finding) -> str:
    """The group of a finding's work order: its school, day and detector. The finding's ``day``
    is the Shanghai local day the detector looked at (the first day of a period)."""
    return f"{finding.institution_id}/{finding.day:%Y-%m-%d}/{finding.detector}"[:80]


def _title(findings: list[Finding]) -> str:
    first = findings[0].summary.splitlines()[0] if findings[0].summary else ""
    if len(findings) == 1:
        return f"学时造假线索：{first}"[:200]
    return f"学时造假线索（{len(findings)} 条异常线索）：{first}"[:200]


def _describe(finding: Finding, note: str = "") -> str:
    return "\n\n".join(s for s in (note, finding.summary, finding.summary_en) if s)


def _group(*, actor: Actor, finding: Finding, note: str = "") -> tuple[WorkOrder, bool]:
    """Attach a locked, unordered finding about a school to its group's order, or open that
    order. Returns ``(order, created)``.

    An order takes in new findings of its group only while it is open or in progress at the
    school's county: once escalated (the region above handles what the county already had) or
    resolved (the decision covers the findings it had when made), its grouping key is emptied and
    the next finding of the group opens a new order. Openings for one school are serialised by
    locking the school's row, so two scans wait for each other instead of both opening an order;
    the unique grouping key is the database's guarantee behind that."""
    assert finding.institution_id is not None  # the callers refuse findings about no school
    key = grouping_key(finding)
    institution = Institution.objects.select_for_update().get(pk=finding.institution_id)
    order = WorkOrder.objects.select_for_update().filter(grouping_key=key).first()
    if order is None:
        order = _create(
            actor=actor,
            source=OrderSource.FINDING,
            institution=institution,
            region_id=finding.region_id,
            logs=list(finding.logs.all()),
            title=_title([finding]),
            description=_describe(finding, note),
            finding=finding,
            grouping_key=key,
        )
        created = True
    else:
        _attach(actor=actor, order=order, finding=finding, note=note)
        created = False
    fraud_services.mark_ordered(actor=actor, finding=finding, order_number=order.number)
    return order, created


def _attach(*, actor: Actor, order: WorkOrder, finding: Finding, note: str) -> None:
    """Add a finding and its logs to a locked order, count it in the title, append its summary
    to the description, and record it (``workorders.attach``, the finding and the logs added)."""
    before = trail.snapshot(order)
    WorkOrderFinding.objects.create(order=order, finding=finding)
    known = set(order.logs.values_list("pk", flat=True))
    added = [log for log in finding.logs.all() if log.pk not in known]
    order.logs.add(*added)
    findings = list(order.findings.order_by("pk"))
    order.title = _title(findings)
    order.description = "\n\n".join(
        s
        for s in (order.description, f"—— 第 {len(findings)} 条线索 ——", _describe(finding, note))
        if s
    )
    order.save(update_fields=["title", "description"])
    after = trail.snapshot(order)
    assert after is not None
    after["finding"] = finding.pk
    after["findings"] = [f.pk for f in findings]
    after["rnums"] = sorted(log.rnum for log in added)
    trail.record(
        actor=actor, action="workorders.attach", obj=order, before=before, after=after, reason=note
    )


def open_for_review(*, actor: Actor, review: ManualReview) -> WorkOrder:
    """Open (or return the existing) work order for a bad manual-audit verdict. Raises
    :class:`Conflict` if the verdict is not "bad". Runs inside the caller's transaction."""
    with transaction.atomic():
        review = ManualReview.objects.select_for_update().select_related("log").get(pk=review.pk)
        existing = WorkOrder.objects.filter(review=review).first()
        if existing is not None:
            return existing
        if review.verdict != Verdict.BAD:
            raise Conflict(
                f"manual review {review.pk}: 审核结论不是违规 (verdict is {review.verdict})",
                field="verdict",
                value=review.verdict,
            )
        log = review.log
        institution = Institution.objects.get(pk=log.institution_id)
        return _create(
            actor=actor,
            source=OrderSource.MANUAL_AUDIT,
            institution=institution,
            region_id=institution.district_id,
            logs=[log],
            title=f"人工抽查发现违规：教学日志 {log.rnum}",
            description=review.note,
            review=review,
        )


def open_manual(
    *, actor: Actor, inscode: str, rnums: list[str], title: str, description: str = ""
) -> tuple[WorkOrder, bool]:
    """A regulator opens an order by hand for a school in their region and some of its teaching
    logs. Returns ``(order, created)``: an identical order (same school, logs and title) that is
    not yet resolved is returned instead of a second one, so a retried request adds nothing."""
    user = access.require(actor, access.Action.HANDLE_WORK_ORDERS)
    title = title.strip()
    if not title:
        raise FieldError("title", title, "标题不能为空 (a title is required)")
    institution = Institution.objects.filter(inscode=inscode).first()
    if institution is None or not access.covers(user, institution.district_id):
        raise NotFound(
            f"inscode={inscode!r}: 培训机构不存在 (no such institution)",
            field="inscode",
            value=inscode,
        )
    wanted = sorted(set(rnums))
    logs = list(TeachingLog.objects.filter(rnum__in=wanted, institution=institution))
    missing = sorted(set(wanted) - {log.rnum for log in logs})
    if missing:
        raise FieldError(
            "rnums", missing, "该机构无此教学日志 (no such teaching log of this institution)"
        )
    with transaction.atomic():
        # Serialise openings for one school so a retry cannot slip past the duplicate check.
        Institution.objects.select_for_update().filter(pk=institution.pk).first()
        candidates = WorkOrder.objects.filter(
            institution=institution,
            source=OrderSource.REGULATOR,
            title=title[:200],
            state__in=ACTIVE_STATES,
        )
        for order in candidates:
            if sorted(order.logs.values_list("rnum", flat=True)) == wanted:
                return order, False
        order = _create(
            actor=actor,
            source=OrderSource.REGULATOR,
            institution=institution,
            region_id=institution.district_id,
            logs=logs,
            title=title,
            description=description.strip(),
        )
        return order, True


def _locked(order_id: int, user: User) -> WorkOrder:
    """The order, locked. :class:`NotFound` if its school lies outside the user's region;
    :class:`Forbidden` if the user can see it but it now belongs to a region above theirs."""
    order = WorkOrder.objects.select_for_update().filter(pk=order_id).first()
    if order is None or not access.covers(user, order.institution.district_id):
        raise NotFound(
            f"work order {order_id}: 不存在 (no such work order)", field="id", value=order_id
        )
    if not access.covers(user, order.region_id):
        raise Forbidden(
            f"work order {order.number}: 已上报至{order.region.name}，由其处置 "
            f"(escalated to {order.region_id}; that region handles it)"
        )
    return order


def _illegal(order: WorkOrder, verb: str) -> Conflict:
    return Conflict(
        f"work order {order.number}: 状态为{order.get_state_display()}，不能{verb} "
        f"(cannot {verb} an order in state {order.state})",
        field="state",
        value=order.state,
    )


def start(*, actor: Actor, order_id: int) -> WorkOrder:
    """Take an open (or escalated) order: state in_progress, assignee the caller. Starting an
    order one already holds is a no-op; one held by someone else is a :class:`Conflict`."""
    user = access.require(actor, access.Action.HANDLE_WORK_ORDERS)
    with transaction.atomic():
        order = _locked(order_id, user)
        if order.state == OrderState.IN_PROGRESS and order.assignee_id == user.pk:
            return order
        if order.state not in (OrderState.OPEN, OrderState.ESCALATED):
            raise _illegal(order, "开始处置 (start)")
        before = trail.snapshot(order)
        order.state = OrderState.IN_PROGRESS
        order.assignee = user
        order.started_at = clock.now()
        order.save()
        trail.record(
            actor=actor,
            action="workorders.start",
            obj=order,
            before=before,
            after=trail.snapshot(order),
        )
        return order


def escalate(*, actor: Actor, order_id: int, reason: str) -> WorkOrder:
    """Hand an unresolved order to the region above (county → city → province). A reason is
    required; the province has nobody above it (:class:`Conflict`)."""
    user = access.require(actor, access.Action.HANDLE_WORK_ORDERS)
    reason = reason.strip()
    if not reason:
        raise FieldError("reason", reason, "上报须说明原因 (a reason is required to escalate)")
    with transaction.atomic():
        order = _locked(order_id, user)
        return escalate_locked(actor=actor, order=order, reason=reason)


def escalate_locked(*, actor: Actor, order: WorkOrder, reason: str) -> WorkOrder:
    """Move a locked order to its region's parent, with one audit-log row."""
    if order.state not in ACTIVE_STATES:
        raise _illegal(order, "上报 (escalate)")
    parent = order.region.parent
    if parent is None:
        raise Conflict(
            f"work order {order.number}: {order.region.name}无上级 "
            f"(no region above {order.region_id})",
            field="region",
            value=order.region_id,
        )
    before = trail.snapshot(order)
    order.region = parent
    order.state = OrderState.ESCALATED
    # The region above handles what the order holds now; later findings go to a new order.
    order.grouping_key = ""
    order.assignee = None
    order.escalated_at = clock.now()
    order.save()
    trail.record(
        actor=actor,
        action="workorders.escalate",
        obj=order,
        before=before,
        after=trail.snapshot(order),
        reason=reason,
    )
    return order


def resolve(
    *,
    actor: Actor,
    order_id: int,
    decision: str,
    reason: str,
    rnums: list[str] | None = None,
) -> WorkOrder:
    """Decide an order: "voided" (the named logs, or all of the order's, are void; see
    :func:`void_logs`) or "upheld" (the hours stand; nothing else changes). A reason is
    required. Resolving again with the same decision is a no-op; with another, a
    :class:`Conflict`."""
    user = access.require(actor, access.Action.HANDLE_WORK_ORDERS)
    reason = reason.strip()
    if decision not in Decision.values:
        raise FieldError("decision", decision, "应为 voided 或 upheld (voided or upheld)")
    if not reason:
        raise FieldError("reason", reason, "处置须说明原因 (a reason is required)")
    with transaction.atomic():
        order = _locked(order_id, user)
        if order.state == OrderState.RESOLVED:
            if order.decision == decision:
                return order
            raise _illegal(order, "改变处置结论 (change the decision)")
        logs = chosen_logs(order, rnums)
        before = trail.snapshot(order)
        now = clock.now()
        order.state = OrderState.RESOLVED
        # The decision covers the findings the order holds; later findings go to a new order.
        order.grouping_key = ""
        order.decision = decision
        order.decision_reason = reason
        order.resolved_at = now
        if order.assignee_id is None:
            order.assignee = user
        order.save()
        after = trail.snapshot(order)
        assert after is not None
        if decision == Decision.VOIDED:
            after.update(void_logs(actor=actor, order=order, logs=logs, reason=reason))
        trail.record(
            actor=actor,
            action="workorders.resolve",
            obj=order,
            before=before,
            after=after,
            reason=reason,
        )
        return order


def chosen_logs(order: WorkOrder, rnums: list[str] | None) -> list[TeachingLog]:
    """The order's logs named by ``rnums`` (all of them when none are named), by start time.
    A name that is not one of the order's logs is a :class:`FieldError` on ``rnums``."""
    logs = list(order.logs.select_related("student").order_by("starttime", "rnum"))
    if rnums:
        known = {log.rnum for log in logs}
        unknown = sorted(set(rnums) - known)
        if unknown:
            raise FieldError("rnums", unknown, "不属于本工单 (not a log of this work order)")
        logs = [log for log in logs if log.rnum in set(rnums)]
    return logs


def void_logs(
    *, actor: Actor, order: WorkOrder, logs: list[TeachingLog], reason: str
) -> dict[str, Any]:
    """Void ``logs`` for ``order`` and undo what they earned, in the caller's transaction.

    Training's service voids the logs (:func:`jiapei.training.services.voiding.void_logs`, one
    audit-log row each); logs already voided (by another order) are left as they are. Each
    affected student is re-audited for the logs' local days, so the sessions become MANUAL_VOID
    and the part totals drop now rather than at the worker's next pass. Then every approved
    stage review of an affected (student, part) whose part the fresh audit no longer finds
    reviewable (:func:`jiapei.stages.services.reviews.reviewable`: complete, or trained in for a
    transition student) is revoked, which queues the withdrawal to the police platform. Reviews of
    backfilled legacy hours do not rest on teaching logs and are left alone.

    Returns what was done: ``{"voided": [rnum…], "revoked": [{"review", "stunum", "part"}…]}``.
    """
    now = clock.now()
    void_reason = f"工单{order.number}：{reason}"[:200]
    days: dict[int, set[date]] = defaultdict(set)
    parts: dict[int, set[int]] = defaultdict(set)
    voided = []
    for log in voiding.void_logs(actor=actor, logs=logs, reason=void_reason, at=now):
        voided.append(log.rnum)
        days[log.student_id] |= local_days(log.starttime, log.endtime)
        parts[log.student_id].add(log.part)
    revoked = []
    for student in Student.objects.filter(pk__in=list(days)).select_related("institution"):
        audit_student(student=student, actor=actor, days=days[student.pk])
        for part in sorted(parts[student.pk]):
            review = (
                StageReview.objects.filter(student=student, part=part, status__in=APPROVED_STATUSES)
                .exclude(source=ReviewSource.BACKFILL)
                .first()
            )
            if review is None:
                continue
            result = PartResult.objects.filter(student=student, part=part).first()
            if reviewable(student, result):
                continue
            stage_services.revoke(
                actor=actor, review_id=review.pk, reason=f"工单{order.number}作废学时：{reason}"
            )
            revoked.append({"review": review.pk, "stunum": student.stunum, "part": part})
    return {"voided": voided, "revoked": revoked}


def open_for_finding_by_hand(
    *, actor: Actor, finding_id: int, note: str = ""
) -> tuple[WorkOrder, bool]:
    """A regulator who judged a finding opens its work order by hand, whatever its severity and
    even for a detector that opens none by itself (``quiet_detectors``). Returns ``(order,
    created)``: the finding's existing order is returned instead of a second one, and a finding
    whose group already has an unresolved order joins it (``created`` False; see
    :func:`_group`). The order is owned by the finding's region and takes the finding's logs; the
    finding becomes "ordered".

    A finding outside the caller's region is :class:`NotFound`; a dismissed one (judged not to
    be fraud) or one about no school is a :class:`Conflict`. One transaction, with the order's
    ``workorders.open`` (or ``workorders.attach``) and the finding's ``fraud.order`` audit-log
    rows."""
    user = access.require(actor, access.Action.HANDLE_WORK_ORDERS)
    with transaction.atomic():
        finding = Finding.objects.select_for_update().filter(pk=finding_id).first()
        if finding is None or not access.covers(user, finding.region_id):
            raise NotFound(
                f"finding {finding_id}: 不存在 (no such finding)", field="id", value=finding_id
            )
        existing = WorkOrder.objects.filter(findings=finding).first()
        if existing is not None:
            return existing, False
        if finding.status == FindingStatus.DISMISSED or finding.institution_id is None:
            raise Conflict(
                f"finding {finding_id}: 已排除或不涉及培训机构，不能转为工单 "
                "(dismissed, or about no school; no work order for it)",
                field="id",
                value=finding_id,
            )
        return _group(actor=actor, finding=finding, note=(note or "").strip())
