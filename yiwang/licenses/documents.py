"""The printable e-license (PDF, A4, WeasyPrint with Noto Sans CJK SC from Debian's
``fonts-noto-cjk``): the license's particulars, its identifier and the QR code of its
public verification page. Always rendered in Simplified Chinese, the site's default
language, like the cases' written documents."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from yiwang.licenses import qr
from yiwang.licenses.models import License


def license_html(license: License, *, request: HttpRequest | None = None) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "licenses/document.html",
            {
                "license": license,
                "status": license.status_on(timezone.localdate()),
                "qr": qr.qr_png_data_uri(license, request),
                "verify_url": qr.verify_url(license, request),
            },
        )


def render_pdf(license: License, *, request: HttpRequest | None = None) -> bytes:
    from weasyprint import HTML  # heavy import, only when a PDF is made

    html = license_html(license, request=request)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()  # type: ignore[no-any-return]


def filename(license: License) -> str:
    """ASCII only: the identifier's serial and version (the number may hold Chinese)."""
    serial, version = license.identifier.split(".")[-3:-1]
    return f"license-{serial}-{version}.pdf"
