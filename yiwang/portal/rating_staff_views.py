"""Poor-rating follow-ups on the staff workbench (/work/ratings/, namespace
``rating_staff``): the list of the user's departments or region, overdue first; one
follow-up with the department's answer form and the revisit form.

A follow-up outside the user's scope answers 404; an action the user may not take 403;
a refused answer or revisit is shown on its form with status 422 (409 when the
follow-up is no longer in the state the action needs) and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from yiwang.cases.views import staff_required
from yiwang.core.identifiers import mask_name
from yiwang.org.models import Role
from yiwang.org.permissions import can_view, scope_of, staff_of
from yiwang.portal import ratings
from yiwang.portal.errors import PortalError
from yiwang.portal.models.ratings import FollowUpStatus, RatingFollowUp, RevisitResult

PAGE_SIZE = 20
INVALID = 422
CONFLICT = 409

SHOW_CHOICES: tuple[tuple[str, Any], ...] = (
    ("open", pgettext_lazy("follow-ups", "To do")),
    ("done", pgettext_lazy("follow-ups", "Revisited")),
    ("all", pgettext_lazy("follow-ups", "All")),
)


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=gettext_lazy("Answer to the applicant"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": ratings.TEXT_MAX}),
        help_text=gettext_lazy("What you found; the applicant reads this."),
    )
    rectification = forms.CharField(
        label=gettext_lazy("What was rectified"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": ratings.TEXT_MAX}),
    )


class RevisitForm(forms.Form):
    # A plain text field drawn as radios: the service names a wrong or missing choice.
    result = forms.CharField(
        label=gettext_lazy("What the applicant said"),
        required=False,
        widget=forms.RadioSelect(choices=RevisitResult.choices),
    )
    note = forms.CharField(
        label=gettext_lazy("Revisit note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": ratings.TEXT_MAX}),
    )


def _describe_errors(form: forms.Form) -> None:
    """Tie each field's error to its input for screen readers."""
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            widget.attrs["aria-describedby"] = f"{form[name].auto_id}-error"
            widget.attrs["aria-invalid"] = "true"


def _base_context(request: HttpRequest) -> dict[str, Any]:
    scope = scope_of(request.user)
    return {
        "tab": "ratings",
        "can_intake": scope.has_role(Role.WINDOW_OPERATOR),
        "can_supervise": scope.has_role(Role.SUPERVISOR) or scope.has_role(Role.LEADER),
        "staff": staff_of(request.user),
    }


@require_safe
@staff_required
def follow_up_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    if show not in dict(SHOW_CHOICES):
        show = "open"
    today = timezone.localdate()
    page = Paginator(ratings.follow_ups_for(request.user, show=show, today=today), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for follow_up in page.object_list:
        follow_up.level_label = ratings.level_label(follow_up.rating.level)  # type: ignore[attr-defined]
    context = {
        **_base_context(request),
        "page": page,
        "show": show,
        "show_choices": SHOW_CHOICES,
        "today": today,
    }
    return render(request, "portal/rating_staff/list.html", context)


def _follow_up_or_404(request: HttpRequest, pk: int) -> RatingFollowUp:
    follow_up = ratings.follow_up_for(request.user, pk)
    if follow_up is None:
        raise Http404(_("No such follow-up in your scope."))
    return follow_up


def _detail(
    request: HttpRequest,
    follow_up: RatingFollowUp,
    *,
    answer_form: AnswerForm | None = None,
    revisit_form: RevisitForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    rating = follow_up.rating
    case = rating.case
    may_answer = ratings.may_answer(user, follow_up)
    may_revisit = ratings.may_revisit(user, follow_up)
    account = rating.account
    today = timezone.localdate()
    context = {
        **_base_context(request),
        "follow_up": follow_up,
        "rating": rating,
        "case": case,
        "level_label": ratings.level_label(rating.level),
        "overdue": follow_up.status == FollowUpStatus.OPEN and follow_up.due_date < today,
        "case_url_allowed": can_view(user, case),
        # The revisit calls the rater: their name and number only for those who call.
        "rater_name": account.name if may_revisit else mask_name(account.name),
        "rater_mobile": account.mobile if may_revisit else account.masked_mobile,
        "answer_form": (answer_form or AnswerForm())
        if may_answer and follow_up.status == FollowUpStatus.OPEN
        else None,
        "revisit_form": (revisit_form or RevisitForm())
        if may_revisit and follow_up.status == FollowUpStatus.ANSWERED
        else None,
        "may_revisit_later": may_revisit and follow_up.status == FollowUpStatus.OPEN,
        "error": error,
    }
    return render(request, "portal/rating_staff/detail.html", context, status=status)


@require_safe
@staff_required
def follow_up_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _follow_up_or_404(request, pk))


def _refused(error: PortalError) -> int:
    if error.error_code in (ratings.RatingErrorCode.FORBIDDEN, ratings.RatingErrorCode.OWN_DEPARTMENT):
        raise PermissionDenied(error.text)
    return CONFLICT if error.error_code == ratings.RatingErrorCode.OUT_OF_ORDER else INVALID


def _add_error(form: forms.Form, error: PortalError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.text)
    _describe_errors(form)


@require_POST
@staff_required
def follow_up_answer(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = _follow_up_or_404(request, pk)
    if not ratings.may_answer(request.user, follow_up):
        raise PermissionDenied(_("Only the staff of the department rated can answer this follow-up."))
    form = AnswerForm(request.POST)
    form.is_valid()
    try:
        ratings.followup_answer(
            follow_up=follow_up,
            user=request.user,
            answer=form.cleaned_data.get("answer", ""),
            rectification=form.cleaned_data.get("rectification", ""),
        )
    except PortalError as error:
        status = _refused(error)
        _add_error(form, error)
        return _detail(request, follow_up, answer_form=form, error=error.text, status=status)
    messages.success(request, _("Your answer is recorded; the applicant has been told."))
    return redirect("rating_staff:detail", pk=follow_up.pk)


@require_POST
@staff_required
def follow_up_revisit(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = _follow_up_or_404(request, pk)
    if not ratings.may_revisit(request.user, follow_up):
        raise PermissionDenied(
            _("Only a supervisor or a hotline agent covering the department can record the revisit.")
        )
    form = RevisitForm(request.POST)
    form.is_valid()
    try:
        ratings.followup_revisit(
            follow_up=follow_up,
            user=request.user,
            result=form.cleaned_data.get("result", ""),
            note=form.cleaned_data.get("note", ""),
        )
    except PortalError as error:
        status = _refused(error)
        _add_error(form, error)
        return _detail(request, follow_up, revisit_form=form, error=error.text, status=status)
    messages.success(request, _("The revisit is recorded."))
    return redirect("rating_staff:detail", pk=follow_up.pk)
