"""Pages of the admonition talks (约谈) under /supervision/talks/: the list with filters,
the form to schedule one, and one talk with its history, the staff member's record and
the forms to record it as held, as missed, or to cancel it.

Supervisors and leaders see the talks of their scope, a staff member their own; only
supervisors schedule and record (``yiwang.supervision.talks`` decides). A refused POST
shows its form again with the message, status 400, and changes nothing; a talk outside
the viewer's scope answers 404.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yiwang.cases.models import Case
from yiwang.org.models import Department, Staff
from yiwang.supervision import talks
from yiwang.supervision.filters import ScopedFilterSet
from yiwang.supervision.forms import apply_supervision_error
from yiwang.supervision.models import Complaint, Talk, TalkLevel, TalkReason, TalkStatus
from yiwang.supervision.services import SupervisionError
from yiwang.supervision.views import REFUSED, RESULTS_TARGET, _base_context, _guarded, _is_htmx, _page

talk_readers_only = _guarded(
    talks.may_use_talks,
    gettext_lazy("Admonition talks are for supervisors, leaders and the staff talked to."),
)
schedulers_only = _guarded(talks.may_schedule, gettext_lazy("Only supervisors schedule admonition talks."))

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _text(label: Any, *, rows: int, help_text: Any = "") -> forms.CharField:
    # Whether a text may be empty is the services' decision (with their specific messages).
    return forms.CharField(
        label=label,
        required=False,
        max_length=talks.TEXT_LIMIT,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        department = obj.department
        return f"{obj.name}（{department.short_name or department.name}）"


class ScheduleForm(forms.Form):
    staff = StaffChoiceField(
        label=pgettext_lazy("talk", "Staff member"),
        queryset=Staff.objects.none(),
        empty_label=pgettext_lazy("talk", "Choose a staff member"),
    )
    reason = forms.ChoiceField(
        label=pgettext_lazy("talk", "Reason"),
        choices=[c for c in TalkReason.choices if c[0] != TalkReason.REPEATED],
    )
    reason_text = _text(pgettext_lazy("talk", "What it is about"), rows=4)
    scheduled_at = forms.DateTimeField(
        label=pgettext_lazy("talk", "Date and time"),
        required=False,
        widget=_DATETIME,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    place = forms.CharField(
        label=pgettext_lazy("talk", "Place"),
        required=False,
        max_length=talks.PLACE_LIMIT,
        help_text=gettext_lazy("Empty: the supervision room."),
    )
    case = forms.CharField(
        label=pgettext_lazy("supervision", "Case number"),
        required=False,
        max_length=30,
        help_text=gettext_lazy("Optional: the case the talk is about."),
    )
    complaint = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["staff"].queryset = talks.staff_in_scope(user)  # type: ignore[attr-defined]

    def clean_complaint(self) -> Complaint | None:
        from yiwang.supervision.complaints import complaints_for

        pk = self.cleaned_data.get("complaint")
        if pk is None:
            return None
        complaint = complaints_for(self.user).select_related("department").filter(pk=pk).first()
        if complaint is None:
            raise ValidationError(_("No such complaint within your scope."))
        return complaint

    def clean_case(self) -> Case | None:
        number = (self.cleaned_data.get("case") or "").strip()
        if not number:
            return None
        case = Case.objects.filter(number=number).first()
        if case is None:
            raise ValidationError(_("No case with this number within your scope."))
        return case


class HeldForm(forms.Form):
    record = _text(pgettext_lazy("talk", "What was said"), rows=5)
    rectification = _text(
        pgettext_lazy("talk", "Rectification required"),
        rows=3,
        help_text=gettext_lazy("Optional; with a time limit in working days."),
    )
    rectify_workdays = forms.IntegerField(
        label=pgettext_lazy("talk", "Rectify within (working days)"),
        required=False,
        min_value=1,
        max_value=999,
    )


class MissedForm(forms.Form):
    excused = forms.BooleanField(
        label=pgettext_lazy("talk", "The absence had a valid reason"),
        required=False,
        help_text=gettext_lazy("Without a valid reason the absence is a bad record and the head is told."),
    )
    note = _text(pgettext_lazy("talk", "Reason for the absence"), rows=3)


class CancelForm(forms.Form):
    reason = _text(pgettext_lazy("talk", "Why the talk is cancelled"), rows=3)


class TalkFilterSet(ScopedFilterSet):
    status = django_filters.ChoiceFilter(
        label=pgettext_lazy("supervision", "Status"),
        choices=TalkStatus.choices,
        empty_label=pgettext_lazy("supervision", "Any status"),
    )
    level = django_filters.ChoiceFilter(
        label=pgettext_lazy("talk", "Talk with"),
        choices=TalkLevel.choices,
        empty_label=pgettext_lazy("talk", "Anyone"),
    )
    department = django_filters.ModelChoiceFilter(
        label=pgettext_lazy("supervision", "Department"),
        queryset=Department.objects.none(),
        empty_label=pgettext_lazy("supervision", "All departments"),
    )
    name = django_filters.CharFilter(
        label=pgettext_lazy("talk", "Staff member"),
        method="filter_name",
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def filter_name(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = (value or "").strip()
        return queryset.filter(staff__name__icontains=value) if value else queryset


# --------------------------------------------------------------------------- the list


@require_safe
@talk_readers_only
def talk_list(request: HttpRequest) -> HttpResponse:
    filterset = TalkFilterSet(request.GET, queryset=talks.talk_list(request.user), request=request)
    valid = filterset.form.is_valid()
    context = {
        **_base_context(request, "talks"),
        "filter": filterset,
        "page": _page(request, filterset.qs),
        "may_schedule": talks.may_schedule(request.user),
    }
    partial = _is_htmx(request, RESULTS_TARGET)
    template = "supervision/talks/_talks.html" if partial else "supervision/talks/list.html"
    response = render(request, template, context, status=200 if valid else REFUSED)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


# --------------------------------------------------------------------------- scheduling


def _render_new(request: HttpRequest, form: ScheduleForm, status: int = 200) -> HttpResponse:
    context = {**_base_context(request, "talks"), "form": form}
    return render(request, "supervision/talks/new.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@schedulers_only
def talk_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        initial: dict[str, Any] = {}
        staff_id = request.GET.get("staff", "")
        if staff_id.isdigit():
            initial["staff"] = int(staff_id)
        complaint_id = request.GET.get("complaint", "")
        if complaint_id.isdigit():
            from yiwang.supervision.complaints import complaints_for

            complaint = complaints_for(request.user).filter(pk=int(complaint_id)).first()
            if complaint is not None:
                initial.update(
                    complaint=complaint.pk,
                    reason=TalkReason.COMPLAINT,
                    reason_text=_("Efficiency complaint %(number)s: %(content)s")
                    % {"number": complaint.number, "content": complaint.content[:300]},
                )
                if complaint.staff_id is not None and "staff" not in initial:
                    initial["staff"] = complaint.staff_id
        return _render_new(request, ScheduleForm(user=request.user, initial=initial))
    form = ScheduleForm(request.POST, user=request.user)
    if form.is_valid():
        d = form.cleaned_data
        try:
            talk = talks.talk_schedule(
                user=request.user,
                staff=d["staff"],
                reason=d["reason"],
                reason_text=d["reason_text"],
                scheduled_at=d["scheduled_at"],
                place=d["place"],
                case=d["case"],
                complaint=d["complaint"],
            )
        except SupervisionError as error:
            apply_supervision_error(form, error)
        else:
            messages.success(
                request,
                _("The talk with %(name)s is scheduled; they have been told.") % {"name": talk.staff.name},
            )
            return redirect("supervision:talk", talk.pk)
    return _render_new(request, form, status=REFUSED)


# --------------------------------------------------------------------------- one talk


def _talk_or_404(request: HttpRequest, pk: int) -> Talk:
    talk = talks.talk_for(request.user, pk)
    if talk is None:
        raise Http404(_("No such talk within your scope."))
    return talk


def _render_talk(
    request: HttpRequest,
    talk: Talk,
    *,
    held: HeldForm | None = None,
    missed: MissedForm | None = None,
    cancel: CancelForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    if talk.is_open and talks.may_act(user, talk):
        held = held or HeldForm(prefix="held")
        missed = missed or MissedForm(prefix="missed")
        cancel = cancel or CancelForm(prefix="cancel")
    record = talks.talk_record_of(talk.staff)
    others = list(
        talks.talks_for(user)
        .filter(staff_id=talk.staff_id)
        .exclude(pk=talk.pk)
        .order_by("-scheduled_at", "-pk")[:10]
    )
    context = {
        **_base_context(request, "talks"),
        "talk": talk,
        "history": talks.talk_history(talk),
        "record": record,
        "others": others,
        "held_form": held,
        "missed_form": missed,
        "cancel_form": cancel,
        "may_schedule": talks.may_schedule(user) and talks.can_schedule_with(user, talk.staff),
        "now": timezone.now(),
    }
    return render(request, "supervision/talks/talk.html", context, status=status)


@require_safe
@talk_readers_only
def talk_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_talk(request, _talk_or_404(request, pk))


@require_POST
@talk_readers_only
def talk_held(request: HttpRequest, pk: int) -> HttpResponse:
    talk = _talk_or_404(request, pk)
    form = HeldForm(request.POST, prefix="held")
    if form.is_valid():
        d = form.cleaned_data
        try:
            done = talks.talk_record_held(
                talk=talk,
                user=request.user,
                record=d["record"],
                rectification=d["rectification"],
                rectify_workdays=d["rectify_workdays"],
            )
        except SupervisionError as error:
            apply_supervision_error(form, error)
        else:
            message = _("The talk is recorded.")
            escalation = Talk.objects.filter(escalated_from=done).select_related("staff").first()
            if escalation is not None:
                message += " " + _(
                    "This was talk number %(n)d with %(name)s: a talk with %(head)s, their head, is scheduled."
                ) % {
                    "n": talks.talk_record_of(done.staff).held_in_window,
                    "name": done.staff.name,
                    "head": escalation.staff.name,
                }
            messages.success(request, message)
            return redirect("supervision:talk", talk.pk)
    return _render_talk(request, talk, held=form, status=REFUSED)


@require_POST
@talk_readers_only
def talk_missed(request: HttpRequest, pk: int) -> HttpResponse:
    talk = _talk_or_404(request, pk)
    form = MissedForm(request.POST, prefix="missed")
    if form.is_valid():
        d = form.cleaned_data
        try:
            done = talks.talk_record_missed(
                talk=talk, user=request.user, excused=d["excused"], note=d["note"]
            )
        except SupervisionError as error:
            apply_supervision_error(form, error)
        else:
            if done.bad_record:
                messages.success(
                    request, _("The absence is recorded as a bad record; the head has been told.")
                )
            else:
                messages.success(request, _("The excused absence is recorded. Schedule a new talk."))
            return redirect("supervision:talk", talk.pk)
    return _render_talk(request, talk, missed=form, status=REFUSED)


@require_POST
@talk_readers_only
def talk_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    talk = _talk_or_404(request, pk)
    form = CancelForm(request.POST, prefix="cancel")
    if form.is_valid():
        try:
            talks.talk_cancel(talk=talk, user=request.user, reason=form.cleaned_data["reason"])
        except SupervisionError as error:
            apply_supervision_error(form, error)
        else:
            messages.success(request, _("The talk is cancelled; the staff member has been told."))
            return redirect("supervision:talk", talk.pk)
    return _render_talk(request, talk, cancel=form, status=REFUSED)
