"""The supervision notices: real PDFs from WeasyPrint with the CJK fonts, read back with
pypdf. Writing a PDF subsets the CJK fonts (seconds each), so each kind is rendered
once per module; checks that need no PDF read WeasyPrint's layout of the same HTML."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from typing import Any, cast

import pypdf
import pytest

from yiwang.supervision import documents
from yiwang.supervision.documents import NoticeContent, NoticeKind

UNIT = "邯郸市政务服务中心电子监察室"
ADDRESSEE = "邯山区市场监督管理局"
ISSUED = dt.date(2025, 10, 16)
REPLY_BY = dt.date(2025, 10, 20)
FINDINGS = 24  # paragraphs of the quarterly recommendation: more than a page

SAMPLES: dict[str, dict[str, Any]] = {
    NoticeKind.INQUIRY: {
        "number": "邯效问〔2025〕3号",
        "item": "食品经营许可（新办）",
        "case_number": "130402-20251009-000017",
        "applicant": "张*梅",
        "facts": "该事项承诺时限为5个工作日，应于2025年10月15日前办结，截至2025年10月16日仍未办结，"
        "已超出承诺时限1个工作日，出现黄牌电子预警。",
        "cc": "",
    },
    NoticeKind.ACCOUNTABILITY: {
        "number": "邯效责〔2025〕7号",
        "item": "食品经营许可（变更）",
        "case_number": "130402-20251002-000005",
        "applicant": "邯郸市丛台区**餐饮有限公司",
        "facts": "该事项应于2025年10月9日前办结。2025年10月10日出现黄牌电子预警并发出效能问询通知书后，"
        "截至2025年10月16日仍未办结，已超出承诺时限5个工作日，出现红牌电子预警。",
        "cc": "邯郸市纪委监委驻市政务服务中心纪检监察组，邯山区人民政府",
    },
    NoticeKind.URGING: {
        "number": "邯督办〔2025〕12号",
        "item": "公共场所卫生许可",
        "case_number": "130402-20250925-000031",
        "applicant": "李*",
        "facts": "该办件督办期限为2025年10月15日，截至2025年10月16日仍未办结。申请人留言称“<b>材料已于9月26日补齐</b>”&未获答复。",
        "cc": "邯山区人民政府办公室",
    },
    NoticeKind.RECOMMENDATION: {
        "number": "邯监建〔2025〕2号",
        "item": "",
        "case_number": "",
        "applicant": "",
        "facts": "\n".join(
            f"第{n}项：2025年第三季度，你单位有办件在系统外办理后事后补录，未在承诺时限内办结，"
            "违反了政务服务中心限时办结制度，群众反映强烈。"
            for n in range(1, FINDINGS + 1)
        ),
        "cc": "邯郸市人民政府政务服务管理办公室",
    },
    NoticeKind.DECISION: {
        "number": "邯山监决〔2025〕1号",
        "item": "",
        "case_number": "",
        "applicant": "",
        "facts": "经调查，邯山效投〔2025〕3号投诉反映的窗口工作人员服务态度差、推诿扯皮问题属实。",
        "cc": "邯山区人力资源和社会保障局",
    },
}


def content(kind: str, /, **changes: Any) -> NoticeContent:
    """The sample notice of ``kind``, with ``changes`` (which may change the kind itself)."""
    sample = SAMPLES[kind]
    fields: dict[str, Any] = {
        "kind": kind,
        "issuing_unit": UNIT,
        "addressee": ADDRESSEE,
        "requirement": "",
        "reply_by": REPLY_BY,
        "issued_on": ISSUED,
        **sample,
    }
    fields.update(changes)
    return NoticeContent(**fields)


def squeeze(text: str) -> str:
    return "".join(text.split())


def page_texts(data: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [squeeze(page.extract_text()) for page in reader.pages]


def font_names(data: bytes) -> set[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    names: set[str] = set()
    for page in reader.pages:
        resources = cast(pypdf.generic.DictionaryObject, page["/Resources"].get_object())
        fonts = cast(pypdf.generic.DictionaryObject, resources["/Font"].get_object())
        for font in fonts.values():
            names.add(str(cast(pypdf.generic.DictionaryObject, font.get_object())["/BaseFont"]))
    return names


def layout_pages(notice: NoticeContent) -> list[str]:
    """The text WeasyPrint lays out on each page, without writing (and font-subsetting) a PDF."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    texts: list[str] = []
    for page in HTML(string=documents.notice_html(notice)).render().pages:
        found: list[str] = []

        def walk(box: Any, found: list[str] = found) -> None:
            if isinstance(box, boxes.TextBox):
                found.append(box.text)
            for child in getattr(box, "children", None) or []:
                walk(child)

        walk(page._page_box)
        texts.append(squeeze("".join(found)))
    return texts


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    return {kind: documents.render_notice_pdf(content(kind)) for kind in NoticeKind.values}


