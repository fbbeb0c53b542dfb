"""The QR code printed on an e-license: it holds only the public verification page's
address, which carries the license's random token and nothing else."""

from __future__ import annotations

import io

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from yiwang.cases.qr import DARK, LIGHT, QUIET_ZONE, SCALE, qr_code
from yiwang.licenses.models import License


def verify_path(license: License) -> str:
    return reverse("licenses:verify", args=[license.verify_token])


def verify_url(license: License, request: HttpRequest | None = None) -> str:
    """The verification page's address: absolute with ``request``, else the path."""
    path = verify_path(license)
    return request.build_absolute_uri(path) if request is not None else path


def qr_svg(license: License, request: HttpRequest | None = None, *, scale: int = SCALE) -> str:
    """An inline ``<svg>`` of the verification page's QR code."""
    return qr_code(verify_url(license, request)).svg_inline(
        scale=scale,
        border=QUIET_ZONE,
        dark=DARK,
        light=LIGHT,
        title=_("QR code to verify the e-license %(name)s") % {"name": license.name},
        svgclass="qr-code",
    )


def qr_svg_document(license: License, request: HttpRequest | None = None, *, scale: int = SCALE) -> bytes:
    """A standalone SVG file of the same code."""
    out = io.BytesIO()
    qr_code(verify_url(license, request)).save(
        out, kind="svg", scale=scale, border=QUIET_ZONE, dark=DARK, light=LIGHT, xmldecl=True, svgns=True
    )
    return out.getvalue()


def qr_png_data_uri(license: License, request: HttpRequest | None = None, *, scale: int = SCALE) -> str:
    """``data:image/png;base64,…`` of the same code, for the PDF."""
    return qr_code(verify_url(license, request)).png_data_uri(
        scale=scale, border=QUIET_ZONE, dark=DARK, light=LIGHT
    )
