from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "yiwang.core"
    verbose_name = _("Core: calendar and identifiers")

    def ready(self) -> None:
        from yiwang.core import checks  # noqa: F401  (registers system checks)
