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
                MenuItem(_("教练员"), "console:coaches"),
                MenuItem(_("考核员"), "console:examiners"),
                MenuItem(_("安全员"), "console:safety_officers"),
                MenuItem(_("教练车"), "console:cars"),
                MenuItem(_("计时终端"), "console:terminals"),
                MenuItem(_("终端绑定"), "console:bindings"),
                MenuItem(_("收费标准"), "console:fees"),
            ],
        ),
        MenuGroup(
            _("审核"),
            [
                MenuItem(_("教学区域审核"), "console:areas"),
                MenuItem(_("公安指定路线"), "console:routes"),
                MenuItem(_("阶段培训记录审核"), "console:stage_reviews"),
            ],
        ),
        MenuGroup(
            _("监管工作台"),
            [
                MenuItem(_("异常线索"), "console:findings"),
                MenuItem(_("我的工单"), "console:workorders"),
                MenuItem(_("工单处置率"), "console:workorder_clearance"),
            ],
        ),
        MenuGroup(_("学员"), [MenuItem(_("学员档案"), "console:students")]),
        MenuGroup(
            _("人工抽查"),
            [
                MenuItem(_("抽查批次"), "console:sampling"),
                MenuItem(_("抽查比例"), "console:sampling_policy"),
            ],
        ),
        MenuGroup(
            _("监管处置"),
            [
                MenuItem(_("重点监管名单"), "console:watchlist"),
                MenuItem(_("名单月度通报"), "console:watchlist_notice"),
                MenuItem(_("禁训"), "console:bans"),
            ],
        ),
        MenuGroup(
            _("统计排名"),
            [
                MenuItem(
                    _("计时平台排名"),
                    "console:platform_ranking",
                    visible=may(access.Action.READ_REPORTS),
                ),
                MenuItem(_("考试合格率"), "console:pass_rates"),
            ],
        ),
        MenuGroup(
            _("报表"),
            [MenuItem(_("专项整治月报表"), "console:monthly", may(access.Action.READ_REPORTS))],
        ),
        MenuGroup(_("设置"), [MenuItem(_("审核阈值"), "console:thresholds")]),
        MenuGroup(_("系统"), [MenuItem(_("操作日志"), "console:trail")]),
    ]
)
