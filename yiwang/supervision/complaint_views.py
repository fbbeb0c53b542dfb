"""Pages of the efficiency complaints (效能投诉, seed 004 part 1) under
/supervision/complaints/: the list with filters, the registration form (效能投诉受理登记表),
one complaint with its deadlines, records, documents, alerts, notices, history and the
forms of what the viewer may do next, and the statistics.

``yiwang.supervision.complaints`` decides who may do what; a refused POST shows its form
again with the service's message on the field, status 400, and changes nothing. A
complaint outside the viewer's scope answers 404. The complainant's particulars appear
only for the supervision room (``complaints.sees_identity``); the department complained
about and the handling unit never see them, here or in the history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yiwang.cases.models import Case
from yiwang.org.models import Department, Role, Staff
from yiwang.org.permissions import scope_of
from yiwang.supervision import complaint_stats, complaints
from yiwang.supervision.complaints import MeasureSpec
from yiwang.supervision.filters import _DATE, ScopedFilterSet, _from, _period_form, _to
from yiwang.supervision.forms import apply_supervision_error
from yiwang.supervision.models import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintDocument,
    ComplaintDocumentKind,
    ComplaintMode,
    ComplaintStatus,
    InvestigationKind,
    MeasureKind,
    NoticeKind,
)
from yiwang.supervision.services import SupervisionError
from yiwang.supervision.views import REFUSED, RESULTS_TARGET, _base_context, _guarded, _is_htmx, _page

readers_only = _guarded(
    complaints.may_use_complaints,
    gettext_lazy("Efficiency complaints are for the supervision room, leaders and the handling units."),
)
registrars_only = _guarded(
    complaints.may_register,
    gettext_lazy("Only supervisors and 12345 hotline agents register efficiency complaints."),
)
statistics_only = _guarded(
    complaint_stats.may_see_statistics,
    gettext_lazy("The complaint statistics are for supervisors and leaders."),
)

TAB = "complaints"
MEASURE_ROWS = 3
_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _context(request: HttpRequest) -> dict[str, Any]:
    return _base_context(request, TAB)


def _text(label: Any, *, rows: int = 3, help_text: Any = "") -> forms.CharField:
    # Whether a text may be empty is the services' decision (with their specific messages).
    return forms.CharField(
        label=label,
        required=False,
        max_length=complaints.TEXT_LIMIT,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _line(label: Any, *, limit: int, **attrs: Any) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=limit, widget=forms.TextInput(attrs=attrs or None)
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        single = super().clean
        return [single(f, initial) for f in files]


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        department = obj.department
        return f"{obj.name}（{department.short_name or department.name}）"


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.region.name}）"


# --------------------------------------------------------------------------- registering


class RegisterForm(forms.Form):
    """The 效能投诉受理登记表."""

    channel = forms.ChoiceField(
        label=pgettext_lazy("complaint", "Received by"), choices=ComplaintChannel.choices
    )
    received_at = forms.DateTimeField(
        label=pgettext_lazy("complaint", "Received at"),
        required=False,
        widget=_DATETIME,
        input_formats=_DATETIME_FORMATS,
        help_text=gettext_lazy("Empty: now."),
    )
    category = forms.ChoiceField(
        label=pgettext_lazy("complaint", "Kind of problem"),
        choices=[("", pgettext_lazy("complaint", "Choose the kind of problem")), *ComplaintCategory.choices],
        required=False,
    )
    complainant_name = _line(pgettext_lazy("complaint", "Complainant's name"), limit=complaints.NAME_LIMIT)
    complainant_mobile = _line(
        pgettext_lazy("complaint", "Mobile"), limit=20, inputmode="tel", autocomplete="off"
    )
    complainant_phone = _line(pgettext_lazy("complaint", "Other telephone"), limit=30, inputmode="tel")
    complainant_address = _line(pgettext_lazy("complaint", "Address"), limit=200)
    department = DepartmentChoiceField(
        label=pgettext_lazy("complaint", "Department complained about"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=pgettext_lazy("complaint", "Choose a department"),
    )
    staff = StaffChoiceField(
        label=pgettext_lazy("complaint", "Staff member complained about"),
        queryset=Staff.objects.none(),
        required=False,
        empty_label=pgettext_lazy("complaint", "Not named"),
        help_text=gettext_lazy("Optional: someone of that department."),
    )
    case = forms.CharField(
        label=pgettext_lazy("supervision", "Case number"),
        required=False,
        max_length=30,
        help_text=gettext_lazy("Optional: a case of that department the complaint is about."),
    )
    content = _text(pgettext_lazy("complaint", "What happened"), rows=5)
    request = _text(pgettext_lazy("complaint", "What the complainant asks for"), rows=3)
    attachments = MultipleFileField(
        label=pgettext_lazy("complaint", "Attachments"),
        required=False,
        help_text=gettext_lazy("Up to 10 files: PDF, JPEG, PNG or OFD."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        departments = complaints.departments_in_scope(user)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]
        self.fields["department"].widget.attrs.update(
            {
                "hx-get": reverse("supervision:complaint_new"),
                "hx-trigger": "change",
                "hx-target": "#staff-field",
                "hx-select": "#staff-field",
                "hx-swap": "outerHTML",
            }
        )
        staff = Staff.objects.filter(is_active=True, department__in=departments.values("pk"))
        chosen = self.data.get("department") if self.is_bound else self.initial.get("department")
        if str(chosen or "").isdigit():
            staff = staff.filter(department_id=int(chosen))  # type: ignore[arg-type]
        self.fields["staff"].queryset = staff.select_related("department").order_by(  # type: ignore[attr-defined]
            "department__region__path", "department__name", "name"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        number = (data.get("case") or "").strip()
        data["case"] = None
        if number:
            department = data.get("department")
            if department is None:
                self.add_error("case", _("Choose the department first: the case is looked up in it."))
            else:
                case = Case.objects.filter(number=number, department=department).first()
                if case is None:
                    self.add_error(
                        "case",
                        _("%(department)s has no case numbered %(number)s.")
                        % {"department": department.name, "number": number},
                    )
                data["case"] = case
        return data


# --------------------------------------------------------------------------- the actions


class ActionForm(forms.Form):
    """A form of one action on a complaint (``complaint`` chooses the options)."""

    def __init__(self, *args: Any, complaint: Complaint, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.complaint = complaint

    def groups(self) -> list[tuple[str, list[Any]]]:
        return [("", list(self.visible_fields()))]


class AcceptForm(ActionForm):
    mode = forms.ChoiceField(
        label=pgettext_lazy("complaint", "Handling"),
        choices=ComplaintMode.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    handling_unit = DepartmentChoiceField(
        label=pgettext_lazy("complaint", "Transfer to"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=pgettext_lazy("complaint", "Choose the handling unit"),
        help_text=gettext_lazy("Only when the complaint is transferred."),
    )
    instruction = _text(
        pgettext_lazy("complaint", "The head's instruction (批示)"),
        rows=2,
        help_text=gettext_lazy("Required to transfer the complaint."),
    )
    note = _text(pgettext_lazy("complaint", "Note"), rows=2)

    def __init__(self, *args: Any, complaint: Complaint, **kwargs: Any) -> None:
        super().__init__(*args, complaint=complaint, **kwargs)
        self.fields["handling_unit"].queryset = (  # type: ignore[attr-defined]
            Department.objects.filter(
                is_active=True,
                is_supervision_room=False,
                region__path__startswith=complaint.region.path,
            )
            .select_related("region")
            .order_by("region__path", "name")
        )


class AnswerForm(ActionForm):
    answer = _text(pgettext_lazy("complaint", "Answer to the complainant"), rows=4)
    outside_remit = forms.BooleanField(
        label=pgettext_lazy("complaint", "Outside the room's remit"),
        required=False,
        help_text=gettext_lazy("Then explain why, and suggest where the complainant may turn."),
    )


class InvestigateForm(ActionForm):
    kind = forms.ChoiceField(
        label=pgettext_lazy("complaint", "Kind of record"), choices=InvestigationKind.choices
    )
    held_on = forms.DateField(
        label=pgettext_lazy("complaint", "Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    people = _line(pgettext_lazy("complaint", "People involved"), limit=200)
    record = _text(pgettext_lazy("complaint", "What was found"), rows=4)
    upload = forms.FileField(label=pgettext_lazy("complaint", "Record file"), required=False)


class ExtendForm(ActionForm):
    workdays = forms.IntegerField(
        label=pgettext_lazy("complaint", "Extend the limit to (working days from acceptance)"),
        required=False,
        min_value=1,
        max_value=999,
        help_text=gettext_lazy("At most 15."),
    )
    reason = _text(pgettext_lazy("complaint", "Why it cannot be handled in time"), rows=2)


SUBSTANTIATED = (
    ("yes", pgettext_lazy("complaint", "Substantiated")),
    ("no", pgettext_lazy("complaint", "Not substantiated")),
)


class ProposeForm(ActionForm):
    substantiated = forms.ChoiceField(
        label=pgettext_lazy("complaint", "Is the complaint substantiated?"),
        choices=SUBSTANTIATED,
        widget=forms.RadioSelect,
        required=False,
    )
    findings = _text(pgettext_lazy("complaint", "Findings"), rows=4)
    proposal = _text(pgettext_lazy("complaint", "Proposed handling"), rows=3)
    upload = forms.FileField(label=pgettext_lazy("complaint", "Report file"), required=False)

    def __init__(self, *args: Any, complaint: Complaint, **kwargs: Any) -> None:
        super().__init__(*args, complaint=complaint, **kwargs)
        staff = Staff.objects.filter(department_id=complaint.department_id).select_related("department")
        for i in range(1, MEASURE_ROWS + 1):
            self.fields[f"m{i}_kind"] = forms.ChoiceField(
                label=pgettext_lazy("complaint", "Measure"),
                choices=[("", pgettext_lazy("complaint", "No measure")), *MeasureKind.choices],
                required=False,
            )
            self.fields[f"m{i}_staff"] = StaffChoiceField(
                label=pgettext_lazy("complaint", "Against"),
                queryset=staff,
                required=False,
                empty_label=pgettext_lazy("complaint", "The staff member complained about"),
            )
            self.fields[f"m{i}_note"] = _line(pgettext_lazy("complaint", "Note"), limit=1000)
            self.fields[f"m{i}_rectify_workdays"] = forms.IntegerField(
                label=pgettext_lazy("complaint", "Rectify within (working days)"),
                required=False,
                min_value=1,
                max_value=999,
            )

    def groups(self) -> list[tuple[str, list[Any]]]:
        main = [self[name] for name in ("substantiated", "findings", "proposal")]
        rows = [
            (
                _("Measure %(n)d") % {"n": i},
                [self[f"m{i}_{part}"] for part in ("kind", "staff", "note", "rectify_workdays")],
            )
            for i in range(1, MEASURE_ROWS + 1)
        ]
        return [("", main), *rows, ("", [self["upload"]])]

    def measures(self) -> list[MeasureSpec]:
        d = self.cleaned_data
        return [
            MeasureSpec(
                kind=d[f"m{i}_kind"],
                staff=d[f"m{i}_staff"],
                note=d[f"m{i}_note"],
                rectify_workdays=d[f"m{i}_rectify_workdays"],
            )
            for i in range(1, MEASURE_ROWS + 1)
            if d.get(f"m{i}_kind")
        ]


class NoteForm(ActionForm):
    note = _text(pgettext_lazy("complaint", "Note"), rows=2)


class ReasonForm(ActionForm):
    reason = _text(pgettext_lazy("complaint", "Reason"), rows=3)


class ResultForm(ActionForm):
    result = _text(pgettext_lazy("complaint", "What was done"), rows=4)
    upload = forms.FileField(label=pgettext_lazy("complaint", "Written report"), required=False)


class TellForm(ActionForm):
    text = _text(pgettext_lazy("complaint", "What the complainant is told"), rows=3)


class ReinvestigateForm(ActionForm):
    reason = _text(pgettext_lazy("complaint", "What was improper in the handling"), rows=3)
    direct = forms.BooleanField(
        label=pgettext_lazy("complaint", "The room investigates it itself (直接调查处理)"), required=False
    )


class AttachForm(ActionForm):
    kind = forms.ChoiceField(
        label=pgettext_lazy("complaint", "Kind of document"), choices=ComplaintDocumentKind.choices
    )
    title = _line(pgettext_lazy("complaint", "Title"), limit=200)
    upload = forms.FileField(
        label=pgettext_lazy("complaint", "File"), error_messages={"required": gettext_lazy("Choose a file.")}
    )


class ComplaintNoticeForm(ActionForm):
    kind = forms.ChoiceField(
        label=pgettext_lazy("supervision", "Kind of notice"),
        choices=[
            (k, label)
            for k, label in NoticeKind.choices
            if k in (NoticeKind.RECOMMENDATION, NoticeKind.DECISION)
        ],
    )
    facts = _text(pgettext_lazy("supervision", "Facts"), rows=4)
    requirement = _text(
        pgettext_lazy("supervision", "Requirement"),
        rows=3,
        help_text=gettext_lazy("Leave empty for the standard wording of this kind of notice."),
    )
    reply_by = forms.DateField(
        label=pgettext_lazy("supervision", "Reply by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ConfirmForm(ActionForm):
    pass


@dataclass(frozen=True)
class Viewer:
    room: bool
    head: bool
    unit: bool

    @classmethod
    def of(cls, user: Any, complaint: Complaint) -> Viewer:
        return cls(
            room=complaints.is_room(user, complaint),
            head=complaints.is_head(user, complaint),
            unit=complaints.is_unit(user, complaint),
        )


S = ComplaintStatus
Run = Callable[[HttpRequest, Complaint, ActionForm], str]


@dataclass(frozen=True)
class Action:
    form: type[ActionForm]
    title: Any
    button: Any
    shown: Callable[[Viewer, Complaint], bool]
    run: Run
    danger: bool = False


def _transfer(c: Complaint) -> bool:
    return c.mode == ComplaintMode.TRANSFER


def _run_accept(request: HttpRequest, c: Complaint, form: ActionForm) -> str:
    d = form.cleaned_data
    done = complaints.complaint_accept(
        complaint=c,
        user=request.user,
        mode=d["mode"],
        handling_unit=d["handling_unit"],
        instruction=d["instruction"],
        note=d["note"],
    )
    if done.mode == ComplaintMode.TRANSFER:
        return _("The complaint is transferred to %(unit)s, to be handled by %(due)s.") % {
            "unit": done.handling_unit.name,  # type: ignore[union-attr]
            "due": done.handling_due,
        }
    return _("The complaint is accepted: handled by %(due)s, feedback by %(feedback)s.") % {
        "due": done.handling_due,
        "feedback": done.feedback_due,
    }


def _run_answer(request: HttpRequest, c: Complaint, form: ActionForm) -> str:
    d = form.cleaned_data
    complaints.complaint_answer(
        complaint=c, user=request.user, answer=d["answer"], outside_remit=d["outside_remit"]
    )
    return _("The complainant is answered and the complaint closed.")


def _run_investigate(request: HttpRequest, c: Complaint, form: ActionForm) -> str:
    d = form.cleaned_data
    complaints.complaint_investigate(
        complaint=c,
        user=request.user,
        kind=d["kind"],
        held_on=d["held_on"],
        record=d["record"],
        people=d["people"],
        upload=d["upload"],
    )
    return _("The investigation record is kept.")


def _run_extend(request: HttpRequest, c: Complaint, form: ActionForm) -> str:
    d = form.cleaned_data
    done = complaints.complaint_extend(
        complaint=c, user=request.user, workdays=d["workdays"], reason=d["reason"]
    )
    return _("The handling is now due by %(due)s.") % {"due": done.handling_due}


def _run_propose(request: HttpRequest, c: Complaint, form: ActionForm) -> str:
    d = form.cleaned_data
    verdict = {"yes": True, "no": False}.get(d["substantiated"])
    complaints.complaint_propose(
        complaint=c,
        user=request.user,
        substantiated=verdict,
        findings=d["findings"],
        proposal=d["proposal"],
        measures=form.measures(),  # type: ignore[attr-defined]
        upload=d["upload"],
    )
    if _transfer(c):
        return _("Your findings and proposed handling are sent to the supervision room for its consent.")
    return _("The proposed handling is sent to the head for approval.")


def _run_approve(request: HttpRequest, c: Complaint, form: ActionForm) -> str:
    done = complaints.complaint_approve(complaint=c, user=request.user, note=form.cleaned_data["note"])
    if done.status == ComplaintStatus.CONSENTED:
        return _("The room consents; the handling unit has been told.")
    return _("The handling is approved and the complaint handled.")


def _run_return(request: HttpRequest, c: Complaint, form: ActionForm) -> str:
    complaints.complaint_return(complaint=c, user=request.user, reason=form.cleaned_data["reason"])
    return _("The proposal is sent back.")


def _run_result(request: HttpRequest, c: Complaint, form: ActionForm) -> str:
    d = form.cleaned_data
    complaints.complaint_report_result(complaint=c, user=request.user, result=d["result"], upload=d["upload"])
    return _("The result is reported to the supervision room. Now give the complainant feedback.")


def _run_delay(request: HttpRequest, c: Complaint, form: ActionForm) -> str:
    complaints.complaint_tell_delay(complaint=c, user=request.user, text=form.cleaned_data["text"])
    return _("The complainant is told of the delay.")


def _run_feedback(request: HttpRequest, c: Complaint, form: ActionForm) -> str:
    complaints.complaint_feedback(complaint=c, user=request.user, text=form.cleaned_data["text"])
    return _("The feedback is given to the complainant.")


def _run_reinvestigate(request: HttpRequest, c: Complaint, form: ActionForm) -> str:
    d = form.cleaned_data
    done = complaints.complaint_reinvestigate(
        complaint=c, user=request.user, reason=d["reason"], direct=d["direct"]
    )
    return _("A new investigation is ordered, due by %(due)s.") % {"due": done.handling_due}


def _run_attach(request: HttpRequest, c: Complaint, form: ActionForm) -> str:
    d = form.cleaned_data
    doc = complaints.complaint_attach(
        complaint=c, user=request.user, upload=d["upload"], kind=d["kind"], title=d["title"]
    )
    return _("“%(title)s” is kept with the complaint.") % {"title": doc.title}


def _run_notice(request: HttpRequest, c: Complaint, form: ActionForm) -> str:
    from yiwang.supervision import complaint_documents

    d = form.cleaned_data
    notice = complaint_documents.complaint_notice_issue(
        complaint=c,
        user=request.user,
        kind=d["kind"],
        facts=d["facts"],
        requirement=d["requirement"],
        reply_by=d["reply_by"],
    )
    return _("Notice %(number)s issued.") % {"number": notice.number}


def _run_archive(request: HttpRequest, c: Complaint, form: ActionForm) -> str:
    from yiwang.supervision import complaint_documents

    complaint_documents.complaint_archive(complaint=c, user=request.user)
    return _("The complaint is archived.")


def _may_tell(v: Viewer, c: Complaint) -> bool:
    return v.room or (_transfer(c) and v.unit)


ACTIONS: dict[str, Action] = {
    "accept": Action(
        AcceptForm,
        pgettext_lazy("complaint", "Accept the complaint"),
        pgettext_lazy("complaint", "Accept"),
        lambda v, c: v.room and c.status == S.REGISTERED,
        _run_accept,
    ),
    "answer": Action(
        AnswerForm,
        pgettext_lazy("complaint", "Answer without investigation"),
        pgettext_lazy("complaint", "Answer and close"),
        lambda v, c: v.room and c.status == S.REGISTERED,
        _run_answer,
    ),
    "investigate": Action(
        InvestigateForm,
        pgettext_lazy("complaint", "Record an investigation"),
        pgettext_lazy("complaint", "Keep the record"),
        lambda v, c: (v.room or v.unit) and c.status in (S.HANDLING, S.CONSENTED),
        _run_investigate,
    ),
    "propose": Action(
        ProposeForm,
        pgettext_lazy("complaint", "Findings and proposed handling"),
        pgettext_lazy("complaint", "Submit the proposal"),
        lambda v, c: c.status == S.HANDLING and (v.unit if _transfer(c) else v.room),
        _run_propose,
    ),
    "extend": Action(
        ExtendForm,
        pgettext_lazy("complaint", "Extend the time limit"),
        pgettext_lazy("complaint", "Extend"),
        lambda v, c: v.head and not _transfer(c) and c.status in (S.HANDLING, S.PROPOSED),
        _run_extend,
    ),
    "approve": Action(
        NoteForm,
        pgettext_lazy("complaint", "Approve the proposed handling"),
        pgettext_lazy("complaint", "Approve"),
        lambda v, c: c.status == S.PROPOSED and (v.room if _transfer(c) else v.head),
        _run_approve,
    ),
    "return": Action(
        ReasonForm,
        pgettext_lazy("complaint", "Send the proposal back"),
        pgettext_lazy("complaint", "Send back"),
        lambda v, c: c.status == S.PROPOSED and (v.room if _transfer(c) else v.head),
        _run_return,
        danger=True,
    ),
    "result": Action(
        ResultForm,
        pgettext_lazy("complaint", "Report the result in writing"),
        pgettext_lazy("complaint", "Report the result"),
        lambda v, c: v.unit and c.status == S.CONSENTED,
        _run_result,
    ),
    "feedback": Action(
        TellForm,
        pgettext_lazy("complaint", "Feedback to the complainant"),
        pgettext_lazy("complaint", "Give the feedback"),
        lambda v, c: c.status == S.HANDLED and c.feedback_at is None and (v.unit if _transfer(c) else v.room),
        _run_feedback,
    ),
    "delay": Action(
        TellForm,
        pgettext_lazy("complaint", "Tell the complainant of a delay"),
        pgettext_lazy("complaint", "Tell the complainant"),
        lambda v, c: _may_tell(v, c) and c.status in complaints.OPEN_WORK,
        _run_delay,
    ),
    "reinvestigate": Action(
        ReinvestigateForm,
        pgettext_lazy("complaint", "Order a new investigation"),
        pgettext_lazy("complaint", "Order it"),
        lambda v, c: v.room and c.status == S.HANDLED,
        _run_reinvestigate,
        danger=True,
    ),
    "notice": Action(
        ComplaintNoticeForm,
        pgettext_lazy("complaint", "Issue a supervision recommendation or decision"),
        pgettext_lazy("supervision", "Issue the notice"),
        lambda v, c: (
            v.room
            and (
                c.status in (*complaints.OPEN_WORK, S.HANDLED)
                or (c.status == S.ARCHIVED and bool(c.substantiated))
            )
        ),
        _run_notice,
    ),
    "attach": Action(
        AttachForm,
        pgettext_lazy("complaint", "Add a document"),
        pgettext_lazy("complaint", "Add"),
        lambda v, c: (v.room or v.unit) and c.is_open,
        _run_attach,
    ),
    "archive": Action(
        ConfirmForm,
        pgettext_lazy("complaint", "Archive the complaint (立卷归档)"),
        pgettext_lazy("complaint", "Archive"),
        lambda v, c: (
            v.room and (c.status == S.CLOSED or (c.status == S.HANDLED and c.feedback_at is not None))
        ),
        _run_archive,
    ),
}


# --------------------------------------------------------------------------- the list


def _today() -> dt.date:
    return timezone.localdate()


def overdue_q(today: dt.date) -> Q:
    """Complaints with a deadline passed and not met."""
    return (
        Q(status=S.REGISTERED, acked_at__isnull=True, ack_due__lt=today)
        | Q(status__in=complaints.OPEN_WORK, handling_due__lt=today)
        | Q(status__in=(*complaints.OPEN_WORK, S.HANDLED), feedback_at__isnull=True, feedback_due__lt=today)
    )


@dataclass(frozen=True)
class Deadline:
    what: str
    due: dt.date
    overdue: bool


def next_deadline(c: Complaint, today: dt.date) -> Deadline | None:
    """The deadline the complaint now runs against."""
    if c.status == S.REGISTERED and c.acked_at is None:
        what, due = _("telling the complainant"), c.ack_due
    elif c.status in complaints.OPEN_WORK and c.handling_due is not None:
        what, due = _("handling"), c.handling_due
    elif c.status == S.HANDLED and c.feedback_at is None and c.feedback_due is not None:
        what, due = _("feedback"), c.feedback_due
    else:
        return None
    return Deadline(what, due, due < today)


class ComplaintFilterSet(ScopedFilterSet):
    status = django_filters.ChoiceFilter(
        label=pgettext_lazy("supervision", "Status"),
        choices=ComplaintStatus.choices,
        empty_label=pgettext_lazy("supervision", "Any status"),
    )
    category = django_filters.ChoiceFilter(
        label=pgettext_lazy("complaint", "Kind of problem"),
        choices=ComplaintCategory.choices,
        empty_label=pgettext_lazy("complaint", "Any kind"),
    )
    mode = django_filters.ChoiceFilter(
        label=pgettext_lazy("complaint", "Handling"),
        choices=ComplaintMode.choices,
        empty_label=pgettext_lazy("complaint", "Any handling"),
    )
    department = django_filters.ModelChoiceFilter(
        label=pgettext_lazy("complaint", "Department complained about"),
        queryset=Department.objects.none(),
        empty_label=pgettext_lazy("supervision", "All departments"),
    )
    received_from = django_filters.DateFilter(
        label=pgettext_lazy("complaint", "Received from"), method="filter_from", widget=_DATE
    )
    received_to = django_filters.DateFilter(
        label=pgettext_lazy("complaint", "Received to"), method="filter_to", widget=_DATE
    )
    overdue = django_filters.BooleanFilter(
        label=pgettext_lazy("complaint", "Overdue only"),
        method="filter_overdue",
        widget=forms.CheckboxInput,
    )

    class Meta:
        form = _period_form("received_from", "received_to")

    def filter_from(self, queryset: QuerySet[Any], name: str, value: dt.date | None) -> QuerySet[Any]:
        return _from(queryset, "received_at", value)

    def filter_to(self, queryset: QuerySet[Any], name: str, value: dt.date | None) -> QuerySet[Any]:
        return _to(queryset, "received_at", value)

    def filter_overdue(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        return queryset.filter(overdue_q(_today())) if value else queryset


@dataclass(frozen=True)
class Row:
    complaint: Complaint
    deadline: Deadline | None
    identity: bool


@require_safe
@readers_only
def complaint_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    queryset = complaints.complaint_list(user).order_by("-priority", "-received_at", "-pk")
    filterset = ComplaintFilterSet(request.GET, queryset=queryset, request=request)
    valid = filterset.form.is_valid()
    page = _page(request, filterset.qs)
    today = _today()
    rows = [Row(c, next_deadline(c, today), complaints.sees_identity(user, c)) for c in page.object_list]
    context = {
        **_context(request),
        "filter": filterset,
        "page": page,
        "rows": rows,
        "any_identity": any(r.identity for r in rows),
        "may_register": complaints.may_register(user),
        "may_see_statistics": complaint_stats.may_see_statistics(user),
    }
    partial = _is_htmx(request, RESULTS_TARGET)
    template = "supervision/complaints/_complaints.html" if partial else "supervision/complaints/list.html"
    response = render(request, template, context, status=200 if valid else REFUSED)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


# --------------------------------------------------------------------------- registering


def _render_new(request: HttpRequest, form: RegisterForm, status: int = 200) -> HttpResponse:
    return render(
        request, "supervision/complaints/new.html", {**_context(request), "form": form}, status=status
    )


@require_http_methods(["GET", "HEAD", "POST"])
@registrars_only
def complaint_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method != "POST":
        initial: dict[str, Any] = {
            "received_at": timezone.localtime().replace(second=0, microsecond=0),
            "channel": ComplaintChannel.PHONE,
        }
        if not scope_of(user).has_role(Role.SUPERVISOR):
            initial["channel"] = ComplaintChannel.HOTLINE
        department = request.GET.get("department", "")
        if department.isdigit():
            initial["department"] = int(department)
        return _render_new(request, RegisterForm(user=user, initial=initial))
    form = RegisterForm(request.POST, request.FILES, user=user)
    if form.is_valid():
        d = form.cleaned_data
        try:
            complaint = complaints.complaint_register(
                user=user,
                channel=d["channel"],
                category=d["category"],
                department=d["department"],
                content=d["content"],
                complainant_name=d["complainant_name"],
                complainant_mobile=d["complainant_mobile"],
                complainant_phone=d["complainant_phone"],
                complainant_address=d["complainant_address"],
                staff=d["staff"],
                case=d["case"],
                request=d["request"],
                attachments=d["attachments"],
                received_at=d["received_at"],
            )
        except SupervisionError as error:
            apply_supervision_error(form, error)
        else:
            message = _(
                "Complaint %(number)s is registered; tell the complainant how it is taken up by %(due)s."
            ) % {
                "number": complaint.number,
                "due": complaint.ack_due,
            }
            if complaint.repeat_of_id is not None:
                message += " " + _("It repeats complaint %(number)s.") % {
                    "number": complaint.repeat_of.number  # type: ignore[union-attr]
                }
            messages.success(request, message)
            if complaints.complaint_for(user, complaint.pk) is None:
                return redirect("supervision:complaint_new")  # a hotline agent does not follow it
            return redirect("supervision:complaint", complaint.pk)
    return _render_new(request, form, status=REFUSED)


# --------------------------------------------------------------------------- one complaint


def _complaint_or_404(request: HttpRequest, pk: int) -> Complaint:
    complaint = complaints.complaint_for(request.user, pk)
    if complaint is None:
        raise Http404(_("No such complaint within your scope."))
    return complaint


def _render_complaint(
    request: HttpRequest,
    complaint: Complaint,
    *,
    bound: tuple[str, ActionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    viewer = Viewer.of(user, complaint)
    identity = complaints.sees_identity(user, complaint)
    today = _today()
    forms_shown: list[tuple[str, Action, ActionForm]] = []
    for slug, action in ACTIONS.items():
        if bound is not None and bound[0] == slug:
            forms_shown.append((slug, action, bound[1]))
        elif action.shown(viewer, complaint):
            forms_shown.append((slug, action, action.form(prefix=slug, complaint=complaint)))
    deadlines = [
        (label, due, due is not None and done is None and due < today, done)
        for label, due, done in (
            (
                pgettext_lazy("complaint", "Complainant told of the acceptance"),
                complaint.ack_due,
                complaint.acked_at,
            ),
            (
                pgettext_lazy("complaint", "Handling"),
                complaint.handling_due,
                complaint.handled_at if complaint.status not in complaints.OPEN_WORK else None,
            ),
            (
                pgettext_lazy("complaint", "Feedback to the complainant"),
                complaint.feedback_due,
                complaint.feedback_at,
            ),
        )
    ]
    archive_entries: list[Any] = []
    if viewer.room and complaint.archive:
        from yiwang.supervision import complaint_documents

        archive_entries = list(complaint_documents.archive_entries(complaint))
    context = {
        **_context(request),
        "complaint": complaint,
        "viewer": viewer,
        "identity": identity,
        "deadlines": deadlines,
        "next_deadline": next_deadline(complaint, today),
        "repeats": list(complaint.repeats.order_by("received_at", "pk")),
        "investigations": list(
            complaint.investigations.select_related("document", "recorded_by__staff").order_by(
                "held_on", "pk"
            )
        ),
        "measures": list(complaint.measures.select_related("staff").order_by("pk")),
        "proposed_measures": [
            {"label": MeasureKind(m.kind).label, "spec": m} for m in complaints.proposed_measures(complaint)
        ]
        if complaint.status in (S.PROPOSED, S.CONSENTED)
        else [],
        # The complainant's own attachments (a signed letter, say) would tell who complained.
        "documents": list(_documents_for(complaint, identity)),
        "alerts": list(complaint.alerts.order_by("-raised_at", "-pk")),
        "notices": list(complaint.notices.order_by("issued_at", "pk")),
        "talks": list(complaint.talks.select_related("staff").order_by("scheduled_at", "pk"))
        if hasattr(complaint, "talks")
        else [],
        "history": complaints.complaint_history(complaint, identity=identity),
        "action_forms": forms_shown,
        "archive_entries": archive_entries,
        "registered_by_complainant": complaint.registered_by_id is not None
        and complaint.registered_by_id == complaint.complainant_user_id,
    }
    return render(request, "supervision/complaints/complaint.html", context, status=status)


@require_safe
@readers_only
def complaint_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_complaint(request, _complaint_or_404(request, pk))


@require_POST
@readers_only
def complaint_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One action on a complaint (the slug names it): the service decides."""
    complaint = _complaint_or_404(request, pk)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404(_("No such action."))
    form = spec.form(request.POST, request.FILES, prefix=action, complaint=complaint)
    if form.is_valid():
        try:
            message = spec.run(request, complaint, form)
        except SupervisionError as error:
            apply_supervision_error(form, error)
        else:
            messages.success(request, message)
            return redirect("supervision:complaint", complaint.pk)
    complaint = _complaint_or_404(request, pk)  # as it is now (the service changed nothing)
    return _render_complaint(request, complaint, bound=(action, form), status=REFUSED)


