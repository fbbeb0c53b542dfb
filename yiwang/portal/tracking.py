"""Reads for the applicant's own pages (/my/): my cases, one case's timeline, its files.

A user's cases are those filed from their account (``Case.applicant_user``) and those
filed, at a window or by post, under the ID number or USCC of a *verified* account they
act for: their own, or an enterprise that authorised them as its agent (经办人) and has
not revoked it nor let it lapse. An unverified account sees only what it filed itself:
anyone can register with someone else's ID number until the window checks it. (The rule
is ``yiwang.portal.accounts.may_act_for_case``, shared with payments, ratings and
complaints.)

The timeline reuses the public progress page's wording and deadlines
(``yiwang.cases.public_views``) and adds what only the applicant may read: the one-time
notice's list, reasons given to them, the result's document number, the files they
handed in. Staff members' names and internal opinions stay out, as on the public page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from yiwang.cases.models import (
    SUPERVISION_EVENTS,
    Case,
    CaseEvent,
    CaseFile,
    CaseState,
    Decision,
    EventType,
)
from yiwang.cases.public_views import (
    CASE_NUMBER,
    SHORT_STATE,
    TONE,
    TimelineEntry,
    Timing,
    state_text,
    timeline,
    timing,
)
from yiwang.cases.services import template_of
from yiwang.cases.workflow import Template, fold, local_date
from yiwang.catalog.models import LimitUnit
from yiwang.core import calendar
from yiwang.payments.models import FeeOrder, OrderStatus
from yiwang.portal.accounts import acting_cases
from yiwang.portal.labels import days_phrase
from yiwang.portal.models import Rating
from yiwang.portal.ratings import RATEABLE_STATES

# What "in progress" and "finished" mean to an applicant: a completed case (办结) is
# finished even while its result waits to be collected.
ACTIVE_STATES: tuple[str, ...] = (
    CaseState.SUBMITTED,
    CaseState.SUPPLEMENT,
    CaseState.IN_PROGRESS,
    CaseState.SUSPENDED,
    CaseState.DECIDED,
)
FINISHED_STATES: tuple[str, ...] = (
    CaseState.COMPLETED,
    CaseState.DELIVERED,
    CaseState.REFUSED,
    CaseState.WITHDRAWN,
    CaseState.TRANSFERRED,
)
PAUSED_STATES = frozenset({CaseState.SUPPLEMENT, CaseState.SUSPENDED})
SHOW_ACTIVE = "active"
SHOW_FINISHED = "finished"


# --------------------------------------------------------------------------- whose cases


def my_cases(user: Any, *, show: str = "") -> QuerySet[Case]:
    """The user's cases, newest first, with what the list shows selected, and annotated
    ``rated`` (rated already) and ``unpaid`` (a fee order awaits payment): one query for
    a page, however many cases. ``show``: ``active``,
    ``finished`` or empty for all."""
    cases = acting_cases(user)
    if show == SHOW_ACTIVE:
        cases = cases.filter(state__in=ACTIVE_STATES)
    elif show == SHOW_FINISHED:
        cases = cases.filter(state__in=FINISHED_STATES)
    return (
        cases.select_related("item_version", "item", "department", "parent")
        .annotate(
            rated=Exists(Rating.objects.filter(case_id=OuterRef("pk"))),
            unpaid=Exists(FeeOrder.objects.filter(case_id=OuterRef("pk"), status=OrderStatus.UNPAID)),
        )
        .order_by("-submitted_at", "-number")
    )


def my_case(user: Any, number: str) -> Case | None:
    """The user's case with this number, or None (someone else's case does not exist; nor
    does a "number" that no case number could be, which is refused without a query)."""
    if not CASE_NUMBER.match(number):
        return None
    return my_cases(user).filter(number=number).first()


def my_case_file(user: Any, number: str, file_id: int) -> CaseFile | None:
    """A file handed in for one of the user's cases, or None."""
    case = my_case(user, number)
    if case is None:
        return None
    return CaseFile.objects.filter(case=case, pk=file_id).first()


# --------------------------------------------------------------------------- the list


@dataclass(frozen=True)
class CaseRow:
    """One line of "my cases" and what the applicant must do about it now."""

    case: Case
    state_text: str
    due_date: dt.date | None  # the date that matters now; None when paused or closed
    finished_on: dt.date | None
    needs_supplement: bool
    needs_payment: bool
    can_rate: bool

    @property
    def paused(self) -> bool:
        return self.case.state in PAUSED_STATES

    @property
    def has_todo(self) -> bool:
        return self.needs_supplement or self.needs_payment or self.can_rate


def _due_now(case: Case) -> dt.date | None:
    if case.state in PAUSED_STATES or case.state not in ACTIVE_STATES:
        return None
    return case.due_date or case.acceptance_due


def rows(cases: Sequence[Case]) -> list[CaseRow]:
    """The list's rows for a page of ``my_cases`` (no further queries)."""
    result = []
    for case in cases:
        closed = case.closed_at or case.completed_at
        result.append(
            CaseRow(
                case=case,
                state_text=str(SHORT_STATE.get(case.state, case.state)),
                due_date=_due_now(case),
                finished_on=local_date(closed) if closed and case.state in FINISHED_STATES else None,
                needs_supplement=case.state == CaseState.SUPPLEMENT,
                needs_payment=bool(getattr(case, "unpaid", False)),
                can_rate=case.state in RATEABLE_STATES and not getattr(case, "rated", False),
            )
        )
    return result


# --------------------------------------------------------------------------- one case


