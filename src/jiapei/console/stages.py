"""Stage reviews in the console: the queue of stage records waiting for a regulator, each with
the audit's evidence, the decision, and what the decision sent out.

The queue and the pages read :mod:`jiapei.stages.queries` (scoped by the student's school's
region); approve, reject and revoke call :mod:`jiapei.stages.services`, which ask
:mod:`jiapei.accounts.access` again, write the audit-log row and queue the ``/reviewmsg``
callback, the police push or withdrawal and the national copy in the outbox. After a decision
the page lists those outbox messages with their delivery status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import django_filters as filters
import django_tables2 as tables
from django import forms
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiapei.accounts import access
from jiapei.console.base import ConsoleAction, ConsoleDetail, ConsoleList
from jiapei.console.registry import region_choices
from jiapei.core.actors import Actor
from jiapei.core.models import AuditLogEntry
from jiapei.outbox.models import Destination
from jiapei.stages import queries, services
from jiapei.stages.models import (
    APPROVED_STATUSES,
    PoliceAction,
    PoliceStatus,
    ReviewSource,
    ReviewStatus,
    StageReview,
)
from jiapei.web import masking
from jiapei.web.glossary import hours
from jiapei.web.tables import BaseTable, DateTimeColumn, MaskedColumn

MODES = {"1": _("实操"), "2": _("课堂"), "3": _("模拟"), "4": _("远程")}
PARTS = {1: _("第一部分"), 2: _("第二部分"), 3: _("第三部分"), 4: _("第四部分")}
CHECKS = {
    "part_complete": _("学时达到大纲要求"),
    "platform_totals": _("平台报送学时与审核一致"),
    "teaching_logs": _("所列教学日志均已审核"),
    "mileage": _("里程达到要求"),
}
MESSAGES = {
    "/reviewmsg": _("审核结果通知计时平台"),
    "/hours": _("学时推送公安平台"),
    "/hours/withdraw": _("撤回公安平台学时"),
    "stagetrainningtime": _("阶段学时报送全国平台"),
}
# Short names of a review's source for the queue's narrow column (the page gives the long one).
SOURCES = {"audit": _("审核达标"), "platform": _("平台报送"), "backfill": _("存量补录")}
STATUS_TAG = {"delivered": "tag-ok", "dead": "tag-bad", "pending": "tag-warn"}


def failed_checks(row: StageReview) -> list[str]:
    """The names (zh-hans) of the review's checks that failed."""
    return [str(CHECKS.get(c["check"], c["check"])) for c in row.checks if not c.get("ok")]


class StageFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label=_("学员"), help_text=_("学员编号或姓名"))
    school = filters.CharFilter(
        method="by_school", label=_("培训机构"), help_text=_("机构编号或名称")
    )
    region = filters.ModelChoiceFilter(
        queryset=region_choices, label=_("行政区划"), method="in_region", empty_label=_("全部")
    )
    part = filters.ChoiceFilter(
        choices=[(str(k), v) for k, v in PARTS.items()], label=_("培训部分"), empty_label=_("全部")
    )
    status = filters.ChoiceFilter(
        choices=[c for c in ReviewStatus.choices if c[0] != ReviewStatus.PENDING_CHECK],
        label=_("审核状态"),
        empty_label=_("全部状态"),
        method="by_status",
    )
    source = filters.ChoiceFilter(
        choices=ReviewSource.choices, label=_("来源"), empty_label=_("全部")
    )

    class Meta:
        model = StageReview
        fields = ["q", "school", "region", "part", "status", "source"]

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        # The queue opens on what waits for a regulator; choosing 全部状态 shows every review.
        if data is None or "status" not in data:
            data = data.copy() if data is not None else QueryDict(mutable=True)
            data["status"] = ReviewStatus.PENDING_MANUAL
        super().__init__(data, *args, **kwargs)

    def by_status(self, qs: QuerySet[StageReview], name: str, value: str) -> QuerySet[StageReview]:
        return queries.in_queue_order(qs, value)

    def search(self, qs: QuerySet[StageReview], name: str, value: str) -> QuerySet[StageReview]:
        value = value.strip()
        return qs.filter(Q(student__stunum=value) | Q(student__name__icontains=value))

    def by_school(self, qs: QuerySet[StageReview], name: str, value: str) -> QuerySet[StageReview]:
        value = value.strip()
        return qs.filter(
            Q(student__institution__inscode=value) | Q(student__institution__name__icontains=value)
        )

    def in_region(self, qs: QuerySet[StageReview], name: str, value: Any) -> QuerySet[StageReview]:
        return qs.filter(student__institution__district__code__startswith=value.scope_prefix)


