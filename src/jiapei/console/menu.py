"""The console's navigation, as data. Items a level may not use are dropped for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from jiapei.accounts import access
from jiapei.web.menu import Menu, MenuGroup, MenuItem


def may(action: access.Action) -> Callable[[Any], bool]:
    """An item shown only to users ``access`` allows ``action``."""
    return lambda user: access.allowed(user, action)


MENU = Menu(
    [
        MenuGroup(_("工作台"), [MenuItem(_("工作台"), "console:dashboard")]),
        MenuGroup(
            _("备案信息"),
            [
                MenuItem(_("计时平台"), "console:platforms"),
                MenuItem(_("培训机构"), "console:institutions"),
            ],
        ),
        MenuGroup(_("系统"), [MenuItem(_("操作日志"), "console:trail")]),
    ]
)
