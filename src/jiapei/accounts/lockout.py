"""What a locked-out login is answered with (django-axes' ``AXES_LOCKOUT_CALLABLE``).

django-axes refuses every login of a locked-out client, before the password is hashed, until
``JIAPEI_LOGIN_COOLOFF_MINUTES`` have passed. The regulators' API has already answered such a
request with its envelope (errorcode 3002, HTTP 429; api/auth.py): that reply is kept. The login
pages (the admin's, the web ends') get a 429 page instead of their form.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def retry_after_seconds() -> int:
    """How long a locked-out client must wait, for the ``Retry-After`` header."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_message() -> str:
    minutes = retry_after_seconds() // 60
    return (
        f"登录失败次数过多，请 {minutes} 分钟后再试 "
        f"(too many failed logins: locked out for {minutes} minutes)"
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """The API's own reply when it gave one (a JSON envelope), else a plain 429 page."""
    if original_response is not None and original_response.get("Content-Type", "").startswith(
        "application/json"
    ):
        response = original_response
    else:
        response = render(
            request,
            "web/lockout.html",
            {"message": lockout_message(), "title": "登录已锁定"},
            status=429,
        )
    response["Retry-After"] = str(retry_after_seconds())
    return response
