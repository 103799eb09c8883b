from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FraudConfig(AppConfig):
    name = "jiapei.fraud"
    verbose_name = _("hours-fraud detection")
