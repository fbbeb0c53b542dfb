"""Real-name verification (实名认证) through a pluggable provider.

``settings.PORTAL_REALNAME_BACKEND`` names the backend class by dotted path; empty means
this deployment has no provider, and accounts are verified only on site, at a window.
A backend answers one question: do this name, ID number and mobile belong together?
For an enterprise the provider checks the register (name, USCC and the legal
representative) instead.

``HttpRealNameBackend`` talks to a provider over HTTPS:

- request: ``POST settings.PORTAL_REALNAME_URL`` with a UTF-8 JSON body
  ``{"kind", "name", "id_number", "mobile", "legal_rep_name", "legal_rep_id_number",
  "timestamp", "nonce"}`` and the header ``X-Signature``: the hex HMAC-SHA256 of the exact
  body under ``settings.PORTAL_REALNAME_SECRET``;
- answer: 2xx, a JSON body ``{"matched": bool, "reference": str, "reason": str,
  "nonce": <the request's nonce>}`` signed the same way in its own ``X-Signature``
  header. An answer without a valid signature, or one whose nonce is not the request's
  (a signed answer replayed from another check), is refused: it could have been forged
  by anyone between us and the provider.

Anything that is not a signed, well-formed answer raises ``RealNameError``; a signed
"not matched" is a ``RealNameResult`` with ``matched`` false and the provider's reason.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

SIGNATURE_HEADER = "X-Signature"
MAX_REPLY_BYTES = 64 * 1024
INDIVIDUAL = "individual"
ENTERPRISE = "enterprise"


@dataclass(frozen=True)
class RealNameResult:
    matched: bool
    reference: str = ""  # the provider's reference of this check, kept with the account
    reason: str = ""  # why it did not match, in the provider's words


class RealNameError(Exception):
    """The provider could not be asked, or its answer cannot be trusted."""


class RealNameBackend:
    """The interface every provider adapter implements."""

    def check(
        self,
        name: str,
        id_number: str,
        mobile: str,
        *,
        kind: str = INDIVIDUAL,
        legal_rep_name: str = "",
        legal_rep_id_number: str = "",
    ) -> RealNameResult:
        raise NotImplementedError


def get_backend() -> RealNameBackend | None:
    """A new instance of the configured backend, or None when there is none."""
    path = (settings.PORTAL_REALNAME_BACKEND or "").strip()
    if not path:
        return None
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"PORTAL_REALNAME_BACKEND {path!r} cannot be imported: {exc}") from exc
    backend = backend_class()
    if not isinstance(backend, RealNameBackend):
        raise ImproperlyConfigured(f"PORTAL_REALNAME_BACKEND {path!r} is not a RealNameBackend.")
    return backend


def is_available() -> bool:
    return bool((settings.PORTAL_REALNAME_BACKEND or "").strip())


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class HttpRealNameBackend(RealNameBackend):
    """The provider's HTTPS API with HMAC-SHA256 signatures both ways (see the module)."""

    def __init__(
        self, url: str | None = None, secret: str | None = None, timeout: float | None = None
    ) -> None:
        self.url = settings.PORTAL_REALNAME_URL if url is None else url
        self.secret = settings.PORTAL_REALNAME_SECRET if secret is None else secret
        self.timeout = float(settings.PORTAL_REALNAME_TIMEOUT if timeout is None else timeout)
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise ImproperlyConfigured("PORTAL_REALNAME_URL must be an http:// or https:// address.")
        if not self.secret:
            raise ImproperlyConfigured("PORTAL_REALNAME_SECRET must be set to use the real-name provider.")

    def check(
        self,
        name: str,
        id_number: str,
        mobile: str,
        *,
        kind: str = INDIVIDUAL,
        legal_rep_name: str = "",
        legal_rep_id_number: str = "",
    ) -> RealNameResult:
        nonce = secrets.token_hex(16)
        payload = {
            "kind": kind,
            "name": name,
            "id_number": id_number,
            "mobile": mobile,
            "legal_rep_name": legal_rep_name,
            "legal_rep_id_number": legal_rep_id_number,
            "timestamp": int(time.time()),
            "nonce": nonce,
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 (scheme checked in __init__)
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
                SIGNATURE_HEADER: sign(self.secret, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                reply = response.read(MAX_REPLY_BYTES + 1)
                signature = response.headers.get(SIGNATURE_HEADER, "")
        except urllib.error.HTTPError as exc:
            raise RealNameError(f"provider answered HTTP {exc.code}") from None
        except TimeoutError:
            raise RealNameError(f"provider did not answer within {self.timeout:g} s") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise RealNameError(f"provider did not answer within {self.timeout:g} s") from None
            raise RealNameError(f"provider unreachable: {exc.reason}") from None
        except OSError as exc:
            raise RealNameError(f"provider connection failed: {exc}") from None
        return self._read(reply, signature, nonce)

    def _read(self, reply: bytes, signature: str, nonce: str) -> RealNameResult:
        if len(reply) > MAX_REPLY_BYTES:
            raise RealNameError("provider's answer is too long")
        if not signature:
            raise RealNameError("provider's answer is not signed")
        if not hmac.compare_digest(signature.strip().lower(), sign(self.secret, reply)):
            raise RealNameError("provider's answer has a wrong signature")
        try:
            data = json.loads(reply)
        except ValueError:
            raise RealNameError("provider's answer is not JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("matched"), bool):
            raise RealNameError("provider's answer has no 'matched' true or false")
        if not hmac.compare_digest(str(data.get("nonce", "")), nonce):
            raise RealNameError("provider's answer belongs to another check (nonce differs)")
        return RealNameResult(
            matched=data["matched"],
            reference=str(data.get("reference") or "")[:100],
            reason=str(data.get("reason") or "")[:200],
        )