@pytest.mark.parametrize("kind", NoticeKind.values)
def test_each_notice_is_a_pdf_that_says_who_what_and_by_when(kind: str, pdfs: dict[str, bytes]) -> None:
    data = pdfs[kind]
    assert data.startswith(b"%PDF-")
    assert any("Noto-Sans-CJK-SC" in name for name in font_names(data))  # the CJK font is embedded
    text = "".join(page_texts(data))
    sample = SAMPLES[kind]
    title = documents.NOTICE_TITLES[kind]
    facts = [squeeze(line) for line in sample["facts"].splitlines()]
    phrases = [
        title,
        sample["number"],
        f"{ADDRESSEE}：",
        *facts,
        "2025年10月20日",
        "电子监察室",  # to whom the written reply goes
        f"{UNIT}2025年10月16日",  # the signature: issuing unit above the date
        f"{UNIT}2025年10月16日印发",  # the record (版记)
    ]
    if sample["case_number"]:
        phrases += [f"“{sample['item']}”事项", f"办件编号：{sample['case_number']}", sample["applicant"]]
    if sample["cc"]:
        phrases.append(f"抄送：{sample['cc']}。")
    for phrase in phrases:
        assert squeeze(phrase) in text, phrase
    # In the order of an official document: issuer, number, title, addressee, body, signature.
    positions = [text.index(squeeze(p)) for p in (UNIT, sample["number"], title, ADDRESSEE, facts[0])]
    assert positions == sorted(positions)
    assert text.index(facts[-1]) < text.rindex(f"{UNIT}2025年10月16日")


def test_the_notices_carry_the_seeds_standard_requirements(pdfs: dict[str, bytes]) -> None:
    texts = {kind: "".join(page_texts(data)) for kind, data in pdfs.items()}
    inquiry = texts[NoticeKind.INQUIRY]
    assert (
        "经查，你单位承办的“食品经营许可（新办）”事项（办件编号：130402-20251009-000017，申请人：张*梅）"
        in inquiry
    )
    assert "请速查明原因，立即作出办理，并于2025年10月20日前将办理情况书面报送电子监察室。" in inquiry
    assert "特此通知。" in inquiry
    accountability = texts[NoticeKind.ACCOUNTABILITY]
    assert "落实承办责任人" in accountability
    assert "责成你单位行政负责人于2025年10月20日前向电子监察室书面报告办理情况和整改措施" in accountability
    assert "启动问责调查程序，请予配合" in accountability
    urging = texts[NoticeKind.URGING]
    assert "现予督办" in urging
    assert "说明超时理由" in urging
    assert "行政过错责任" in urging
    assert "特此督办。" in urging
    recommendation = texts[NoticeKind.RECOMMENDATION]
    assert "为此，提出如下监察建议：" in recommendation
    assert "请于2025年10月20日前将采纳本建议及整改落实情况书面回复电子监察室" in recommendation
    assert "特此建议。" in recommendation
    decision = texts[NoticeKind.DECISION]
    assert "作出如下监察决定：" in decision
    assert "请于2025年10月20日前将执行情况书面报送电子监察室" in decision
    assert "特此决定。" in decision
    # Not about one case: no case number, no empty quotation marks.
    assert "办件编号" not in recommendation
    assert "经查，第1项：" in recommendation


def test_text_from_the_content_is_printed_literally_never_as_markup(pdfs: dict[str, bytes]) -> None:
    html = documents.notice_html(content(NoticeKind.URGING))
    assert "<b>材料" not in html
    assert "&lt;b&gt;材料已于9月26日补齐&lt;/b&gt;”&amp;未获答复" in html
    assert "“<b>材料已于9月26日补齐</b>”&未获答复" in "".join(page_texts(pdfs[NoticeKind.URGING]))


def test_a_long_notice_runs_over_pages_and_keeps_its_signature_block_whole(pdfs: dict[str, bytes]) -> None:
    pages = page_texts(pdfs[NoticeKind.RECOMMENDATION])
    assert len(pages) >= 2
    assert "监察建议书" in pages[0]
    assert all("监察建议书" not in page for page in pages[1:])
    for n, page in enumerate(pages, start=1):
        assert f"—{n}—" in page  # page numbers, official style
    text = "".join(pages)
    for n in range(1, FINDINGS + 1):  # nothing lost at the page breaks
        assert f"第{n}项：" in text
    # The closing, the issuing unit and the date stay together, on the last page.
    assert f"特此建议。{UNIT}2025年10月16日" in pages[-1]
    assert "抄送：邯郸市人民政府政务服务管理办公室。" in pages[-1]


def test_a_requirement_of_ones_own_still_states_the_reply_date_once() -> None:
    own = content(NoticeKind.INQUIRY, requirement="请于收到本通知后立即核查并报告原因。")
    (text,) = layout_pages(own)
    assert "请于收到本通知后立即核查并报告原因。请于2025年10月20日前书面回复。" in text
    already = content(NoticeKind.INQUIRY, requirement="请于2025年10月20日前书面说明超时原因。")
    (text,) = layout_pages(already)
    assert text.count("2025年10月20日") == 1


