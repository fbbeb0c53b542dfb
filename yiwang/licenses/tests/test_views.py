"""The verification page (public, masked), the QR code, the holder's list and the PDF."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from yiwang.conftest import ENTERPRISE_USCC
from yiwang.core.identifiers import build_resident_id
from yiwang.licenses.models import HolderKind, License, LicenseStatus
from yiwang.licenses.services import license_issue, license_revoke
from yiwang.licenses.tests.conftest import APPLICANT_ID
from yiwang.portal.factories import citizen_account
from yiwang.portal.models import Agent

pytestmark = pytest.mark.django_db

TYPE = "11100000000013661B002"


def _license(
    dept: Any, *, holder_id: str = APPLICANT_ID, kind: str = HolderKind.RESIDENT_ID, **kw: Any
) -> License:
    fields: dict[str, Any] = {
        "user": None,
        "license_type": TYPE,
        "name": "食品经营许可证",
        "number": f"JY1130402{License.objects.count():07d}",
        "holder_name": "张晓梅" if kind == HolderKind.RESIDENT_ID else "邯郸市丛台食品有限公司",
        "holder_id_number": holder_id,
        "holder_kind": kind,
        "issuer": dept,
        "issued_on": dt.date(2025, 3, 1),
        "valid_until": dt.date(2030, 2, 28),
    }
    fields.update(kw)
    return license_issue(**fields)


def _en(client: Client, url: str) -> Any:
    # Pages are Chinese whatever the browser asks; English is the language switch's cookie.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        return client.get(url)


# --------------------------------------------------------------------------- verify


def test_the_verify_page_shows_the_license_with_personal_data_masked(client, market_dept) -> None:
    license = _license(market_dept)
    response = _en(client, reverse("licenses:verify", args=[license.verify_token]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "食品经营许可证" in html and license.number in html and market_dept.name in html
    assert "2025-03-01" in html and "2030-02-28" in html
    assert "张**" in html and "张晓梅" not in html
    assert "130402**********" + APPLICANT_ID[-2:] not in html  # sanity of the mask below
    assert license.masked_holder_id in html and APPLICANT_ID not in html
    assert response.context["status"] == LicenseStatus.VALID
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "same-origin"
    assert "noindex" in response["X-Robots-Tag"]


def test_the_verify_page_says_revoked_and_expired(client, market_dept, approver_user) -> None:
    revoked = _license(market_dept)
    license_revoke(license=revoked, user=approver_user, reason="依法撤销")
    response = _en(client, reverse("licenses:verify", args=[revoked.verify_token]))
    assert response.context["status"] == LicenseStatus.REVOKED
    assert "was revoked" in response.content.decode()

    expired = _license(market_dept, valid_until=dt.date(2025, 3, 31))  # not yet swept
    response = _en(client, reverse("licenses:verify", args=[expired.verify_token]))
    assert response.context["status"] == LicenseStatus.EXPIRED
    assert "ran out on 2025-03-31" in response.content.decode()


@pytest.mark.parametrize("token", ["x" * 43, "short", "A" * 44, "a" * 42 + "!"])
def test_an_unknown_token_is_a_404_page(client, market_dept, token) -> None:
    _license(market_dept)
    response = _en(client, f"/licenses/verify/{token}/")
    assert response.status_code == 404
    assert "could not find this e-license" in response.content.decode()
    assert _en(client, f"/licenses/verify/{token}/qr.svg").status_code == 404


def test_the_qr_code_holds_the_verify_address(client, market_dept) -> None:
    license = _license(market_dept)
    response = client.get(reverse("licenses:qr", args=[license.verify_token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<?xml") and b"<svg" in response.content
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_verify_page_reads_few_queries(client, market_dept, django_assert_max_num_queries) -> None:
    license = _license(market_dept)
    with django_assert_max_num_queries(3):
        assert client.get(reverse("licenses:verify", args=[license.verify_token])).status_code == 200


# --------------------------------------------------------------------------- mine


@pytest.fixture
def enterprise_of_holder(holder: Any) -> Any:
    enterprise = citizen_account(
        username="congtai_food",
        name="邯郸市丛台食品有限公司",
        id_number=ENTERPRISE_USCC,
        mobile="13700137000",
        kind="enterprise",
    )
    Agent.objects.create(
        enterprise=enterprise, person=holder, authorised_by=enterprise.user, authorised_at=timezone.now()
    )
    return enterprise


def test_mine_shows_own_and_agency_licenses_only(client, market_dept, holder, enterprise_of_holder) -> None:
    own = _license(market_dept)
    company = _license(market_dept, holder_id=ENTERPRISE_USCC, kind=HolderKind.USCC)
    stranger = _license(market_dept, holder_id=build_resident_id("130402", dt.date(1975, 6, 1), 11))
    client.force_login(holder.user)
    response = _en(client, reverse("licenses:mine"))
    assert response.status_code == 200
    shown = [row["license"] for row in response.context["rows"]]
    assert set(shown) == {own, company}
    html = response.content.decode()
    assert own.number in html and company.number in html and stranger.number not in html
    assert APPLICANT_ID not in html  # IDs masked in the list
    assert reverse("licenses:pdf", args=[own.pk]) in html


def test_a_revoked_agency_shows_the_enterprises_licenses_no_more(
    client, market_dept, holder, enterprise_of_holder
) -> None:
    _license(market_dept, holder_id=ENTERPRISE_USCC, kind=HolderKind.USCC)
    Agent.objects.update(revoked_at=timezone.now())
    client.force_login(holder.user)
    assert _en(client, reverse("licenses:mine")).context["rows"] == []


def test_an_unverified_account_sees_no_licenses(client, market_dept) -> None:
    # lisi registered with 张晓梅's ID number would otherwise see her licenses
    impostor = citizen_account(
        username="impostor", name="张晓梅", id_number=APPLICANT_ID, mobile="13900139001", verified=False
    )
    _license(market_dept)
    client.force_login(impostor.user)
    response = _en(client, reverse("licenses:mine"))
    assert response.context["rows"] == []
    assert "Verify your identity" in response.content.decode()


def test_mine_needs_sign_in(client) -> None:
    response = client.get(reverse("licenses:mine"))
    assert response.status_code == 302
    assert "next=/licenses/mine/" in response["Location"]


def test_mine_reads_a_fixed_number_of_queries(
    client, market_dept, holder, enterprise_of_holder, django_assert_max_num_queries
) -> None:
    client.force_login(holder.user)
    for _ in range(2):
        _license(market_dept)
    with django_assert_max_num_queries(9) as few:
        client.get(reverse("licenses:mine"))
    for _ in range(5):
        _license(market_dept, holder_id=ENTERPRISE_USCC, kind=HolderKind.USCC)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("licenses:mine"))
    assert len(response.context["rows"]) == 7


# --------------------------------------------------------------------------- pdf


def test_the_pdf_opens_and_carries_the_number(client, market_dept, holder) -> None:
    license = _license(market_dept)
    client.force_login(holder.user)
    response = client.get(reverse("licenses:pdf", args=[license.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert license.number in text
    assert "食品经营许可证" in text.replace(" ", "")
    assert license.identifier.replace(".", "") in text.replace(".", "").replace("\n", "")
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points


def test_only_the_holder_gets_the_pdf(client, market_dept, holder) -> None:
    other = citizen_account(
        username="wangjg",
        name="王建国",
        id_number=build_resident_id("130402", dt.date(1975, 6, 1), 11),
        mobile="13900139002",
    )
    license = _license(market_dept)
    client.force_login(other.user)
    assert client.get(reverse("licenses:pdf", args=[license.pk])).status_code == 404
    assert client.get(reverse("licenses:pdf", args=[license.pk + 1000])).status_code == 404
    client.logout()
    assert client.get(reverse("licenses:pdf", args=[license.pk])).status_code == 302
