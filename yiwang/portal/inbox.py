"""Telling applicants what happens to their cases: one message per event they care about,
to the message center, by email and by SMS (``yiwang.core.notify``).

The receiver listens to the case ledger (``yiwang.cases.signals.event_recorded``) and
writes in the transaction that records the event, so an event rolled back tells nobody.
``PortalConfig.ready()`` imports this module to connect it.

Told: received, accepted (with the due date), not accepted (the reason), the one-time
supplement notice (its list), supplement received, special procedure started (kind and
expected length) and ended, extended (new due date and reason), decided (a denial's
reason), completed (result number, how to get it), delivered, transferred, withdrawn.

Not told, as noise to the applicant:
- passing a case from one internal step to the next (承办 → 审核 → 决定) or returning it
  to an earlier one: staff-only moves that ask nothing of the applicant and change no
  date they rely on; the case page's timeline shows them;
- supervision's notices (``SUPERVISION_EVENTS``): about the department, not to the
  applicant;
- the events a parallel approval's lead records on its branches (filing, acceptance and
  withdrawal of each partner department's part, role ``parallel``): the applicant was
  told once, about the lead; each branch's own later events (a supplement a partner
  asks for, its decision) are told like any case's.

The wording is Chinese first (the site's default language, whatever the language of the
member of staff whose action sent it), short enough in the subject for one SMS, since an
SMS carries the subject only.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.dispatch import receiver
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from yiwang.cases.models import SUPERVISION_EVENTS, Case, CaseEvent, Decision, DeliveryMethod, EventType
from yiwang.cases.public_views import PROCEDURE_NAME
from yiwang.cases.services import PARALLEL_ROLE
from yiwang.cases.signals import event_recorded
from yiwang.cases.workflow import CaseView, Template
from yiwang.core import notify
from yiwang.core.notify import Message
from yiwang.portal.labels import days_phrase
from yiwang.portal.tracking import applicant_lines

logger = logging.getLogger("yiwang.portal.inbox")

# Events the applicant is not told about (see the module's docstring).
QUIET_EVENTS = frozenset({EventType.STEP, EventType.RETURN, *SUPERVISION_EVENTS})
ITEM_CHARS = 20  # an item's name in a subject, so that an SMS stays about one segment
SUBJECT_MAX = 200
KIND_PREFIX = "case."
DELIVERED_HOW: dict[str, Promise] = {
    DeliveryMethod.WINDOW: pgettext_lazy("delivered", "collected at the window"),
    DeliveryMethod.POST: pgettext_lazy("delivered", "sent by post"),
    DeliveryMethod.ELECTRONIC: pgettext_lazy("delivered", "delivered electronically"),
}


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else "-"


def is_told(event: CaseEvent) -> bool:
    """Whether an event of a case is one its applicant is told about."""
    return event.type not in QUIET_EVENTS and event.role != PARALLEL_ROLE


def subject_for(case: Case, event: CaseEvent, template: Template) -> str:
    """The one-line news, in the active language (the SMS's whole text)."""
    p: dict[str, Any] = event.payload or {}
    item = _short(case.item_version.name, ITEM_CHARS)
    t = event.type
    if t == EventType.APPLY:
        return _("“%(item)s” received; acceptance decided by %(date)s") % {
            "item": item,
            "date": _date(case.acceptance_due),
        }
    if t == EventType.ACCEPT:
        return _("“%(item)s” accepted; due by %(date)s") % {"item": item, "date": _date(case.due_date)}
    if t == EventType.REFUSE:
        return _("“%(item)s” not accepted; see the reason") % {"item": item}
    if t == EventType.TRANSFER:
        return _("“%(item)s” transferred to %(department)s") % {
            "item": item,
            "department": _short(str(p.get("to_department_name", "")), 30),
        }
    if t == EventType.SUPPLEMENT_REQUEST:
        n = len(p.get("items", []))
        return ngettext(
            "“%(item)s”: %(n)d material to supplement, as the one-time notice lists",
            "“%(item)s”: %(n)d materials to supplement, as the one-time notice lists",
            n,
        ) % {"item": item, "n": n}
    if t == EventType.SUPPLEMENT_RECEIVE:
        return _("“%(item)s”: supplementary materials received") % {"item": item}
    if t == EventType.SUSPEND:
        procedure = PROCEDURE_NAME.get(str(p.get("kind", "")), _("Special procedure"))
        expected = p.get("expected_days")
        days = expected if isinstance(expected, int) else 0
        return ngettext(
            "“%(item)s”: %(procedure)s, about %(n)d day, not counted in the time limit",
            "“%(item)s”: %(procedure)s, about %(n)d days, not counted in the time limit",
            days,
        ) % {"item": item, "procedure": procedure, "n": days}
    if t == EventType.RESUME:
        return _("“%(item)s”: special procedure over, handling resumes; due by %(date)s") % {
            "item": item,
            "date": _date(case.due_date),
        }
    if t == EventType.EXTEND:
        extension = p.get("days")
        days = extension if isinstance(extension, int) else 0
        return _("“%(item)s”: time limit extended by %(days)s; due by %(date)s") % {
            "item": item,
            "days": days_phrase(days, template.unit),
            "date": _date(case.due_date),
        }
    if t == EventType.DECIDE:
        if p.get("decision") == Decision.APPROVED:
            return _("“%(item)s”: approved") % {"item": item}
        return _("“%(item)s”: not approved; see the reason") % {"item": item}
    if t == EventType.COMPLETE:
        return _("“%(item)s” completed; the result awaits you") % {"item": item}
    if t == EventType.DELIVER:
        how = DELIVERED_HOW.get(str(p.get("method", "")), "")
        if how:
            return _("“%(item)s”: result delivered (%(how)s)") % {"item": item, "how": how}
        return _("“%(item)s”: result delivered") % {"item": item}
    if t == EventType.WITHDRAW:
        return _("“%(item)s” withdrawn") % {"item": item}
    return _("“%(item)s”: your case was updated") % {"item": item}


def body_for(case: Case, event: CaseEvent, template: Template) -> str:
    """The inbox and email text: which case, which department, what was said to the
    applicant (reasons, the notice's list, the result's number) and what to do next."""
    lines = [
        _("Case number: %(number)s") % {"number": case.number},
        _("Department: %(department)s") % {"department": case.department.name},
    ]
    t = event.type
    if t == EventType.ACCEPT or (t in (EventType.RESUME, EventType.EXTEND) and case.due_date):
        lines.append(_("Due by: %(date)s") % {"date": _date(case.due_date)})
    for label, text in applicant_lines(event):
        lines.append(f"{label}: {text}")
    if t == EventType.SUPPLEMENT_REQUEST:
        lines.append(
            _(
                "Hand in everything listed at once, online on the case's page or at the window; the time limit waits until you do."
            )
        )
    elif t == EventType.COMPLETE:
        lines.append(
            _(
                "Collect the result as agreed (at the window, by post or electronically). You may rate the service on the case's page."
            )
        )
    elif (
        t in (EventType.REFUSE, EventType.DECIDE)
        and (event.payload or {}).get("decision") != Decision.APPROVED
    ):
        lines.append(_("The written notice gives the reasons and how to appeal."))
    lines.append(_("Details are on the case's page in “My cases”."))
    return "\n".join(lines)


def message_for(case: Case, event: CaseEvent, template: Template) -> Message | None:
    """The message for the applicant about ``event``, or None when nobody is to be told."""
    if case.applicant_user_id is None or not is_told(event):
        return None
    recipient = case.applicant_user
    if recipient is None:
        return None
    with translation.override(settings.LANGUAGE_CODE):
        subject = _short(subject_for(case, event, template), SUBJECT_MAX)
        body = body_for(case, event, template)
    return Message(
        recipient=recipient,
        subject=subject,
        body=body,
        link=reverse("portal:my_case", args=[case.number]),
        kind=f"{KIND_PREFIX}{event.type}",
    )


@receiver(event_recorded, sender=Case, dispatch_uid="portal.inbox.tell_applicant")
def tell_applicant(
    *,
    case: Case,
    event: CaseEvent,
    view: CaseView,
    template: Template,
    **kwargs: Any,
) -> None:
    message = message_for(case, event, template)
    if message is not None:
        notify.send([message])
        logger.debug("inbox: told the applicant of case %s about event %s", case.number, event.seq)
