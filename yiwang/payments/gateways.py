"""Payment gateway adapters.

A gateway takes the payer to its cashier (``create_payment`` returns the address to
redirect to) and later tells this site, server to server, that a trade was paid: a
notification posted to ``payments:callback`` with the gateway's name, whose signature
``verify_callback`` checks before anything in it is believed. The site answers the
notification with ``acknowledge`` (what the gateway expects, so it stops retrying) or a
problem+json refusal. ``close_payment`` tells the gateway a trade may no longer be paid
(the order was cancelled or paid through another trade).

``settings.PAYMENT_GATEWAY`` names the adapter class. ``SandboxGateway``, the default,
behaves like a real gateway inside this site: a cashier page of its own
(``payments:sandbox_cashier``, clearly marked as a sandbox) reached through a signed
payment request, its own book of trades (``SandboxTrade``), and on "pay" a notification
signed with HMAC-SHA256 under ``PAYMENT_SANDBOX_SECRET``, delivered to the callback view
like any gateway's; only the network hop is skipped, since a site cannot reliably post
to itself while it serves the request (one worker would wait for itself).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import secrets
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from yiwang.payments.models import FeeOrder, PaymentAttempt, SandboxTrade


@dataclass(frozen=True)
class CallbackData:
    """What a verified notification says."""

    notify_id: str
    out_trade_no: str
    amount_fen: int
    trade_no: str
    paid_at: dt.datetime
    sent_at: dt.datetime


class CallbackRejected(Exception):
    """A notification that cannot be believed or read. ``code`` is a ``CallbackOutcome``;
    the notify id and trade number are what the body claimed, for the log only."""

    def __init__(self, code: str, message: str, *, notify_id: str = "", out_trade_no: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.notify_id = notify_id
        self.out_trade_no = out_trade_no


class PaymentGateway(ABC):
    name: ClassVar[str]
    label: ClassVar[str]
    # Header that carries the signature, as Django's META key and as sent.
    signature_header: ClassVar[str] = ""

    @abstractmethod
    def create_payment(
        self, order: FeeOrder, attempt: PaymentAttempt, return_url: str, notify_url: str
    ) -> str:
        """The cashier address the payer is sent to for ``attempt``."""

    @abstractmethod
    def verify_callback(self, body: bytes, headers: Mapping[str, str]) -> CallbackData:
        """The notification's content if its signature is right; else ``CallbackRejected``."""

    def close_payment(self, attempt: PaymentAttempt) -> None:  # noqa: B027 (optional hook)
        """Tell the gateway that ``attempt`` may no longer be paid."""

    def statement(self, day: dt.date) -> list[tuple[str, int]] | None:
        """The gateway's statement of a day as (merchant trade number, fen) pairs, when it
        offers one (for reconciliation)."""
        return None

    def signature_of(self, headers: Mapping[str, str]) -> str:
        return headers.get(self.signature_header, "") if self.signature_header else ""

    def acknowledge(self, message: str) -> HttpResponse:
        """The answer that tells the gateway its notification was taken."""
        return JsonResponse({"code": "SUCCESS", "message": message})


def configured_gateway() -> PaymentGateway:
    path = getattr(settings, "PAYMENT_GATEWAY", "yiwang.payments.gateways.SandboxGateway")
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"PAYMENT_GATEWAY {path!r} cannot be imported: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, PaymentGateway)):
        raise ImproperlyConfigured(f"PAYMENT_GATEWAY {path!r} is not a PaymentGateway")
    return cls()


def gateway_named(name: str) -> PaymentGateway | None:
    """The configured gateway if it is called ``name``."""
    gateway = configured_gateway()
    return gateway if gateway.name == name else None


# --------------------------------------------------------------------------- sandbox


