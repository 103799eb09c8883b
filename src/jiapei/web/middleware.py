"""Access refusals raised anywhere under a page become that end's 403/404 pages.

:mod:`jiapei.accounts.access` raises :class:`NotAuthenticated`, :class:`Forbidden` and
:class:`NotFound`; the API's envelope turns them into JSON, and this middleware turns them into
pages for everything else (the API's handlers catch their own before a middleware sees them).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jiapei.core.errors import Forbidden, NotAuthenticated, NotFound


class AccessErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotAuthenticated):
            return redirect_to_login(request.get_full_path())
        if isinstance(exception, Forbidden):
            return render(request, "403.html", {"message": exception.message}, status=403)
        if isinstance(exception, NotFound):
            return render(request, "404.html", {"message": exception.message}, status=404)
        return None
