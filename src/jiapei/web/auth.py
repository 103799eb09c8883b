"""Logging in and out of the web ends, and sending each account to its end.

One login page for regulators and school staff (Django's ``LoginView``: passwords checked with
the default hasher, every attempt counted by django-axes, whose middleware answers a locked-out
client before the password is hashed). Sessions end after ``JIAPEI_SESSION_IDLE_MINUTES`` of
inactivity (settings.py). Logging out is a POST, so a link cannot log anyone out.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from jiapei.accounts import access


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("web:home")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["title"] = _("登录")
        return context


class LogoutView(auth_views.LogoutView):
    next_page = "web:login"


def home(request: HttpRequest) -> HttpResponse:
    """The end that belongs to the account: the console for regulators."""
    if not request.user.is_authenticated:
        return HttpResponseRedirect(reverse("web:login"))
    if access.is_regulator(request.user):
        return HttpResponseRedirect(reverse("console:dashboard"))
    return render(
        request,
        "403.html",
        {"message": _("此账户没有可用的管理端 (this account has no web end yet)")},
        status=403,
    )
