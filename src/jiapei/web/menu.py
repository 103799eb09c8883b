"""Navigation as data (the NetBox pattern): an end declares its menu, the layout drops the
items the user may not see. Each item's ``visible`` asks :mod:`jiapei.accounts.access`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise

Label = str | Promise


def _always(user: Any) -> bool:
    return True


@dataclass(frozen=True)
class MenuItem:
    label: Label
    url_name: str
    visible: Callable[[Any], bool] = _always


@dataclass(frozen=True)
class MenuGroup:
    label: Label
    items: Sequence[MenuItem] = field(default_factory=tuple)


@dataclass(frozen=True)
class Menu:
    groups: Sequence[MenuGroup]

    def for_request(self, request: HttpRequest) -> list[ShownGroup]:
        """The groups and items ``request.user`` may see, each item with its URL; the current
        item is the one with the longest URL the path starts with, so the end's home (its root
        URL) is current only on itself."""
        out: list[ShownGroup] = []
        for group in self.groups:
            items = [
                ShownItem(item.label, reverse(item.url_name))
                for item in group.items
                if item.visible(request.user)
            ]
            if items:
                out.append(ShownGroup(group.label, items))
        matches = [i for g in out for i in g.items if request.path.startswith(i.url)]
        if matches:
            max(matches, key=lambda i: len(i.url)).current = True
        return out


@dataclass
class ShownItem:
    label: Label
    url: str
    current: bool = False


@dataclass
class ShownGroup:
    label: Label
    items: list[ShownItem]
