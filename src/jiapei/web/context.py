"""Context shared by every page of every end."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


def site(request: HttpRequest) -> dict[str, Any]:
    return {"site_name": _("机动车驾驶培训监管服务平台")}
