"""Work orders (工单) in the console: the regulator's queue, each order with what it is about and
its timeline, and the actions start, decide and escalate.

The queue and the pages read :mod:`jiapei.workorders.queries` (scoped by the school's region, so
another county's order is a 404); the actions call :mod:`jiapei.workorders.services`, which ask
:mod:`jiapei.accounts.access` again and write the audit-log rows. A "voided" decision is shown
first as a preview (:func:`jiapei.workorders.queries.void_preview`, the decision's own code run
in a savepoint that is rolled back) and done only once the regulator confirms it.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import datetime
from typing import Any

import django_filters as filters
import django_tables2 as tables
from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpResponse, QueryDict
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiapei.accounts import access
from jiapei.accounts.models import Region
from jiapei.console.base import ConsoleAction, ConsoleDetail, ConsoleList
from jiapei.console.findings_text import DETECTOR_NAMES, SEVERITIES
from jiapei.console.registry import region_choices
from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.core.errors import DomainError, Forbidden, NotAuthenticated, NotFound
from jiapei.outbox.models import MessageStatus
from jiapei.web import masking
from jiapei.web.tables import BaseTable, DateTimeColumn
from jiapei.web.views import add_domain_error
from jiapei.workorders import queries, services
from jiapei.workorders.models import OrderSource, OrderState, WorkOrder

STATES = {
    OrderState.OPEN: _("待处置"),
    OrderState.IN_PROGRESS: _("处置中"),
    OrderState.RESOLVED: _("已办结"),
    OrderState.ESCALATED: _("已上报"),
}
STATE_TAGS = {
    OrderState.OPEN: "tag-warn",
    OrderState.IN_PROGRESS: "",
    OrderState.RESOLVED: "tag-ok",
    OrderState.ESCALATED: "tag-warn",
}
SOURCES = {
    OrderSource.FINDING: _("疑点线索"),
    OrderSource.MANUAL_AUDIT: _("人工抽查"),
    OrderSource.REGULATOR: _("人工立案"),
}
DECISIONS = {"voided": _("作废学时"), "upheld": _("学时有效"), "other": _("其他处理")}
LEVELS = {"province": _("省级"), "city": _("市级"), "county": _("县级")}
TABS = {
    "mine": _("本级待办"),
    "open": _("待处置"),
    "in_progress": _("处置中"),
    "due": _("两日内到期"),
    "overdue": _("已逾期"),
    "escalated": _("上报给我"),
    "all": _("全部"),
}
PARTS = {1: _("第一部分"), 2: _("第二部分"), 3: _("第三部分"), 4: _("第四部分")}
EVENTS = {
    "workorders.open": _("立案"),
    "workorders.attach": _("并入线索"),
    "workorders.start": _("开始处置"),
    "workorders.escalate": _("上报上级"),
    "workorders.resolve": _("办结"),
}


def deadline_note(order: WorkOrder, now: datetime) -> tuple[str, str]:
    """Days left before the deadline, or days overdue, as a phrase and its tag class (empty for
    a resolved order)."""
    if order.state == OrderState.RESOLVED:
        return "", ""
    seconds = (order.deadline - now).total_seconds()
    # Part of a day counts as a day: an order due in 3 hours has 1 day left, not 0.
    days = math.ceil(abs(seconds) / 86400)
    if seconds < 0:
        return gettext("已逾期 %(days)s 天") % {"days": days}, "tag-bad"
    if seconds < queries.DUE_SOON.total_seconds():
        return gettext("剩 %(days)s 天") % {"days": days}, "tag-warn"
    return gettext("剩 %(days)s 天") % {"days": days}, "tag-muted"


def level_of(region: Region) -> str:
    return f"{LEVELS.get(region.level, region.level)} · {region.name}"


def finding_url(pk: int) -> str | None:
    """A finding's page, once the findings pages exist (another module provides them)."""
    try:
        return reverse("console:finding", args=[pk])
    except NoReverseMatch:
        return None


def finding_rows(order: WorkOrder) -> list[dict[str, Any]]:
    """The order's findings as its page lists them: each with its rule, severity, day, first
    summary line and page."""
    return [
        {
            "finding": finding,
            "url": finding_url(finding.pk),
            "detector": DETECTOR_NAMES.get(finding.detector, finding.detector),
            "severity": SEVERITIES.get(finding.severity, finding.severity),
            "summary": finding.summary.splitlines()[0] if finding.summary else "",
        }
        for finding in queries.order_findings(order)
    ]


