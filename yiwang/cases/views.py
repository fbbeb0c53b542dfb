"""The staff workbench (/work/): my queue, done, search, the case page with the actions
the user may take now, window intake, case files and the printable documents.

Views are thin: they parse the request with a form, call one service or selector and
render. A case outside the user's scope answers 404, as if it did not exist. A refused
action (``CaseError``) is shown on its form with status 422 and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from yiwang.cases import documents, selectors, services
from yiwang.cases import forms as case_forms
from yiwang.cases.models import Case, CaseFile, EventType
from yiwang.cases.services import CaseError
from yiwang.core.identifiers import mask_mobile
from yiwang.org.models import Role
from yiwang.org.permissions import scope_of, staff_of

PAGE_SIZE = 20
RESULTS_TARGET = "results"
INVALID = 422  # the form was understood but refused: shown again with its errors

access_log = logging.getLogger("yiwang.cases.access")

View = Callable[..., HttpResponseBase]


def staff_required(view: View) -> View:
    """Signed in (else the login page) and staff: a Staff row or a superuser."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not (getattr(user, "is_superuser", False) or staff_of(user) is not None):
            raise PermissionDenied(_("The workbench is for staff of the service departments."))
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)  # case data must not stay in shared caches
        return response

    return wrapped


def _is_htmx(request: HttpRequest, target: str | None = None) -> bool:
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.history_restore_request:
        return False
    return target is None or htmx.target == target


def _page(request: HttpRequest, queryset: QuerySet[Any], number: Any = None) -> Page:
    return Paginator(queryset, PAGE_SIZE).get_page(number or request.GET.get("page"))


@dataclass(frozen=True)
class Row:
    case: Case
    urgency: str
    deadline: Any


def _rows(page: Page) -> list[Row]:
    today = timezone.localdate()
    return [Row(c, selectors.urgency(c, today), selectors.deadline_of(c)) for c in page.object_list]


def _base_context(request: HttpRequest, tab: str) -> dict[str, Any]:
    scope = scope_of(request.user)
    return {
        "tab": tab,
        "can_intake": scope.has_role(Role.WINDOW_OPERATOR),
        "can_supervise": scope.has_role(Role.SUPERVISOR) or scope.has_role(Role.LEADER),
        "staff": staff_of(request.user),
    }


def _list(request: HttpRequest, *, tab: str, queryset: QuerySet[Case], extra: dict[str, Any]) -> HttpResponse:
    page = _page(request, queryset)
    context = {**_base_context(request, tab), "page": page, "rows": _rows(page), **extra}
    template = "cases/work/_results.html" if _is_htmx(request, RESULTS_TARGET) else f"cases/work/{tab}.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


# --------------------------------------------------------------------------- lists


@require_safe
@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    """我的待办: what waits for me, the most urgent first."""
    return _list(request, tab="queue", queryset=selectors.queue(request.user), extra={})


@require_safe
@staff_required
def done(request: HttpRequest) -> HttpResponse:
    """已办: cases I recorded an event on."""
    return _list(request, tab="done", queryset=selectors.done(request.user), extra={})


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def search(request: HttpRequest) -> HttpResponse:
    """Case search. POST only for the criteria: an ID number must never be in a URL."""
    departments = selectors.search_departments(request.user)
    data = request.POST if request.method == "POST" else None
    form = case_forms.SearchForm(data, departments=departments)
    context = {**_base_context(request, "search"), "form": form, "searched": False}
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        query = selectors.CaseQuery(
            number=d["number"],
            applicant_name=d["applicant_name"],
            applicant_id_number=d["applicant_id_number"],
            item=d["item"],
            state=d["state"],
            department_id=d["department"].pk if d["department"] else None,
        )
        if query.is_empty:
            form.add_error(None, _("Enter at least one search criterion."))
        else:
            page = _page(request, selectors.search(request.user, query), d.get("page"))
            context.update(page=page, rows=_rows(page), searched=True)
    status = INVALID if form.is_bound and form.errors else 200
    template = "cases/work/_results.html" if _is_htmx(request, RESULTS_TARGET) else "cases/work/search.html"
    return render(request, template, context, status=status)


# --------------------------------------------------------------------------- the case page


def _case_or_404(request: HttpRequest, number: str) -> Case:
    case = selectors.case_for(request.user, number)
    if case is None:
        raise Http404(_("No case with this number within your scope."))
    return case


def _form_for(action: str, detail: selectors.CaseDetail, data: Any = None, files: Any = None) -> forms.Form:
    case = detail.case
    if action == "supplement":
        return case_forms.SupplementForm(data, version=case.item_version, prefix=action)
    if action == "receive_supplement":
        return case_forms.ReceiveSupplementForm(data, files, version=case.item_version, prefix=action)
    if action == "return":
        return case_forms.ReturnForm(data, steps=selectors.earlier_steps(detail), prefix=action)
    if action == "transfer":
        return case_forms.TransferForm(data, case=case, prefix=action)
    return ACTION_FORMS[action](data, prefix=action)


