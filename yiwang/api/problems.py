"""Errors as RFC 9457 problem details (``application/problem+json``), from one handler.

Every error the API returns has the same shape::

    {"type": "/api/docs/#problem-illegal_in_state", "title": "...", "status": 409,
     "detail": "...", "code": "illegal_in_state", "errors": {"field": ["..."]},
     "instance": "/api/v1/cases/.../actions/decide/"}

``code`` is the stable machine value (``CaseErrorCode`` for case rules, the upload
checks' codes, or one of the HTTP-level codes below); ``title`` and ``detail`` are for
people and follow the request's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from yiwang.cases.services import CaseError, CaseErrorCode

PROBLEM_JSON = "application/problem+json"

# HTTP-level codes, beside CaseErrorCode and the upload checks' codes.
NOT_FOUND = "not_found"
NOT_AUTHENTICATED = "not_authenticated"
AUTHENTICATION_FAILED = "authentication_failed"
PERMISSION_DENIED = "permission_denied"
METHOD_NOT_ALLOWED = "method_not_allowed"
NOT_ACCEPTABLE = "not_acceptable"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
PARSE_ERROR = "parse_error"
THROTTLED = "throttled"
FILE_TYPE = "file_type"
FILE_TOO_LARGE = "file_too_large"
FILE_EMPTY = "file_empty"
ACCOUNT_LOCKED = "account_locked"

# Stable code -> (HTTP status, short title). The order is the order of the docs page.
CODES: dict[str, tuple[int, Promise]] = {
    CaseErrorCode.BAD_INPUT: (400, _("The request is not valid")),
    CaseErrorCode.APPLICANT_INVALID: (400, _("The applicant's details are not valid")),
    CaseErrorCode.VERSION_NOT_IN_FORCE: (400, _("The item is not in force")),
    CaseErrorCode.REASON_REQUIRED: (400, _("A reason is required")),
    CaseErrorCode.LEGAL_BASIS_REQUIRED: (400, _("A legal basis is required")),
    CaseErrorCode.NO_MATERIAL_NAMED: (400, _("No material is named")),
    CaseErrorCode.EXTENSION_CAP: (400, _("The extension goes beyond the cap")),
    CaseErrorCode.TIME_ORDER: (400, _("The event time is out of order")),
    FILE_TYPE: (400, _("The file type is not accepted")),
    FILE_TOO_LARGE: (400, _("The file is too large")),
    FILE_EMPTY: (400, _("The file is empty")),
    PARSE_ERROR: (400, _("The request body cannot be read")),
    NOT_AUTHENTICATED: (401, _("Authentication is required")),
    AUTHENTICATION_FAILED: (401, _("Authentication failed")),
    CaseErrorCode.FORBIDDEN: (403, _("Not allowed for this user")),
    CaseErrorCode.SEPARATION_OF_DUTIES: (403, _("Separation of duties")),
    PERMISSION_DENIED: (403, _("Permission denied")),
    ACCOUNT_LOCKED: (403, _("The account is locked")),
    NOT_FOUND: (404, _("Not found")),
    METHOD_NOT_ALLOWED: (405, _("Method not allowed")),
    NOT_ACCEPTABLE: (406, _("Response format not available")),
    CaseErrorCode.ILLEGAL_IN_STATE: (409, _("Not possible in the case's current state")),
    CaseErrorCode.IDEMPOTENCY_CONFLICT: (409, _("The Idempotency-Key was used for another request")),
    CaseErrorCode.BRANCHES_PENDING: (409, _("Partner departments are still deciding")),
    UNSUPPORTED_MEDIA_TYPE: (415, _("Unsupported media type")),
    THROTTLED: (429, _("Too many requests")),
}


class AccountLocked(exceptions.APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = _("Too many failed sign-ins: this account is locked for a while. Try again later.")
    default_code = ACCOUNT_LOCKED


# DRF's own codes for the exceptions it raises, mapped onto ours.
_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.NotFound: NOT_FOUND,
    exceptions.NotAuthenticated: NOT_AUTHENTICATED,
    exceptions.AuthenticationFailed: AUTHENTICATION_FAILED,
    exceptions.PermissionDenied: PERMISSION_DENIED,
    exceptions.MethodNotAllowed: METHOD_NOT_ALLOWED,
    exceptions.NotAcceptable: NOT_ACCEPTABLE,
    exceptions.UnsupportedMediaType: UNSUPPORTED_MEDIA_TYPE,
    exceptions.ParseError: PARSE_ERROR,
    exceptions.Throttled: THROTTLED,
}


@dataclass
class Problem:
    status: int
    code: str
    detail: str
    errors: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self, instance: str = "") -> dict[str, Any]:
        known = CODES.get(self.code)
        title = str(known[1]) if known else str(status_title(self.status))
        body: dict[str, Any] = {
            "type": problem_type(self.code),
            "title": title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            "errors": self.errors,
        }
        if instance:
            body["instance"] = instance
        return body


def problem_type(code: str) -> str:
    """The problem's ``type`` URI: the anchor of the code on the API docs page."""
    return f"{reverse('api:docs')}#problem-{code}"


