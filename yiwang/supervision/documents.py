"""The supervision notices, as printable PDFs (WeasyPrint, Noto CJK fonts from Debian's
``fonts-noto-cjk``): the inquiry notice (效能问询通知书) sent with a yellow card, the
accountability notice (效能问责通知书) sent with a red card, the urging notice
(督办通知书) and the supervision recommendation (监察建议书).

They are official documents laid out after GB/T 9704 (发文机关标志, 发文字号, 标题,
主送机关, 正文, 落款, 版记), so their text is Chinese whatever the viewer's language.
The wording of the standard requirements follows the electronic supervision office's
rules in the seeds (篇1 附件1/2, 篇2, 篇7).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from yiwang.supervision.models import NoticeKind

NOTICE_TITLES: dict[str, str] = {
    NoticeKind.INQUIRY.value: "效能问询通知书",
    NoticeKind.ACCOUNTABILITY.value: "效能问责通知书",
    NoticeKind.URGING.value: "督办通知书",
    NoticeKind.RECOMMENDATION.value: "监察建议书",
    NoticeKind.DECISION.value: "监察决定书",
}

NUMBER_ABBREVIATIONS: dict[str, str] = {
    NoticeKind.INQUIRY.value: "效问",
    NoticeKind.ACCOUNTABILITY.value: "效责",
    NoticeKind.URGING.value: "督办",
    NoticeKind.RECOMMENDATION.value: "监建",
    NoticeKind.DECISION.value: "监决",
}

# The closing formula (结束语) above the signature.
_CLOSINGS: dict[str, str] = {
    NoticeKind.INQUIRY.value: "特此通知。",
    NoticeKind.ACCOUNTABILITY.value: "特此通知。",
    NoticeKind.URGING.value: "特此督办。",
    NoticeKind.RECOMMENDATION.value: "特此建议。",
    NoticeKind.DECISION.value: "特此决定。",
}

# A resident ID number in full (18 characters, or the old 15 digits) must never be printed.
_FULL_ID = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")


def _check_kind(kind: str) -> str:
    if kind not in NOTICE_TITLES:
        known = ", ".join(NOTICE_TITLES)
        raise ValueError(f"kind: unknown notice kind {kind!r} (expected one of: {known})")
    return str(kind)


def chinese_date(day: dt.date) -> str:
    """``2025年10月20日``: the way dates are written in an official document."""
    return f"{day.year}年{day.month}月{day.day}日"


def notice_number(kind: str, region_short: str, year: int, serial: int) -> str:
    """The document number (发文字号): ``("inquiry", "邯", 2026, 3)`` gives ``邯效问〔2026〕3号``.
    The year goes in hexagonal brackets 〔〕 and the serial has no leading zeros (GB/T 9704)."""
    abbreviation = NUMBER_ABBREVIATIONS[_check_kind(kind)]
    region_short = region_short.strip()
    if not region_short:
        raise ValueError("region_short: the region's short name (e.g. 邯) is required")
    if isinstance(year, bool) or not isinstance(year, int) or not 1000 <= year <= 9999:
        raise ValueError(f"year: expected a four-digit year, got {year!r}")
    if isinstance(serial, bool) or not isinstance(serial, int) or serial < 1:
        raise ValueError(f"serial: expected a positive whole number, got {serial!r}")
    return f"{region_short}{abbreviation}〔{year}〕{serial}号"


def default_requirement(kind: str, reply_by: dt.date | None) -> str:
    """The standard "what is required" paragraph of a notice of ``kind``; with ``reply_by``
    the written reply is due by that date, without it the same day (即日), as in the seeds."""
    kind = _check_kind(kind)
    by = f"于{chinese_date(reply_by)}前" if reply_by is not None else "即日"
    if kind == NoticeKind.INQUIRY:
        return f"请速查明原因，立即作出办理，并{by}将办理情况书面报送电子监察室。"
    if kind == NoticeKind.ACCOUNTABILITY:
        return (
            f"请速查明原因，落实承办责任人，立即作出办理，责成你单位行政负责人{by}"
            "向电子监察室书面报告办理情况和整改措施。同时，启动问责调查程序，请予配合。"
        )
    if kind == NoticeKind.URGING:
        return (
            f"现予督办。请你单位责令承办人员立即办理，说明超时理由，并{by}"
            "将办理结果和情况说明书面报送电子监察室。对无正当理由超时的，"
            "由你单位追究有关人员行政过错责任并落实整改。"
        )
    if kind == NoticeKind.DECISION:
        return (
            "责成你单位督促有关人员作出书面检查，按上述处理意见落实，并限期整改；"
            f"请{by}将执行情况书面报送电子监察室。对本决定不予落实、屡教不改的，"
            "将情况反馈原单位和人社局，按干部管理权限追究责任。"
        )
    return (
        "建议你单位对上述问题认真核查，责令有关人员作出书面检查，健全内部管理制度，限期整改。"
        f"请{by}将采纳本建议及整改落实情况书面回复电子监察室；对本建议不予落实、屡教不改的，"
        "将按干部管理权限追究责任。"
    )


@dataclasses.dataclass(frozen=True)
class NoticeContent:
    """Everything printed on a notice. Constructing one with an unknown kind, an empty
    number, addressee, facts or issuing unit, a reply date before the issue date, or a
    full ID number in ``applicant`` raises ``ValueError``; an empty ``requirement`` means
    the kind's standard one (``default_requirement``)."""

    kind: str
    number: str
    issuing_unit: str
    addressee: str
    item: str
    case_number: str
    applicant: str
    facts: str
    requirement: str
    reply_by: dt.date | None
    issued_on: dt.date
    cc: str = ""

    def __post_init__(self) -> None:
        _check_kind(self.kind)
        for field in ("number", "issuing_unit", "addressee", "facts"):
            value = getattr(self, field)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{field}: must not be empty")
        if not isinstance(self.issued_on, dt.date):
            raise ValueError(f"issued_on: expected a date, got {self.issued_on!r}")
        if isinstance(self.issued_on, dt.datetime) or isinstance(self.reply_by, dt.datetime):
            raise ValueError("issued_on, reply_by: expected local dates, not datetimes")
        if self.reply_by is not None:
            if not isinstance(self.reply_by, dt.date):
                raise ValueError(f"reply_by: expected a date or None, got {self.reply_by!r}")
            if self.reply_by < self.issued_on:
                raise ValueError(
                    f"reply_by: the reply date {self.reply_by.isoformat()} is before "
                    f"the issue date {self.issued_on.isoformat()}"
                )
        if _FULL_ID.search(self.applicant or ""):
            raise ValueError("applicant: a full ID number must not be printed; pass the masked one")


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _lead_in(content: NoticeContent, facts: str) -> str:
    """``经查，你单位承办的“食品经营许可”事项（办件编号：…，申请人：张**），`` before the
    facts; only ``经查，`` when the facts already name the case by its number (or the
    notice is about none), and no ``经查，`` when the facts open with it themselves."""
    opening = "" if facts.startswith("经查") else "经查，"
    item, number, applicant = (content.item.strip(), content.case_number.strip(), content.applicant.strip())
    if (number and number in content.facts) or not (item or number or applicant):
        return opening
    details = [f"办件编号：{number}"] if number else []
    if applicant:
        details.append(f"申请人：{applicant}")
    bracket = f"（{'，'.join(details)}）" if details else ""
    return f"{opening}你单位承办的{f'“{item}”事项' if item else '办件'}{bracket}，"


