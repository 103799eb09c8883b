"""What the registry's pages share: the filters every list offers (行政区划, school, filing
status, free text), actions guarded by :mod:`jiapei.accounts.access` before their form is
shown, and history rows with personal data masked.

Kit candidates (reference/ui.md §1): :class:`GuardedAction`, :class:`RequiredReasonForm`,
:class:`LocalDateTimeColumn` and :func:`masked_history` would
serve every end; they live here until the web kit takes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, ClassVar

import django_filters as filters
from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from jiapei.accounts import access
from jiapei.accounts.models import Region
from jiapei.console.base import ConsoleAction
from jiapei.core.models import AuditLogEntry
from jiapei.registry import queries as registry
from jiapei.registry.models import FilingStatus, Institution
from jiapei.web import masking
from jiapei.web.tables import DateTimeColumn


def region_choices(request: Any) -> QuerySet[Any]:
    """The regions a filter may offer: the user's own and those below it."""
    return access.visible_regions(request.user) if request else Region.objects.none()


def school_choices(request: Any) -> QuerySet[Any]:
    """The schools a filter may offer: those of the user's region."""
    if request is None:
        return Institution.objects.none()
    return registry.institutions_for(request.user).select_related(None).only("inscode", "name")


class FiledFilter(filters.FilterSet):
    """行政区划, school and filing status for a list of rows filed under a school.

    ``region_path`` is the path from the row to its school's district code; ``search_fields``
    are the fields the free-text box searches (``icontains``).
    """

    region_path: ClassVar[str] = "institution__district__code"
    search_fields: ClassVar[tuple[str, ...]] = ()

    q = filters.CharFilter(method="search", label=_("搜索"))
    district = filters.ModelChoiceFilter(
        queryset=region_choices, label=_("行政区划"), method="in_region", empty_label=_("全部")
    )
    school = filters.ModelChoiceFilter(
        queryset=school_choices,
        label=_("培训机构"),
        field_name="institution",
        empty_label=_("全部"),
    )
    filing_status = filters.ChoiceFilter(
        choices=FilingStatus.choices, label=_("备案状态"), empty_label=_("全部")
    )

    def search(self, qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": value.strip()})
        return qs.filter(query)

    def in_region(self, qs: QuerySet[Any], name: str, value: Region) -> QuerySet[Any]:
        return qs.filter(**{f"{self.region_path}__startswith": value.scope_prefix})


class LocalDateTimeColumn(DateTimeColumn):
    """The kit's date-time column, exported as shown (``2026-03-05 14:30``, Asia/Shanghai)
    rather than as the raw UTC value the kit's export writes for a datetime."""

    def value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return date_format(timezone.localtime(value), "Y-m-d H:i")
        return value


def flag_filter(label: Any, method: str, help_text: Any = "") -> filters.BooleanFilter:
    """A checkbox that narrows the list when ticked and does nothing when not."""
    return filters.BooleanFilter(
        label=label, method=method, widget=forms.CheckboxInput, help_text=help_text
    )


class RequiredReasonForm(forms.Form):
    """The kit's reason form with the reason required, for actions whose service refuses
    one without it (revoking a filing, suspending a platform): the form says so up front."""

    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=500, required=True)  # fmt: skip
    confirm = forms.BooleanField(label=_("我已核对，确认执行此操作"), required=True)


class GuardedAction(ConsoleAction):
    """An action whose level is checked before the form is shown: a user ``access`` does not
    allow ``required`` gets the 403 page on GET and POST alike (the service checks again)."""

    required: ClassVar[access.Action]
    template_name = "console/registry/action.html"
    explain: ClassVar[Any] = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            access.require(request.user, self.required)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["explain"] = self.explain
        return context


# Snapshot keys holding personal data, and the mask each gets in a history row.
PERSONAL: dict[str, Callable[[str | None], str]] = {
    "idcard": masking.mask_idcard,
    "drilicence": masking.mask_idcard,
    "mobile": masking.mask_phone,
    "phone": masking.mask_phone,
}


def masked_history(entries: Iterable[AuditLogEntry]) -> list[AuditLogEntry]:
    """The entries with ID numbers and phone numbers masked in their before/after snapshots
    (in memory only: audit rows are never written back), so a re-filed phone number does not
    show in full on a detail page."""
    rows = list(entries)
    for entry in rows:
        for side in ("before", "after"):
            data = getattr(entry, side)
            if isinstance(data, dict):
                setattr(entry, side, {k: _mask(k, v) for k, v in data.items()})
    return rows


def _mask(key: str, value: Any) -> Any:
    return PERSONAL[key](str(value)) if key in PERSONAL and value else value


def url_if_exists(name: str, query: str = "") -> str | None:
    """The URL of a page another module may provide (e.g. the students list), or None while
    it does not exist, so a link appears once the page is merged."""
    try:
        return reverse(name) + query
    except NoReverseMatch:
        return None
