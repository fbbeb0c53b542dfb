"""Text messages (短信) to mobile phones through a pluggable backend.

``settings.SMS_BACKEND`` names the backend class by dotted path: ``LogBackend`` (the
default; writes the masked number and the text to the log, for development and for
deployments without an SMS contract) or ``HttpGatewayBackend`` (a JSON POST signed with
HMAC-SHA256 to the province's SMS gateway). A backend raises ``SmsError`` when the
message was not accepted; ``yiwang.core.notify.deliver_pending`` records the error and
tries again later unless the error is permanent.

A message of up to 70 characters is one SMS segment; longer texts are passed on whole
(the gateway joins the segments on the phone), never split here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from yiwang.core.identifiers import mask_mobile

logger = logging.getLogger("yiwang.core.sms")

SEGMENT_CHARS = 70  # one SMS segment of Chinese text (UCS-2)
MULTIPART_SEGMENT_CHARS = 67  # per segment once a text needs more than one
SIGNATURE_HEADER = "X-Yiwang-Signature"


class SmsError(Exception):
    """The message was not accepted. ``permanent`` errors will fail the same way again
    (empty text, a rejected number), so there is no point in retrying them."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmsBackend(Protocol):
    def send(self, mobile: str, text: str) -> None: ...


def segments(text: str) -> int:
    """How many SMS segments the text takes on the phone."""
    if len(text) <= SEGMENT_CHARS:
        return 1
    return -(-len(text) // MULTIPART_SEGMENT_CHARS)


def _check(mobile: str, text: str) -> None:
    if not text.strip():
        raise SmsError("refused: the text is empty", permanent=True)
    if not mobile.strip():
        raise SmsError("refused: no mobile number", permanent=True)


class LogBackend:
    """Writes each message to the log (masked number, text) and sends nothing."""

    def send(self, mobile: str, text: str) -> None:
        _check(mobile, text)
        logger.info("sms to %s (%d segment(s)): %s", mask_mobile(mobile), segments(text), text)


class HttpGatewayBackend:
    """POSTs ``{"mobile", "text", "sign_name", "timestamp", "nonce"}`` as UTF-8 JSON to
    ``settings.SMS_GATEWAY_URL`` with the header ``X-Yiwang-Signature``: the hex
    HMAC-SHA256 of the exact request body under ``settings.SMS_GATEWAY_SECRET``. The
    timestamp (Unix seconds) and the random nonce let the gateway refuse replays.

    Success is a 2xx answer whose JSON body, if any, has no non-zero ``code``."""

    def __init__(
        self,
        url: str | None = None,
        secret: str | None = None,
        timeout: float | None = None,
        sign_name: str | None = None,
    ) -> None:
        self.url = settings.SMS_GATEWAY_URL if url is None else url
        self.secret = settings.SMS_GATEWAY_SECRET if secret is None else secret
        self.timeout = float(settings.SMS_GATEWAY_TIMEOUT if timeout is None else timeout)
        self.sign_name = settings.SMS_SIGN_NAME if sign_name is None else sign_name
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise ImproperlyConfigured("SMS_GATEWAY_URL must be an http:// or https:// address.")
        if not self.secret:
            raise ImproperlyConfigured("SMS_GATEWAY_SECRET must be set to use the SMS gateway.")

    def sign(self, body: bytes) -> str:
        return hmac.new(self.secret.encode("utf-8"), body, hashlib.sha256).hexdigest()

    def send(self, mobile: str, text: str) -> None:
        _check(mobile, text)
        payload = {
            "mobile": mobile,
            "text": text,
            "sign_name": self.sign_name,
            "timestamp": int(time.time()),
            "nonce": secrets.token_hex(16),
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 (scheme checked in __init__)
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
                SIGNATURE_HEADER: self.sign(body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                reply = response.read(64 * 1024)
        except urllib.error.HTTPError as exc:
            raise SmsError(f"gateway answered HTTP {exc.code}") from None
        except TimeoutError:
            raise SmsError(f"gateway did not answer within {self.timeout:g} s") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise SmsError(f"gateway did not answer within {self.timeout:g} s") from None
            raise SmsError(f"gateway unreachable: {exc.reason}") from None
        except OSError as exc:
            raise SmsError(f"gateway connection failed: {exc}") from None
        _check_reply(reply)


def _check_reply(reply: bytes) -> None:
    try:
        data = json.loads(reply) if reply.strip() else None
    except ValueError:
        return  # a 2xx answer that is not JSON (e.g. "OK"): accepted
    if isinstance(data, dict) and data.get("code") not in (None, 0, "0"):
        detail = data.get("message") or data.get("msg") or ""
        raise SmsError(f"gateway refused the message: code {data['code']} {detail}".strip())


def get_backend() -> SmsBackend:
    """A new instance of the backend named by ``settings.SMS_BACKEND``."""
    try:
        backend_class = import_string(settings.SMS_BACKEND)
    except ImportError as exc:
        raise ImproperlyConfigured(f"SMS_BACKEND {settings.SMS_BACKEND!r} cannot be imported: {exc}") from exc
    return backend_class()
