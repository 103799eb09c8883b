"""Coaches (教练员), examiners (考核员) and safety officers (安全员) in the console.

The three share one model (:class:`~jiapei.registry.models.Personnel`) and so one filter, one
table and one detail page, each under its own address. Coaches also filter by 从未带教 (seed
002 资质核查): a coach no teaching log names. ID numbers and phone numbers are masked on screen
and in the export. Regulators revoke and restore a filing through
:func:`jiapei.registry.services.revocation.set_filing_revoked`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import django_tables2 as tables
from django import forms
from django.db.models import Count, Exists, Max, OuterRef, QuerySet, Subquery
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from jiapei.accounts import access
from jiapei.console.base import ConsoleDetail, ConsoleList
from jiapei.console.registry_common import (
    FiledFilter,
    GuardedAction,
    LocalDateTimeColumn,
    RequiredReasonForm,
    flag_filter,
    masked_history,
)
from jiapei.core.actors import Actor
from jiapei.registry import queries as registry
from jiapei.registry.models import FilingStatus, Personnel, PersonnelRole
from jiapei.registry.services.revocation import set_filing_revoked
from jiapei.training.models import TeachingLog
from jiapei.web.tables import BaseTable, MaskedColumn

# Each role's pages: the URL prefix, the URL names, the plural title.
PAGES = {
    PersonnelRole.COACH: ("coaches", "coach", _("教练员")),
    PersonnelRole.EXAMINER: ("examiners", "examiner", _("考核员")),
    PersonnelRole.SECURITYGUARD: ("safety-officers", "safety_officer", _("安全员")),
}


def detail_url(person: Personnel) -> str:
    return reverse(f"console:{PAGES[PersonnelRole(person.role)][1]}", args=[person.pk])


def teaching_logs() -> QuerySet[TeachingLog]:
    """The teaching logs naming the outer row as their coach (on TeachingLog's coach index)."""
    return TeachingLog.objects.filter(coach=OuterRef("pk"))


class PersonnelFilter(FiledFilter):
    search_fields = ("number", "name", "institution__name", "institution__inscode")

    class Meta:
        model = Personnel
        fields = ["q", "district", "school", "filing_status"]


class CoachFilter(PersonnelFilter):
    never_taught = flag_filter(
        _("从未带教"), "no_teaching", _("没有任何电子教学日志记载其带教（资质核查）")
    )

    class Meta(PersonnelFilter.Meta):
        fields = [*PersonnelFilter.Meta.fields, "never_taught"]

    def no_teaching(self, qs: QuerySet[Personnel], name: str, value: bool) -> QuerySet[Personnel]:
        return qs.filter(~Exists(teaching_logs())) if value else qs


class PersonnelTable(BaseTable):
    number = tables.Column(verbose_name=_("统一编号"), linkify=lambda record: detail_url(record))
    name = tables.Column(verbose_name=_("姓名"))
    idcard = MaskedColumn(verbose_name=_("身份证号"), kind="idcard")
    mobile = MaskedColumn(verbose_name=_("手机号码"), kind="phone")
    institution = tables.Column(
        verbose_name=_("培训机构"),
        accessor="institution__name",
        order_by="institution__inscode",
        linkify=lambda record: reverse("console:institution", args=[record.institution_id]),
    )
    teachpermitted = tables.Column(verbose_name=_("准教车型"))
    hiredate = tables.DateColumn(verbose_name=_("入职日期"), format="Y-m-d")
    filing_status = tables.Column(verbose_name=_("备案状态"))

    class Meta(BaseTable.Meta):
        model = Personnel
        fields = (
            "number",
            "name",
            "idcard",
            "mobile",
            "institution",
            "teachpermitted",
            "hiredate",
            "filing_status",
        )


class CoachTable(PersonnelTable):
    caption = _("教练员")
    last_taught = LocalDateTimeColumn(
        verbose_name=_("最近带教"), orderable=False, default="—", empty_values=(None, "")
    )

    class Meta(PersonnelTable.Meta):
        sequence = (*PersonnelTable.Meta.fields[:-1], "last_taught", "filing_status")


class ExaminerTable(PersonnelTable):
    caption = _("考核员")


class SafetyOfficerTable(PersonnelTable):
    caption = _("安全员")


class PersonnelList(ConsoleList):
    role: ClassVar[str]
    filterset_class = PersonnelFilter

    def scoped_queryset(self) -> QuerySet[Personnel]:
        return registry.personnel_for(self.user, self.role).select_related("institution")


class CoachList(PersonnelList):
    role = PersonnelRole.COACH
    title = _("教练员")
    table_class = CoachTable
    filterset_class = CoachFilter
    export_name = "coaches"

    def scoped_queryset(self) -> QuerySet[Personnel]:
        # The latest start among the coach's logs, aggregated over the coach's index range (an
        # ORDER BY starttime LIMIT 1 could walk the whole start-time index for an idle coach).
        latest = teaching_logs().order_by().values("coach").annotate(m=Max("starttime")).values("m")
        return super().scoped_queryset().annotate(last_taught=Subquery(latest))


class ExaminerList(PersonnelList):
    role = PersonnelRole.EXAMINER
    title = _("考核员")
    table_class = ExaminerTable
    export_name = "examiners"


class SafetyOfficerList(PersonnelList):
    role = PersonnelRole.SECURITYGUARD
    title = _("安全员")
    table_class = SafetyOfficerTable
    export_name = "safety-officers"


class PersonnelDetail(ConsoleDetail):
    role: str = ""  # set per address by ``as_view(role=…)``
    template_name = "console/registry/personnel.html"

    def scoped_queryset(self) -> QuerySet[Personnel]:
        return registry.personnel_for(self.user, self.role).select_related(
            "institution", "institution__district", "platform"
        )

    def history(self) -> Any:
        return masked_history(super().history())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        person = self.object
        prefix, name, plural = PAGES[PersonnelRole(self.role)]
        may = access.allowed(self.user, access.Action.REVOKE_FILINGS)
        context.update(
            list_url=reverse(f"console:{prefix.replace('-', '_')}"),
            list_title=plural,
            revoke_url=reverse(f"console:{name}_revoke", args=[person.pk]),
            restore_url=reverse(f"console:{name}_restore", args=[person.pk]),
            can_revoke=may and person.filing_status == FilingStatus.ACTIVE,
            can_restore=may and person.filing_status == FilingStatus.REVOKED,
        )
        if self.role == PersonnelRole.COACH:
            context["teaching"] = TeachingLog.objects.filter(coach=person).aggregate(
                n=Count("*"), last=Max("starttime")
            )
        return context


class FilingAction(GuardedAction):
    """Revoke (撤销) or restore (恢复) one filing in the user's region."""

    required = access.Action.REVOKE_FILINGS
    form_class = RequiredReasonForm
    revoked: ClassVar[bool]
    verb: ClassVar[Any]

    def kind(self) -> str:
        raise NotImplementedError

    def number(self) -> str:
        raise NotImplementedError

    def get_title(self) -> Any:
        return f"{self.verb}：{self.object}"

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        return set_filing_revoked(
            actor=actor,
            kind=self.kind(),
            number=self.number(),
            revoked=self.revoked,
            reason=form.cleaned_data["reason"],
        )


REVOKE_EXPLAIN = _("撤销后该备案不能再用于培训，其计时平台将收到备案变更通知。必须填写理由。")
RESTORE_EXPLAIN = _("恢复后该备案重新生效，其计时平台将收到恢复通知。必须填写理由。")


class PersonnelAction(FilingAction):
    role: str = ""  # set per address by ``as_view(role=…)``

    def scoped_queryset(self) -> QuerySet[Personnel]:
        return registry.personnel_for(self.user, self.role)

    def kind(self) -> str:
        return self.role

    def number(self) -> str:
        return str(self.object.number)


class RevokePerson(PersonnelAction):
    revoked = True
    danger = True
    verb = _("撤销备案")
    done_message = _("备案已撤销")
    explain = REVOKE_EXPLAIN


class RestorePerson(PersonnelAction):
    revoked = False
    verb = _("恢复备案")
    done_message = _("备案已恢复")
    explain = RESTORE_EXPLAIN


LISTS: dict[str, type[PersonnelList]] = {
    PersonnelRole.COACH: CoachList,
    PersonnelRole.EXAMINER: ExaminerList,
    PersonnelRole.SECURITYGUARD: SafetyOfficerList,
}


def _views(role: str) -> list[Any]:
    """The list, detail, revoke and restore pages of one role."""
    prefix, name, _plural = PAGES[PersonnelRole(role)]
    return [
        path(f"{prefix}/", LISTS[role].as_view(), name=prefix.replace("-", "_")),
        path(f"{prefix}/<int:pk>/", PersonnelDetail.as_view(role=role), name=name),
        path(f"{prefix}/<int:pk>/revoke/", RevokePerson.as_view(role=role), name=f"{name}_revoke"),
        path(
            f"{prefix}/<int:pk>/restore/", RestorePerson.as_view(role=role), name=f"{name}_restore"
        ),
    ]


urlpatterns = [url for role in PAGES for url in _views(role)]