def _sign(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _request_message(params: Mapping[str, str]) -> bytes:
    """The canonical text of a payment request: its fields sorted, ``sign`` left out."""
    return "&".join(f"{key}={params[key]}" for key in sorted(params) if key != "sign").encode()


REQUEST_FIELDS = ("out_trade_no", "amount", "subject", "notify_url", "return_url", "ts")


class SandboxGateway(PaymentGateway):
    name = "sandbox"
    label = "沙箱支付 (sandbox)"
    signature_header = "X-Sandbox-Signature"
    # A payment request opened at the cashier later than this is refused.
    REQUEST_MAX_AGE = dt.timedelta(hours=2)

    @property
    def secret(self) -> str:
        secret = getattr(settings, "PAYMENT_SANDBOX_SECRET", "")
        if not secret:
            raise ImproperlyConfigured("PAYMENT_SANDBOX_SECRET is empty")
        return str(secret)

    # --- merchant side

    def create_payment(
        self, order: FeeOrder, attempt: PaymentAttempt, return_url: str, notify_url: str
    ) -> str:
        params = {
            "out_trade_no": attempt.out_trade_no,
            "amount": str(attempt.amount_fen),
            "subject": order.number,
            "notify_url": notify_url,
            "return_url": return_url,
            "ts": str(int(attempt.created_at.timestamp())),
        }
        params["sign"] = _sign(self.secret, _request_message(params))
        return f"{reverse('payments:sandbox_cashier')}?{urlencode(params)}"

    def verify_callback(self, body: bytes, headers: Mapping[str, str]) -> CallbackData:
        claimed: dict[str, Any] = {}
        try:
            parsed = json.loads(body.decode("utf-8"))
            if isinstance(parsed, dict):
                claimed = parsed
        except (UnicodeDecodeError, ValueError):
            pass
        notify_id = str(claimed.get("notify_id", ""))[:64]
        out_trade_no = str(claimed.get("out_trade_no", ""))[:64]
        given = self.signature_of(headers).removeprefix("sha256=")
        if not given or not hmac.compare_digest(given, _sign(self.secret, body)):
            raise CallbackRejected(
                "bad_signature",
                "The notification's signature does not match.",
                notify_id=notify_id,
                out_trade_no=out_trade_no,
            )
        try:
            data = CallbackData(
                notify_id=str(claimed["notify_id"]),
                out_trade_no=str(claimed["out_trade_no"]),
                amount_fen=_whole(claimed["amount"]),
                trade_no=str(claimed["trade_no"]),
                paid_at=_moment(claimed["paid_at"]),
                sent_at=_moment(claimed["timestamp"]),
            )
        except (KeyError, TypeError, ValueError):
            raise CallbackRejected(
                "malformed",
                "The notification lacks a field or has one in the wrong form.",
                notify_id=notify_id,
                out_trade_no=out_trade_no,
            ) from None
        if not (data.notify_id and data.out_trade_no and data.trade_no) or len(data.notify_id) > 64:
            raise CallbackRejected(
                "malformed", "The notification has an empty identifier.", notify_id=notify_id
            )
        return data

    def close_payment(self, attempt: PaymentAttempt) -> None:
        from yiwang.payments.models import SandboxTrade, SandboxTradeStatus

        SandboxTrade.objects.get_or_create(
            out_trade_no=attempt.out_trade_no,
            defaults={
                "trade_no": _trade_no(),
                "amount_fen": attempt.amount_fen,
                "status": SandboxTradeStatus.CLOSED,
                "notify_url": "",
                "notify_id": "",
                "created_at": timezone.now(),
            },
        )

    # --- the "bank side": the cashier's checks and the notification it sends

    def check_request(self, params: Mapping[str, str], now: dt.datetime) -> dict[str, str] | None:
        """The payment request's fields if it was signed by this site and is recent."""
        fields = {key: params.get(key, "") for key in REQUEST_FIELDS}
        sign = params.get("sign", "")
        if not all(fields.values()) or not sign:
            return None
        if not hmac.compare_digest(sign, _sign(self.secret, _request_message(fields))):
            return None
        try:
            issued = dt.datetime.fromtimestamp(int(fields["ts"]), tz=dt.UTC)
            int(fields["amount"])
        except (ValueError, OverflowError):
            return None
        if now - issued > self.REQUEST_MAX_AGE or issued - now > dt.timedelta(minutes=5):
            return None
        return fields

    def notification(
        self,
        *,
        notify_id: str,
        out_trade_no: str,
        amount_fen: int,
        trade_no: str,
        paid_at: dt.datetime,
        sent_at: dt.datetime,
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of a signed notification (the bank signs what it sends)."""
        body = json.dumps(
            {
                "notify_id": notify_id,
                "out_trade_no": out_trade_no,
                "amount": amount_fen,
                "trade_no": trade_no,
                "paid_at": int(paid_at.timestamp()),
                "timestamp": int(sent_at.timestamp()),
            },
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        return body, {self.signature_header: "sha256=" + _sign(self.secret, body)}

    def pay(self, fields: Mapping[str, str], now: dt.datetime) -> SandboxTrade:
        """The payer pressed "pay" on a checked request: the trade is booked once (a closed
        one stays closed) and, until the site acknowledges it, notified."""
        from yiwang.payments.models import SandboxTrade, SandboxTradeStatus

        trade, _created = SandboxTrade.objects.get_or_create(
            out_trade_no=fields["out_trade_no"],
            defaults={
                "trade_no": _trade_no(),
                "amount_fen": int(fields["amount"]),
                "status": SandboxTradeStatus.PAID,
                "notify_url": fields["notify_url"],
                "notify_id": secrets.token_hex(16),
                "created_at": now,
            },
        )
        if trade.status == SandboxTradeStatus.PAID and trade.notified_at is None:
            self.notify(trade, now)
        return trade

    def notify(self, trade: SandboxTrade, now: dt.datetime) -> bool:
        """Send (or send again) the notification of a paid trade; True once the site
        acknowledged it. Every sending carries the trade's notify id and a fresh
        timestamp, as a real gateway's retries do."""
        body, headers = self.notification(
            notify_id=trade.notify_id,
            out_trade_no=trade.out_trade_no,
            amount_fen=trade.amount_fen,
            trade_no=trade.trade_no,
            paid_at=trade.created_at,
            sent_at=now,
        )
        response = self.deliver(trade.notify_url, body, headers)
        trade.notify_attempts += 1
        if response.status_code == 200:
            trade.notified_at = now
        trade.save(update_fields=["notify_attempts", "notified_at"])
        return trade.notified_at is not None

    def statement(self, day: dt.date) -> list[tuple[str, int]]:
        """The trades the sandbox settled on a (local) day: its daily statement."""
        from yiwang.payments.models import SandboxTrade, SandboxTradeStatus

        start = dt.datetime.combine(day, dt.time.min, timezone.get_current_timezone())
        return list(
            SandboxTrade.objects.filter(
                status=SandboxTradeStatus.PAID,
                created_at__gte=start,
                created_at__lt=start + dt.timedelta(days=1),
            ).values_list("out_trade_no", "amount_fen")
        )

    def deliver(self, notify_url: str, body: bytes, headers: Mapping[str, str]) -> HttpResponse:
        """Post the notification to the site's callback view, as the gateway's servers
        would: a POST request with the raw body and the signature header, handled by
        the view that ``notify_url`` resolves to."""
        parts = urlsplit(notify_url)
        try:
            match = resolve(parts.path)
        except Resolver404:
            return HttpResponse(status=404)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": parts.path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": parts.query,
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": parts.hostname or "localhost",
            "SERVER_PORT": str(parts.port or (443 if parts.scheme == "https" else 80)),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": parts.scheme or "http",
        }
        for name, value in headers.items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        response = match.func(WSGIRequest(environ), *match.args, **match.kwargs)
        return response  # type: ignore[no-any-return]


def _trade_no() -> str:
    return "SBX" + timezone.now().strftime("%Y%m%d") + secrets.token_hex(8).upper()


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError("amount")
    amount = int(value)
    if amount < 0:
        raise ValueError("amount")
    return amount


def _moment(value: Any) -> dt.datetime:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("timestamp")
    return dt.datetime.fromtimestamp(value, tz=dt.UTC)
