"""Audit thresholds in the console: every value in force in the user's region with where it
comes from (the default, the province's setting or the city's), the settings of single
schools, and for province and city regulators a change from a date — first a dry run that
lists the students a re-audit would change, then the change and the re-audit.

Reads are :func:`jiapei.audit.queries.thresholds_with_sources` and
:func:`~jiapei.audit.queries.thresholds_for`; the dry run and the change are
:mod:`jiapei.audit.services.reaudit`, which check the caller's right to the scope as setting a
threshold through the API does.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import time
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiapei.accounts import access
from jiapei.accounts.models import RegionLevel
from jiapei.audit import queries as audit
from jiapei.audit.services import reaudit
from jiapei.audit.thresholds import Thresholds
from jiapei.console.base import ConsolePage
from jiapei.core import clock
from jiapei.core.actors import Actor
from jiapei.core.errors import DomainError, Forbidden, NotAuthenticated, NotFound
from jiapei.web.views import add_domain_error

SOURCES = {
    "default": _("默认值"),
    "province": _("全省设置"),
    "city": _("本市设置"),
    "institution": _("培训机构设置"),
}
FIELD_NAMES = [f.name for f in fields(Thresholds)]
DEFAULTS = Thresholds()


def shown(value: Any) -> str:
    """A threshold's value as an officer reads it."""
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


def may_set(user: Any) -> bool:
    return access.allowed(user, access.Action.SET_PROVINCE_THRESHOLDS) or access.allowed(
        user, access.Action.SET_CITY_THRESHOLDS
    )


class ThresholdsPage(ConsolePage):
    title = _("审核阈值")
    template_name = "console/thresholds/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = clock.today()
        rows = audit.thresholds_with_sources(self.user, today)
        settings_rows = list(audit.thresholds_for(self.user))
        context.update(
            today=today,
            rows=[
                {
                    **row,
                    "shown": shown(row["value"]),
                    "default_shown": shown(row["default"]),
                    "source_label": SOURCES[row["source"]],
                }
                for row in rows
            ],
            overridden=sum(1 for row in rows if row["source"] != "default"),
            schools=[s for s in settings_rows if s.scope_kind == "institution"],
            scheduled=[
                s
                for s in settings_rows
                if s.scope_kind != "institution" and s.effective_from > today
            ],
            may_set=may_set(self.user),
        )
        return context


class ChangeForm(forms.Form):
    scope = forms.ChoiceField(label=_("适用范围"))
    field = forms.ChoiceField(label=_("阈值"), choices=[(n, n) for n in FIELD_NAMES])
    value = forms.CharField(
        label=_("新值"),
        max_length=100,
        help_text=_("数值直接填写；时间填写如 05:00；是/否填写 true 或 false；多个值用逗号分隔。"),
    )
    effective_from = forms.DateField(
        label=_("生效日期"),
        help_text=_("该日及以后的培训按新值审核；早于今天时，重新审核这些天的学时。"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        label=_("说明"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, scopes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["scope"]).choices = scopes

    def clean_value(self) -> Any:
        """The typed value the threshold's type calls for (the service checks its range)."""
        raw = self.cleaned_data["value"].strip()
        name = self.data.get("field")
        default = getattr(DEFAULTS, name, None) if name in FIELD_NAMES else None
        try:
            if isinstance(default, bool):
                if raw.lower() not in ("true", "false", "是", "否"):
                    raise ValueError
                return raw.lower() in ("true", "是")
            if isinstance(default, int):
                return int(raw)
            if isinstance(default, float):
                return float(raw)
            if isinstance(default, tuple):
                return [int(part) for part in raw.replace("，", ",").split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError(gettext("该阈值的取值格式不正确。")) from None
        return raw

    def data_for_service(self) -> dict[str, Any]:
        kind, code = self.cleaned_data["scope"].split(":", 1)
        return {
            "scope_kind": kind,
            "scope_code": code,
            "field": self.cleaned_data["field"],
            "value": self.cleaned_data["value"],
            "effective_from": self.cleaned_data["effective_from"].isoformat(),
            "note": self.cleaned_data["note"],
        }


def scopes_of(user: Any) -> list[tuple[str, str]]:
    """The scopes the user may set: the province (its regulators), and each city in its region
    (province and city regulators)."""
    choices = []
    if access.allowed(user, access.Action.SET_PROVINCE_THRESHOLDS):
        choices.append((f"province:{reaudit.province_code()}", gettext("全省")))
    if access.allowed(user, access.Action.SET_CITY_THRESHOLDS):
        cities = access.visible_regions(user).filter(level=RegionLevel.CITY)
        choices += [(f"city:{r.code}", r.name) for r in cities]
    return choices


class ThresholdChange(ConsolePage):
    """GET: the form. POST ``preview``: the dry run under the form. POST ``apply`` (with the
    confirmation): the change and the re-audit, then back to the list."""

    title = _("修改审核阈值")
    template_name = "console/thresholds/change.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not may_set(request.user):
            access.require(request.user, access.Action.SET_CITY_THRESHOLDS)
        return super().dispatch(request, *args, **kwargs)

    def form(self, data: Any = None) -> ChangeForm:
        initial = {"effective_from": clock.today()}
        return ChangeForm(data, scopes=scopes_of(self.user), initial=initial)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.form())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.form(request.POST)
        applying = "apply" in request.POST
        if applying and request.POST.get("confirm") != "on":
            form.is_valid()
            form.add_error(None, gettext("请先勾选确认，再应用修改。"))
        if form.is_valid():
            actor = Actor.for_user(self.user)
            try:
                if applying:
                    row, count = reaudit.apply_threshold(actor=actor, data=form.data_for_service())
                    messages.success(
                        request,
                        gettext("阈值 %(field)s 已设置，已重新审核 %(n)d 名学员的学时")
                        % {"field": row.field, "n": count},
                    )
                    return HttpResponseRedirect(reverse("console:thresholds"))
                preview = reaudit.preview_threshold(actor=actor, data=form.data_for_service())
            except (Forbidden, NotAuthenticated, NotFound):
                raise
            except DomainError as error:
                add_domain_error(form, error)
            else:
                return self.render_to_response(
                    self.get_context_data(form=form, preview=preview, current=self.current(form))
                )
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def current(self, form: ChangeForm) -> str:
        name = form.cleaned_data["field"]
        rows = audit.thresholds_with_sources(self.user, form.cleaned_data["effective_from"])
        row = next(r for r in rows if r["field"] == name)
        return f"{shown(row['value'])}（{SOURCES[row['source']]}）"


urlpatterns = [
    path("thresholds/", ThresholdsPage.as_view(), name="thresholds"),
    path("thresholds/change/", ThresholdChange.as_view(), name="threshold_change"),
]
