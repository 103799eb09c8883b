from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "jiapei.accounts"
    verbose_name = _("accounts and administrative divisions")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_load_regions, sender=self)


def _load_regions(sender: object, **kwargs: object) -> None:
    from django.conf import settings

    from jiapei.accounts.services import sync_regions

    using = kwargs.get("using", "default")
    if using == "default":
        sync_regions(province_code=settings.JIAPEI_PROVINCE)
