"""The supervision console (/supervision/): every case of the supervisor's scope with its
status light, one case's ledger, deadlines, alerts, findings and notices, the alerts
inbox with the department's explanation and the supervisor's conclusion, the findings
list, notice PDFs and the big screen.

Supervisors read; they change no case data. The only writes here go through
``yiwang.supervision.services`` (notices, explanations, conclusions), and the only one
that touches a case's ledger is the record of a notice issued. Views are thin: a form or
a filter set, one selector or service, a template. A refused POST
(``SupervisionError``) shows its form again with the message, status 400, and changes
nothing. Outside the viewer's scope a case, an alert or a notice answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from yiwang.org.permissions import staff_of
from yiwang.supervision import filters, forms, selectors, services
from yiwang.supervision.models import Alert
from yiwang.supervision.services import SupervisionError

PAGE_SIZE = 20
RESULTS_TARGET = "results"
REFUSED = 400  # the form was understood but the service refused it: shown again with the error

View = Callable[..., HttpResponseBase]


def _guarded(allowed: Callable[[Any], bool], message: Any) -> Callable[[View], View]:
    """Signed in (else the login page), allowed (else 403); never cached."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not allowed(request.user):
                raise PermissionDenied(message)
            response = view(request, *args, **kwargs)
            add_never_cache_headers(response)  # case data must not stay in shared caches
            return response

        return wrapped

    return decorator


watchers_only = _guarded(
    selectors.watches, gettext_lazy("The supervision console is for supervisors and leaders.")
)
alert_readers_only = _guarded(
    selectors.may_use_alerts, gettext_lazy("Alerts are for supervisors and the staff of the departments.")
)


def _is_htmx(request: HttpRequest, target: str | None = None) -> bool:
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.history_restore_request:
        return False
    return target is None or htmx.target == target


def _page(request: HttpRequest, queryset: QuerySet[Any]) -> Page:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _base_context(request: HttpRequest, tab: str) -> dict[str, Any]:
    from yiwang.supervision.complaints import may_use_complaints

    watcher = selectors.watches(request.user)
    return {
        "tab": tab,
        "staff": staff_of(request.user),
        "watcher": watcher,
        # the staff of a unit a complaint was transferred to see the Complaints tab too
        "complaint_reader": watcher or may_use_complaints(request.user),
    }