@dataclass(frozen=True)
class Step:
    """One step of the timeline: the public page's wording plus what only the applicant
    reads (``lines``: label and text)."""

    at: dt.datetime
    department: str
    text: str
    detail: str
    type: str
    lines: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Track:
    case: Case
    state_text: str
    tone: str
    steps: list[Step]  # newest first
    timing: Timing
    acceptance_left: str  # working days to the acceptance decision, while it is awaited
    files: list[CaseFile]
    supplement_items: list[dict[str, Any]]
    needs_supplement: bool
    needs_payment: bool
    can_rate: bool
    today: dt.date


def _files_text(payload: dict[str, Any]) -> str:
    return "、".join(str(f.get("name", "")) for f in payload.get("files", []) if f.get("name"))


def _money(value: Any) -> str:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    return _("%(amount)s yuan") % {"amount": f"{amount:.2f}"} if amount > 0 else ""


def applicant_lines(event: CaseEvent) -> list[tuple[str, str]]:
    """What an event tells the applicant beyond the public wording: the notice's list,
    reasons and legal basis addressed to them, the result's number, their files. Never
    the staff's internal opinions."""
    p: dict[str, Any] = event.payload or {}
    t = event.type
    rows_: list[tuple[str, Any]] = []
    reason = pgettext("my case", "Reason")
    basis = pgettext("my case", "Legal basis")
    if t == EventType.APPLY:
        rows_.append((_("Files handed in"), _files_text(p)))
    elif t == EventType.REFUSE:
        rows_ += [(reason, p.get("reason")), (basis, p.get("legal_basis"))]
    elif t == EventType.TRANSFER:
        rows_.append((reason, p.get("reason")))
    elif t == EventType.SUPPLEMENT_REQUEST:
        rows_ += [(str(i.get("name", "")), str(i.get("problem", ""))) for i in p.get("items", [])]
    elif t == EventType.SUPPLEMENT_RECEIVE:
        rows_ += [(_("Files handed in"), _files_text(p)), (pgettext("my case", "Note"), p.get("note"))]
    elif t == EventType.DECIDE and p.get("decision") == Decision.DENIED:
        rows_ += [(reason, p.get("reason")), (basis, p.get("legal_basis"))]
    elif t == EventType.COMPLETE:
        rows_ += [
            (_("Result document number"), p.get("result_number")),
            (_("Valid until"), p.get("result_valid_until")),
            (_("Fee charged"), _money(p.get("fee_charged"))),
        ]
    elif t == EventType.DELIVER:
        rows_.append((pgettext("my case", "Note"), p.get("note")))
    elif t in (EventType.SUSPEND, EventType.EXTEND, EventType.WITHDRAW):
        rows_.append((reason, p.get("reason")))
    elif t == EventType.RESUME:
        rows_.append((_("Outcome"), p.get("result")))
    return [(str(label), str(text)) for label, text in rows_ if label and text]


def steps(case: Case, events: Sequence[CaseEvent], template: Template) -> list[Step]:
    """The timeline, newest first: the public page's entries, one per event it shows, each
    with the applicant's lines of its event."""
    shown = [e for e in events if e.type not in SUPERVISION_EVENTS]
    entries: list[TimelineEntry] = timeline(case, shown, template)
    return [
        Step(
            at=entry.at,
            department=entry.department,
            text=entry.text,
            detail=entry.detail,
            type=event.type,
            lines=applicant_lines(event),
        )
        for entry, event in reversed(list(zip(entries, shown, strict=True)))
    ]


def _left_text(days: int, unit: str) -> str:
    if days > 0:
        return _("%(days)s left") % {"days": days_phrase(days, unit)}
    if days == 0:
        return _("Due today")
    return _("Overdue by %(days)s") % {"days": days_phrase(-days, unit)}


def track(case: Case, *, today: dt.date | None = None) -> Track:
    """Everything the applicant's case page shows (a fixed number of queries; none for
    ratings and fee orders when ``case`` comes from ``my_case``)."""
    today = today or timezone.localdate()
    template = template_of(case)
    events = list(case.events.select_related("department").order_by("seq"))
    view = fold(events, template)
    try:
        times = timing(view, template, today)
    except NotImplementedError:  # a year the holiday calendar does not cover yet
        times = timing(view, template, local_date(view.last_event_at) if view.last_event_at else today)
    acceptance_left = ""
    due = times.deadlines.acceptance_due
    if times.phase == "acceptance" and not times.stopped_note and due is not None:
        try:
            acceptance_left = _left_text(calendar.workdays_between(today, due), LimitUnit.WORKING_DAYS)
        except NotImplementedError:
            acceptance_left = ""
    supplement_items: list[dict[str, Any]] = []
    if view.state == CaseState.SUPPLEMENT:
        latest = next((e for e in reversed(events) if e.type == EventType.SUPPLEMENT_REQUEST), None)
        supplement_items = list((latest.payload or {}).get("items", [])) if latest else []
    rated = getattr(case, "rated", None)
    if rated is None and view.state in RATEABLE_STATES:
        rated = Rating.objects.filter(case_id=case.pk).exists()
    unpaid = getattr(case, "unpaid", None)
    if unpaid is None:
        unpaid = FeeOrder.objects.filter(case_id=case.pk, status=OrderStatus.UNPAID).exists()
    return Track(
        case=case,
        state_text=state_text(case, view, template, events),
        tone=TONE.get(view.state, "active"),
        steps=steps(case, events, template),
        timing=times,
        acceptance_left=acceptance_left,
        files=list(case.files.select_related("material").order_by("uploaded_at", "pk")),
        supplement_items=supplement_items,
        needs_supplement=view.state == CaseState.SUPPLEMENT,
        needs_payment=bool(unpaid),
        can_rate=view.state in RATEABLE_STATES and not rated,
        today=today,
    )
