"""Forms of the catalog's admin pages. They check input; the services do the writing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.catalog.models import Item
from yiwang.org.models import Role
from yiwang.org.permissions import can_view

MAINTAINER_ROLES: tuple[Role, ...] = (Role.SYSTEM_ADMIN, Role.MAINTAINER)


class PublishForm(forms.Form):
    """The one question the publish action asks: from which day the versions are in force."""

    effective_from = forms.DateField(
        label=_("Effective from"),
        widget=AdminDateWidget,
        help_text=_(
            "The day citizens start to rely on the new version; the version in force until then ends that day."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"effective_from": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ItemAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    """A new item: its region must lie in its department's, and in the editor's scope."""

    # The signed-in user, set on the class by the admin (yiwang.org.admin.ScopedAdminMixin).
    actor: AbstractBaseUser | AnonymousUser | None = None

    class Meta:
        model = Item
        fields = ["code", "entry", "department", "region"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        department, region = data.get("department"), data.get("region")
        if department is None or region is None:
            return data
        if not region.path.startswith(department.region.path):
            raise ValidationError(
                {
                    "region": ValidationError(
                        _("The item's region must be the department's region or lie inside it."),
                        code="region_outside_department",
                    )
                }
            )
        if not can_view(self.actor, Item(department=department, region=region), roles=MAINTAINER_ROLES):
            raise ValidationError(
                {
                    "region": ValidationError(
                        _("This department and region lie outside the scope of your roles."),
                        code="outside_scope",
                    )
                }
            )
        return data
