"""The printable documents: real PDFs from WeasyPrint with the CJK font, read back as
text (pdftotext from poppler-utils when installed, and always WeasyPrint's own layout of
the same HTML)."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from typing import Any

import pytest
from django.test import Client

from yiwang.cases import documents, services
from yiwang.cases.models import Case, Channel
from yiwang.cases.tests.conftest import APPLICANT_ID

pytestmark = pytest.mark.django_db

PDFTOTEXT = shutil.which("pdftotext")


def file_case(version: Any, user: Any) -> Case:
    return services.case_file(
        version=version,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name="张晓梅",
        applicant_id_number=APPLICANT_ID,
        user=user,
    )


def layout_text(case: Case, kind: str) -> str:
    """The text WeasyPrint lays out on the pages of the document."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    pages = HTML(string=documents.document_html(case, kind)).render().pages
    found: list[str] = []

    def walk(box: Any) -> None:
        if isinstance(box, boxes.TextBox):
            found.append(box.text)
        for child in getattr(box, "children", None) or []:
            walk(child)

    for page in pages:
        walk(page._page_box)
    return "".join(found)


def pdf_of(client: Client, case: Case, kind: str) -> bytes:
    response = client.get(f"/work/cases/{case.number}/documents/{kind}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{case.number}-{kind}.pdf"'
    data = response.content
    assert data.startswith(b"%PDF-")
    assert len(data) > 5000  # a page of text with an embedded font, not an empty shell
    assert b"NotoSansCJK" in inflated(data)  # the CJK font is embedded
    return data


def inflated(data: bytes) -> bytes:
    """The PDF with its compressed streams (object streams, fonts…) decompressed."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            parts.append(zlib.decompressobj().decompress(data[match.end() : match.end() + 2_000_000]))
        except zlib.error:
            continue
    return b"".join(parts)


def pdf_text(data: bytes) -> str | None:
    if PDFTOTEXT is None:
        return None
    result = subprocess.run([PDFTOTEXT, "-layout", "-", "-"], input=data, capture_output=True, check=True)  # noqa: S603
    return "".join(result.stdout.decode().split())


def squeeze(text: str) -> str:
    return "".join(text.split())


def assert_says(case: Case, kind: str, data: bytes, *phrases: str) -> None:
    case = Case.objects.get(pk=case.pk)
    texts = [squeeze(layout_text(case, kind))]
    extracted = pdf_text(data)
    if extracted is not None:
        texts.append(extracted)
    for text in texts:
        for phrase in phrases:
            assert squeeze(phrase) in text, phrase
        assert APPLICANT_ID not in text  # the ID number only ever appears masked


@pytest.fixture
def staff(window_user: Any) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"  # documents are Chinese whatever the viewer reads
    client.force_login(window_user)
    return client


def test_the_one_time_supplement_notice_lists_every_material_and_its_problem(
    food_licence, materials, window_user, staff
) -> None:
    case = file_case(food_licence, window_user)
    services.case_request_supplement(
        case=case,
        user=window_user,
        items=[
            {"material": materials[1].pk, "problem": "未提交"},
            {"material": materials[2].pk, "problem": "缺少食品安全管理员签字"},
            {"material": None, "name": "经营场所平面图", "problem": "未标注面积"},
        ],
    )
    data = pdf_of(staff, case, "supplement")
    notice = case.events.order_by("-seq").first()
    assert notice is not None
    day = documents._local(notice.occurred_at)
    assert_says(
        case,
        "supplement",
        data,
        case.number,
        "营业执照复印件",
        "未提交",
        "食品安全管理制度文本",
        "缺少食品安全管理员签字",
        "经营场所平面图",
        "未标注面积",
        "邯山区市场监督管理局",
        f"{day.year}年{day.month}月{day.day}日",
        "130402********2310",
    )


def test_the_refusal_notice_gives_reason_basis_and_remedies(food_licence, window_user, staff) -> None:
    case = file_case(food_licence, window_user)
    services.case_refuse(
        case=case,
        user=window_user,
        reason="申请事项不属于本机关职权范围",
        legal_basis="《中华人民共和国行政许可法》第三十二条第一款第（二）项",
    )
    data = pdf_of(staff, case, "refusal")
    assert_says(
        case,
        "refusal",
        data,
        case.number,
        "申请事项不属于本机关职权范围",
        "《中华人民共和国行政许可法》第三十二条第一款第（二）项",
        "行政复议",
        "行政诉讼",
    )


def test_the_acceptance_notice_has_number_due_date_and_progress_qr_code(
    food_licence, window_user, staff
) -> None:
    case = file_case(food_licence, window_user)
    services.case_accept(case=case, user=window_user)
    case.refresh_from_db()
    data = pdf_of(staff, case, "acceptance")
    due = case.due_date
    assert due is not None
    progress = f"http://testserver/progress/{case.query_token}/"
    assert_says(case, "acceptance", data, case.number, f"{due.year}年{due.month}月{due.day}日")
    assert b"/Subtype /Image" in data  # the QR code
    extracted = pdf_text(data)
    if extracted is not None:
        assert progress in extracted
    context = documents.document_context(case, "acceptance")
    assert context["progress_url"] == f"/progress/{case.query_token}/"
    assert context["qr"].startswith("data:image/png;base64,")


def test_the_receipt_lists_the_files_handed_in(food_licence, materials, window_user, staff) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from yiwang.cases.services import Upload

    case = services.case_file(
        version=food_licence,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name="张晓梅",
        applicant_id_number=APPLICANT_ID,
        uploads=[Upload(SimpleUploadedFile("申请书.pdf", b"%PDF-1.4\n%%EOF\n"), materials[0])],
        user=window_user,
    )
    data = pdf_of(staff, case, "receipt")
    assert_says(case, "receipt", data, case.number, "食品经营许可申请书", "申请书.pdf")


def test_decision_documents_for_approval_and_denial(
    food_licence, window_user, handler_user, reviewer_user, approver_user, staff
) -> None:
    def to_decision(decision: str, **reasons: str) -> Case:
        case = file_case(food_licence, window_user)
        services.case_accept(case=case, user=window_user)
        services.case_pass_step(case=case, user=handler_user, opinion="同意")
        services.case_pass_step(case=case, user=reviewer_user, opinion="同意")
        services.case_decide(case=case, user=approver_user, decision=decision, **reasons)
        return Case.objects.get(pk=case.pk)

    approved = to_decision("approved")
    services.case_complete(case=approved, user=approver_user, result_number="JY11304020001234")
    approved.refresh_from_db()
    data = pdf_of(staff, approved, "decision")
    assert_says(
        approved,
        "decision",
        data,
        "准予行政许可决定书",
        "JY11304020001234",
        "《中华人民共和国食品安全法》第三十五条",
    )

    denied = to_decision(
        "denied", reason="经营场所与住宅未有效隔离", legal_basis="《食品经营许可管理办法》第十一条"
    )
    data = pdf_of(staff, denied, "decision")
    assert_says(
        denied,
        "decision",
        data,
        "不予行政许可决定书",
        "经营场所与住宅未有效隔离",
        "《食品经营许可管理办法》第十一条",
        "行政复议",
    )


def test_a_document_the_case_does_not_have_is_not_found(food_licence, window_user, staff) -> None:
    case = file_case(food_licence, window_user)
    assert documents.available_documents(case) == ["receipt"]
    for kind in ("acceptance", "supplement", "refusal", "decision", "licence"):
        assert staff.get(f"/work/cases/{case.number}/documents/{kind}.pdf").status_code == 404
    with pytest.raises(documents.DocumentUnavailable):
        documents.render_pdf(case, "refusal")
