"""Appointments on the staff workbench (/work/appointments/): today's and upcoming
appointments of the user's centers and departments, filtered by status; confirm, cancel
with a reason, check in, mark absent.

Scope: the list holds what ``selectors.staff_appointments`` lets the user see (window
operators: the centers in their region grants; department staff: their departments'
items). Staff without such a role get 403; an appointment outside the scope is 404, as if
it did not exist. A refused action is shown with status 422 and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from yiwang.hall import selectors, services
from yiwang.hall.models import Appointment, AppointmentStatus
from yiwang.hall.services import HallError
from yiwang.org.models import Role
from yiwang.org.permissions import scope_of, staff_of

PAGE_SIZE = 50
INVALID = 422

View = Callable[..., HttpResponseBase]


def handler_required(view: View) -> View:
    """Signed in (else the staff login page) and holding a role that handles appointments."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not selectors.handles_appointments(request.user):
            raise PermissionDenied(
                _(
                    "Appointments are handled by window operators and the staff of the implementing departments."
                )
            )
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapped


WHEN_CHOICES = (
    (selectors.WHEN_TODAY, pgettext_lazy("appointments", "Today")),
    (selectors.WHEN_UPCOMING, pgettext_lazy("appointments", "Upcoming")),
    (selectors.WHEN_PAST, pgettext_lazy("appointments", "Past")),
    (selectors.WHEN_ALL, pgettext_lazy("appointments", "All days")),
)


class ListFilterForm(forms.Form):
    when = forms.ChoiceField(label=gettext_lazy("Days"), choices=WHEN_CHOICES, required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("Any status")), *AppointmentStatus.choices],
        required=False,
    )
    center = forms.TypedChoiceField(
        label=gettext_lazy("Service center"), coerce=int, required=False, empty_value=None
    )
    code = forms.CharField(
        label=gettext_lazy("Appointment code"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def __init__(self, *args: Any, centers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["center"].choices = [("", _("All my centers")), *((c.pk, c.name) for c in centers)]  # type: ignore[attr-defined]


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason told to the citizen"),
        max_length=300,
        error_messages={"required": gettext_lazy("Tell the citizen why the appointment is cancelled.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def _base(request: HttpRequest) -> dict[str, Any]:
    scope = scope_of(request.user)
    return {
        "tab": "appointments",
        "staff": staff_of(request.user),
        "can_intake": scope.has_role(Role.WINDOW_OPERATOR),
        "can_supervise": scope.has_role(Role.SUPERVISOR) or scope.has_role(Role.LEADER),
    }


@require_safe
@handler_required
def appointment_list(request: HttpRequest) -> HttpResponse:
    today = selectors.local_now().date()
    centers = selectors.staff_centers(request.user)
    data = request.GET.copy()
    data.setdefault("when", selectors.WHEN_TODAY)
    form = ListFilterForm(data, centers=centers)
    filters: dict[str, Any] = {"when": selectors.WHEN_TODAY}
    if form.is_valid():
        filters = {
            "when": form.cleaned_data["when"] or selectors.WHEN_TODAY,
            "status": form.cleaned_data["status"],
            "center_id": form.cleaned_data["center"],
            "code": form.cleaned_data["code"],
        }
    queryset = selectors.filter_staff_list(selectors.staff_appointments(request.user), today=today, **filters)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    names = selectors.item_names({a.item_id for a in page.object_list}, today)
    for row in page.object_list:
        row.item_name = names.get(row.item_id, row.item.code)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        **_base(request),
        "form": form,
        "page": page,
        "today": today,
        "query": query.urlencode(),
    }
    return render(request, "hall/staff/list.html", context, status=200 if form.is_valid() else 400)


def _visible(request: HttpRequest, code: str) -> Appointment:
    row = selectors.staff_appointments(request.user).filter(code=code.upper()).first()
    if row is None:
        raise Http404(_("No appointment with this code within your scope."))
    return row


def _detail(
    request: HttpRequest, row: Appointment, *, cancel_form: CancelForm, error: str = "", status: int = 200
) -> HttpResponse:
    today = selectors.local_now().date()
    now = selectors.local_now()
    context = {
        **_base(request),
        "appointment": row,
        "name": selectors.item_names([row.item_id], today).get(row.item_id, ""),
        "cancel_form": cancel_form,
        "error": error,
        "can_confirm": row.status == AppointmentStatus.REQUESTED and row.slot.ends_at > now,
        "can_check_in": row.is_active and row.date == today,
        "can_no_show": row.is_active and row.slot.starts_at <= now,
        "can_cancel": row.is_active,
        "may_act": selectors.may_handle(request.user, row),
    }
    return render(request, "hall/staff/detail.html", context, status=status)


@require_safe
@handler_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    return _detail(request, _visible(request, code), cancel_form=CancelForm())


ACTIONS = {
    "confirm": (services.confirm, gettext_lazy("Appointment %(code)s confirmed; the citizen has been told.")),
    "check-in": (services.check_in, gettext_lazy("%(code)s checked in.")),
    "no-show": (services.mark_no_show, gettext_lazy("%(code)s marked as not come.")),
}


@require_POST
@handler_required
def act(request: HttpRequest, code: str, action: str) -> HttpResponse:
    if action != "cancel" and action not in ACTIONS:
        raise Http404(_("No such action."))
    row = _visible(request, code)
    cancel_form = CancelForm()
    try:
        if action == "cancel":
            cancel_form = CancelForm(request.POST)
            if not cancel_form.is_valid():
                return _detail(request, row, cancel_form=cancel_form, status=INVALID)
            services.cancel(appointment=row, by_user=request.user, reason=cancel_form.cleaned_data["reason"])
            done = _("Appointment %(code)s cancelled; the citizen has been told the reason.")
        else:
            service, done_message = ACTIONS[action]
            service(appointment=row, staff_user=request.user)
            done = str(done_message)
    except HallError as exc:
        if exc.error_code == "forbidden":
            raise PermissionDenied(exc.text) from None
        if action == "cancel" and exc.field == "reason":
            cancel_form.add_error("reason", exc.text)
            return _detail(request, row, cancel_form=cancel_form, status=INVALID)
        return _detail(request, row, cancel_form=cancel_form, error=exc.text, status=INVALID)
    messages.success(request, done % {"code": row.code})
    return redirect("hall_staff:detail", row.code)