class OrderFilter(filters.FilterSet):
    tab = filters.ChoiceFilter(
        choices=list(TABS.items()), label=_("队列"), method="by_tab", empty_label=None
    )
    q = filters.CharFilter(method="search", label=_("搜索"), help_text=_("工单编号、机构或事由"))
    source = filters.ChoiceFilter(
        choices=list(SOURCES.items()), label=_("来源"), empty_label=_("全部")
    )
    region = filters.ModelChoiceFilter(
        queryset=region_choices, label=_("行政区划"), method="in_region", empty_label=_("全部")
    )

    class Meta:
        model = WorkOrder
        fields = ["tab", "q", "source", "region"]

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        # The queue opens on what the user's own region holds and has not resolved.
        if data is None or not data.get("tab"):
            data = data.copy() if data is not None else QueryDict(mutable=True)
            data["tab"] = "mine"
        super().__init__(data, *args, **kwargs)

    def by_tab(self, qs: QuerySet[WorkOrder], name: str, value: str) -> QuerySet[WorkOrder]:
        return qs.filter(queries.queue_q(self.request.user, value))

    def search(self, qs: QuerySet[WorkOrder], name: str, value: str) -> QuerySet[WorkOrder]:
        value = value.strip()
        return qs.filter(
            Q(number=value)
            | Q(institution__inscode=value)
            | Q(institution__name__icontains=value)
            | Q(title__icontains=value)
        )

    def in_region(self, qs: QuerySet[WorkOrder], name: str, value: Any) -> QuerySet[WorkOrder]:
        return qs.filter(institution__district__code__startswith=value.scope_prefix)


class OrderTable(BaseTable):
    caption = _("工单")
    number = tables.Column(
        verbose_name=_("工单编号"),
        linkify=("console:workorder", {"pk": tables.A("pk")}),
        attrs={"td": {"class": "nowrap"}},
    )
    source = tables.Column(verbose_name=_("来源"), attrs={"td": {"class": "nowrap"}})
    school = tables.Column(
        verbose_name=_("培训机构"), accessor="institution__name", order_by="institution__name"
    )
    title = tables.Column(verbose_name=_("事由"))
    deadline = tables.Column(verbose_name=_("处置期限"), attrs={"td": {"class": "nowrap"}})
    state = tables.Column(verbose_name=_("状态"))
    level = tables.Column(
        verbose_name=_("承办层级"),
        accessor="region__name",
        order_by="region_id",
        attrs={"td": {"class": "nowrap"}},
    )
    opened_at = DateTimeColumn(verbose_name=_("立案时间"), attrs={"td": {"class": "nowrap"}})

    class Meta(BaseTable.Meta):
        model = WorkOrder
        fields = ("number", "source", "school", "title", "deadline", "state", "level", "opened_at")
        empty_text = _("没有符合条件的工单。")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = clock.now()

    def render_source(self, record: WorkOrder) -> str:
        # By the record's code: django-tables2 hands a choices column its display label.
        return str(SOURCES.get(record.source, record.source))  # type: ignore[call-overload]

    value_source = render_source

    def render_title(self, value: str) -> str:
        return value if len(value) <= 40 else value[:39] + "…"

    def render_deadline(self, record: WorkOrder) -> Any:
        note, tag = deadline_note(record, self.now)
        if not note:
            return _local(record.deadline)
        return format_html('{} <span class="tag {}">{}</span>', _local(record.deadline), tag, note)

    def value_deadline(self, record: WorkOrder) -> str:
        note, _tag = deadline_note(record, self.now)
        return f"{_local(record.deadline)} {note}".strip()

    def render_state(self, record: WorkOrder) -> Any:
        return format_html(
            '<span class="tag {}">{}</span>',
            STATE_TAGS.get(record.state, ""),  # type: ignore[call-overload]
            STATES.get(record.state, record.state),  # type: ignore[call-overload]
        )

    def value_state(self, record: WorkOrder) -> str:
        return str(STATES.get(record.state, record.state))  # type: ignore[call-overload]

    def render_level(self, record: WorkOrder) -> str:
        return level_of(record.region)

    value_level = render_level


