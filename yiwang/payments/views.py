"""The applicant's fee pages (/pay/), the gateways' callback and the sandbox cashier.

A case or order that is not the user's answers 404, as if it did not exist. The callback
answers the gateway: its acknowledgement when the notification was taken (also for a
replay), else 400 problem+json; it is what a real gateway posts to, and the sandbox's
notifications arrive through it too.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yiwang.payments import documents, selectors, services
from yiwang.payments.errors import PaymentError, PaymentErrorCode
from yiwang.payments.gateways import REQUEST_FIELDS, SandboxGateway, configured_gateway
from yiwang.payments.models import OrderStatus, SandboxTrade, SandboxTradeStatus, fen_to_yuan

INVALID = 422
PROBLEM_JSON = "application/problem+json"

portal_login_required = login_required(login_url="portal:login")

_PROBLEM_STATUS = {PaymentErrorCode.UNKNOWN_GATEWAY: 404}


def _private(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response


def _order_or_404(request: HttpRequest, number: str) -> Any:
    order = selectors.order_for_payer(request.user, number)
    if order is None:
        raise Http404(_("No fee order with this number for your account."))
    return order


# --------------------------------------------------------------------------- applicant pages


@require_safe
@portal_login_required
def case_orders(request: HttpRequest, number: str) -> HttpResponse:
    case = selectors.case_for_payer(request.user, number)
    if case is None:
        raise Http404(_("No case with this number for your account."))
    context = {"case": case, "orders": selectors.orders_of_case(case)}
    return _private(render(request, "payments/case_orders.html", context))


def _order_page(request: HttpRequest, order: Any, *, error: str = "", status: int = 200) -> HttpResponse:
    context = {
        "order": order,
        "case": order.case,
        "lines": list(order.lines.all()),
        "error": error,
        "overdue": order.is_payable and timezone.localdate() > order.due_date,
        "gateway_label": configured_gateway().label,
    }
    return _private(render(request, "payments/order.html", context, status=status))


@require_safe
@portal_login_required
def order_page(request: HttpRequest, number: str) -> HttpResponse:
    return _order_page(request, _order_or_404(request, number))


@require_POST
@portal_login_required
def pay(request: HttpRequest, number: str) -> HttpResponse:
    """Start a payment and send the payer to the gateway's cashier."""
    order = _order_or_404(request, number)
    try:
        url = services.payment_start(order=order, user=request.user, base_url=request.build_absolute_uri("/"))
    except PaymentError as error:
        order.refresh_from_db()
        status = 403 if error.error_code == PaymentErrorCode.FORBIDDEN else INVALID
        return _order_page(request, order, error=error.text, status=status)
    return redirect(url)


@require_safe
@portal_login_required
def returned(request: HttpRequest, number: str) -> HttpResponse:
    """Where the gateway sends the payer back. It shows what the callback recorded; coming
    back here never marks an order paid."""
    order = _order_or_404(request, number)
    context = {"order": order, "case": order.case, "left": request.GET.get("result") == "cancelled"}
    return _private(render(request, "payments/returned.html", context))


@require_safe
@portal_login_required
def receipt(request: HttpRequest, number: str) -> HttpResponse:
    order = _order_or_404(request, number)
    if order.status != OrderStatus.PAID:
        raise Http404(_("This order is not paid, so it has no receipt."))
    context = {**documents.receipt_context(order), "case": order.case}
    return _private(render(request, "payments/receipt.html", context))


@require_safe
@portal_login_required
def receipt_pdf(request: HttpRequest, number: str) -> HttpResponse:
    order = _order_or_404(request, number)
    try:
        pdf = documents.receipt_pdf(order)
    except documents.ReceiptUnavailable:
        raise Http404(_("This order is not paid, so it has no receipt.")) from None
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{documents.receipt_filename(order)}"'
    return _private(response)


# --------------------------------------------------------------------------- gateway callback


def problem(request: HttpRequest, error: PaymentError, status: int) -> JsonResponse:
    body = {
        "type": "about:blank",
        "title": str(PaymentErrorCode(error.error_code).label),
        "status": status,
        "detail": error.text,
        "code": error.error_code,
        "instance": request.path,
    }
    return JsonResponse(
        body, status=status, content_type=PROBLEM_JSON, json_dumps_params={"ensure_ascii": False}
    )


@csrf_exempt  # a server-to-server notification, authenticated by its signature
@require_POST
def callback(request: HttpRequest, gateway: str) -> HttpResponse:
    try:
        confirmation = services.payment_confirm(gateway=gateway, body=request.body, headers=request.headers)
    except PaymentError as error:
        return problem(request, error, _PROBLEM_STATUS.get(error.error_code, 400))
    return configured_gateway().acknowledge(confirmation.message)


# --------------------------------------------------------------------------- sandbox cashier


def _sandbox() -> SandboxGateway:
    gateway = configured_gateway()
    if not isinstance(gateway, SandboxGateway):
        raise Http404(_("The sandbox cashier is off: a real payment gateway is configured."))
    return gateway


def _back(return_url: str, request: HttpRequest, **params: str) -> HttpResponse:
    if not url_has_allowed_host_and_scheme(return_url, allowed_hosts={request.get_host()}):
        raise Http404
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return redirect(f"{return_url}{'&' if '?' in return_url else '?'}{query}" if query else return_url)


@require_http_methods(["GET", "HEAD", "POST"])
def sandbox_cashier(request: HttpRequest) -> HttpResponse:
    """The sandbox gateway's cashier: what a bank's payment page does, inside this site.
    It accepts only payment requests this site signed; "pay" books the trade on the
    sandbox's side once and posts its signed notification to the callback."""
    gateway = _sandbox()
    now = timezone.now()
    params = request.POST if request.method == "POST" else request.GET
    fields = gateway.check_request({key: params.get(key, "") for key in (*REQUEST_FIELDS, "sign")}, now)
    if fields is None:
        return _private(render(request, "payments/sandbox_cashier.html", {"invalid": True}, status=400))
    trade = SandboxTrade.objects.filter(out_trade_no=fields["out_trade_no"]).first()
    context: dict[str, Any] = {
        "fields": fields,
        "sign": params.get("sign", ""),
        "amount": fen_to_yuan(int(fields["amount"])),
        "trade": trade,
        "label": gateway.label,
    }
    if request.method != "POST":
        return _private(render(request, "payments/sandbox_cashier.html", context))
    if request.POST.get("action") == "cancel":
        return _back(fields["return_url"], request, result="cancelled")
    trade = gateway.pay(fields, now)
    if trade.status == SandboxTradeStatus.CLOSED:
        context["trade"] = trade
        return _private(render(request, "payments/sandbox_cashier.html", context, status=409))
    return _back(fields["return_url"], request)
