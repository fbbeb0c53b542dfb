"""Efficiency complaints filed online (在线投诉) and tracked by the complainant.

A signed-in account files a complaint about a case of theirs, a department or one of its
staff; ``yiwang.supervision.complaints.complaint_register`` (channel ``portal``) registers
it for the supervision room, which alone sees who complained: the department complained
about reads the complaint without the complainant's particulars, and everything the
complainant is told goes through the system.

The complainant sees their complaints' progress in plain words, the deadlines the room
works to, and what the room (or the handling unit) answered: the answer of a complaint
closed at intake and the feedback after handling. The room's findings, proposals,
measures, instructions and history notes are internal and never shown here.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_http_methods, require_safe

from yiwang.cases.models import Case
from yiwang.org.models import Department, Staff
from yiwang.portal.accounts import account_of, acting_cases
from yiwang.portal.consult_views import AccessibleForm, signin_required, to_login
from yiwang.portal.models import Account
from yiwang.supervision import complaints as service
from yiwang.supervision.models import Complaint, ComplaintCategory, ComplaintChannel, ComplaintStatus
from yiwang.supervision.services import SupervisionError

INVALID = 422
PAGE_SIZE = 20
OWN_CASES = 50


# --------------------------------------------------------------------------- reads


def own_cases(user: Any) -> QuerySet[Case]:
    """The cases a complainant may name, those the complaint service accepts as theirs
    (``yiwang.portal.accounts.acting_cases``): filed through their account, or filed
    under the ID number or USCC of a verified account they act for, their own or that of
    an enterprise whose agent they are."""
    return acting_cases(user).select_related("department", "item_version").order_by("-submitted_at", "-pk")


def departments() -> list[tuple[str, list[tuple[int, str]]]]:
    """Every active department that can be complained about, grouped by region."""
    groups: OrderedDict[str, list[tuple[int, str]]] = OrderedDict()
    rows = (
        Department.objects.filter(is_active=True, is_supervision_room=False)
        .select_related("region")
        .order_by("region__path", "name")
        .only("pk", "name", "region__name", "region__path")
    )
    for dept in rows:
        groups.setdefault(dept.region.name, []).append((dept.pk, dept.name))
    return list(groups.items())


def my_complaints(user: Any) -> QuerySet[Complaint]:
    return (
        Complaint.objects.filter(complainant_user_id=user.pk, channel=ComplaintChannel.PORTAL)
        .select_related("department", "staff", "case")
        .order_by("-received_at", "-pk")
    )


def _day(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "hour"):
        value = timezone.localtime(value).date()
    return date_format(value, "DATE_FORMAT")


def plain_status(c: Complaint) -> str:
    """Where the complaint stands, in the complainant's words."""
    if c.status == ComplaintStatus.REGISTERED:
        return _("Received. The supervision room will tell you by %(date)s how it takes it up.") % {
            "date": _day(c.ack_due)
        }
    if c.status in service.OPEN_WORK:
        return _("Accepted on %(day)s and being looked into. You will hear the result by %(date)s.") % {
            "day": _day(c.accepted_on),
            "date": _day(c.feedback_due),
        }
    if c.status == ComplaintStatus.HANDLED:
        if c.feedback_at is not None:
            return _("Handled. The result was given to you on %(day)s.") % {"day": _day(c.feedback_at)}
        return _("Handled. The result will be given to you by %(date)s.") % {"date": _day(c.feedback_due)}
    if c.status == ComplaintStatus.CLOSED:
        return _("Answered on %(day)s without an investigation.") % {"day": _day(c.closed_at)}
    return _("Finished and archived.")


def plain_label(c: Complaint) -> tuple[str, str]:
    """A short label and its tone ("open" or "done"); the room's internal stages (a
    proposal awaiting approval, a unit acting on consent) are all "being handled"."""
    if c.status == ComplaintStatus.REGISTERED:
        return pgettext("complaint progress", "Received"), "open"
    if c.status in service.OPEN_WORK:
        return pgettext("complaint progress", "Being handled"), "open"
    if c.status == ComplaintStatus.HANDLED:
        return (
            (pgettext("complaint progress", "Handled"), "done")
            if c.feedback_at is not None
            else (pgettext("complaint progress", "Being handled"), "open")
        )
    if c.status == ComplaintStatus.CLOSED:
        return pgettext("complaint progress", "Answered"), "done"
    return pgettext("complaint progress", "Finished"), "done"


# --------------------------------------------------------------------------- the form


