"""OpenAPI details: problem responses, list detection, and which paths the schema covers."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from yiwang.api.problems import CODES, PROBLEM_JSON, ProblemSerializer

API_PREFIX = "/api/v1/"

_DESCRIPTIONS = {
    400: _("Bad input: the codes are listed on the docs page. Nothing was changed."),
    401: _("Not authenticated: send a token (Authorization: Token …) or a session cookie."),
    403: _(
        "Not allowed: the user's role or scope, separation of duties, a locked account, "
        "or a session request without its CSRF token."
    ),
    404: _("No such object, or none the user may see."),
    409: _(
        "Not possible in the case's current state (or not yet: partner departments still deciding), "
        "or an Idempotency-Key reused for another request."
    ),
}


def problems(*statuses: int) -> dict[Any, OpenApiResponse]:
    """``extend_schema`` responses for the given error statuses, as problem+json."""
    return {
        (status, PROBLEM_JSON): OpenApiResponse(
            ProblemSerializer,
            description=_DESCRIPTIONS.get(status, "")
            or ", ".join(code for code, (s, _title) in CODES.items() if s == status),
        )
        for status in statuses
    }


class ApiSchema(AutoSchema):
    def _is_list_view(self, serializer: Any = None) -> bool:
        # With problem responses keyed (status, media type), the default picks the
        # smallest key as "the" response; the success response is the one that counts.
        if serializer is None:
            responses = self.get_response_serializers()
            if isinstance(responses, dict):
                success = [s for code, s in responses.items() if str(code).startswith("2")]
                if not success:
                    return False
                serializer = success[0]
        return bool(super()._is_list_view(serializer))


def only_api_v1(endpoints: list[tuple[str, str, str, Any]]) -> list[tuple[str, str, str, Any]]:
    """drf-spectacular preprocessing hook: the schema covers the versioned API only."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(API_PREFIX)]
