"""Fraud findings (异常线索) in the console: the list an officer works through, and each finding's
page with what the detector saw, drawn the way a person judges it, so the officer can dismiss
it with a reason or hand it to a work order.

The list and the page read :mod:`jiapei.fraud.queries` (scoped by the finding's region, the
school's county: another county's finding is a 404); the evidence panels come from
:func:`jiapei.console.evidence.panels_for`. Dismissing calls :func:`jiapei.fraud.services.dismiss`
and opening a work order :func:`jiapei.workorders.services.open_for_finding_by_hand`; both ask
:mod:`jiapei.accounts.access` again and write the audit-log rows the page's history shows.
"""

from __future__ import annotations

from typing import Any

import django_filters as filters
import django_tables2 as tables
from django import forms
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiapei.accounts import access
from jiapei.console.base import ConsoleAction, ConsoleDetail, ConsoleList
from jiapei.console.evidence import panels_for
from jiapei.console.evidence import photos as _photos  # noqa: F401  (registers its drawers)
from jiapei.console.findings_text import DETECTOR_NAMES, MEANINGS, SEVERITIES, STATUSES
from jiapei.console.registry_common import region_choices
from jiapei.console.students import MODE_LABELS, PART_LABELS, VERDICT_TAGS
from jiapei.core.actors import Actor
from jiapei.fraud import queries
from jiapei.fraud import services as fraud_services
from jiapei.fraud.models import Finding, FindingStatus
from jiapei.web import masking
from jiapei.web.tables import BaseTable, DateTimeColumn
from jiapei.workorders import services as workorder_services

SEVERITY_TAGS = {"high": "tag-bad", "medium": "tag-warn", "low": "tag-muted"}
STATUS_TAGS = {"open": "tag-warn", "ordered": "tag-ok", "dismissed": "tag-muted"}
DATE = forms.DateInput(attrs={"type": "date"})


def detector_name(code: str) -> str:
    return str(DETECTOR_NAMES.get(code, code))


class FindingFilter(filters.FilterSet):
    detector = filters.ChoiceFilter(
        choices=list(DETECTOR_NAMES.items()), label=_("检测规则"), empty_label=_("全部")
    )
    severity = filters.ChoiceFilter(
        choices=list(SEVERITIES.items()), label=_("严重程度"), empty_label=_("全部")
    )
    status = filters.ChoiceFilter(
        choices=list(STATUSES.items()), label=_("处理状态"), empty_label=_("全部")
    )
    school = filters.CharFilter(
        method="of_school", label=_("培训机构"), help_text=_("机构编号或名称")
    )
    coach = filters.CharFilter(method="of_coach", label=_("教练员"), help_text=_("编号或姓名"))
    since = filters.DateFilter(
        field_name="day", lookup_expr="gte", label=_("发现日期自"), widget=DATE
    )
    until = filters.DateFilter(
        field_name="day", lookup_expr="lte", label=_("发现日期至"), widget=DATE
    )
    region = filters.ModelChoiceFilter(
        queryset=region_choices, label=_("行政区划"), method="in_region", empty_label=_("全部")
    )

    class Meta:
        model = Finding
        fields = ["detector", "severity", "status", "school", "coach", "since", "until", "region"]

    def of_school(self, qs: QuerySet[Finding], name: str, value: str) -> QuerySet[Finding]:
        value = value.strip()
        return qs.filter(Q(institution__inscode=value) | Q(institution__name__icontains=value))

    def of_coach(self, qs: QuerySet[Finding], name: str, value: str) -> QuerySet[Finding]:
        value = value.strip()
        return qs.filter(Q(coach__number=value) | Q(coach__name__icontains=value))

    def in_region(self, qs: QuerySet[Finding], name: str, value: Any) -> QuerySet[Finding]:
        return queries.filtered(qs, region=value.scope_prefix)


