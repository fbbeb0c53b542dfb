"""The citizen's appointment pages (/book/): book a visit for an item, my appointments,
one appointment with its code and QR code, cancel.

Booking is three choices on one page, each a plain link or form (no script needed): the
service center (only when several take appointments for the item), a day (working days
with places left), then a time; a POST books it through ``services.book``. A refusal is
shown on the page (status 422) and changes nothing. Another account's appointment is 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yiwang.catalog.models import ItemVersion
from yiwang.hall import selectors, services
from yiwang.hall.models import Appointment, AppointmentStatus, Slot
from yiwang.hall.services import HallError
from yiwang.portal.accounts import account_of

INVALID = 422
LOGIN_URL = "portal:login"


class BookForm(forms.Form):
    slot = forms.IntegerField(
        label=gettext_lazy("Time"),
        min_value=1,
        error_messages={
            "required": gettext_lazy("Choose a time."),
            "invalid": gettext_lazy("Choose a time."),
        },
    )
    note = forms.CharField(
        label=gettext_lazy("Note to the department (optional)"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (optional)"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def _parse_day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


def _parse_int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


def _no_account(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "hall/unavailable.html",
        {
            "title": _("A citizen or enterprise account is needed"),
            "message": _(
                "Appointments are booked with a citizen or enterprise account. Staff accounts cannot book."
            ),
        },
        status=403,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url=LOGIN_URL)
def book(request: HttpRequest, code: str) -> HttpResponse:
    """Choose a center, a day and a time for item ``code``; POST books the chosen slot."""
    now = timezone.now()
    today = selectors.local_now(now).date()
    version = selectors.bookable_version(code, today)
    if version is None:
        raise Http404(_("No service with this code is offered now."))
    account = account_of(request.user)
    if account is None:
        return _no_account(request)
    if not version.appointment:
        return render(
            request,
            "hall/unavailable.html",
            {
                "title": _("No appointments for this service"),
                "message": _("This service does not take appointments online; please see its guide."),
                "version": version,
            },
            status=404,
        )
    form = BookForm(request.POST or None)
    error: HallError | None = None
    chosen: Slot | None = None
    if request.method == "POST" and form.is_valid():
        chosen = Slot.objects.filter(pk=form.cleaned_data["slot"]).first()
        if chosen is None:
            form.add_error("slot", _("This time is no longer offered; please choose another one."))
        else:
            try:
                appointment = services.book(
                    account=account, item=version.item, slot=chosen, note=form.cleaned_data["note"], at=now
                )
            except HallError as exc:
                error = exc
                form.add_error(exc.field if exc.field in form.fields else None, exc.text)
            else:
                messages.success(
                    request, _("Your appointment is booked. Staff will confirm it and you will be told.")
                )
                return redirect("hall:appointment", appointment.code)
    center_id = chosen.center_id if chosen is not None else _parse_int(request.GET.get("center"))
    day = chosen.date if chosen is not None else _parse_day(request.GET.get("day"))
    context = _booking_context(version, center_id=center_id, day=day, now=now, today=today)
    context.update(form=form, error=error, chosen_id=chosen.pk if chosen is not None else None)
    response = render(request, "hall/book.html", context, status=INVALID if form.errors else 200)
    add_never_cache_headers(response)
    return response


def _booking_context(
    version: ItemVersion, *, center_id: int | None, day: dt.date | None, now: dt.datetime, today: dt.date
) -> dict[str, Any]:
    item = version.item
    choices = selectors.centers_for(item)
    choice = next((c for c in choices if c.center.pk == center_id), None)
    if choice is None and len(choices) == 1:
        choice = choices[0]
    days: list[selectors.DayChoice] = []
    slots: list[Slot] = []
    last = selectors.last_bookable_day(today)
    if choice is not None:
        services.open_bookable_slots(center=choice.center, at=now)
        days = selectors.bookable_days(choice.center, choice.item_id, now)
        if day is not None and any(d.date == day for d in days):
            slots = selectors.slots_of_day(choice.center, choice.item_id, day, now)
        else:
            day = None
    return {
        "version": version,
        "item": item,
        "centers": choices,
        "center": choice.center if choice is not None else None,
        "bad_center": center_id is not None and all(c.center.pk != center_id for c in choices),
        "days": days,
        "day": day,
        "slots": slots,
        "last_day": last,
        "unknown_years": selectors.unknown_years(today, last),
        "ahead": settings.HALL_BOOKING_WORKDAYS_AHEAD,
    }


@require_safe
@login_required(login_url=LOGIN_URL)
def mine(request: HttpRequest) -> HttpResponse:
    """My appointments: coming ones (soonest first), then the rest."""
    account = account_of(request.user)
    if account is None:
        return _no_account(request)
    today = selectors.local_now().date()
    rows = list(selectors.appointments_of(account.pk)[:200])
    names = selectors.item_names({a.item_id for a in rows}, today)
    for row in rows:
        row.item_name = names.get(row.item_id, row.item.code)  # type: ignore[attr-defined]
    coming = sorted(
        (a for a in rows if a.is_active and a.date >= today), key=lambda a: (a.date, a.slot.start, a.pk)
    )
    coming_ids = {a.pk for a in coming}
    others = [a for a in rows if a.pk not in coming_ids]
    response = render(
        request,
        "hall/mine.html",
        {"coming": coming, "others": others, "today": today},
    )
    add_never_cache_headers(response)
    return response


def _own_appointment(request: HttpRequest, code: str) -> Appointment:
    account = account_of(request.user)
    appointment = selectors.appointment_of_account(code.upper(), account.pk) if account is not None else None
    if appointment is None:
        raise Http404(_("No appointment of yours has this code."))
    return appointment


def _detail(
    request: HttpRequest, appointment: Appointment, form: CancelForm, status: int = 200
) -> HttpResponse:
    today = selectors.local_now().date()
    cancellable = appointment.is_active and appointment.slot.starts_at > selectors.local_now()
    qr = segno.make(appointment.code, error="m", micro=False).svg_inline(
        scale=5,
        border=4,
        dark="#000",
        light="#fff",
        title=_("QR code of appointment %(code)s") % {"code": appointment.code},
        svgclass="appointment-qr",
    )
    response = render(
        request,
        "hall/appointment.html",
        {
            "appointment": appointment,
            "name": selectors.item_names([appointment.item_id], today).get(appointment.item_id, ""),
            "cancellable": cancellable,
            "form": form,
            "qr": qr,
            "Status": AppointmentStatus,
        },
        status=status,
    )
    add_never_cache_headers(response)
    return response


@require_safe
@login_required(login_url=LOGIN_URL)
def appointment(request: HttpRequest, code: str) -> HttpResponse:
    row = _own_appointment(request, code)
    return _detail(request, row, CancelForm())


@require_POST
@login_required(login_url=LOGIN_URL)
def cancel(request: HttpRequest, code: str) -> HttpResponse:
    row = _own_appointment(request, code)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _detail(request, row, form, status=INVALID)
    try:
        services.cancel(appointment=row, by_user=request.user, reason=form.cleaned_data["reason"])
    except HallError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.text)
        return _detail(request, row, form, status=INVALID)
    messages.success(request, _("Your appointment is cancelled and the place is free for others."))
    return redirect("hall:appointment", row.code)
