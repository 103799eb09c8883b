from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """The kit every web end builds on (DESIGN §9): layouts, tables, maps, charts, files."""

    name = "jiapei.web"
    label = "web"
    verbose_name = _("web kit")
