"""Training bans (禁训) in the console: coaches, cars and terminals banned from training, the
state of the ``/trainingban`` callback that tells their timing platform, banning and lifting.

The list reads :func:`jiapei.supervision.queries.bans_with_callbacks` (scoped by the ban's
region; each ban carries the outbox state of its two messages, so a row costs no query);
banning and lifting call :mod:`jiapei.supervision.services`, which ask
:mod:`jiapei.accounts.access` for ``BAN_TRAINING``, write the audit-log row and queue the
callback in the same transaction. Ingest refuses the subject's minutes from the moment of the
ban, whatever the platform does with the callback.
"""

from __future__ import annotations

from typing import Any

import django_filters as filters
import django_tables2 as tables
from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from jiapei.accounts import access
from jiapei.console.base import ConsoleAction, ConsoleList
from jiapei.console.registry import region_choices
from jiapei.console.watchlist import CreateView
from jiapei.core.actors import Actor
from jiapei.supervision import queries, services
from jiapei.supervision.models import BanKind, TrainingBan
from jiapei.web.tables import BaseTable, DateTimeColumn

KINDS = {BanKind.COACH: _("教练员"), BanKind.CAR: _("教练车"), BanKind.DEVICE: _("计时终端")}
# The outbox states of a /trainingban message as an officer follows them.
SENT = {
    "pending": (_("待发送"), "tag-warn"),
    "delivered": (_("已送达"), "tag-ok"),
    "dead": (_("发送失败"), "tag-bad"),
}


def kind_label(kind: str) -> str:
    return str(KINDS.get(kind, kind))  # type: ignore[call-overload]


def callbacks(record: Any) -> list[tuple[str, str, str, str, int]]:
    """(what, state, state label, tag class, attempts) of the ban's ``/trainingban``
    messages."""
    out = []
    for what, status, attempts in (
        (_("禁训通知"), record.ban_message, record.ban_attempts),
        (_("解除通知"), record.lift_message, record.lift_attempts),
    ):
        if status:
            label, tag = SENT.get(status, (status, ""))
            out.append((str(what), status, str(label), tag, attempts or 0))
    return out


class BanFilter(filters.FilterSet):
    number = filters.CharFilter(
        method="search", label=_("编号或机构"), help_text=_("教练员、教练车、终端编号或机构名称")
    )
    kind = filters.ChoiceFilter(choices=list(KINDS.items()), label=_("类别"), empty_label=_("全部"))
    state = filters.ChoiceFilter(
        choices=[("active", _("禁训中")), ("lifted", _("已解除"))],
        method="by_state",
        label=_("状态"),
        empty_label=_("全部"),
    )
    region = filters.ModelChoiceFilter(
        queryset=region_choices, label=_("行政区划"), method="in_region", empty_label=_("全部")
    )

    class Meta:
        model = TrainingBan
        fields = ["number", "kind", "state", "region"]

    def search(self, qs: QuerySet[TrainingBan], name: str, value: str) -> QuerySet[TrainingBan]:
        value = value.strip()
        return qs.filter(
            Q(number=value) | Q(institution__inscode=value) | Q(institution__name__icontains=value)
        )

    def by_state(self, qs: QuerySet[TrainingBan], name: str, value: str) -> QuerySet[TrainingBan]:
        return qs.filter(lifted_at__isnull=value == "active")

    def in_region(self, qs: QuerySet[TrainingBan], name: str, value: Any) -> QuerySet[TrainingBan]:
        return qs.filter(region__code__startswith=value.scope_prefix)


