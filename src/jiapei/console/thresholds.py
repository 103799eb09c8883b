"""Audit thresholds in the console: every value in force in the user's region with where it
comes from (the default, the province's setting or the city's), the settings of single
schools, and for province and city regulators a change from a date — first a dry run that
lists the students a re-audit would change, then the change with the re-audit queued.

Reads are :func:`jiapei.audit.queries.thresholds_with_sources` and
:func:`~jiapei.audit.queries.thresholds_for`; the dry run and the change are
:mod:`jiapei.audit.services.reaudit`, which check the caller's right to the scope as setting a
threshold through the API does.
"""

from __future__ import annotations

import hashlib
import json
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


# The thresholds by name in the officers' words (the code stays beside it: the audit's reasons
# and the API name it).
LABELS = {
    "practical_window_start": _("实操培训开始时间"),
    "practical_window_end": _("实操培训结束时间"),
    "classroom_window_start": _("课堂培训开始时间"),
    "classroom_window_end": _("课堂培训结束时间"),
    "simulator_window_start": _("模拟培训开始时间"),
    "simulator_window_end": _("模拟培训结束时间"),
    "remote_window_start": _("远程培训开始时间"),
    "remote_window_end": _("远程培训结束时间"),
    "stationary_minutes": _("连续车速为0的分钟数"),
    "stationary_max_speed_kmh": _("视为静止的最高车速（公里/小时）"),
    "no_mileage_minutes": _("连续无里程的分钟数"),
    "no_mileage_max_km": _("视为无里程的最大里程（公里）"),
    "no_mileage_moving_speed_kmh": _("无里程但视为行驶的车速（公里/小时）"),
    "no_mileage_moving_m": _("无里程但视为行驶的位移（米）"),
    "no_mileage_step_m": _("无里程时允许的最大位移（米）"),
    "speed_limit_part2_kmh": _("第二部分最高车速（公里/小时）"),
    "speed_limit_part3_kmh": _("第三部分最高车速（公里/小时）"),
    "teleport_speed_kmh": _("定位跳变判定车速（公里/小时）"),
    "odometer_window_minutes": _("跑马机判定的分钟数"),
    "odometer_spread_m": _("跑马机判定的定位范围（米）"),
    "gnss_stale_max_minutes": _("视为定位中断的重复定位分钟数"),
    "odometer_min_km": _("跑马机判定的最小里程（公里）"),
    "photo_interval_minutes": _("定时拍照间隔（分钟）"),
    "photo_grace_seconds": _("拍照允许延迟（秒）"),
    "photo_window_minutes": _("缺少照片时前后无效的分钟数"),
    "photo_edge_seconds": _("签到签退照片允许偏差（秒）"),
    "face_confidence_min": _("人脸比对最低置信度"),
    "face_calibrate_per_terminal": _("按终端校准人脸比对置信度"),
    "face_reference_median": _("校准参考置信度中位数"),
    "face_calibration_min_photos": _("校准所需最少照片数"),
    "face_calibration_days": _("校准统计天数"),
    "face_calibration_max_shift": _("校准最大下调值"),
    "photo_require_confidence": _("无置信度的照片视为不合格"),
    "photo_modes": _("适用拍照规则的培训方式"),
    "photo_reuse_check": _("照片重复使用时判定无效"),
    "photo_reuse_max_distance": _("视为同一照片的指纹差异（位）"),
    "short_distance_km": _("实操培训最短里程（公里）"),
    "valid_share_min": _("有效分钟最低占比"),
    "daily_cap_practical_minutes": _("每日实操学时上限（分钟）"),
    "daily_cap_theory_minutes": _("每日理论学时上限（分钟）"),
    "overlap_tolerance_seconds": _("培训时间重叠容差（秒）"),
    "overlap_skew_seconds": _("不同终端时钟偏差容差（秒）"),
}


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
                    "label": LABELS.get(row["field"], row["field"]),
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
    field = forms.ChoiceField(
        label=_("阈值"), choices=[(n, f"{LABELS.get(n, n)}（{n}）") for n in FIELD_NAMES]
    )
    value = forms.CharField(
        label=_("新值"),
        max_length=100,
        help_text=_("数值直接填写；时间填写如 05:00；是/否填写 true 或 false；多个值用逗号分隔。"),
    )
    effective_from = forms.DateField(
        label=_("生效日期"),
        help_text=_("该日及以后的培训按新值审核；早于今天时，重新审核这些天的学时。"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
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


def digest(form: ChangeForm) -> str:
    """A fingerprint of the change a dry run was shown for (the page sends it back)."""
    text = json.dumps(form.data_for_service(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


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
    confirmation): the change and the queued re-audit, then back to the list."""

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
        if applying and form.is_valid() and request.POST.get("previewed") != digest(form):
            # What is applied is what the officer saw the dry run of, not a later edit.
            form.add_error(None, gettext("设置在试算后已修改，请重新试算后再应用。"))
        if form.is_valid():
            actor = Actor.for_user(self.user)
            try:
                if applying:
                    row, count = reaudit.apply_threshold(actor=actor, data=form.data_for_service())
                    messages.success(
                        request,
                        gettext(
                            "阈值 %(field)s 已设置；%(n)d 名学员的学时已排队重新审核，"
                            "后台审核完成后生效"
                        )
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
                    self.get_context_data(
                        form=form,
                        preview=preview,
                        current=self.current(form),
                        previewed=digest(form),
                    )
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