def _local(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


class OrderQueue(ConsoleList):
    title = _("我的工单")
    intro = _(
        "“本级待办”列出本级承办、尚未办结的工单；其余标签按状态、期限和上报筛选辖区内的全部工单。"
        "处置期限前 2 天起标为即将到期，逾期未处置的工单由系统自动上报上一级。"
    )
    template_name = "console/workorders/queue.html"
    table_class = OrderTable
    filterset_class = OrderFilter
    export_name = "workorders"

    def scoped_queryset(self) -> QuerySet[WorkOrder]:
        return queries.orders_for(self.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = queries.queue_counts(self.user)
        current = self.request.GET.get("tab") or "mine"
        context["tabs"] = [
            {"key": key, "label": label, "count": counts.get(key, 0), "current": key == current}
            for key, label in TABS.items()
        ]
        return context


def timeline(order: WorkOrder, entries: list[Any]) -> list[dict[str, Any]]:
    """The order's life from its audit-log rows (oldest first): what happened, when, by whom,
    why, and the region that held it afterwards."""
    codes = {order.region_id, order.institution.district_id}
    codes |= {
        str((e.after or {}).get("region_id")) for e in entries if (e.after or {}).get("region_id")
    }
    regions = queries.region_names(sorted(codes))
    out = []
    for entry in reversed(entries):
        after = entry.after or {}
        region = regions.get(str(after.get("region_id", "")))
        out.append(
            {
                "at": entry.at,
                "what": EVENTS.get(entry.action, entry.action),
                "action": entry.action,
                "who": entry.actor_label,
                "reason": entry.reason,
                "region": level_of(region) if region else "",
                "decision": DECISIONS.get(after.get("decision", ""), ""),
            }
        )
    return out


class OrderDetail(ConsoleDetail):
    template_name = "console/workorders/order.html"

    def scoped_queryset(self) -> QuerySet[WorkOrder]:
        return queries.orders_for(self.user).select_related("institution__district")

    def get_title(self) -> Any:
        return gettext("工单 %(number)s") % {"number": self.object.number}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        order: WorkOrder = self.object
        entries = list(context["history"])
        resolved = next((e for e in entries if e.action == "workorders.resolve"), None)
        outcome = (resolved.after or {}) if resolved else {}
        revoked = outcome.get("revoked") or []
        note, tag = deadline_note(order, clock.now())
        may = (
            access.allowed(self.user, access.Action.HANDLE_WORK_ORDERS)
            and access.covers(self.user, order.region_id)
            and order.state != OrderState.RESOLVED
        )
        logs = list(queries.order_logs(order))
        context.update(
            state=STATES.get(order.state, order.state),  # type: ignore[call-overload]
            state_tag=STATE_TAGS.get(order.state, ""),  # type: ignore[call-overload]
            source=SOURCES.get(order.source, order.source),  # type: ignore[call-overload]
            level=level_of(order.region),
            deadline_note=note,
            deadline_tag=tag,
            findings=finding_rows(order),
            logs=[{"log": log, "part": PARTS.get(log.part, log.part)} for log in logs],
            timeline=timeline(order, entries),
            decision=DECISIONS.get(order.decision, order.decision),
            voided=set(outcome.get("voided") or []),
            revoked=[{**r, "part_name": PARTS.get(r["part"], r["part"])} for r in revoked],
            withdrawals=queries.withdrawals([r["review"] for r in revoked]) if revoked else [],
            may_start=may and order.state in (OrderState.OPEN, OrderState.ESCALATED),
            may_decide=may,
            may_escalate=may and order.region.parent_id is not None,
            held_above=not access.covers(self.user, order.region_id),
        )
        return context


class OrderAction(ConsoleAction):
    def scoped_queryset(self) -> QuerySet[WorkOrder]:
        return queries.orders_for(self.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        order: WorkOrder = self.object
        context["order"] = order
        title = order.title if len(order.title) <= 40 else order.title[:39] + "…"
        context["object"] = f"{order.number} · {order.institution.name} · {title}"
        return context


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("由我承办此工单"), required=True)


class StartAction(OrderAction):
    title = _("开始处置工单")
    form_class = ConfirmForm
    done_message = _("已开始处置，工单由你承办")

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        return services.start(actor=actor, order_id=self.object.pk)


class EscalateForm(forms.Form):
    reason = forms.CharField(
        label=_("上报理由"),
        help_text=_("必须填写；上报后工单由上一级承办，本级仍可查看。"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        required=False,  # the service names a missing reason; the form shows its message
    )
    confirm = forms.BooleanField(label=_("我已核对，确认上报上一级"), required=True)


class EscalateAction(OrderAction):
    title = _("上报工单")
    form_class = EscalateForm
    danger = True
    done_message = _("工单已上报上一级")

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        return services.escalate(
            actor=actor, order_id=self.object.pk, reason=form.cleaned_data["reason"]
        )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("处置结论"), choices=list(DECISIONS.items()), widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("处置理由"),
        help_text=_("必须填写；作废学时时写入教学日志和撤销审核的理由。"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        error_messages={"required": _("请填写处置理由。")},
    )
    rnums = forms.MultipleChoiceField(
        label=_("涉及的教学日志"),
        help_text=_("作废学时时只作废所选的教学日志；都不选则作废本工单的全部教学日志。"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    step = forms.CharField(widget=forms.HiddenInput, required=False)
    confirm = forms.BooleanField(label=_("我已核对上述影响，确认处置"), required=False)

    def __init__(self, *args: Any, logs: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["rnums"].choices = [  # type: ignore[attr-defined]
            (
                log.rnum,
                f"{log.rnum} · {log.student.name} · {PARTS.get(log.part, log.part)} · "
                f"{_local(log.starttime)}",
            )
            for log in logs
        ]


def preview_rows(preview: Any) -> dict[str, list[dict[str, Any]]]:
    """The preview's rows as the page shows them: parts named, the identity card masked, the
    push's delivery status in words."""

    def named(item: Any) -> dict[str, Any]:
        return {**asdict(item), "part_name": PARTS.get(item.part, item.part)}

    return {
        "logs": [named(log) for log in preview.logs],
        "parts": [{**named(p), "falls_below": p.falls_below} for p in preview.parts],
        "revoked": [
            {
                **named(r),
                "idcard": masking.mask_idcard(r.idcard),
                "push_status": MessageStatus(r.push_status).label if r.push_status else "",
            }
            for r in preview.revoked
        ],
    }


class DecideAction(OrderAction):
    """Decide in two steps: the form, then what the decision will do (for "voided" the
    preview of minutes, parts, revocations and police withdrawals) with a confirmation."""

    title = _("处置工单")
    template_name = "console/workorders/decide.html"
    form_class = DecideForm
    done_message = _("工单已办结")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["logs"] = list(queries.order_logs(self.object))
        return kwargs

    def form_valid(self, form: forms.Form) -> HttpResponse:
        data = form.cleaned_data
        if data["step"] == "confirm" and data["confirm"]:
            return super().form_valid(form)
        if data["step"] == "confirm":
            form.add_error("confirm", _("请勾选确认后再提交。"))
        preview = None
        if data["decision"] == "voided":
            try:
                preview = queries.void_preview(
                    actor=Actor.for_user(self.user),
                    order_id=self.object.pk,
                    rnums=data["rnums"] or None,
                    reason=data["reason"],
                )
            except (Forbidden, NotAuthenticated, NotFound):
                raise
            except DomainError as error:
                add_domain_error(form, error)
                return self.form_invalid(form)
        context = self.get_context_data(form=form, confirming=True, preview=preview)
        context["decision_label"] = DECISIONS.get(data["decision"], data["decision"])
        if preview is not None:
            context["preview_rows"] = preview_rows(preview)
        return self.render_to_response(context)

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        data = form.cleaned_data
        return services.resolve(
            actor=actor,
            order_id=self.object.pk,
            decision=data["decision"],
            reason=data["reason"],
            rnums=data["rnums"] or None,
        )


urlpatterns = [
    path("workorders/", OrderQueue.as_view(), name="workorders"),
    path("workorders/<int:pk>/", OrderDetail.as_view(), name="workorder"),
    path("workorders/<int:pk>/start/", StartAction.as_view(), name="workorder_start"),
    path("workorders/<int:pk>/decide/", DecideAction.as_view(), name="workorder_decide"),
    path("workorders/<int:pk>/escalate/", EscalateAction.as_view(), name="workorder_escalate"),
]
