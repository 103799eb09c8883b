from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkordersConfig(AppConfig):
    name = "jiapei.workorders"
    verbose_name = _("work orders")

    def ready(self) -> None:
        from jiapei.supervision.signals import bad_verdict
        from jiapei.workorders.receivers import open_for_bad_verdict

        bad_verdict.connect(open_for_bad_verdict, dispatch_uid="workorders.open_for_bad_verdict")
