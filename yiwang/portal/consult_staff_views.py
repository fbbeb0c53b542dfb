"""The departments' consultation pages on the staff workbench (/work/consultations/):
the queue (overdue first) and one consultation with its answer, publish and close forms.

A consultation outside the user's scope answers 404; a user who may read it but not
answer (a supervisor, the department's head) gets 403 on the actions; a refusal of the
service is shown on its form (422) and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yiwang.cases.views import staff_required
from yiwang.core.identifiers import mask_mobile, mask_name
from yiwang.core.notify import mask_email
from yiwang.org.models import Role
from yiwang.org.permissions import scope_of, staff_of
from yiwang.portal import consultations as service
from yiwang.portal.consult_views import AccessibleForm, show_error
from yiwang.portal.errors import PortalError
from yiwang.portal.models import Consultation, ConsultationStatus

INVALID = 422
PAGE_SIZE = 20


def _published_question() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("Question as published"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": service.PUBLISHED_MAX}),
        help_text=gettext_lazy("Reword the question without names, numbers or addresses."),
    )


class _Described(AccessibleForm):
    """Fields with help text name it in aria-describedby."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"{self[name].auto_id}-help"


class AnswerForm(_Described):
    answer = forms.CharField(
        label=gettext_lazy("Answer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": service.ANSWER_MAX}),
    )
    publish = forms.BooleanField(label=gettext_lazy("Also publish it to the service's FAQ"), required=False)
    published_question = _published_question()


class PublishForm(_Described):
    published_question = _published_question()


class CloseForm(AccessibleForm):
    reason = forms.CharField(
        label=gettext_lazy("Why it is closed without an answer"),
        required=False,
        max_length=service.REASON_MAX,
        widget=forms.TextInput(),
    )


def _context(request: HttpRequest) -> dict[str, Any]:
    scope = scope_of(request.user)
    return {
        "tab": "consultations",
        "can_intake": scope.has_role(Role.WINDOW_OPERATOR),
        "can_supervise": scope.has_role(Role.SUPERVISOR, Role.LEADER),
        "staff": staff_of(request.user),
    }


@require_safe
@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    if show not in service.QUEUE_FILTERS:
        show = "open"
    today = timezone.localdate()
    page = Paginator(service.staff_queue(request.user, today=today, show=show), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(c, service.is_overdue(c, today)) for c in page.object_list]
    context = {**_context(request), "page": page, "rows": rows, "show": show, "filters": _filters()}
    return render(request, "portal/consult_staff/queue.html", context)


def _filters() -> list[tuple[str, Any]]:
    return [
        ("open", pgettext_lazy("consultation filter", "Awaiting an answer")),
        ("overdue", pgettext_lazy("consultation filter", "Overdue")),
        ("answered", pgettext_lazy("consultation filter", "Answered")),
        ("published", pgettext_lazy("consultation filter", "Published")),
        ("closed", pgettext_lazy("consultation filter", "Closed")),
        ("all", pgettext_lazy("consultation filter", "All")),
    ]


def _load(request: HttpRequest, pk: int) -> Consultation:
    consultation = service.staff_consultation(request.user, pk)
    if consultation is None:
        raise Http404(gettext_lazy("No such consultation in your departments."))
    return consultation


def _page(
    request: HttpRequest,
    consultation: Consultation,
    *,
    answer_form: AnswerForm | None = None,
    publish_form: PublishForm | None = None,
    close_form: CloseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    c = consultation
    draft = c.published_question or c.question[: service.PUBLISHED_MAX]
    # A refused form the page no longer shows (the state moved on): its errors go on top.
    shown = {
        "answer": c.status == ConsultationStatus.OPEN,
        "close": c.status == ConsultationStatus.OPEN,
        "publish": c.status == ConsultationStatus.ANSWERED,
    }
    elsewhere = [
        str(message)
        for name, form in (("answer", answer_form), ("publish", publish_form), ("close", close_form))
        if form is not None and not shown[name]
        for messages in form.errors.values()
        for message in messages
    ]
    contact = []
    if c.contact_mobile:
        contact.append(mask_mobile(c.contact_mobile))
    if c.contact_email:
        contact.append(mask_email(c.contact_email))
    context = {
        **_context(request),
        "c": c,
        "may_answer": service.may_answer(request.user, c),
        "overdue": service.is_overdue(c, timezone.localdate()),
        "asker": mask_name(c.contact_name),
        "contact": " · ".join(contact),
        "answer_form": answer_form or AnswerForm(initial={"published_question": draft}),
        "publish_form": publish_form or PublishForm(initial={"published_question": draft}),
        "close_form": close_form or CloseForm(),
        "errors_elsewhere": elsewhere,
        "answered_by": getattr(c.answered_by, "staff", None) if c.answered_by_id else None,
    }
    return render(request, "portal/consult_staff/answer.html", context, status=status)


def _require_answerer(request: HttpRequest, consultation: Consultation) -> None:
    if not service.may_answer(request.user, consultation):
        raise PermissionDenied(gettext_lazy("Only the department's staff answer its consultations."))


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _load(request, pk)
    if request.method != "POST":
        return _page(request, consultation)
    _require_answerer(request, consultation)
    form = AnswerForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    try:
        with transaction.atomic():  # publishing refused: the answer is not kept either
            consultation = service.consult_answer(
                consultation=consultation, user=request.user, answer=data.get("answer", "")
            )
            if data.get("publish"):
                consultation = service.consult_publish(
                    consultation=consultation,
                    user=request.user,
                    question_as_published=data.get("published_question", ""),
                )
    except PortalError as exc:
        show_error(form, exc)
        return _page(request, _load(request, pk), answer_form=form, status=INVALID)
    return redirect("consult_staff:answer", pk=consultation.pk)


@require_POST
@staff_required
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _load(request, pk)
    _require_answerer(request, consultation)
    form = PublishForm(request.POST)
    form.is_valid()
    try:
        service.consult_publish(
            consultation=consultation,
            user=request.user,
            question_as_published=form.cleaned_data.get("published_question", ""),
        )
    except PortalError as exc:
        show_error(form, exc)
        return _page(request, consultation, publish_form=form, status=INVALID)
    return redirect("consult_staff:answer", pk=consultation.pk)


@require_POST
@staff_required
def unpublish(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _load(request, pk)
    _require_answerer(request, consultation)
    try:
        service.consult_unpublish(consultation=consultation, user=request.user)
    except PortalError as exc:
        form = PublishForm()
        show_error(form, exc)
        return _page(request, consultation, publish_form=form, status=INVALID)
    return redirect("consult_staff:answer", pk=consultation.pk)


@require_POST
@staff_required
def close(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = _load(request, pk)
    _require_answerer(request, consultation)
    form = CloseForm(request.POST)
    form.is_valid()
    try:
        service.consult_close(
            consultation=consultation, user=request.user, reason=form.cleaned_data.get("reason", "")
        )
    except PortalError as exc:
        show_error(form, exc)
        return _page(request, consultation, close_form=form, status=INVALID)
    return redirect("consult_staff:answer", pk=consultation.pk)
