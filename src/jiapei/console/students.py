"""Students in the console: the list, and the student file (学员档案).

The list filters and exports exactly what :func:`jiapei.registry.queries.students_for` scopes
to the user, ID and phone numbers masked on screen and in the file. The student file gathers
what the platform knows of one student: the filing and its transfers, the audited progress of
each syllabus part beside its stage review, the police push and the exam results of the same
subject, and the sessions with their verdicts (each linking to its session page).
"""

from __future__ import annotations

from typing import Any

import django_filters as filters
import django_tables2 as tables
from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django_tables2 import RequestConfig

from jiapei.accounts import access
from jiapei.accounts.models import Region
from jiapei.audit import queries as audit
from jiapei.audit.thresholds import Thresholds
from jiapei.console.base import ConsoleDetail, ConsoleList
from jiapei.core import clock
from jiapei.exams import queries as exams
from jiapei.integrations.police.wire import (
    SUBJECT_FOR_PART,
    SUBJECT_NAMES_EN,
    SUBJECT_NAMES_ZH,
)
from jiapei.registry import queries as registry
from jiapei.registry.models import FilingStatus, Student
from jiapei.stages import queries as stages
from jiapei.stages.models import PoliceStatus
from jiapei.training import queries as training
from jiapei.training.models import AuditStatus, TeachingLog
from jiapei.training.wire import CLASS_CODES
from jiapei.web.aggregates import subcount
from jiapei.web.htmx import htmx_partial
from jiapei.web.tables import BaseTable, MaskedColumn

MODE_LABELS = {1: _("实操"), 2: _("课堂"), 3: _("模拟"), 4: _("远程")}
MODE_KEYS = {"practical": 1, "classroom": 2, "simulator": 3, "remote": 4}
PART_LABELS = {1: _("第一部分"), 2: _("第二部分"), 3: _("第三部分"), 4: _("第四部分")}
VERDICT_TAGS: dict[str, str] = {
    AuditStatus.VALID: "tag-ok",
    AuditStatus.PARTIAL: "tag-warn",
    AuditStatus.INVALID: "tag-bad",
    AuditStatus.PENDING: "tag-muted",
}
LICENCE_CLASSES = sorted({c for c in CLASS_CODES.values() if c})


def region_choices(request: Any) -> QuerySet[Region]:
    """The regions a filter may offer: the user's own and those below it."""
    return access.visible_regions(request.user) if request else Region.objects.none()


def reasons(codes: list[str], thresholds: Thresholds | None = None) -> list[dict[str, str]]:
    """Each code with its explanation in the page's language (zh-hans unless English)."""
    lang = "en" if (get_language() or "").startswith("en") else "zh-hans"
    return audit.reasons(codes, lang=lang, thresholds=thresholds)


def first_clause(text: str) -> str:
    """What happened, without the consequence (「有效分钟占本次培训总分钟不足75%」): the
    explanation up to its first comma (zh) or semicolon (en), short enough for a cell."""
    return text.split("，")[0].split("；")[0].split("; ")[0].rstrip(".")


def short_reason(code: str, thresholds: Thresholds | None = None) -> str:
    [reason] = reasons([code], thresholds)
    return first_clause(reason["why"])


def verdict_tag(log: TeachingLog) -> str:
    return format_html(
        '<span class="tag {}">{}</span>',
        VERDICT_TAGS.get(log.audit_status, "tag-muted"),
        log.get_audit_status_display(),
    )


class StudentFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label=_("搜索"), help_text=_("学员编号或姓名"))
    district = filters.ModelChoiceFilter(
        queryset=region_choices, label=_("行政区划"), method="in_region"
    )
    school = filters.CharFilter(
        method="of_school", label=_("培训机构"), help_text=_("机构编号或名称")
    )
    traintype = filters.ChoiceFilter(choices=[(c, c) for c in LICENCE_CLASSES], label=_("培训车型"))
    applied_from = filters.DateFilter(
        field_name="applydate",
        lookup_expr="gte",
        label=_("报名日期自"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    applied_to = filters.DateFilter(
        field_name="applydate",
        lookup_expr="lte",
        label=_("报名日期至"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    filing_status = filters.ChoiceFilter(choices=FilingStatus.choices, label=_("备案状态"))

    class Meta:
        model = Student
        fields = [
            "q",
            "district",
            "school",
            "traintype",
            "applied_from",
            "applied_to",
            "filing_status",
        ]

    def search(self, qs: QuerySet[Student], name: str, value: str) -> QuerySet[Student]:
        value = value.strip()
        return qs.filter(Q(stunum__icontains=value) | Q(name__icontains=value))

    def of_school(self, qs: QuerySet[Student], name: str, value: str) -> QuerySet[Student]:
        value = value.strip()
        return qs.filter(
            Q(institution__inscode=value)
            | Q(institution__name__icontains=value)
            | Q(institution__shortname__icontains=value)
        )

    def in_region(self, qs: QuerySet[Student], name: str, value: Any) -> QuerySet[Student]:
        return qs.filter(institution__district__code__startswith=value.scope_prefix)


class StudentTable(BaseTable):
    caption = _("学员")
    stunum = tables.Column(
        verbose_name=_("学员编号"), linkify=("console:student", {"pk": tables.A("pk")})
    )
    name = tables.Column(verbose_name=_("姓名"))
    idcard = MaskedColumn(verbose_name=_("证件号码"), kind="idcard")
    phone = MaskedColumn(verbose_name=_("手机号码"), kind="phone")
    traintype = tables.Column(verbose_name=_("培训车型"))
    institution = tables.Column(
        verbose_name=_("培训机构"), accessor="institution__name", order_by="institution__inscode"
    )
    district = tables.Column(
        verbose_name=_("行政区划"),
        accessor="institution__district__name",
        order_by="institution__district_id",
    )
    applydate = tables.DateColumn(verbose_name=_("报名日期"), format="Y-m-d")
    n_sessions = tables.Column(
        verbose_name=_("教学日志"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    filing_status = tables.Column(verbose_name=_("备案状态"))

    class Meta(BaseTable.Meta):
        model = Student
        fields = (
            "stunum",
            "name",
            "idcard",
            "phone",
            "traintype",
            "institution",
            "district",
            "applydate",
            "n_sessions",
            "filing_status",
        )
        empty_text = _("没有符合条件的学员；请调整或清除筛选条件")


class StudentList(ConsoleList):
    title = _("学员档案")
    table_class = StudentTable
    filterset_class = StudentFilter
    export_name = "students"
    intro = _("辖区内培训机构备案的学员；证件号码和手机号码已脱敏。点学员编号查看学员档案。")

    def scoped_queryset(self) -> QuerySet[Student]:
        return (
            registry.students_for(self.user)
            .select_related("institution__district")
            .annotate(n_sessions=subcount(TeachingLog.objects.all(), "student"))
        )


class SessionTable(BaseTable):
    """A student's sessions (teaching logs) with the audit's verdict."""

    caption = _("教学日志")
    # The thresholds an explanation names (set by the page: the school's, in force today).
    thresholds: Thresholds | None = None
    rnum = tables.Column(
        verbose_name=_("日志编号"),
        linkify=("console:session", {"student": tables.A("student_id"), "pk": tables.A("pk")}),
    )
    starttime = tables.Column(verbose_name=_("培训时间"), attrs={"td": {"class": "nowrap"}})
    part = tables.Column(verbose_name=_("培训部分"))
    mode = tables.Column(verbose_name=_("培训方式"))
    coach = tables.Column(verbose_name=_("教练员"), accessor="coach__name", orderable=False)
    car = tables.Column(
        verbose_name=_("教练车"),
        accessor="car__licnum",
        orderable=False,
        attrs={"td": {"class": "nowrap"}},
    )
    total_minutes = tables.Column(
        verbose_name=_("分钟数"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    credited_minutes = tables.Column(
        verbose_name=_("有效学时（分钟）"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    mileage = tables.Column(
        verbose_name=_("上报里程（公里）"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    audit_status = tables.Column(verbose_name=_("审核结论"))
    codes = tables.Column(verbose_name=_("原因"), orderable=False)

    class Meta(BaseTable.Meta):
        model = TeachingLog
        fields = (
            "rnum",
            "starttime",
            "part",
            "mode",
            "coach",
            "car",
            "total_minutes",
            "credited_minutes",
            "mileage",
            "audit_status",
            "codes",
        )
        empty_text = _("暂无教学日志：计时平台尚未上传该学员的培训记录")

    def render_starttime(self, record: TeachingLog) -> str:
        start, end = timezone.localtime(record.starttime), timezone.localtime(record.endtime)
        until = f"{end:%H:%M}" if start.date() == end.date() else f"{end:%Y-%m-%d %H:%M}"
        return f"{start:%Y-%m-%d %H:%M}–{until}"

    def value_starttime(self, record: TeachingLog) -> str:
        return self.render_starttime(record)

    def render_part(self, value: int) -> str:
        return str(PART_LABELS.get(value, value))

    def render_mode(self, value: int) -> str:
        return str(MODE_LABELS.get(value, value))

    def render_audit_status(self, record: TeachingLog) -> str:
        return verdict_tag(record)

    def reasons(self, record: TeachingLog) -> list[str]:
        """The session's own reasons, then how many of its minutes are void (their reasons
        are on the session page)."""
        words = [short_reason(c, self.thresholds) for c in record.codes]
        void = record.total_minutes - record.valid_minutes
        if void > 0 and record.audit_status != AuditStatus.PENDING:
            words.append(_t("%(n)d 分钟无效") % {"n": void})
        return words

    def render_codes(self, record: TeachingLog) -> str:
        words = self.reasons(record)
        if not words:
            return "—"
        return format_html_join("", "<div>{}</div>", ((w,) for w in words))

    def value_codes(self, record: TeachingLog) -> str:
        return "；".join(self.reasons(record))

    def value_audit_status(self, record: TeachingLog) -> str:
        return str(record.get_audit_status_display())


class StudentDetail(ConsoleDetail):
    template_name = "console/students/student.html"

    def scoped_queryset(self) -> QuerySet[Student]:
        return registry.students_for(self.user).select_related("institution__district")

    def get_title(self) -> Any:
        return f"{self.object.name}（{self.object.stunum}）"

    def get_template_names(self) -> list[str]:
        # Sorting and paging the sessions swap only their table (the kit's table links
        # target ``#results``); without JavaScript the same links load the whole page.
        if htmx_partial(self.request):
            return ["console/students/_sessions.html"]
        return [self.template_name]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        student: Student = self.object
        sessions = SessionTable(training.student_logs(student), prefix="s-")
        sessions.thresholds = audit.thresholds_in_force(student.institution, clock.today())
        RequestConfig(self.request, paginate={"per_page": 50}).configure(sessions)
        context.update(
            transfers=list(registry.student_transfers(student)),
            parts=self.parts(student),
            graduation=training.graduation_of(student),
            sessions=sessions,
        )
        return context

    def parts(self, student: Student) -> list[dict[str, Any]]:
        """Each syllabus part's audited progress, beside its stage review, the police push
        and the exam sittings of the exam subject the part feeds."""
        police = {row["subject"]: row for row in stages.police_status(student)}
        reviews = {row.part: row for row in stages.reviews_for(self.user).filter(student=student)}
        records = training.stage_records_of(student)
        sittings: dict[str, list[Any]] = {}
        for result in exams.results_of(student):
            sittings.setdefault(result.subject, []).append(result)
        parts = []
        for part in audit.part_progress(student):
            subject = SUBJECT_FOR_PART.get(part["part"], "")
            pushed = police.get(subject)
            if pushed is not None:
                pushed = {
                    **pushed,
                    "label": PoliceStatus(pushed["status"]).label,
                    "updated_at": parse_datetime(pushed["updated_at"] or ""),
                }
            modes = [{**m, "name": MODE_LABELS[MODE_KEYS[m["mode"]]]} for m in part["modes"]]
            names = SUBJECT_NAMES_EN if get_language() == "en" else SUBJECT_NAMES_ZH
            parts.append(
                {
                    **part,
                    "modes": modes,
                    "label": PART_LABELS.get(part["part"], part["part"]),
                    "subject": subject,
                    "subject_name": names.get(subject, ""),
                    "mileage_remaining": max(part["mileage_required"] - part["mileage"], 0.0),
                    "review": reviews.get(part["part"]),
                    "stage_record": records.get(part["part"]),
                    "police": pushed,
                    "exams": sittings.get(subject, []),
                }
            )
        return parts


urlpatterns = [
    path("students/", StudentList.as_view(), name="students"),
    path("students/<int:pk>/", StudentDetail.as_view(), name="student"),
]
