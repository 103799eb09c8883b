from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkordersConfig(AppConfig):
    name = "jiapei.workorders"
    verbose_name = _("work orders")
