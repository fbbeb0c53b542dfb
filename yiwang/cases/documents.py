"""The written documents of a case, as printable PDFs (WeasyPrint, Noto Sans CJK SC from
Debian's ``fonts-noto-cjk``): the receipt of the application, the acceptance notice
(受理通知书), the one-time supplement notice (一次性告知书), the refusal notice
(不予受理通知书) and the decision (准予/不予行政许可决定书).

They are official written vouchers (行政许可法 §32, §38), so they are always rendered
in the site's default language, Simplified Chinese, whatever the viewer's language.
Each carries the QR code of the case's public progress page, which shows no personal
data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from yiwang.cases import qr
from yiwang.cases.models import Case, CaseEvent, CaseState, Decision, EventType
from yiwang.cases.workflow import Template, deadlines, fold
from yiwang.catalog.models import ItemType, LimitUnit


class DocumentKind(models.TextChoices):
    RECEIPT = "receipt", _("receipt of the application")
    ACCEPTANCE = "acceptance", _("acceptance notice")
    SUPPLEMENT = "supplement", _("one-time supplement notice")
    REFUSAL = "refusal", _("refusal notice")
    DECISION = "decision", _("decision document")


class DocumentUnavailable(LookupError):
    """The case has no such document (yet): e.g. a refusal notice for an accepted case."""


def _last(events: Sequence[CaseEvent], event_type: str) -> CaseEvent | None:
    return next((e for e in reversed(events) if e.type == event_type), None)


def available_documents(case: Case, events: Sequence[CaseEvent] | None = None) -> list[str]:
    """The documents a case has, in the order they are issued."""
    events = list(events) if events is not None else list(case.events.order_by("seq"))
    kinds = [DocumentKind.RECEIPT.value]
    if case.accepted_at is not None:
        kinds.append(DocumentKind.ACCEPTANCE.value)
    if _last(events, EventType.SUPPLEMENT_REQUEST) is not None:
        kinds.append(DocumentKind.SUPPLEMENT.value)
    if case.state == CaseState.REFUSED:
        kinds.append(DocumentKind.REFUSAL.value)
    if case.decision:
        kinds.append(DocumentKind.DECISION.value)
    return kinds


def _local(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment is not None else None


def document_context(case: Case, kind: str, *, request: HttpRequest | None = None) -> dict[str, Any]:
    """What the template of ``kind`` needs; ``DocumentUnavailable`` if the case has none.
    With ``request`` the progress page's address (and QR code) is absolute."""
    events = list(case.events.select_related("department").order_by("seq"))
    if kind not in available_documents(case, events):
        raise DocumentUnavailable(kind)
    template = Template.from_version(case.item_version)
    view = fold(events, template)
    version = case.item_version
    apply = events[0]
    context: dict[str, Any] = {
        "case": case,
        "kind": kind,
        "version": version,
        "department": case.department,
        "is_licensing": version.item_type == ItemType.LICENSING,
        "working_days": version.limit_unit == LimitUnit.WORKING_DAYS,
        "submitted_on": _local(case.submitted_at),
        "qr": qr.qr_png_data_uri(case, request),
        "progress_url": qr.progress_url(case, request),
        "dates": deadlines(view, template),
        "issued_on": _local(events[-1].occurred_at),
    }
    if kind == DocumentKind.RECEIPT:
        names = {m.pk: m.name for m in version.materials.all()}
        context["received"] = [
            {"material": names.get(f.get("material"), ""), "name": f.get("name", "")}
            for f in apply.payload.get("files", [])
        ]
        context["materials"] = list(version.materials.all())
        context["issued_on"] = _local(apply.occurred_at)
    elif kind == DocumentKind.ACCEPTANCE:
        accepted = _last(events, EventType.ACCEPT)
        context["issued_on"] = _local(accepted.occurred_at if accepted else case.accepted_at)
        context["fees"] = list(version.fees.all())
    elif kind == DocumentKind.SUPPLEMENT:
        notice = _last(events, EventType.SUPPLEMENT_REQUEST)
        assert notice is not None  # noqa: S101 (available_documents checked it)
        context["items"] = notice.payload.get("items", [])
        context["issued_on"] = _local(notice.occurred_at)
    elif kind == DocumentKind.REFUSAL:
        refusal = _last(events, EventType.REFUSE)
        assert refusal is not None  # noqa: S101
        context["reason"] = refusal.payload.get("reason", "")
        context["legal_basis"] = refusal.payload.get("legal_basis", "")
        context["issued_on"] = _local(refusal.occurred_at)
    elif kind == DocumentKind.DECISION:
        decision = _last(events, EventType.DECIDE)
        assert decision is not None  # noqa: S101
        complete = _last(events, EventType.COMPLETE)
        context["approved"] = case.decision == Decision.APPROVED
        context["reason"] = decision.payload.get("reason", "")
        context["legal_basis"] = decision.payload.get("legal_basis", "") or version.legal_basis
        context["issued_on"] = _local(decision.occurred_at)
        context["result_number"] = complete.payload.get("result_number", "") if complete else ""
        valid = complete.payload.get("result_valid_until") if complete else None
        context["result_valid_until"] = dt.date.fromisoformat(valid) if valid else None
    return context


def document_html(case: Case, kind: str, *, request: HttpRequest | None = None) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        context = document_context(case, kind, request=request)
        return render_to_string(f"cases/documents/{kind}.html", context)


def render_pdf(case: Case, kind: str, *, request: HttpRequest | None = None) -> bytes:
    """The PDF of document ``kind`` of ``case`` (``DocumentUnavailable`` if it has none)."""
    from weasyprint import HTML  # heavy import, only when a PDF is made

    html = document_html(case, kind, request=request)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()  # type: ignore[no-any-return]


def document_filename(case: Case, kind: str) -> str:
    return f"{case.number}-{kind}.pdf"
