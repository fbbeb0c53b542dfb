"""The public progress page (办件进度查询), reached without login from the QR code on a
case's receipt, and the look-up form for a case number and the tail of the applicant's ID.

The page shows what a parcel-tracking page would: what is being done, by which
department, since when, and by when it is due. It never shows who applied (name, ID
number, mobile), what they filled in or uploaded, nor which member of staff acted: only
departments, steps and fixed wording. Free text written by staff (opinions, reasons) is
left out too, since it may name people.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from yiwang.cases import qr
from yiwang.cases.models import (
    SUPERVISION_EVENTS,
    Case,
    CaseEvent,
    CaseState,
    Channel,
    Decision,
    DeliveryMethod,
    EventType,
    SuspensionKind,
)
from yiwang.cases.workflow import SUPPLEMENT, CaseView, Deadlines, Template, deadlines, fold
from yiwang.portal.labels import days_phrase

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}\Z")  # secrets.token_urlsafe(32)

# --------------------------------------------------------------------------- wording

# What is going on during each kind of special procedure (特别程序), and its name.
PROCEDURE_UNDER_WAY: dict[str, Promise] = {
    SuspensionKind.HEARING: pgettext_lazy("progress", "Hearing under way"),
    SuspensionKind.SITE_INSPECTION: pgettext_lazy("progress", "Site inspection under way"),
    SuspensionKind.EXPERT_REVIEW: pgettext_lazy("progress", "Expert review under way"),
    SuspensionKind.TESTING: pgettext_lazy("progress", "Testing under way"),
    SuspensionKind.PUBLIC_NOTICE: pgettext_lazy("progress", "Public notice under way"),
    SuspensionKind.TENDER: pgettext_lazy("progress", "Tender or auction under way"),
}
PROCEDURE_NAME: dict[str, Promise] = {
    SuspensionKind.HEARING: pgettext_lazy("progress", "Hearing"),
    SuspensionKind.SITE_INSPECTION: pgettext_lazy("progress", "Site inspection"),
    SuspensionKind.EXPERT_REVIEW: pgettext_lazy("progress", "Expert review"),
    SuspensionKind.TESTING: pgettext_lazy("progress", "Testing"),
    SuspensionKind.PUBLIC_NOTICE: pgettext_lazy("progress", "Public notice"),
    SuspensionKind.TENDER: pgettext_lazy("progress", "Tender or auction"),
}
APPLIED_BY_CHANNEL: dict[str, Promise] = {
    Channel.WINDOW: pgettext_lazy("progress", "Application received at the window"),
    Channel.ONLINE: pgettext_lazy("progress", "Application submitted online"),
    Channel.POST: pgettext_lazy("progress", "Application received by post"),
}
DELIVERED_BY: dict[str, Promise] = {
    DeliveryMethod.WINDOW: pgettext_lazy("progress", "Result delivered (collected at the window)"),
    DeliveryMethod.POST: pgettext_lazy("progress", "Result delivered (sent by post)"),
    DeliveryMethod.ELECTRONIC: pgettext_lazy("progress", "Result delivered (electronically)"),
}
# Short state wording for the branches of a parallel approval.
SHORT_STATE: dict[str, Promise] = {
    CaseState.SUBMITTED: pgettext_lazy("progress", "Awaiting acceptance"),
    CaseState.SUPPLEMENT: pgettext_lazy("progress", "Materials need supplementing"),
    CaseState.IN_PROGRESS: pgettext_lazy("progress", "Being handled"),
    CaseState.SUSPENDED: pgettext_lazy("progress", "Special procedure under way"),
    CaseState.DECIDED: pgettext_lazy("progress", "Decided"),
    CaseState.COMPLETED: pgettext_lazy("progress", "Completed"),
    CaseState.DELIVERED: pgettext_lazy("progress", "Completed and delivered"),
    CaseState.REFUSED: pgettext_lazy("progress", "Not accepted"),
    CaseState.WITHDRAWN: pgettext_lazy("progress", "Withdrawn"),
    CaseState.TRANSFERRED: pgettext_lazy("progress", "Transferred"),
}
# The colour of the status card: under way, waiting on something, finished well, closed otherwise.
TONE: dict[str, str] = {
    CaseState.SUBMITTED: "active",
    CaseState.IN_PROGRESS: "active",
    CaseState.DECIDED: "active",
    CaseState.SUPPLEMENT: "waiting",
    CaseState.SUSPENDED: "waiting",
    CaseState.COMPLETED: "done",
    CaseState.DELIVERED: "done",
    CaseState.REFUSED: "closed",
    CaseState.WITHDRAWN: "closed",
    CaseState.TRANSFERRED: "closed",
}


def _special_procedure(kind: str) -> str:
    under_way = PROCEDURE_UNDER_WAY.get(kind, pgettext_lazy("progress", "Special procedure under way"))
    return _("%(procedure)s (special procedure; the time it takes is not counted in the time limit)") % {
        "procedure": under_way
    }


def _step_name(template: Template, index: Any) -> str:
    if isinstance(index, int) and 0 <= index < len(template.middle):
        return template.middle[index].name
    return ""


# --------------------------------------------------------------------------- the page's content


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    department: str
    text: str
    detail: str = ""


@dataclass(frozen=True)
class Timing:
    """What the page says about time. ``phase``: "acceptance" (awaiting the acceptance
    decision), "handling" (accepted, not yet completed), "finished" (completed), or ""
    (closed without completion: nothing to say)."""

    phase: str
    deadlines: Deadlines
    limit_text: str = ""
    extension_text: str = ""
    left_text: str = ""
    overdue: bool = False
    used_text: str = ""
    stopped_note: str = ""


@dataclass(frozen=True)
class Branch:
    item_name: str
    department: str
    state_text: str
    due_date: dt.date | None


def timeline(case: Case, events: Sequence[CaseEvent], template: Template) -> list[TimelineEntry]:
    """The events in public words, oldest first."""
    entries: list[TimelineEntry] = []
    procedure = ""
    for event in events:
        if event.type in SUPERVISION_EVENTS:
            continue  # supervision's records are for staff and supervisors, not the public page
        p = event.payload or {}
        detail = ""
        t = event.type
        if t == EventType.APPLY:
            text = str(
                APPLIED_BY_CHANNEL.get(p.get("channel", case.channel), APPLIED_BY_CHANNEL[Channel.ONLINE])
            )
        elif t == EventType.ACCEPT:
            text = str(pgettext_lazy("progress", "Accepted"))
        elif t == EventType.REFUSE:
            text = _("Not accepted (a written notice gives the reasons and the legal basis)")
        elif t == EventType.TRANSFER:
            text = _("Transferred to %(department)s, the competent department") % {
                "department": p.get("to_department_name", "")
            }
        elif t == EventType.SUPPLEMENT_REQUEST:
            text = _("Materials need supplementing (please complete them as the one-time notice lists)")
        elif t == EventType.SUPPLEMENT_RECEIVE:
            text = _("Supplementary materials received")
        elif t == EventType.STEP:
            name = _step_name(template, p.get("step"))
            text = _("%(step)s step completed") % {"step": name} if name else _("Step completed")
        elif t == EventType.RETURN:
            name = _step_name(template, p.get("to_step"))
            text = (
                _("Returned to the %(step)s step for further handling") % {"step": name}
                if name
                else _("Returned to an earlier step for further handling")
            )
        elif t == EventType.DECIDE:
            text = (
                _("Decision made: approved")
                if p.get("decision") == Decision.APPROVED
                else _("Decision made: not approved (the written decision gives the reasons)")
            )
        elif t == EventType.COMPLETE:
            text = str(pgettext_lazy("progress", "Completed"))
        elif t == EventType.DELIVER:
            text = str(DELIVERED_BY.get(p.get("method", ""), pgettext_lazy("progress", "Result delivered")))
        elif t == EventType.SUSPEND:
            procedure = str(p.get("kind", ""))
            text = _special_procedure(procedure)
            expected = p.get("expected_days")
            if isinstance(expected, int) and expected > 0:
                detail = ngettext(
                    "Expected to take about %(n)d day.", "Expected to take about %(n)d days.", expected
                ) % {"n": expected}
        elif t == EventType.RESUME:
            procedure_name = PROCEDURE_NAME.get(procedure, pgettext_lazy("progress", "Special procedure"))
            text = _("%(procedure)s finished; handling resumes") % {"procedure": procedure_name}
        elif t == EventType.EXTEND:
            days = p.get("days")
            text = _("Time limit extended by %(days)s (approved by the head of the department)") % {
                "days": days_phrase(days if isinstance(days, int) else 0, template.unit)
            }
        elif t == EventType.WITHDRAW:
            text = _("Application withdrawn")
        else:  # an event type added later: say something true rather than nothing
            text = str(pgettext_lazy("progress", "Case updated"))
        department = event.department.name if event.department is not None else case.department.name
        entries.append(TimelineEntry(at=event.occurred_at, department=department, text=text, detail=detail))
    return entries


def _last_procedure(view: CaseView) -> str:
    stop = view.open_stop
    return stop.kind if stop is not None else ""


def state_text(case: Case, view: CaseView, template: Template, events: Sequence[CaseEvent]) -> str:
    state = view.state
    if state == CaseState.SUBMITTED:
        return _("Received; awaiting acceptance")
    if state == CaseState.SUPPLEMENT:
        return _("Materials need supplementing (please complete them as the one-time notice lists)")
    if state == CaseState.IN_PROGRESS:
        name = _step_name(template, view.step_index)
        return _("Being handled: %(step)s step") % {"step": name} if name else str(SHORT_STATE[state])
    if state == CaseState.SUSPENDED:
        kind = _last_procedure(view)
        return str(PROCEDURE_UNDER_WAY.get(kind, pgettext_lazy("progress", "Special procedure under way")))
    if state == CaseState.DECIDED:
        return _("Decided; being completed")
    if state == CaseState.COMPLETED:
        return _("Completed; the result is awaiting delivery")
    if state == CaseState.TRANSFERRED:
        to = next(
            (e.payload.get("to_department_name", "") for e in events if e.type == EventType.TRANSFER), ""
        )
        return _("Transferred to %(department)s") % {"department": to}
    return str(SHORT_STATE.get(state, state))


def timing(view: CaseView, template: Template, today: dt.date) -> Timing:
    d = deadlines(view, template, at=today)
    unit = template.unit
    limit_text = days_phrase(template.promised_limit, unit)
    extension_text = days_phrase(view.extension_days, unit) if view.extension_days else ""
    if view.accepted_at is None:
        if view.state not in (CaseState.SUBMITTED, CaseState.SUPPLEMENT):
            return Timing(phase="", deadlines=d)
        note = ""
        if view.state == CaseState.SUPPLEMENT:
            note = _(
                "The five working days for the acceptance decision start again from the day the "
                "materials are complete."
            )
        return Timing(phase="acceptance", deadlines=d, limit_text=limit_text, stopped_note=note)
    if view.completed_at is not None:
        return Timing(
            phase="finished",
            deadlines=d,
            limit_text=limit_text,
            extension_text=extension_text,
            used_text=days_phrase(d.used or 0, unit),
            overdue=(d.left or 0) < 0,
            left_text=days_phrase(-(d.left or 0), unit) if (d.left or 0) < 0 else "",
        )
    if view.closed_at is not None:  # withdrawn after acceptance
        return Timing(phase="", deadlines=d)
    left = d.left or 0
    if left > 0:
        left_text = _("%(days)s left") % {"days": days_phrase(left, unit)}
    elif left == 0:
        left_text = _("Due today")
    else:
        left_text = _("Overdue by %(days)s") % {"days": days_phrase(-left, unit)}
    note = ""
    if d.clock_stopped:
        what = (
            _("supplementing the materials")
            if view.open_stop is not None and view.open_stop.kind == SUPPLEMENT
            else _("the special procedure")
        )
        note = _(
            "The time taken by %(what)s is not counted in the time limit: the due date shown "
            "moves later by each working day it lasts."
        ) % {"what": what}
    return Timing(
        phase="handling",
        deadlines=d,
        limit_text=limit_text,
        extension_text=extension_text,
        left_text=left_text,
        overdue=left < 0,
        stopped_note=note,
    )


def branches(case: Case) -> list[Branch]:
    rows = case.branches.select_related("item_version", "department").order_by("number")
    return [
        Branch(
            item_name=b.item_version.name,
            department=b.department.name,
            state_text=str(SHORT_STATE.get(b.state, b.state)),
            due_date=b.due_date if b.is_open else None,
        )
        for b in rows
    ]


# --------------------------------------------------------------------------- responses


# Not "no-referrer": a page under that policy sends ``Origin: null`` with every POST (Fetch
# standard), which Django's CSRF check refuses, so the header's language switch and the
# look-up form would answer 403. "same-origin" keeps the address, and its token, from
# ever reaching another site, which is the point.
REFERRER_POLICY = "same-origin"


def _private(
    noindex: bool = True,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Pages that carry the query token in their address (or answer for one): never
    cached, never indexed, never sending the address to another site as a Referer."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            response = view(request, *args, **kwargs)
            response["Cache-Control"] = "no-store"
            response["Referrer-Policy"] = REFERRER_POLICY
            if noindex:
                response["X-Robots-Tag"] = "noindex, nofollow"
            return response

        return wrapped

    return decorate


def _find(token: str) -> Case | None:
    """The case with this query token. One look-up on the unique index: an exact match or
    nothing, whatever the token shares with existing ones; a malformed token is refused
    without a query (no such token can exist)."""
    if not TOKEN_PATTERN.match(token):
        return None
    return (
        Case.objects.select_related("item_version", "department", "parent").filter(query_token=token).first()
    )


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "cases/public/not_found.html", status=404)


@_private()
@require_safe
def progress_detail(request: HttpRequest, token: str) -> HttpResponse:
    case = _find(token)
    if case is None:
        return _not_found(request)
    template = Template.from_version(case.item_version)
    events = list(case.events.select_related("department").order_by("seq"))
    view = fold(events, template)
    today = timezone.localdate()
    context = {
        "case": case,
        "item_name": case.item_version.name,
        "department": case.department.name,
        "state": view.state,
        "state_text": state_text(case, view, template, events),
        "tone": TONE.get(view.state, "active"),
        "timeline": list(reversed(timeline(case, events, template))),
        "timing": timing(view, template, today),
        "branches": branches(case) if case.parent_id is None else [],
        "lead_number": case.parent.number if case.parent is not None else "",
        "qr_svg": qr.qr_svg(case, request),
        "today": today,
    }
    return render(request, "cases/public/progress.html", context)


@_private()
@require_safe
def progress_qr(request: HttpRequest, token: str) -> HttpResponse:
    case = _find(token)
    if case is None:
        return _not_found(request)
    response = HttpResponse(qr.qr_svg_document(case, request), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="progress-{case.number}.svg"'
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --------------------------------------------------------------------------- look-up by number


SESSION_KEY = "progress_lookup"
ID_TAIL = re.compile(r"[0-9A-Z]{4}\Z")
CASE_NUMBER = re.compile(r"[0-9A-Z-]{1,30}\Z")


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def max_failures() -> int:
    """Wrong tries a browser session gets before it is locked out."""
    return _setting("PROGRESS_LOOKUP_MAX_FAILURES", 5)


def lock_seconds() -> int:
    return _setting("PROGRESS_LOOKUP_LOCK_SECONDS", 15 * 60)


def max_failures_per_number() -> int:
    """Wrong tries on one case number, from all sessions together, before look-ups of that
    number pause: a session limit alone is undone by dropping the cookie, and the 4-character
    tail of an ID has only about 11,000 values."""
    return _setting("PROGRESS_LOOKUP_MAX_FAILURES_PER_NUMBER", 20)


class LookupForm(forms.Form):
    number = forms.CharField(
        label=gettext_lazy("Case number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}),
        help_text=gettext_lazy("Printed on your acceptance receipt or application receipt."),
        error_messages={"required": gettext_lazy("Enter the case number.")},
    )
    id_tail = forms.CharField(
        label=gettext_lazy("Last 4 characters of the applicant's ID number"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "size": 6}
        ),
        help_text=gettext_lazy(
            "Of the resident ID card, or for an enterprise or organisation of its unified social credit code."
        ),
        error_messages={"required": gettext_lazy("Enter the last 4 characters of the ID number.")},
    )

    def clean_number(self) -> str:
        number = re.sub(r"\s+", "", self.cleaned_data["number"]).upper()
        if not CASE_NUMBER.match(number):
            raise forms.ValidationError(
                _("A case number is made of digits (for example 13040220250922000001)."), code="format"
            )
        return number

    def clean_id_tail(self) -> str:
        tail = re.sub(r"\s+", "", self.cleaned_data["id_tail"]).upper()
        if not ID_TAIL.match(tail):
            raise forms.ValidationError(
                _("Enter exactly 4 characters: digits, or the letters of the code (such as X)."),
                code="format",
            )
        return tail


def _now() -> float:
    return timezone.now().timestamp()


def _session_lock_left(request: HttpRequest) -> float:
    state = request.session.get(SESSION_KEY) or {}
    left = float(state.get("locked_until", 0)) - _now()
    if left <= 0 and state.get("locked_until"):
        request.session.pop(SESSION_KEY, None)  # the lock is over: a fresh start
        return 0.0
    return max(left, 0.0)


def _number_key(number: str) -> str:
    return "yiwang:progress-lookup:" + hashlib.sha256(number.encode()).hexdigest()


def _number_locked(number: str) -> bool:
    return int(cache.get(_number_key(number), 0)) >= max_failures_per_number()


def _record_failure(request: HttpRequest, number: str) -> float:
    """Count a wrong try; the seconds of lock-out it brings on (0 if none)."""
    state = dict(request.session.get(SESSION_KEY) or {})
    failures = int(state.get("failures", 0)) + 1
    locked = 0.0
    if failures >= max_failures():
        locked = float(lock_seconds())
        state = {"failures": 0, "locked_until": _now() + locked}
    else:
        state = {"failures": failures}
    request.session[SESSION_KEY] = state
    key = _number_key(number)
    cache.add(key, 0, timeout=lock_seconds())
    try:
        cache.incr(key)
    except ValueError:  # expired in between
        cache.set(key, 1, timeout=lock_seconds())
    return locked


def _match(number: str, id_tail: str) -> str | None:
    """The query token when ``number`` exists and its applicant's ID ends in ``id_tail``.

    The same query and comparison run whether or not the number exists, so the answer's
    timing does not tell which part was wrong."""
    row = next(
        iter(Case.objects.filter(number=number).values_list("applicant_id_number", "query_token")[:1]), None
    )
    stored = row[0][-4:].upper() if row is not None else "\x00" * 4
    same = hmac.compare_digest(stored.encode(), id_tail.encode())
    return row[1] if row is not None and same else None


def _locked_message(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return _(
        "Too many unsuccessful tries. For the applicant's security, look-ups are paused: try again "
        "in %(minutes)d minutes, or scan the QR code on your receipt."
    ) % {"minutes": minutes}


@_private(noindex=False)
@csrf_protect
@require_http_methods(["GET", "POST"])
def progress_index(request: HttpRequest) -> HttpResponse:
    locked = _session_lock_left(request)
    error = ""
    status = 200
    if request.method == "POST":
        form = LookupForm(request.POST)
        if locked:
            error, status = _locked_message(locked), 429
        elif form.is_valid():
            number, id_tail = form.cleaned_data["number"], form.cleaned_data["id_tail"]
            if _number_locked(number):
                error, status = _locked_message(lock_seconds()), 429
            else:
                token = _match(number, id_tail)
                if token is not None:
                    request.session.pop(SESSION_KEY, None)
                    return redirect("progress:detail", token=token)
                locked = _record_failure(request, number)
                if locked:
                    error, status = _locked_message(locked), 429
                else:
                    error = _(
                        "No case matches this case number and ID ending. Check both against your "
                        "receipt and try again."
                    )
        else:
            status = 400
    else:
        form = LookupForm()
        if locked:
            error = _locked_message(locked)
    context = {"form": form, "error": error, "max_failures": max_failures(), "minutes": lock_seconds() // 60}
    return render(request, "cases/public/index.html", context, status=status)
