"""Licenses in the admin: read-only, within scope, ID numbers masked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from yiwang.licenses.models import HolderKind, License
from yiwang.licenses.services import license_issue
from yiwang.licenses.tests.conftest import APPLICANT_ID

pytestmark = pytest.mark.django_db


def _license(dept) -> License:
    return license_issue(
        user=None,
        license_type="11100000000013661B002",
        name="食品经营许可证",
        number="JY11304020000001",
        holder_name="张晓梅",
        holder_id_number=APPLICANT_ID,
        holder_kind=HolderKind.RESIDENT_ID,
        issuer=dept,
        issued_on=dt.date(2025, 3, 1),
    )


def test_admin_lists_licenses_read_only_with_ids_masked(client, market_dept) -> None:
    license = _license(market_dept)
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    client.force_login(admin)
    listing = client.get(reverse("admin:licenses_license_changelist"))
    assert listing.status_code == 200
    assert license.number in listing.content.decode() and APPLICANT_ID not in listing.content.decode()
    detail = client.get(reverse("admin:licenses_license_change", args=[license.pk]))
    assert detail.status_code == 200 and APPLICANT_ID not in detail.content.decode()
    assert (
        client.post(reverse("admin:licenses_license_change", args=[license.pk]), {"number": "X"}).status_code
        == 403
    )
    assert License.objects.get().number == "JY11304020000001"
    assert client.get(reverse("admin:licenses_license_add")).status_code == 403


def test_admin_hides_other_departments_licenses(client, market_dept, neighbour_approver) -> None:
    license = _license(market_dept)
    neighbour_approver.is_staff = True
    neighbour_approver.save(update_fields=["is_staff"])
    client.force_login(neighbour_approver)
    assert client.get(reverse("admin:licenses_license_change", args=[license.pk])).status_code in (
        302,
        403,
        404,
    )
    listing = client.get(reverse("admin:licenses_license_changelist"))
    assert license.number not in listing.content.decode()
