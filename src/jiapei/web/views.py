"""Generic views of the web ends: scoped lists, scoped detail pages, and actions.

Each mirrors NetBox's order of work (reference/ui.md §1). A list applies its FilterSet to the
queryset :mod:`jiapei.accounts.access` scoped to the user, then answers the page, the table
fragment (htmx) or the ``.xlsx`` file from that one queryset. A detail page looks its object up
in the scoped queryset, so another region's id is a 404. An action asks a service, which asks
``access`` again and writes its audit-log row; the view turns a domain error into form errors.
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

from django import forms
from django.contrib import messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, FormView, TemplateView
from django_filters.views import FilterView
from django_htmx.http import HttpResponseClientRedirect
from django_tables2 import RequestConfig, SingleTableMixin

from jiapei.accounts.models import User
from jiapei.core.actors import Actor
from jiapei.core.errors import DomainError, FieldErrors, Forbidden, NotAuthenticated, NotFound
from jiapei.core.models import AuditLogEntry
from jiapei.web.htmx import htmx_partial
from jiapei.web.menu import Menu
from jiapei.web.tables import BaseTable, xlsx_response


class EndMixin:
    """What every page of an end has: its base layout, menu and page title."""

    end: ClassVar[str] = ""
    menu: ClassVar[Menu | None] = None
    base_template: ClassVar[str] = "web/base.html"
    title: ClassVar[Any] = ""
    request: HttpRequest

    @property
    def user(self) -> User:
        """The logged-in user (pages run only after :class:`LoginRequired` let them in)."""
        return cast(User, self.request.user)

    def get_title(self) -> Any:
        return self.title

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context.update(
            end=self.end,
            base_template=self.base_template,
            menu=self.menu.for_request(self.request) if self.menu else [],
            title=self.get_title(),
        )
        return context


class LoginRequired:
    """Anonymous visitors go to the login page (the middleware turns access's errors into
    403 and 404 pages for logged-in users)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class PageView(LoginRequired, EndMixin, TemplateView):
    """A page of an end that is not a list or a detail (a dashboard, a queue)."""


class ScopedListView(LoginRequired, EndMixin, SingleTableMixin, FilterView):
    """A list: FilterSet + Table + :meth:`scoped_queryset`. ``?export=xlsx`` downloads the
    filtered rows; an htmx request gets the results fragment only."""

    template_name = "web/list.html"
    fragment_template = "web/_results.html"
    table_class: type[BaseTable]
    paginate_by = 50
    export_name: ClassVar[str] = "export"
    intro: ClassVar[Any] = ""

    def scoped_queryset(self) -> QuerySet[Any]:
        """The rows the user may see (ask :mod:`jiapei.accounts.access` or a ``queries``
        function that does)."""
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        return self.scoped_queryset()

    def get_table(self, **kwargs: Any) -> BaseTable:
        table = super().get_table(**kwargs)
        table.order_with_tie_breaker()
        return table

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.GET.get("export") == "xlsx":
            filterset = self.get_filterset(self.get_filterset_class())
            rows = filterset.qs if filterset.is_valid() else self.get_queryset().none()
            table = self.table_class(rows)
            RequestConfig(request, paginate=False).configure(table)
            table.order_with_tie_breaker()
            return xlsx_response(table, self.export_name)
        response = super().get(request, *args, **kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response

    def get_template_names(self) -> list[str]:
        if htmx_partial(self.request):
            return [self.fragment_template]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filterset = context.get("filter")
        active = 0
        if filterset is not None and filterset.is_bound:
            active = sum(1 for k, v in filterset.data.items() if v and k in filterset.filters)
        query = self.request.GET.copy()
        query.pop("page", None)
        query["export"] = "xlsx"
        context.update(active_filters=active, export_query=query.urlencode(), intro=self.intro)
        return context


class ScopedDetailView(LoginRequired, EndMixin, DetailView):
    """A detail page: the object comes from :meth:`scoped_queryset` (another region's id is
    a 404) and the page shows its audit-log history."""

    template_name = "web/detail.html"
    history_limit = 50
    lookup_field: ClassVar[str] = "pk"  # the model field the URL's ``lookup_url_kwarg`` names
    lookup_url_kwarg: ClassVar[str] = "pk"

    def scoped_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        return self.scoped_queryset()

    def get_object(self, queryset: QuerySet[Any] | None = None) -> Any:
        qs = queryset if queryset is not None else self.get_queryset()
        return get_object_or_404(qs, **{self.lookup_field: self.kwargs[self.lookup_url_kwarg]})

    def get_title(self) -> Any:
        return str(self.object)

    def history(self) -> QuerySet[AuditLogEntry]:
        """The object's audit-log rows, newest first (override to add related objects')."""
        return history_of(self.object)[: self.history_limit]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["history"] = self.history()
        return context


def history_of(obj: Model) -> QuerySet[AuditLogEntry]:
    return (
        AuditLogEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("actor_user")
        .order_by("-at", "-pk")
    )


class ReasonForm(forms.Form):
    """What every regulatory action asks: a reason (kept in the audit trail) and a check that
    the user means it."""

    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=500, required=False)  # fmt: skip
    confirm = forms.BooleanField(label=_("我已核对，确认执行此操作"), required=True)


class ActionView(LoginRequired, EndMixin, FormView):
    """One action on one object: a GET shows the confirmation form, a POST runs
    :meth:`perform` (a service call) and returns to ``success_url`` with a message. A domain
    error from the service is shown on the form, on the field it names."""

    template_name = "web/action.html"
    form_class: type[forms.Form] = ReasonForm
    done_message: ClassVar[Any] = _("操作已完成")
    danger: ClassVar[bool] = False
    object: Any

    def scoped_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            self.object = get_object_or_404(self.scoped_queryset(), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def perform(self, actor: Actor, form: forms.Form) -> Any:
        raise NotImplementedError

    def get_success_url(self) -> str:
        return self.request.path.rsplit("/", 2)[0] + "/"

    def form_valid(self, form: forms.Form) -> HttpResponse:
        try:
            self.perform(Actor.for_user(self.user), form)
        except (Forbidden, NotAuthenticated, NotFound):
            # A refusal of access is no mistake in the form: the 403/404 pages answer it.
            raise
        except DomainError as error:
            add_domain_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, str(self.done_message))
        url = self.get_success_url()
        if htmx_partial(self.request):
            return HttpResponseClientRedirect(url)
        return HttpResponseRedirect(url)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(object=self.object, danger=self.danger, back_url=self.get_success_url())
        return context


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Put a service's error on the form: on the field it names when the form has one, else
    on the form as a whole."""
    errors: list[DomainError] = list(error.errors) if isinstance(error, FieldErrors) else [error]
    for item in errors:
        field = item.field if item.field in form.fields else None
        # A field's own error says what is wrong without repeating the field and its value.
        form.add_error(field, getattr(item, "reason", item.message) if field else item.message)