def test_without_a_reply_date_the_reply_is_due_the_same_day_as_in_the_seed() -> None:
    (text,) = layout_pages(content(NoticeKind.INQUIRY, reply_by=None))
    assert "请速查明原因，立即作出办理，并即日将办理情况书面报送电子监察室。" in text
    (text,) = layout_pages(content(NoticeKind.ACCOUNTABILITY, reply_by=None))
    assert "责成你单位行政负责人即日向电子监察室书面报告办理情况和整改措施" in text


def test_a_notice_about_no_single_case_opens_with_the_facts() -> None:
    notice = content(
        NoticeKind.URGING,
        item="",
        case_number="",
        applicant="",
        facts="你单位本月有3件办件超过督办期限仍未办结。",
    )
    (text,) = layout_pages(notice)
    assert f"{ADDRESSEE}：经查，你单位本月有3件办件超过督办期限仍未办结。现予督办。" in text
    assert "办件编号" not in text


def test_the_default_requirement_names_the_date_or_today() -> None:
    for kind in NoticeKind.values:
        assert "于2025年10月20日前" in documents.default_requirement(kind, REPLY_BY)
        assert "即日" in documents.default_requirement(kind, None)
    with pytest.raises(ValueError, match="kind: unknown notice kind 'warning'"):
        documents.default_requirement("warning", REPLY_BY)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "verdict"}, "kind: unknown notice kind 'verdict'"),
        ({"kind": ""}, "kind: unknown notice kind ''"),
        ({"number": ""}, "number: must not be empty"),
        ({"number": "   "}, "number: must not be empty"),
        ({"addressee": ""}, "addressee: must not be empty"),
        ({"facts": "\n \n"}, "facts: must not be empty"),
        ({"issuing_unit": ""}, "issuing_unit: must not be empty"),
        (
            {"reply_by": dt.date(2025, 10, 15)},
            "reply_by: the reply date 2025-10-15 is before the issue date 2025-10-16",
        ),
        ({"applicant": "张晓梅 130402199001012310"}, "applicant: a full ID number must not be printed"),
        ({"applicant": "13040219900101231X"}, "applicant: a full ID number must not be printed"),
    ],
)
def test_bad_content_is_refused_with_the_field_and_reason(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        content(NoticeKind.INQUIRY, **changes)


def test_a_masked_applicant_is_accepted() -> None:
    notice = content(NoticeKind.INQUIRY, applicant="130402********2310")
    assert notice.applicant == "130402********2310"
    with pytest.raises(dataclasses.FrozenInstanceError):
        notice.facts = "改写"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("inquiry", "邯效问〔2026〕3号"),
        ("accountability", "邯效责〔2026〕3号"),
        ("urging", "邯督办〔2026〕3号"),
        ("recommendation", "邯监建〔2026〕3号"),
    ],
)
def test_the_document_number_has_region_abbreviation_year_and_serial(kind: str, expected: str) -> None:
    assert documents.notice_number(kind, "邯", 2026, 3) == expected


def test_document_numbers_keep_serials_as_they_are() -> None:
    assert documents.notice_number(NoticeKind.INQUIRY, "丛", 2025, 128) == "丛效问〔2025〕128号"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("warning", "邯", 2026, 3), "kind: unknown notice kind 'warning'"),
        (("inquiry", " ", 2026, 3), "region_short: the region's short name"),
        (("inquiry", "邯", 26, 3), "year: expected a four-digit year, got 26"),
        (("inquiry", "邯", 2026, 0), "serial: expected a positive whole number, got 0"),
        (("inquiry", "邯", 2026, -1), "serial: expected a positive whole number, got -1"),
    ],
)
def test_bad_number_parts_are_refused(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        documents.notice_number(*args)


def test_every_kind_has_a_title_and_an_abbreviation() -> None:
    assert set(documents.NOTICE_TITLES) == set(NoticeKind.values)
    assert set(documents.NUMBER_ABBREVIATIONS) == set(NoticeKind.values)
    assert documents.NOTICE_TITLES["inquiry"] == "效能问询通知书"
    assert documents.NOTICE_TITLES["accountability"] == "效能问责通知书"
    assert documents.NOTICE_TITLES["urging"] == "督办通知书"
    assert documents.NOTICE_TITLES["recommendation"] == "监察建议书"


def test_facts_that_already_name_the_case_are_not_preceded_by_it_again() -> None:
    facts = (
        "你单位承办的“食品经营许可（新办）”事项（办件编号 130402-20251009-000017），"
        "承诺时限应于2025年10月15日届满，截至2025年10月16日尚未办结。"
    )
    (text,) = layout_pages(content(NoticeKind.INQUIRY, facts=facts))
    assert f"{ADDRESSEE}：经查，{squeeze(facts)}" in text
    assert text.count("130402-20251009-000017") == 1


def test_facts_opening_with_the_finding_formula_do_not_repeat_it() -> None:
    facts = "经查，该办件超过承诺时限2个工作日仍未办结。"
    (text,) = layout_pages(content(NoticeKind.INQUIRY, facts=facts))
    assert "经查，经查" not in text
    assert (
        "（办件编号：130402-20251009-000017，申请人：张*梅），经查，该办件超过承诺时限2个工作日仍未办结。"
        in text
    )