class FindingTable(BaseTable):
    caption = _("异常线索")
    id = tables.Column(
        verbose_name=_("线索编号"),
        linkify=("console:finding", {"pk": tables.A("pk")}),
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    day = tables.DateColumn(
        verbose_name=_("日期"), format="Y-m-d", attrs={"td": {"class": "nowrap"}}
    )
    detector = tables.Column(verbose_name=_("检测规则"))
    severity = tables.Column(verbose_name=_("严重程度"))
    status = tables.Column(verbose_name=_("处理状态"))
    school = tables.Column(
        verbose_name=_("培训机构"), accessor="institution__name", order_by="institution__name"
    )
    district = tables.Column(verbose_name=_("行政区划"), accessor="region__name", order_by="region")
    student = tables.Column(
        verbose_name=_("学员"), accessor="student__stunum", order_by="student__stunum"
    )
    coach = tables.Column(verbose_name=_("教练员"), accessor="coach__name", order_by="coach__name")
    score = tables.Column(
        verbose_name=_("度量值"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    summary = tables.Column(verbose_name=_("线索说明"), orderable=False)
    # Off screen (the day says when), in the export.
    detected_at = DateTimeColumn(verbose_name=_("发现时间"), visible=False)

    class Meta(BaseTable.Meta):
        model = Finding
        fields = ("id", "day", "detector", "severity", "status", "school", "district",
                  "student", "coach", "score", "summary", "detected_at")  # fmt: skip
        empty_text = _("没有符合条件的异常线索。检测规则每日扫描培训数据，发现的线索出现在这里。")

    def render_detector(self, value: str) -> str:
        return detector_name(value)

    def value_detector(self, value: str) -> str:
        return detector_name(value)

    # The record's codes, not ``value``: django-tables2 passes a choice field's display text.
    def render_severity(self, record: Finding) -> Any:
        return tag(SEVERITY_TAGS.get(record.severity, ""), SEVERITIES.get(record.severity))

    def value_severity(self, record: Finding) -> str:
        return str(SEVERITIES.get(record.severity, record.severity))

    def render_status(self, record: Finding) -> Any:
        return tag(STATUS_TAGS.get(record.status, ""), STATUSES.get(record.status))

    def value_status(self, record: Finding) -> str:
        return str(STATUSES.get(record.status, record.status))

    def render_student(self, record: Finding) -> str:
        student = record.student
        return f"{masking.mask_name(student.name)}（{student.stunum}）" if student else "—"

    def value_student(self, record: Finding) -> str:
        student = record.student
        return f"{masking.mask_name(student.name)}（{student.stunum}）" if student else ""

    def render_score(self, value: float) -> str:
        return f"{value:g}"

    def render_summary(self, value: str) -> str:
        return value if len(value) <= 40 else value[:39] + "…"

    def value_summary(self, value: str) -> str:
        return value


def tag(css: str, label: Any) -> Any:
    from django.utils.html import format_html

    return format_html('<span class="tag {}">{}</span>', css, label)


class FindingList(ConsoleList):
    title = _("异常线索")
    intro = _(
        "检测规则从培训数据中发现的学时造假线索。按检测规则、严重程度、处理状态、培训机构、"
        "教练员、日期和行政区划筛选；点击线索编号查看证据，研判后排除或转为工单。"
    )
    table_class = FindingTable
    filterset_class = FindingFilter
    export_name = "findings"

    def scoped_queryset(self) -> QuerySet[Finding]:
        return queries.findings_for(self.user).select_related("region").order_by("-day", "-id")


class FindingDetail(ConsoleDetail):
    template_name = "console/findings/finding.html"

    def scoped_queryset(self) -> QuerySet[Finding]:
        return queries.findings_for(self.user).select_related(
            "region", "institution__district", "work_order_link__order"
        )

    def get_title(self) -> Any:
        return gettext("异常线索 %(id)s：%(name)s") % {
            "id": self.object.pk,
            "name": detector_name(self.object.detector),
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        row: Finding = self.object
        link = getattr(row, "work_order_link", None)
        order = link.order if link is not None else None
        is_open = row.status == FindingStatus.OPEN
        may_order = (
            access.allowed(self.user, access.Action.HANDLE_WORK_ORDERS)
            and order is None
            and row.status != FindingStatus.DISMISSED
            and row.institution_id is not None
        )
        context.update(
            detector_name=detector_name(row.detector),
            meaning=MEANINGS.get(row.detector, ""),
            severity=SEVERITIES.get(row.severity, row.severity),
            severity_tag=SEVERITY_TAGS.get(row.severity, ""),
            status=STATUSES.get(row.status, row.status),
            status_tag=STATUS_TAGS.get(row.status, ""),
            student_name=masking.mask_name(row.student.name) if row.student else "",
            logs=[log_row(log) for log in queries.logs_of(row)],
            panels=panels_for(row, self.user),
            order=order,
            order_url=workorder_url(order.pk) if order else None,
            dismissal=queries.dismissal_of(row) if row.status == FindingStatus.DISMISSED else None,
            may_dismiss=access.allowed(self.user, access.Action.DISMISS_FINDINGS) and is_open,
            may_order=may_order,
            # Both forms are on the page and both have a ``confirm`` box: their own id prefixes
            # keep each label ticking its own box.
            dismiss_form=DismissForm(auto_id="dismiss_%s"),
            order_form=OrderForm(auto_id="order_%s"),
        )
        return context


def workorder_url(pk: int) -> str | None:
    """The console page of a work order; None while the work-order pages are not installed."""
    try:
        return reverse("console:workorder", args=[pk])
    except NoReverseMatch:
        return None


def log_row(log: Any) -> dict[str, Any]:
    return {
        "log": log,
        "mode": MODE_LABELS.get(log.mode, log.mode),
        "part": PART_LABELS.get(log.part, log.part),
        "tag": VERDICT_TAGS.get(log.audit_status, "tag-muted"),
        "student": masking.mask_name(log.student.name),
    }


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("排除理由"),
        help_text=_("必须填写：为什么这不是学时造假（记入操作日志）。"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        required=False,  # the service names a missing reason; the form shows its message
    )
    confirm = forms.BooleanField(label=_("我已核对证据，确认排除该线索"), required=True)


class OrderForm(forms.Form):
    note = forms.CharField(
        label=_("研判意见"),
        help_text=_("写入工单说明，供处置人参考。"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        required=False,
    )
    confirm = forms.BooleanField(label=_("我已核对证据，确认转为工单"), required=True)


class FindingAction(ConsoleAction):
    template_name = "console/findings/action.html"

    def scoped_queryset(self) -> QuerySet[Finding]:
        return queries.findings_for(self.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        row: Finding = self.object
        context.update(
            object=f"{row.pk} · {detector_name(row.detector)} · {row.day:%Y-%m-%d}",
            finding=row,
        )
        return context


class DismissFinding(FindingAction):
    title = _("排除异常线索")
    form_class = DismissForm
    danger = True
    done_message = _("线索已排除")

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        return fraud_services.dismiss(
            actor=actor, finding_id=self.object.pk, reason=form.cleaned_data["reason"]
        )


class OrderFinding(FindingAction):
    title = _("转为工单")
    form_class = OrderForm
    done_message = _("已转为工单；工单编号见“处置”")

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        order, _created = workorder_services.open_for_finding_by_hand(
            actor=actor, finding_id=self.object.pk, note=form.cleaned_data["note"]
        )
        return order


urlpatterns = [
    path("findings/", FindingList.as_view(), name="findings"),
    path("findings/<int:pk>/", FindingDetail.as_view(), name="finding"),
    path("findings/<int:pk>/dismiss/", DismissFinding.as_view(), name="finding_dismiss"),
    path("findings/<int:pk>/order/", OrderFinding.as_view(), name="finding_order"),
]
