from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """治理端: the regulators' console at ``/console/`` (DESIGN §9)."""

    name = "jiapei.console"
    label = "console"
    verbose_name = _("regulators' console")