class ComplainForm(AccessibleForm):
    case = forms.CharField(
        label=gettext_lazy("Your case"), required=False, max_length=40, widget=forms.Select()
    )
    department = forms.TypedChoiceField(
        label=gettext_lazy("Department complained about"), required=False, coerce=int, empty_value=None
    )
    staff = forms.CharField(
        label=gettext_lazy("Staff member"),
        required=False,
        max_length=50,
        help_text=gettext_lazy("Name or employee number (on the window's name plate), if you know it."),
    )
    category = forms.ChoiceField(label=gettext_lazy("What went wrong"), required=False)
    content = forms.CharField(
        label=gettext_lazy("What happened"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 7, "maxlength": service.TEXT_LIMIT, "required": True}),
        help_text=gettext_lazy("When and where, what was said or done. Required."),
    )
    request = forms.CharField(
        label=gettext_lazy("What you ask for"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": service.TEXT_LIMIT}),
    )

    def __init__(self, *args: Any, cases: list[Case], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cases = {c.number: c for c in cases}
        self.fields["case"].widget.choices = [("", _("No particular case"))] + [
            (c.number, f"{c.number} {c.item_version.name}") for c in cases
        ]
        self.fields["department"].choices = [("", _("Choose a department")), *departments()]
        self.fields["category"].choices = [
            ("", _("Choose what kind of problem it is")),
            *ComplaintCategory.choices,
        ]
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"{self[name].auto_id}-help"

    def clean_case(self) -> Case | None:
        number = (self.cleaned_data.get("case") or "").strip()
        if not number:
            return None
        case = self.cases.get(number)
        if case is None:
            raise forms.ValidationError(_("You can name only a case of your own."), code="not_yours")
        return case


def _staff_named(department: Department, text: str) -> Staff:
    text = " ".join(text.split())
    found = list(
        Staff.objects.filter(department=department, is_active=True)
        .filter(Q(name=text) | Q(employee_number=text))
        .only("pk", "name", "department_id")[:2]
    )
    if not found:
        raise SupervisionError(
            _(
                "No one called or numbered “%(text)s” works at %(department)s. Check the name plate, "
                "or leave the field empty and describe the person under “What happened”."
            )
            % {"text": text, "department": department.name},
            "bad_input",
            "staff",
        )
    if len(found) > 1:
        raise SupervisionError(
            _("Several staff members of %(department)s are called “%(text)s”: give the employee number.")
            % {"text": text, "department": department.name},
            "bad_input",
            "staff",
        )
    return found[0]


def _blanks(form: ComplainForm) -> bool:
    """Mark every missing answer at once (the registration service stops at the first),
    in the service's own words."""
    data = form.cleaned_data
    missing = False
    if not data.get("category"):
        form.add_error("category", _("Choose what kind of problem it is."))
        missing = True
    if data.get("department") is None and data.get("case") is None:
        form.add_error("department", _("Say which department the complaint is about."))
        missing = True
    if not (data.get("content") or "").strip():
        form.add_error("content", _("Say what happened: a complaint needs its content."))
        missing = True
    return missing


def _show(form: ComplainForm, exc: SupervisionError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.text)


@require_http_methods(["GET", "HEAD", "POST"])
def complain(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        if request.method == "POST":
            return to_login(request)
        return render(request, "portal/complaints/sign_in.html", {"next": request.get_full_path()})
    account = account_of(request.user)
    if account is None:
        return render(request, "portal/complaints/no_account.html", status=403)
    cases = list(own_cases(request.user)[:OWN_CASES])
    status = 200
    notice = ""
    if request.method == "POST":
        form = ComplainForm(request.POST, cases=cases)
        status = INVALID
        if form.is_valid() and not _blanks(form):
            try:
                complaint = _file(request, account, form.cleaned_data)
            except SupervisionError as exc:
                _show(form, exc)
            else:
                return redirect(reverse("portal:my_complaint", args=[complaint.pk]) + "?filed=1")
    else:
        initial: dict[str, Any] = {}
        number = request.GET.get("case", "").strip()
        if number:
            case = {c.number: c for c in cases}.get(number)
            if case is None:
                notice = _("Case %(number)s is not one of yours: you can name only a case of your own.") % {
                    "number": number[:40]
                }
            else:
                initial.update(case=case.number, department=case.department_id)
        dept = request.GET.get("department", "")
        if dept.isdigit() and "department" not in initial:
            initial["department"] = int(dept)
        form = ComplainForm(initial=initial, cases=cases)
    context = {"form": form, "account": account, "notice": notice, "ack_workdays": service.ACK_WORKDAYS}
    return render(request, "portal/complaints/new.html", context, status=status)


def _file(request: HttpRequest, account: Account, data: dict[str, Any]) -> Complaint:
    case: Case | None = data.get("case")
    department_id = data.get("department")
    department = None
    if department_id is not None:
        department = Department.objects.filter(pk=department_id).select_related("region").first()
    elif case is not None:
        department = case.department
    staff = None
    if department is not None and (data.get("staff") or "").strip():
        staff = _staff_named(department, data["staff"])
    content = data.get("content", "")
    return service.complaint_register(
        user=request.user,
        channel=ComplaintChannel.PORTAL,
        category=data.get("category") or "",
        department=department,
        content=content,
        complainant_name=account.name,
        complainant_mobile=account.mobile,
        staff=staff,
        case=case,
        request=data.get("request", ""),
    )


# --------------------------------------------------------------------------- tracking


@require_safe
@signin_required
def my_complaints_page(request: HttpRequest) -> HttpResponse:
    page = Paginator(my_complaints(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(c, plain_status(c), *plain_label(c)) for c in page.object_list]
    return render(request, "portal/complaints/mine.html", {"page": page, "rows": rows})


@require_safe
@signin_required
def my_complaint(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = my_complaints(request.user).filter(pk=pk).first()
    if complaint is None:
        raise Http404(_("No such complaint of yours."))
    context = {
        "c": complaint,
        "status_text": plain_status(complaint),
        "label": plain_label(complaint)[0],
        "tone": plain_label(complaint)[1],
        "filed": bool(request.GET.get("filed")),
        "limits": {
            "ack": service.ACK_WORKDAYS,
            "self": service.SELF_WORKDAYS,
            "self_max": service.SELF_MAX_WORKDAYS,
            "feedback": service.FEEDBACK_WORKDAYS,
            "transfer": service.TRANSFER_WORKDAYS,
        },
    }
    return render(request, "portal/complaints/detail.html", context)