def notice_context(content: NoticeContent) -> dict[str, Any]:
    kind = str(content.kind)
    requirement = content.requirement.strip() or default_requirement(kind, content.reply_by)
    reply_by_text = chinese_date(content.reply_by) if content.reply_by is not None else ""
    facts = _paragraphs(content.facts)
    return {
        "content": content,
        "kind": kind,
        "title": NOTICE_TITLES[kind],
        "lead_in": _lead_in(content, facts[0]),
        "facts_first": facts[0],
        "facts_more": facts[1:],
        "requirement": _paragraphs(requirement),
        "reply_by_text": reply_by_text,
        # The deadline is always printed, once: a requirement of the lead's own wording
        # that does not name it gets a sentence of its own.
        "reply_line": bool(reply_by_text) and reply_by_text not in requirement,
        "closing": _CLOSINGS[kind],
        "issued_on_text": chinese_date(content.issued_on),
        "cc": content.cc.strip().rstrip("。"),
    }


def notice_html(content: NoticeContent) -> str:
    return render_to_string(f"supervision/notices/{content.kind}.html", notice_context(content))


def render_notice_pdf(content: NoticeContent) -> bytes:
    """The PDF of ``content`` (validated when it was constructed)."""
    from weasyprint import HTML  # heavy import, only when a PDF is made

    html = notice_html(content)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()  # type: ignore[no-any-return]