ACTION_FORMS: dict[str, type[forms.Form]] = {
    "accept": case_forms.AcceptForm,
    "refuse": case_forms.RefuseForm,
    "pass_step": case_forms.PassStepForm,
    "decide": case_forms.DecideForm,
    "suspend": case_forms.SuspendForm,
    "resume": case_forms.ResumeForm,
    "extend": case_forms.ExtendForm,
    "complete": case_forms.CompleteForm,
    "deliver": case_forms.DeliverForm,
    "withdraw": case_forms.WithdrawForm,
}


def _perform(action: str, case: Case, user: Any, form: forms.Form) -> None:
    """Call the one service of ``action`` with the form's data."""
    d = form.cleaned_data
    if action == "accept":
        services.case_accept(case=case, user=user, note=d["note"])
    elif action == "refuse":
        services.case_refuse(case=case, user=user, reason=d["reason"], legal_basis=d["legal_basis"])
    elif action == "supplement":
        services.case_request_supplement(case=case, user=user, items=form.items())  # type: ignore[attr-defined]
    elif action == "receive_supplement":
        services.case_receive_supplement(case=case, user=user, uploads=form.uploads(), note=d["note"])  # type: ignore[attr-defined]
    elif action == "pass_step":
        services.case_pass_step(case=case, user=user, opinion=d["opinion"])
    elif action == "return":
        services.case_return(case=case, user=user, to_step=d["to_step"], reason=d["reason"])
    elif action == "decide":
        services.case_decide(
            case=case, user=user, decision=d["decision"], reason=d["reason"], legal_basis=d["legal_basis"]
        )
    elif action == "suspend":
        services.case_suspend(
            case=case, user=user, kind=d["kind"], reason=d["reason"], expected_days=d["expected_days"]
        )
    elif action == "resume":
        services.case_resume(case=case, user=user, result=d["result"])
    elif action == "extend":
        services.case_extend(case=case, user=user, days=d["days"], reason=d["reason"])
    elif action == "complete":
        services.case_complete(
            case=case,
            user=user,
            fee_charged=d["fee_charged"],
            result_number=d["result_number"],
            result_valid_until=d["result_valid_until"],
        )
    elif action == "deliver":
        services.case_deliver(case=case, user=user, method=d["method"], note=d["note"])
    elif action == "transfer":
        services.case_transfer(case=case, user=user, to_department=d["to_department"], reason=d["reason"])
    elif action == "withdraw":
        services.case_withdraw(case=case, user=user, reason=d["reason"])
    else:  # pragma: no cover (ACTION_NAMES guards the URL)
        raise Http404


ACTION_NAMES = frozenset(rule.name for rule in selectors.ACTION_RULES)
DONE_MESSAGES: dict[str, str] = {
    "accept": EventType.ACCEPT,
    "refuse": EventType.REFUSE,
    "supplement": EventType.SUPPLEMENT_REQUEST,
    "receive_supplement": EventType.SUPPLEMENT_RECEIVE,
    "pass_step": EventType.STEP,
    "return": EventType.RETURN,
    "decide": EventType.DECIDE,
    "suspend": EventType.SUSPEND,
    "resume": EventType.RESUME,
    "extend": EventType.EXTEND,
    "complete": EventType.COMPLETE,
    "deliver": EventType.DELIVER,
    "transfer": EventType.TRANSFER,
    "withdraw": EventType.WITHDRAW,
}


# The action that moves the case on: its form starts open.
PRIMARY_ACTIONS = frozenset(
    {"accept", "pass_step", "decide", "complete", "deliver", "resume", "receive_supplement"}
)
ROLE_LABELS: dict[str, Any] = {
    **dict(Role.choices),
    services.APPLICANT_ROLE: gettext_lazy("applicant"),
    services.PARALLEL_ROLE: gettext_lazy("parallel approval"),
}


def _case_context(
    request: HttpRequest, detail: selectors.CaseDetail, bound: dict[str, forms.Form]
) -> dict[str, Any]:
    names = list(detail.actions)
    # A refused action that the page does not offer now (posted from a stale page, say)
    # still shows its form with the error.
    names += [name for name in bound if name not in names]
    first = next(iter(bound), None) or next((n for n in names if n in PRIMARY_ACTIONS), None)
    action_forms = [
        (
            selectors.RULES_BY_NAME[name],
            bound[name] if name in bound else _form_for(name, detail),
            name == first,
        )
        for name in names
    ]
    case = detail.case
    timeline = [
        (
            event,
            selectors.event_actor(event, case),
            ROLE_LABELS.get(event.role, event.role),
            selectors.event_details(event, detail.template),
        )
        for event in detail.events
    ]
    return {
        **_base_context(request, "case"),
        "detail": detail,
        "case": case,
        "dates": detail.deadlines,
        "timeline": timeline,
        "action_forms": action_forms,
        "document_kinds": [(k, documents.DocumentKind(k).label) for k in detail.documents],
        "answers": selectors.form_answers(case),
        "masked_mobile": mask_mobile(case.applicant_mobile) if case.applicant_mobile else "",
    }


