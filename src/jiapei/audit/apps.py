from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "jiapei.audit"
    verbose_name = _("hours audit")
