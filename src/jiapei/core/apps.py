from django.apps import AppConfig
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "jiapei.core"
    verbose_name = _("audit log")

    def ready(self) -> None:
        from jiapei.core.columns import refuse_unfit_row

        # Every jiapei row is checked against its columns before it is written (see columns).
        pre_save.connect(refuse_unfit_row, dispatch_uid="jiapei.core.columns")
