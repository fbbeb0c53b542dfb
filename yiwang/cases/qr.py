"""The QR code that opens a case's public progress page (办件进度查询二维码).

The code holds only the page's address, which carries the case's random query token and
nothing else: no case number, no applicant data. Printed on receipts and notices (the
PNG data URI and inline SVG suit WeasyPrint) and shown on the page itself.
"""

from __future__ import annotations

import io

import segno
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from yiwang.cases.models import Case

# Four modules of quiet zone is what the QR standard (ISO/IEC 18004) asks for; at 4 px a
# module a 43-character token's URL (version 5, 37 modules) prints about 48 mm wide.
QUIET_ZONE = 4
SCALE = 4
ERROR_CORRECTION = "m"  # 15 % of the code may be smudged or torn and it still reads
DARK = "#000"
LIGHT = "#fff"  # never transparent: a receipt's tinted paper or a dark theme must not eat the quiet zone
LINE_CLASS = "qr-code__modules"


def progress_path(case: Case) -> str:
    return reverse("progress:detail", args=[case.query_token])


def progress_url(case: Case, request: HttpRequest | None = None) -> str:
    """The progress page's address: absolute when ``request`` is given (``https://host/progress/<token>/``),
    else the path ``/progress/<token>/``."""
    path = progress_path(case)
    return request.build_absolute_uri(path) if request is not None else path


def qr_code(url: str) -> segno.QRCode:
    """The QR code of ``url``: a full (not micro) code at error correction level M exactly."""
    return segno.make(url, error=ERROR_CORRECTION, boost_error=False, micro=False)


def qr_svg(case: Case, request: HttpRequest | None = None, *, scale: int = SCALE) -> str:
    """An inline ``<svg>`` (no XML declaration, HTML5-embeddable) of the progress page's QR code."""
    return qr_code(progress_url(case, request)).svg_inline(
        scale=scale,
        border=QUIET_ZONE,
        dark=DARK,
        light=LIGHT,
        title=_("QR code of the progress page of case %(number)s") % {"number": case.number},
        svgclass="qr-code",
        lineclass=LINE_CLASS,
    )


def qr_svg_document(case: Case, request: HttpRequest | None = None, *, scale: int = SCALE) -> bytes:
    """A standalone SVG file (XML declaration and namespace) of the same code."""
    out = io.BytesIO()
    qr_code(progress_url(case, request)).save(
        out,
        kind="svg",
        scale=scale,
        border=QUIET_ZONE,
        dark=DARK,
        light=LIGHT,
        xmldecl=True,
        svgns=True,
        svgclass="qr-code",
        lineclass=LINE_CLASS,
    )
    return out.getvalue()


def qr_png_data_uri(case: Case, request: HttpRequest | None = None, *, scale: int = SCALE) -> str:
    """``data:image/png;base64,…`` of the same code, for PDFs (``<img src="…">``)."""
    return qr_code(progress_url(case, request)).png_data_uri(
        scale=scale, border=QUIET_ZONE, dark=DARK, light=LIGHT
    )