class BanTable(BaseTable):
    caption = _("禁训名单")
    kind = tables.Column(verbose_name=_("类别"))
    number = tables.Column(verbose_name=_("编号"))
    school = tables.Column(
        verbose_name=_("培训机构"),
        accessor="institution__name",
        order_by="institution__name",
        linkify=("console:institution", {"pk": tables.A("institution_id")}),
    )
    district = tables.Column(
        verbose_name=_("行政区划"), accessor="region__name", order_by="region_id"
    )
    platform = tables.Column(
        verbose_name=_("计时平台"), accessor="platform__name", order_by="platform__platnum"
    )
    reason = tables.Column(verbose_name=_("禁训原因"), orderable=False)
    banned_from = DateTimeColumn(verbose_name=_("禁训时间"), attrs={"td": {"class": "nowrap"}})
    lifted_at = tables.Column(verbose_name=_("状态"), empty_values=())
    sent = tables.Column(verbose_name=_("通知计时平台"), accessor="pk", orderable=False)
    lift = tables.Column(
        verbose_name=_("操作"), accessor="pk", orderable=False, exclude_from_export=True
    )

    class Meta(BaseTable.Meta):
        model = TrainingBan
        fields = (
            "kind",
            "number",
            "school",
            "district",
            "platform",
            "reason",
            "banned_from",
            "lifted_at",
            "sent",
            "lift",
        )
        empty_text = _("没有符合条件的禁训记录。")

    def render_kind(self, value: str) -> str:
        return kind_label(value)

    def value_kind(self, value: str) -> str:
        return kind_label(value)

    def render_lifted_at(self, record: TrainingBan) -> Any:
        if record.lifted_at is None:
            return format_html('<span class="tag tag-bad">{}</span>', _("禁训中"))
        return format_html(
            '<span class="tag tag-ok">{}</span><div class="hint">{} · {}</div>',
            _("已解除"),
            f"{timezone.localtime(record.lifted_at):%Y-%m-%d %H:%M}",
            record.lift_reason,
        )

    def value_lifted_at(self, record: TrainingBan) -> str:
        if record.lifted_at is None:
            return str(_("禁训中"))
        at = timezone.localtime(record.lifted_at)
        return f"{_('已解除')} {at:%Y-%m-%d %H:%M}：{record.lift_reason}"

    def render_sent(self, record: TrainingBan) -> Any:
        rows = callbacks(record)
        if not rows:
            return "—"
        return format_html_join(
            "",
            '<div data-callback="{}">{} <span class="tag {}">{}</span>'
            ' <span class="hint">{}</span></div>',
            (
                (status, what, tag, label, _("已发送 %(n)s 次") % {"n": attempts})
                for what, status, label, tag, attempts in rows
            ),
        )

    def value_sent(self, record: TrainingBan) -> str:
        return "；".join(f"{what}：{label}" for what, _s, label, _t, _n in callbacks(record))

    def render_lift(self, record: TrainingBan) -> Any:
        if record.lifted_at is not None:
            return "—"
        url = reverse("console:ban_lift", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, _("解除禁训"))


class BanList(ConsoleList):
    title = _("禁训")
    intro = _(
        "被禁训的教练员、教练车和计时终端自禁训时起不能培训：其学时记录一律不予认定，"
        "并通过 /trainingban 通知备案的计时平台（终端禁训状态 0x8502）。"
        "“通知计时平台”一栏为消息队列中该通知的发送状态。"
    )
    template_name = "console/bans/list.html"
    table_class = BanTable
    filterset_class = BanFilter
    export_name = "training-bans"

    def scoped_queryset(self) -> QuerySet[TrainingBan]:
        return queries.bans_with_callbacks(self.user).select_related("region")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["may_ban"] = access.allowed(self.user, access.Action.BAN_TRAINING)
        return context


class BanForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=list(KINDS.items()), widget=forms.RadioSelect)
    number = forms.CharField(
        label=_("编号"),
        help_text=_("教练员编号、教练车编号或计时终端编号（16 位统一编号）；须为本辖区备案。"),
        max_length=16,
    )
    reason = forms.CharField(
        label=_("禁训原因"),
        help_text=_("随禁训通知发送计时平台，并在终端上提示。"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
    )
    confirm = forms.BooleanField(label=_("我已核对，确认自即刻起禁训并通知计时平台"), required=True)


class BanAdd(CreateView):
    title = _("禁训")
    intro = _("禁训自提交时起生效；通知计时平台的消息与禁训记录在同一事务中写入消息队列。")
    form_class = BanForm
    done_message = _("已禁训；通知计时平台的消息已排队")
    back_url_name = "console:bans"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            access.require(request.user, access.Action.BAN_TRAINING)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        # A link from a coach's, car's or terminal's page may name what to ban.
        return {k: self.request.GET[k] for k in ("kind", "number") if k in self.request.GET}

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        data = {k: form.cleaned_data[k] for k in ("kind", "number", "reason")}
        return services.ban(actor=actor, data=data)


class BanLiftForm(forms.Form):
    reason = forms.CharField(
        label=_("解除理由"),
        help_text=_("随解除通知发送计时平台。"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
    )
    confirm = forms.BooleanField(label=_("我已核对，确认解除禁训并通知计时平台"), required=True)


class BanLift(ConsoleAction):
    title = _("解除禁训")
    form_class = BanLiftForm
    done_message = _("已解除禁训；通知计时平台的消息已排队")

    def scoped_queryset(self) -> QuerySet[TrainingBan]:
        return queries.bans_for(self.user).filter(lifted_at__isnull=True)

    def get_success_url(self) -> str:
        return reverse("console:bans")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        row: TrainingBan = self.object
        context["object"] = (
            f"{kind_label(row.kind)} {row.number} · {row.institution.name}，"
            f"{timezone.localtime(row.banned_from):%Y-%m-%d %H:%M} 起禁训：{row.reason}"
        )
        return context

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        return services.lift_ban(
            actor=actor, ban_id=self.object.pk, data={"reason": form.cleaned_data["reason"]}
        )


urlpatterns = [
    path("bans/", BanList.as_view(), name="bans"),
    path("bans/new/", BanAdd.as_view(), name="ban_add"),
    path("bans/<int:pk>/lift/", BanLift.as_view(), name="ban_lift"),
]
