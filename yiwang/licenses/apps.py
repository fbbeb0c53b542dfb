from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensesConfig(AppConfig):
    name = "yiwang.licenses"
    verbose_name = _("E-licenses")

    def ready(self) -> None:
        from yiwang.licenses import receivers  # noqa: F401  (connects to the case ledger)
