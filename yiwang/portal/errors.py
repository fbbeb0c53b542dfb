"""The error every portal service raises when it refuses (``yiwang.core.errors``)."""

from __future__ import annotations

from yiwang.core.errors import ServiceError


class PortalError(ServiceError):
    """A refusal of a portal service: message, code and the field at fault, if one."""
