"""The progress page's QR code.

No QR decoder is installed (neither pyzbar nor zxing is in requirements.lock), so instead
of decoding the image the tests read the modules back out of the SVG path and the PNG
pixels and check them against segno's own matrix for the expected URL; the error
correction level is read independently from the code's format information.
"""

from __future__ import annotations

import base64
import io
import re
import xml.etree.ElementTree as ET

import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image

from yiwang.cases import qr, services
from yiwang.cases.models import Case, Channel
from yiwang.cases.services import Upload
from yiwang.cases.tests.conftest import APPLICANT_ID, at

Matrix = list[list[bool]]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SVG_NS = "{http://www.w3.org/2000/svg}"
FORMAT_MASK = 0b101010000010010
EC_LEVEL_BITS = {0b01: "L", 0b00: "M", 0b11: "Q", 0b10: "H"}


@pytest.fixture
def case(food_licence, materials, window_user) -> Case:
    return services.case_file(
        version=food_licence,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name="张晓梅",
        applicant_id_number=APPLICANT_ID,
        uploads=[Upload(SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"), materials[0])],
        user=window_user,
        at=at("2025-09-22"),
    )


def parse_xml(text: str | bytes) -> ET.Element:
    """Well-formed XML or an error. The input is the code under test's own output; a DTD
    or entity in it (the only way stdlib parsing goes wrong) would itself be a failure."""
    raw = text.encode() if isinstance(text, str) else text
    assert b"<!DOCTYPE" not in raw and b"<!ENTITY" not in raw
    return ET.fromstring(raw)  # noqa: S314 (see above)


def expected_matrix(url: str) -> Matrix:
    code = segno.make(url, error="m", boost_error=False, micro=False)
    return [[bool(v) for v in row] for row in code.matrix]


def matrix_from_svg(svg: ET.Element, ns: str = "") -> tuple[Matrix, int, int]:
    """The dark modules drawn by segno's path (horizontal strokes of width 1, one row per
    unit of y, offset by the quiet zone), the scale, and the quiet zone drawn in white."""
    group = svg.find(f"{ns}g")
    assert group is not None
    scale = int(re.fullmatch(r"scale\((\d+)\)", group.get("transform", "")).group(1))  # type: ignore[union-attr]
    background, modules = group.findall(f"{ns}path")
    assert background.get("fill") == "#fff", "the quiet zone is white, not transparent"
    size_with_border = int(re.fullmatch(r"M0 0h(\d+)v\1h-\1z", background.get("d", "")).group(1))  # type: ignore[union-attr]
    assert modules.get("stroke") == "#000"
    dark: set[tuple[int, int]] = set()
    x = y = 0.0
    for command, args in re.findall(r"([MmHh])([-\d.\s]+)", modules.get("d", "")):
        numbers = [float(n) for n in args.split()]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        else:
            end = numbers[0] if command == "H" else x + numbers[0]
            for col in range(int(x), int(end)):
                dark.add((int(y), col))
            x = end
    border = next(b for b in range(size_with_border) if any(r == b for r, _c in dark))
    size = size_with_border - 2 * border
    assert all(border <= r < border + size and border <= c < border + size for r, c in dark), (
        "nothing is drawn in the quiet zone"
    )
    matrix = [[(r + border, c + border) in dark for c in range(size)] for r in range(size)]
    assert int(svg.get("width", "0")) == size_with_border * scale
    return matrix, scale, border


def error_level(matrix: Matrix) -> str:
    """The error correction level, from the format information beside the top-left finder."""
    bits = [matrix[8][c] for c in (0, 1, 2, 3, 4, 5, 7, 8)] + [matrix[r][8] for r in (7, 5, 4, 3, 2, 1, 0)]
    value = int("".join("1" if b else "0" for b in bits), 2) ^ FORMAT_MASK
    return EC_LEVEL_BITS[value >> 13]


# --------------------------------------------------------------------------- URLs


@pytest.mark.django_db
def test_progress_url_is_a_path_without_a_request_and_absolute_with_one(case: Case, settings) -> None:
    settings.ALLOWED_HOSTS = ["zwfw.example.gov.cn"]
    assert qr.progress_url(case) == f"/progress/{case.query_token}/"
    request = RequestFactory().get("/work/cases/1/", secure=True, HTTP_HOST="zwfw.example.gov.cn")
    assert qr.progress_url(case, request) == f"https://zwfw.example.gov.cn/progress/{case.query_token}/"
    # nothing about the case but its random token is in the address
    assert case.number not in qr.progress_url(case, request)
    assert len(case.query_token) == 43


# --------------------------------------------------------------------------- inline SVG


@pytest.mark.django_db
def test_inline_svg_is_well_formed_and_holds_the_progress_url(case: Case) -> None:
    request = RequestFactory().get("/")
    url = f"http://testserver/progress/{case.query_token}/"
    svg_text = qr.qr_svg(case, request)
    assert svg_text.startswith("<svg") and "<?xml" not in svg_text  # embeddable in HTML as is
    svg = parse_xml(svg_text)  # well-formed XML
    assert svg.get("class") == "qr-code"
    title = svg.find("title")
    assert title is not None and case.number in (title.text or "")
    matrix, scale, border = matrix_from_svg(svg)
    assert matrix == expected_matrix(url)
    assert (scale, border) == (qr.SCALE, qr.QUIET_ZONE)
    assert error_level(matrix) == "M"
    # the comparison can fail: another token, or another level, gives other modules
    assert matrix != expected_matrix(url.replace(case.query_token[:4], "AAAA"))
    assert matrix != [[bool(v) for v in row] for row in segno.make(url, error="q", boost_error=False).matrix]


@pytest.mark.django_db
def test_inline_svg_without_a_request_encodes_the_path(case: Case) -> None:
    matrix, _scale, _border = matrix_from_svg(parse_xml(qr.qr_svg(case)))
    assert matrix == expected_matrix(f"/progress/{case.query_token}/")


@pytest.mark.django_db
def test_scale_is_adjustable(case: Case) -> None:
    svg = parse_xml(qr.qr_svg(case, scale=8))
    matrix, scale, _border = matrix_from_svg(svg)
    assert scale == 8
    assert matrix == expected_matrix(f"/progress/{case.query_token}/")


# --------------------------------------------------------------------------- PNG for PDFs


@pytest.mark.django_db
def test_png_data_uri_has_the_same_modules(case: Case) -> None:
    request = RequestFactory().get("/")
    uri = qr.qr_png_data_uri(case, request)
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    image = Image.open(io.BytesIO(base64.b64decode(uri[len(prefix) :]))).convert("L")
    expected = expected_matrix(f"http://testserver/progress/{case.query_token}/")
    size = len(expected)
    assert image.size == ((size + 2 * qr.QUIET_ZONE) * qr.SCALE,) * 2
    half = qr.SCALE // 2

    def dark(row: int, col: int) -> bool:
        return image.getpixel((col * qr.SCALE + half, row * qr.SCALE + half)) < 128  # type: ignore[operator]

    total = size + 2 * qr.QUIET_ZONE
    read = [[dark(r + qr.QUIET_ZONE, c + qr.QUIET_ZONE) for c in range(size)] for r in range(size)]
    assert read == expected
    quiet = [
        (r, c) for r in range(total) for c in range(total) if not (4 <= r < 4 + size and 4 <= c < 4 + size)
    ]
    assert not any(dark(r, c) for r, c in quiet)


# --------------------------------------------------------------------------- the image endpoint


@pytest.mark.django_db
def test_qr_endpoint_serves_a_standalone_svg_of_the_absolute_url(client, case: Case) -> None:
    response = client.get(reverse("progress:qr", args=[case.query_token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response.content.startswith(b"<?xml")
    svg = parse_xml(response.content)
    assert svg.tag == f"{SVG_NS}svg"
    matrix, _scale, _border = matrix_from_svg(svg, SVG_NS)
    assert matrix == expected_matrix(f"http://testserver/progress/{case.query_token}/")
    assert error_level(matrix) == "M"
    assert b"<script" not in response.content


@pytest.mark.django_db
def test_the_page_embeds_the_code_of_its_own_address(client, case: Case) -> None:
    html = client.get(reverse("progress:detail", args=[case.query_token])).content.decode()
    svg_text = re.search(r"<svg.*?</svg>", html, re.S).group(0)  # type: ignore[union-attr]
    matrix, _scale, _border = matrix_from_svg(parse_xml(svg_text))
    assert matrix == expected_matrix(f"http://testserver/progress/{case.query_token}/")