class StageTable(BaseTable):
    caption = _("阶段培训记录")
    id = tables.Column(
        verbose_name=_("审核编号"),
        linkify=("console:stage_review", {"pk": tables.A("pk")}),
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    name = tables.Column(verbose_name=_("学员"), accessor="student__name", order_by="student__name")
    stunum = tables.Column(verbose_name=_("学员编号"), accessor="student__stunum")
    idcard = MaskedColumn(verbose_name=_("身份证号"), accessor="student__idcard", visible=False)
    school = tables.Column(
        verbose_name=_("培训机构"),
        accessor="student__institution__name",
        order_by="student__institution__name",
    )
    district = tables.Column(
        verbose_name=_("行政区划"),
        accessor="student__institution__district__name",
        order_by="student__institution__district_id",
    )
    part = tables.Column(verbose_name=_("培训部分"))
    credited = tables.Column(
        verbose_name=_("认定学时"),
        orderable=False,
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    mileage = tables.Column(
        verbose_name=_("里程（km）"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    checks = tables.Column(verbose_name=_("未通过的检查"), orderable=False)
    source = tables.Column(verbose_name=_("来源"))
    status = tables.Column(verbose_name=_("审核状态"))
    updated_at = DateTimeColumn(verbose_name=_("更新时间"), attrs={"td": {"class": "nowrap"}})

    class Meta(BaseTable.Meta):
        model = StageReview
        fields = (
            "id",
            "name",
            "stunum",
            "idcard",
            "school",
            "district",
            "part",
            "credited",
            "mileage",
            "checks",
            "source",
            "status",
            "updated_at",
        )
        empty_text = _(
            "没有符合条件的阶段培训记录。等待人工审核的记录（抽中人工审核或检查未通过）会出现在"
            "这里；在筛选中选择“全部状态”可查看已审核的记录。"
        )

    def render_part(self, value: int) -> str:
        return str(PARTS.get(value, value))

    def value_part(self, value: int) -> str:
        return str(PARTS.get(value, value))

    def render_credited(self, value: dict[str, Any]) -> str:
        return hours(sum(int(v) for v in value.values()))

    def value_credited(self, value: dict[str, Any]) -> float:
        return round(sum(int(v) for v in value.values()) / 60, 1)

    def render_source(self, record: StageReview) -> str:
        return str(SOURCES.get(record.source, record.source))

    def value_source(self, record: StageReview) -> str:
        return str(SOURCES.get(record.source, record.source))

    def render_mileage(self, value: float) -> str:
        return f"{value:.1f}"

    def render_checks(self, record: StageReview) -> str:
        return "、".join(failed_checks(record)) or "—"

    def value_checks(self, record: StageReview) -> str:
        return "、".join(failed_checks(record))


class StageList(ConsoleList):
    title = _("阶段培训记录审核")
    intro = _(
        "默认列出等待人工审核的阶段培训记录（抽中人工审核或检查未通过），先到先审；"
        "在筛选中选择“全部状态”可查看已审核的记录。点击审核编号查看审核依据并作出决定。"
    )
    table_class = StageTable
    filterset_class = StageFilter
    export_name = "stage-reviews"

    def scoped_queryset(self) -> QuerySet[StageReview]:
        return queries.review_queue_for(self.user)


def evidence(row: StageReview) -> dict[str, Any]:
    """The audit's figures as rows a regulator reads: minutes per mode (required, credited,
    short), the mileage, and each check with what it compared."""
    modes = []
    for mode, label in MODES.items():
        required = int(row.required.get(mode, 0))
        credited = int(row.credited.get(mode, 0))
        if required or credited:
            modes.append(
                {
                    "label": label,
                    "required": required,
                    "credited": credited,
                    "short": max(required - credited, 0),
                }
            )
    checks = [
        {"label": CHECKS.get(c["check"], c["check"]), "ok": c.get("ok"), "detail": c.get("detail")}
        for c in row.checks
    ]
    return {
        "modes": modes,
        "total_required": sum(m["required"] for m in modes),
        "total_credited": sum(m["credited"] for m in modes),
        "checks": checks,
        "failed": [c for c in checks if not c["ok"]],
    }


def consequences(row: StageReview, entries: list[AuditLogEntry]) -> list[dict[str, Any]]:
    """The outbox messages the review's decisions queued, newest first, each with what it is
    and its delivery state (for the police, the state a regulator follows: queued, sent,
    acknowledged, failed or withdrawn)."""
    ids = [e.pk for e in entries if e.action.startswith("stage.")]
    out = []
    for message in reversed(queries.decision_messages(row, ids)):
        police = ""
        if message.destination == Destination.POLICE:
            action = (
                PoliceAction.WITHDRAW if message.path.endswith("withdraw") else PoliceAction.PUSH
            )
            police = str(PoliceStatus(queries.delivery_status(action, message)).label)
        out.append(
            {
                "message": message,
                "what": MESSAGES.get(message.path, message.path),
                "police": police,
                "tag": STATUS_TAG.get(message.status, ""),
            }
        )
    return out


class StageDetail(ConsoleDetail):
    template_name = "console/stages/stage.html"

    def scoped_queryset(self) -> QuerySet[StageReview]:
        return queries.review_queue_for(self.user).select_related("stage_record", "reviewer")

    def get_title(self) -> Any:
        row = self.object
        return gettext("阶段培训记录审核 %(name)s %(part)s") % {
            "name": row.student.name,
            "part": PARTS.get(row.part, row.part),
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        row: StageReview = self.object
        may = access.allowed(self.user, access.Action.REVIEW_STAGES)
        context.update(
            part_name=PARTS.get(row.part, row.part),
            idcard=masking.mask_idcard(row.student.idcard),
            evidence=evidence(row),
            logs=list(queries.review_logs(row)),
            sent=consequences(row, list(context["history"])),
            may_review=may and row.status == ReviewStatus.PENDING_MANUAL,
            may_revoke=may and row.status in APPROVED_STATUSES,
            review_form=StageReviewForm(),
            revoke_form=RevokeForm(),
            review_url=reverse("console:stage_review_decide", args=[row.pk]),
            revoke_url=reverse("console:stage_review_revoke", args=[row.pk]),
        )
        return context


class StageReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结论"),
        choices=[("approve", _("通过")), ("reject", _("驳回"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("理由"),
        help_text=_("驳回时必须填写理由；计时平台查询审核结果时可见。通过后学时推送公安平台。"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        required=False,
    )
    confirm = forms.BooleanField(label=_("我已核对审核依据，确认提交审核结论"), required=True)


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("撤销理由"),
        help_text=_("必须填写；撤销后公安平台撤回该科目学时，学员不能再预约该科目考试。"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        required=False,  # the service names a missing reason; the form shows its message
    )
    confirm = forms.BooleanField(label=_("我已核对，确认撤销该审核"), required=True)


@dataclass(frozen=True)
class Named:
    pk: int
    label: str

    def __str__(self) -> str:
        return self.label


class StageAction(ConsoleAction):
    template_name = "console/stages/action.html"

    def scoped_queryset(self) -> QuerySet[StageReview]:
        return queries.review_queue_for(self.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        row: StageReview = self.object
        context["evidence"] = evidence(row)
        # The page names the record as a regulator does, not by the model's debugging label.
        context["object"] = Named(
            row.pk,
            f"{row.student.name}（{row.student.stunum}）"
            f"{PARTS.get(row.part, row.part)} · {row.get_status_display()}",
        )
        return context


class StageReviewAction(StageAction):
    title = _("审核阶段培训记录")
    form_class = StageReviewForm
    done_message = _("审核结论已保存；通知计时平台的消息已排队，通过的学时已排队推送公安平台")

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        return services.review(
            actor=actor,
            review_id=self.object.pk,
            approve=form.cleaned_data["decision"] == "approve",
            reason=form.cleaned_data["reason"],
        )


class StageRevokeAction(StageAction):
    title = _("撤销阶段培训记录审核")
    form_class = RevokeForm
    danger = True
    done_message = _("已撤销；撤回学时的消息已排队发往公安平台")

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        return services.revoke(
            actor=actor, review_id=self.object.pk, reason=form.cleaned_data["reason"]
        )


urlpatterns = [
    path("stages/", StageList.as_view(), name="stage_reviews"),
    path("stages/<int:pk>/", StageDetail.as_view(), name="stage_review"),
    path("stages/<int:pk>/review/", StageReviewAction.as_view(), name="stage_review_decide"),
    path("stages/<int:pk>/revoke/", StageRevokeAction.as_view(), name="stage_review_revoke"),
]