def _file(response: FileResponse) -> FileResponse:
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response


@require_safe
@readers_only
def registration_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The 效能投诉受理登记表 as a PDF; with the complainant's particulars only for the room."""
    from yiwang.supervision import complaint_documents

    complaint = _complaint_or_404(request, pk)
    data = complaint_documents.registration_form_pdf(
        complaint, with_identity=complaints.sees_identity(request.user, complaint)
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{_quote(complaint.number)}-registration.pdf"
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


@require_safe
@readers_only
def archive_download(request: HttpRequest, pk: int) -> FileResponse:
    """The archive (立卷归档) of a complaint, for the supervision room only."""
    complaint = _complaint_or_404(request, pk)
    if not complaints.is_room(request.user, complaint):
        raise PermissionDenied(_("Only the supervision room opens a complaint's archive."))
    if not complaint.archive:
        raise Http404(_("This complaint is not archived yet."))
    return _file(
        FileResponse(
            complaint.archive.open("rb"),
            as_attachment=True,
            content_type="application/zip",
            filename=f"{complaint.number}.zip",
        )
    )


def _documents_for(complaint: Complaint, identity: bool) -> QuerySet[ComplaintDocument]:
    """The documents a viewer may see: the complainant's attachments only in the room."""
    documents = complaint.documents.order_by("uploaded_at", "pk")
    if not identity:
        documents = documents.exclude(kind=ComplaintDocumentKind.ATTACHMENT)
    return documents


@require_safe
@readers_only
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    """A document kept with a complaint, for those who may read the complaint; the
    complainant's own attachments only for the supervision room."""
    document = (
        ComplaintDocument.objects.filter(
            pk=pk, complaint__in=complaints.complaints_for(request.user).values("pk")
        )
        .select_related("complaint__region", "complaint__department")
        .first()
    )
    if document is not None and (
        document.kind == ComplaintDocumentKind.ATTACHMENT
        and not complaints.sees_identity(request.user, document.complaint)
    ):
        document = None
    if document is None:
        raise Http404(_("No such document within your scope."))
    stored = document.file.name or ""
    extension = stored.rsplit(".", 1)[-1] if "." in stored else ""
    filename = (
        document.title
        if not extension or document.title.endswith(f".{extension}")
        else f"{document.title}.{extension}"
    )
    return _file(
        FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            content_type=document.content_type,
            filename=filename,
        )
    )


