"""The console's home (工作台): what waits for the user first, then the region's figures."""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext_lazy as _

from jiapei.console.base import ConsolePage


class Dashboard(ConsolePage):
    title = _("工作台")
    template_name = "console/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["region"] = self.user.region
        return context


urlpatterns = [path("", Dashboard.as_view(), name="dashboard")]
