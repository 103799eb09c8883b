"""What every console page shares: regulators only, the console's layout and menu.

A page asks :func:`jiapei.accounts.access.regulator` before anything else, so an account that
is not a regulator bound to a region gets the 403 page (the web kit's middleware), and every
query below it is scoped by the same module.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import HttpRequest, HttpResponse

from jiapei.accounts import access
from jiapei.console.menu import MENU
from jiapei.web import views as web
from jiapei.web.menu import Menu


class Console:
    end: ClassVar[str] = "console"
    menu: ClassVar[Menu | None] = MENU
    base_template: ClassVar[str] = "console/base.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            access.regulator(request.user)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class ConsolePage(Console, web.PageView):
    pass


class ConsoleList(Console, web.ScopedListView):
    pass


class ConsoleDetail(Console, web.ScopedDetailView):
    pass


class ConsoleAction(Console, web.ActionView):
    pass