# --------------------------------------------------------------------------- statistics


class PeriodForm(forms.Form):
    start = forms.DateField(label=pgettext_lazy("complaint", "Received from"), required=False, widget=_DATE)
    end = forms.DateField(label=pgettext_lazy("complaint", "Received to"), required=False, widget=_DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = _today()
        default_start, default_end = complaint_stats.default_period(today)
        start = data.get("start") or default_start
        end = data.get("end") or (default_end if start <= default_end else start)
        if start > today:
            self.add_error("start", complaint_stats.PERIOD_ERRORS["future"])
        elif start > end:
            self.add_error("end", complaint_stats.PERIOD_ERRORS["reversed"])
        data["start"], data["end"] = start, end
        return data


@require_safe
@statistics_only
def complaint_stats_page(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    start, end = complaint_stats.default_period(_today())
    if not data.get("start") and not data.get("end"):
        data["start"], data["end"] = start.isoformat(), end.isoformat()
    form = PeriodForm(data)
    stats = None
    if form.is_valid():
        stats = complaint_stats.statistics(request.user, form.cleaned_data["start"], form.cleaned_data["end"])
    context = {
        **_context(request),
        "form": form,
        "stats": stats,
        "chart": stats.chart() if stats is not None else None,
        "outcomes": complaint_stats.OUTCOMES,
    }
    return render(
        request,
        "supervision/complaints/statistics.html",
        context,
        status=200 if stats is not None else REFUSED,
    )