def _list(
    request: HttpRequest, *, tab: str, partial: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    full = {**_base_context(request, tab), **context}
    template = partial if _is_htmx(request, RESULTS_TARGET) else f"supervision/console/{tab}.html"
    response = render(request, template, full, status=status)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


# --------------------------------------------------------------------------- the console


@require_safe
@watchers_only
def console(request: HttpRequest) -> HttpResponse:
    """Every case in scope with its light, the counts per light on top."""
    filterset = filters.ConsoleFilterSet(
        request.GET, queryset=selectors.cases_in_scope(request.user), request=request
    )
    valid = filterset.form.is_valid()
    counts = selectors.light_counts(filterset.qs_without("light")) if valid else []
    page = _page(request, selectors.console_order(filterset.qs))
    rows = [(case, selectors.Light(case.light).label) for case in page.object_list]
    context = {
        "filter": filterset,
        "page": page,
        "rows": rows,
        "counts": counts,
        "chosen_light": request.GET.get("light", ""),
    }
    return _list(
        request,
        tab="console",
        partial="supervision/console/_cases.html",
        context=context,
        status=200 if valid else REFUSED,
    )


# --------------------------------------------------------------------------- one case


def _case_or_404(request: HttpRequest, number: str) -> Any:
    case = selectors.case_for(request.user, number)
    if case is None:
        raise Http404(_("No case with this number within your scope."))
    return case


def _render_case(
    request: HttpRequest, case: Any, notice_form: forms.NoticeForm | None = None, status: int = 200
) -> HttpResponse:
    detail = selectors.case_detail(request.user, case)
    if notice_form is None and detail.can_issue:
        notice_form = forms.NoticeForm(prefix="notice")
    context = {
        **_base_context(request, "case"),
        "detail": detail,
        "case": case,
        "dates": detail.deadlines,
        "notice_form": notice_form,
    }
    return render(request, "supervision/console/case.html", context, status=status)


@require_safe
@watchers_only
def case_page(request: HttpRequest, number: str) -> HttpResponse:
    return _render_case(request, _case_or_404(request, number))


@require_POST
@watchers_only
def notice_issue(request: HttpRequest, number: str) -> HttpResponse:
    """Issue a notice about the case (services.notice_issue): numbered, rendered, recorded
    in the case's ledger."""
    case = _case_or_404(request, number)
    form = forms.NoticeForm(request.POST, prefix="notice")
    if form.is_valid():
        d = form.cleaned_data
        try:
            notice = services.notice_issue(
                user=request.user,
                kind=d["kind"],
                case=case,
                facts=d["facts"],
                requirement=d["requirement"],
                reply_by=d["reply_by"],
            )
        except SupervisionError as error:
            forms.apply_supervision_error(form, error)
        else:
            messages.success(request, _("Notice %(number)s issued.") % {"number": notice.number})
            return redirect(reverse("supervision:case", args=[case.number]) + "#notices")
    return _render_case(request, case, form, status=REFUSED)


# --------------------------------------------------------------------------- alerts


@require_safe
@alert_readers_only
def alerts(request: HttpRequest) -> HttpResponse:
    """The alerts inbox, newest first."""
    filterset = filters.AlertFilterSet(
        request.GET, queryset=selectors.alert_list(request.user), request=request
    )
    valid = filterset.form.is_valid()
    context = {"filter": filterset, "page": _page(request, filterset.qs)}
    return _list(
        request,
        tab="alerts",
        partial="supervision/console/_alerts.html",
        context=context,
        status=200 if valid else REFUSED,
    )


def _alert_or_404(request: HttpRequest, pk: int) -> Alert:
    alert = selectors.alert_for(request.user, pk)
    if alert is None:
        raise Http404(_("No such alert within your scope."))
    return alert


def _render_alert(
    request: HttpRequest,
    alert: Alert,
    *,
    explain: forms.ExplainForm | None = None,
    conclude: forms.ConcludeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    if explain is None and selectors.may_explain(user, alert):
        explain = forms.ExplainForm(prefix="explain")
    if conclude is None and selectors.may_conclude(user, alert):
        conclude = forms.ConcludeForm(prefix="conclude")
    history = selectors.alert_history(alert)
    case_watched = alert.case is not None and selectors.case_for(user, alert.case.number) is not None
    context = {
        **_base_context(request, "alerts"),
        "alert": alert,
        "case": alert.case,
        "complaint": alert.complaint,
        "case_watched": case_watched,
        "history": history,
        "notices": list(alert.notices.order_by("issued_at", "pk")),
        "explain_form": explain,
        "conclude_form": conclude,
    }
    return render(request, "supervision/console/alert.html", context, status=status)


@require_safe
@alert_readers_only
def alert_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_alert(request, _alert_or_404(request, pk))


@require_POST
@alert_readers_only
def alert_explain(request: HttpRequest, pk: int) -> HttpResponse:
    """The department submits its explanation (情况说明)."""
    alert = _alert_or_404(request, pk)
    form = forms.ExplainForm(request.POST, prefix="explain")
    if form.is_valid():
        try:
            services.alert_explain(alert=alert, user=request.user, text=form.cleaned_data["text"])
        except SupervisionError as error:
            forms.apply_supervision_error(form, error)
        else:
            messages.success(request, _("Your explanation was submitted to the supervisors."))
            return redirect("supervision:alert", alert.pk)
    return _render_alert(request, alert, explain=form, status=REFUSED)


@require_POST
@alert_readers_only
def alert_conclude(request: HttpRequest, pk: int) -> HttpResponse:
    """The supervisor accepts or rejects the explanation, or escalates the alert."""
    alert = _alert_or_404(request, pk)
    form = forms.ConcludeForm(request.POST, prefix="conclude")
    if form.is_valid():
        d = form.cleaned_data
        try:
            concluded = services.alert_conclude(
                alert=alert, user=request.user, verdict=d["verdict"], note=d["note"]
            )
        except SupervisionError as error:
            forms.apply_supervision_error(form, error)
        else:
            messages.success(
                request, _("The alert is now “%(status)s”.") % {"status": concluded.get_status_display()}
            )
            return redirect("supervision:alert", alert.pk)
    return _render_alert(request, alert, conclude=form, status=REFUSED)


# --------------------------------------------------------------------------- notices, findings


@require_safe
@login_required
def notice_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """A notice's PDF, rendered (and recorded in the case's ledger) on first download."""
    if not selectors.may_use_alerts(request.user):
        raise PermissionDenied(_("Alerts are for supervisors and the staff of the departments."))
    notice = selectors.notices_for(request.user).filter(pk=pk).first()
    if notice is None:
        raise Http404(_("No such notice within your scope."))
    if not notice.sha256:
        notice = services.issue_pdf(notice)
    response = FileResponse(
        notice.pdf.open("rb"), content_type="application/pdf", filename=f"{notice.number}.pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response


@require_safe
@watchers_only
def irregularities(request: HttpRequest) -> HttpResponse:
    """Findings of the irregularity detectors in scope, newest first."""
    filterset = filters.IrregularityFilterSet(
        request.GET, queryset=selectors.irregularities_for(request.user), request=request
    )
    valid = filterset.form.is_valid()
    page = _page(request, filterset.qs)
    rows = [
        selectors.FindingRow(f, selectors.irregularity_label(f.code), selectors.severity_label(f.severity))
        for f in page.object_list
    ]
    context = {"filter": filterset, "page": page, "rows": rows}
    return _list(
        request,
        tab="irregularities",
        partial="supervision/console/_irregularities.html",
        context=context,
        status=200 if valid else REFUSED,
    )


# --------------------------------------------------------------------------- the big screen


@require_safe
@watchers_only
def dashboard(request: HttpRequest) -> HttpResponse:
    """大屏: a dark full-screen page; its charts poll ``dashboard_data``."""
    context = {"title": selectors.scope_title(request.user)}
    return render(request, "supervision/console/screen.html", context)


@require_safe
@watchers_only
def dashboard_data(request: HttpRequest) -> JsonResponse:
    return JsonResponse(selectors.screen(request.user))
