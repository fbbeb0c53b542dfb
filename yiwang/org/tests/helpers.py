"""Small helpers shared by the organisation tests."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from yiwang.core.identifiers import build_uscc
from yiwang.org.models import Region, Staff

GOOD_PASSWORD = "Qiang-Mima-2026!"


def fresh(staff: Staff) -> AbstractBaseUser:
    """The staff member's user as a new object: like a new request, its scope cache is empty."""
    return get_user_model().objects.get(pk=staff.user_id)


def uscc_for(region: Region, serial: int) -> str:
    """A valid USCC registered in ``region`` (organisation type 2, so it never collides
    with the factories' codes)."""
    return build_uscc("1", "2", region.code, f"{serial:08d}X")


def codes(error: ValidationError) -> dict[str, list[str]]:
    """``{field: [code, ...]}`` of a service error."""
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}  # type: ignore[misc]