@require_safe
@staff_required
def case_page(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_or_404(request, number)
    detail = selectors.case_detail(request.user, case)
    return render(request, "cases/work/case.html", _case_context(request, detail, {}))


@require_POST
@staff_required
def case_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """One action on a case: one form, one service. Refused → the form with the error."""
    if action not in ACTION_NAMES:
        raise Http404
    case = _case_or_404(request, number)
    detail = selectors.case_detail(request.user, case)
    form = _form_for(action, detail, request.POST, request.FILES)
    if form.is_valid():
        try:
            _perform(action, case, request.user, form)
        except CaseError as error:
            case_forms.apply_case_error(form, error)
        else:
            messages.success(
                request,
                _("Case %(number)s: %(what)s.")
                % {"number": case.number, "what": EventType(DONE_MESSAGES[action]).label},
            )
            url = reverse("cases:case", args=[case.number])
            return HttpResponseClientRedirect(url) if _is_htmx(request) else redirect(url)
    if _is_htmx(request):
        rule = selectors.RULES_BY_NAME[action]
        context = {"case": case, "rule": rule, "form": form, "open": True, "detail": detail}
        return render(request, "cases/work/_action.html", context, status=INVALID)
    return render(
        request, "cases/work/case.html", _case_context(request, detail, {action: form}), status=INVALID
    )


@require_safe
@staff_required
@xframe_options_sameorigin  # previews open in a frame of the case page
def case_file(request: HttpRequest, number: str, pk: int) -> FileResponse:
    """A material of the case, to the people who may see the case only."""
    case = _case_or_404(request, number)
    stored = CaseFile.objects.filter(case=case, pk=pk).first()
    if stored is None:
        raise Http404(_("No such file in this case."))
    access_log.info("case file %s of case %s read by user %s", stored.pk, case.number, request.user.pk)
    response = FileResponse(
        stored.file.open("rb"),
        content_type=stored.content_type,
        as_attachment="download" in request.GET,
        filename=stored.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
@staff_required
def case_document(request: HttpRequest, number: str, kind: str) -> HttpResponse:
    """A printable document of the case (PDF)."""
    if kind not in documents.DocumentKind.values:
        raise Http404
    case = _case_or_404(request, number)
    try:
        pdf = documents.render_pdf(case, kind, request=request)
    except documents.DocumentUnavailable:
        raise Http404(_("This case has no such document.")) from None
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{documents.document_filename(case, kind)}"'
    return response


# --------------------------------------------------------------------------- window intake


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def intake(request: HttpRequest) -> HttpResponse:
    """窗口收件: choose the item, enter the applicant, upload the materials, file."""
    versions = selectors.intake_versions(request.user)
    context = _base_context(request, "intake")
    if request.method == "POST":
        choose = case_forms.ChooseItemForm(request.POST, versions=versions)
        if not choose.is_valid():
            return render(request, "cases/work/intake.html", {**context, "choose": choose}, status=INVALID)
        version = choose.cleaned_data["version"]
        form = case_forms.IntakeForm(request.POST, request.FILES, versions=versions, version=version)
        if form.is_valid():
            d = form.cleaned_data
            try:
                case = services.case_file(
                    version=version,
                    channel="1",
                    applicant_kind=d["applicant_kind"],
                    applicant_name=d["applicant_name"],
                    applicant_id_number=d["applicant_id_number"],
                    applicant_mobile=d["applicant_mobile"],
                    uploads=form.uploads(),
                    user=request.user,
                    idempotency_key=str(d["idempotency_key"]),
                )
            except CaseError as error:
                case_forms.apply_case_error(form, error)
            else:
                messages.success(
                    request,
                    _("Case %(number)s filed. Print the receipt for the applicant.")
                    % {"number": case.number},
                )
                return redirect(reverse("cases:case", args=[case.number]) + "#documents")
        context.update(choose=choose, form=form, version=version)
        return render(request, "cases/work/intake.html", context, status=INVALID)
    choose = case_forms.ChooseItemForm(request.GET or None, versions=versions)
    context["choose"] = choose
    if request.GET and choose.is_valid():
        version = choose.cleaned_data["version"]
        context.update(form=case_forms.IntakeForm(versions=versions, version=version), version=version)
    return render(request, "cases/work/intake.html", context, status=INVALID if choose.errors else 200)
