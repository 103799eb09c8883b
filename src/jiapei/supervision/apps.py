from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "jiapei.supervision"
    verbose_name = _("sampled audits and key supervision")
