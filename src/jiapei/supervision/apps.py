from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "jiapei.supervision"
    verbose_name = _("sampled audits and key supervision")

    def ready(self) -> None:
        # Ingest (training, below supervision in DESIGN §4) enforces the bans stored here.
        from jiapei.supervision.queries import ban_windows
        from jiapei.training import bans

        bans.provide(ban_windows)
