from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "yiwang.supervision"
    verbose_name = _("Supervision")

    def ready(self) -> None:
        from yiwang.supervision import receivers  # noqa: F401  (connects to the case ledger)