def status_title(code: int) -> Promise:
    return next((title for status_, title in CODES.values() if status_ == code), _("Error"))


def status_for(code: str) -> int:
    known = CODES.get(code)
    return known[0] if known else status.HTTP_400_BAD_REQUEST


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"items.0.problem": [...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            name = str(key) if key != "non_field_errors" or prefix else "non_field_errors"
            out.update(_flatten(value, f"{prefix}.{name}" if prefix else name))
    elif isinstance(detail, list) and detail and all(isinstance(v, str) for v in detail):
        out.setdefault(prefix or "non_field_errors", []).extend(str(v) for v in detail)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if value:
                out.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    elif detail:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


def _first(errors: Mapping[str, list[str]]) -> str:
    for messages in errors.values():
        if messages:
            return messages[0]
    return ""


def _summary(errors: Mapping[str, list[str]]) -> str:
    if list(errors) == ["non_field_errors"]:
        return errors["non_field_errors"][0]
    if len(errors) == 1:
        name, messages = next(iter(errors.items()))
        return f"{name}: {messages[0]}"
    return ngettext(
        "The request has %(count)d invalid field: %(fields)s.",
        "The request has %(count)d invalid fields: %(fields)s.",
        len(errors),
    ) % {"count": len(errors), "fields": ", ".join(errors)}


def problem_for(exc: Exception) -> Problem | None:
    """The problem an exception stands for; None for a bug (left to become a 500)."""
    if isinstance(exc, CaseError):
        errors = {exc.field: [exc.text]} if exc.field else {}
        return Problem(status_for(exc.error_code), str(exc.error_code), exc.text, errors)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            errors = {name: list(messages) for name, messages in exc.message_dict.items()}
            codes = [e.code for errs in exc.error_dict.values() for e in errs if e.code]
        else:
            errors = {}
            codes = [e.code for e in exc.error_list if e.code]
        code = str(codes[0]) if codes and codes[0] in CODES else CaseErrorCode.BAD_INPUT
        return Problem(status_for(code), code, _first(errors) or exc.messages[0], errors)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        return Problem(status.HTTP_400_BAD_REQUEST, CaseErrorCode.BAD_INPUT, _summary(errors), errors)
    if isinstance(exc, exceptions.APIException):
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "") or str(
            getattr(exc, "default_code", "") or "error"
        )
        problem = Problem(exc.status_code, code, str(exc.detail))
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            problem.headers["WWW-Authenticate"] = str(auth_header)
        wait = getattr(exc, "wait", None)
        if wait:
            problem.headers["Retry-After"] = str(int(wait))
        return problem
    return None


def problem_response(problem: Problem, instance: str = "") -> Response:
    return Response(
        problem.body(instance),
        status=problem.status,
        content_type=PROBLEM_JSON,
        headers=problem.headers or None,
    )


def problem_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """REST framework's ``EXCEPTION_HANDLER``: every error as problem+json."""
    problem = problem_for(exc)
    if problem is None:
        return None
    set_rollback()
    request = context.get("request")
    return problem_response(problem, request.path if request is not None else "")


class ProblemSerializer(serializers.Serializer):
    """The problem+json body, for the OpenAPI schema."""

    type = serializers.CharField(help_text=_("A link to the description of this kind of problem."))
    title = serializers.CharField(help_text=_("A short summary of the kind of problem."))
    status = serializers.IntegerField(help_text=_("The HTTP status code."))
    detail = serializers.CharField(help_text=_("What went wrong with this request, for people."))
    code = serializers.CharField(help_text=_("A stable machine-readable code (see the docs page)."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("Messages by request field (nested fields joined with dots)."),
    )
    instance = serializers.CharField(required=False, help_text=_("The path of the request."))
