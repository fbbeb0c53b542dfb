from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "yiwang.portal"
    verbose_name = _("Public portal")

    def ready(self) -> None:
        from yiwang.portal import inbox  # noqa: F401  (tells applicants of their cases' events)
