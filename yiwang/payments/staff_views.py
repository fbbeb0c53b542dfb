"""Fee orders on the staff workbench (/work/payments/): the orders of the user's
departments, issuing a case's order from its item's fees, an order's payments and
callbacks, cancelling. Outside the user's scope: 404; in scope without the role: 403;
a refused action is shown on its form with status 422 and changes nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yiwang.cases import selectors as case_selectors
from yiwang.cases.models import Case
from yiwang.cases.views import _base_context, staff_required
from yiwang.payments import selectors, services
from yiwang.payments.errors import PaymentError, PaymentErrorCode
from yiwang.payments.forms import CancelForm, IssueForm
from yiwang.payments.models import FeeOrder, GatewayCallback, OrderStatus

PAGE_SIZE = 20
INVALID = 422


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {**_base_context(request, "payments"), **extra}


@require_safe
@staff_required
def order_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    page = Paginator(selectors.staff_orders(request.user, status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = _context(
        request,
        page=page,
        status=status if status in OrderStatus.values else "",
        statuses=OrderStatus.choices,
    )
    return render(request, "payments/staff/list.html", context)


def _case_or_404(request: HttpRequest, number: str) -> Case:
    case = case_selectors.case_for(request.user, number)
    if case is None:
        raise Http404(_("No case with this number within your scope."))
    return case


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def issue(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_or_404(request, number)
    if not selectors.may_issue(request.user, case):
        raise PermissionDenied(_("Fee orders are issued by the case's handler, approver or window staff."))
    fees = list(case.item_version.fees.all())
    form = IssueForm(request.POST if request.method == "POST" else None, fees=fees)
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_issue(case=case, user=request.user, lines=form.lines())
        except PaymentError as error:
            form.apply_error(error)
        else:
            messages.success(
                request,
                _("Fee order %(order)s of ¥%(total)s issued; the applicant is told.")
                % {"order": order.number, "total": order.total},
            )
            return redirect(reverse("cases:case", args=[case.number]) + "#fee-orders")
    refusal = ""
    if request.method != "POST":
        refusal = _why_not(case)
    context = _context(request, case=case, form=form, refusal=refusal)
    status = INVALID if form.errors else 200
    return render(request, "payments/staff/issue.html", context, status=status)


def _why_not(case: Case) -> str:
    """Why an order cannot be issued now, shown before anyone fills the form in."""
    if not selectors.item_charges(case):
        return _("“%(item)s” charges no fee: no order is needed.") % {"item": case.item_version.name}
    if not selectors.can_issue_now(case):
        return _("An order is issued after the approval and before the completion of the case.")
    live = case.fee_orders.filter(status__in=[OrderStatus.UNPAID, OrderStatus.PAID]).first()
    if live is not None:
        return _("This case already has fee order %(order)s.") % {"order": live.number}
    return ""


def _order_or_404(request: HttpRequest, number: str) -> FeeOrder:
    order = selectors.order_for_staff(request.user, number)
    if order is None:
        raise Http404(_("No fee order with this number within your scope."))
    return order


def _order_page(request: HttpRequest, order: FeeOrder, form: CancelForm, status: int = 200) -> HttpResponse:
    context = _context(
        request,
        order=order,
        case=order.case,
        lines=list(order.lines.all()),
        attempts=list(order.attempts.order_by("created_at", "pk")),
        callbacks=list(GatewayCallback.objects.filter(attempt__order=order).order_by("received_at", "pk")),
        may_cancel=order.is_payable and selectors.may_issue(request.user, order.case),
        form=form,
    )
    return render(request, "payments/staff/order.html", context, status=status)


@require_safe
@staff_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _order_page(request, _order_or_404(request, number), CancelForm())


@require_POST
@staff_required
def cancel(request: HttpRequest, number: str) -> HttpResponse:
    order = _order_or_404(request, number)
    if not selectors.may_issue(request.user, order.case):
        raise PermissionDenied(_("Fee orders are cancelled by the case's handler, approver or window staff."))
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.order_cancel(order=order, user=request.user, reason=form.cleaned_data["reason"])
        except PaymentError as error:
            if error.error_code == PaymentErrorCode.FORBIDDEN:
                raise PermissionDenied(error.text) from None
            form.apply_error(error)
        else:
            messages.success(request, _("Fee order %(order)s cancelled.") % {"order": order.number})
            return redirect(reverse("payments_staff:order", args=[order.number]))
    order.refresh_from_db()
    return _order_page(request, order, form, status=INVALID)
