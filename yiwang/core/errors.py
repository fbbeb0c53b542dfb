"""The refusal every service raises: a polite message, a stable machine code and, where
one field is at fault, its name (forms show it beside the field, the API as
problem+json). A refused action has written nothing. Each app names its own subclass
(``CaseError``, ``PortalError``, ``PaymentError``, ``LicenseError``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class ServiceError(ValidationError):
    def __init__(self, message: str, code: str, field: str | None = None) -> None:
        if field:
            super().__init__({field: ValidationError(message, code=code)})
        else:
            super().__init__(message, code=code)
        self.error_code = code
        self.field = field
        self.text = message
