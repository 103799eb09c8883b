from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StagesConfig(AppConfig):
    name = "jiapei.stages"
    verbose_name = _("stage review")
