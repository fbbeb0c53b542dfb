"""The REST API, version 1. Thin endpoints: parse the input, call one service (or one
selector), render. Scope comes from ``yiwang.org.permissions`` through the selectors;
a case the caller may not see is "not found"."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from yiwang.api import selectors
from yiwang.api import serializers as s
from yiwang.api.actions import ACTIONS, ActionSpec
from yiwang.api.problems import AccountLocked
from yiwang.api.schema import ApiSchema, problems
from yiwang.cases import services
from yiwang.cases.models import Case, Channel
from yiwang.cases.services import CaseError, CaseErrorCode
from yiwang.catalog import selectors as catalog
from yiwang.org.models import Department, Region
from yiwang.org.permissions import staff_of

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX = 64

_FILE_FIELDS_SCHEMA = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string", "format": "binary"}},
    "description": "material_<id>: files for required material <id> of the item; other: other documents.",
}


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ApiView(APIView):
    permission_classes = [IsAuthenticated]
    schema = ApiSchema()


def _case_or_404(request: Request, number: str) -> Case:
    case = selectors.case_for(request.user, number)
    if case is None:
        raise NotFound(gettext("No case %(number)s that you may see.") % {"number": number})
    return case


def _detail(request: Request, case: Case) -> dict[str, Any]:
    snapshot = selectors.case_snapshot(case=case, user=request.user)
    return s.CaseDetailSerializer(snapshot).data


# --------------------------------------------------------------------------- cases


class CaseListView(ApiView):
    parser_classes = [JSONParser, MultiPartParser]
    pagination_class = Pagination

    @extend_schema(
        operation_id="cases_list",
        summary=_("List cases"),
        description=_("The cases the caller may see, newest first, with filters."),
        parameters=[s.CaseListQuerySerializer],
        responses={200: s.CaseSummarySerializer(many=True), **problems(400, 401, 404)},
        tags=["cases"],
    )
    def get(self, request: Request) -> Response:
        query = s.CaseListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        today = timezone.localdate()
        cases = selectors.filter_cases(
            selectors.cases_for(request.user),
            today=today,
            states=params.get("state") or (),
            department=params.get("department"),
            item=params.get("item"),
            due_before=params.get("due_before"),
            overdue=params.get("overdue"),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(cases, request, view=self)
        data = s.CaseSummarySerializer(page, many=True, context={"today": today}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        operation_id="cases_file",
        summary=_("File a case"),
        description=_(
            "Files an application against the version of the item in force today. JSON without "
            "files, or multipart with files in fields material_<id> (a material of the item) and "
            "other. With an Idempotency-Key header, repeating the same request returns the case "
            "it created (200 instead of 201); the same key with a different request is a 409."
        ),
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description=_("Any unique string of at most 64 characters, chosen by the client."),
            )
        ],
        request={
            "application/json": s.CaseFileInputSerializer,
            "multipart/form-data": {
                "allOf": [
                    {"$ref": "#/components/schemas/CaseFileInputRequest"},
                    _FILE_FIELDS_SCHEMA,
                ]
            },
        },
        responses={
            201: s.CaseDetailSerializer,
            200: s.CaseDetailSerializer,
            **problems(400, 401, 403, 409),
        },
        tags=["cases"],
    )
    def post(self, request: Request) -> Response:
        key = _idempotency_key(request)
        form = s.CaseFileInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        version = catalog.item_guide(code=data["item"], on=timezone.localdate())
        if version is None:
            raise CaseError(
                gettext("No item %(code)s is in force today.") % {"code": data["item"]},
                CaseErrorCode.VERSION_NOT_IN_FORCE,
                "item",
            )
        uploads = s.parse_uploads(request.FILES, version)
        is_applicant = staff_of(request.user) is None
        now = timezone.now()
        case = services.case_file(
            version=version,
            channel=data.get("channel") or (Channel.ONLINE if is_applicant else Channel.WINDOW),
            applicant_kind=data["applicant_kind"],
            applicant_name=data["applicant_name"],
            applicant_id_number=data["applicant_id_number"],
            applicant_mobile=data["applicant_mobile"],
            form_data=data["form_data"],
            uploads=uploads,
            user=request.user,
            applicant_user=request.user if is_applicant else None,
            idempotency_key=key,
            at=now,
        )
        # A new case is dated by this request; a replayed one keeps its first filing time.
        created = case.submitted_at == now
        if not created and not selectors.same_filing(case, data, uploads):
            raise CaseError(
                gettext(
                    "This Idempotency-Key was already used for a different application (case %(number)s)."
                )
                % {"number": case.number},
                CaseErrorCode.IDEMPOTENCY_CONFLICT,
            )
        case = _case_or_404(request, case.number)
        return Response(
            _detail(request, case),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={"Location": reverse("api:v1:case-detail", kwargs={"number": case.number})},
        )


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isascii() or not key.isprintable():
        raise CaseError(
            gettext("The Idempotency-Key must be 1 to %(max)d printable ASCII characters.")
            % {"max": IDEMPOTENCY_KEY_MAX},
            CaseErrorCode.BAD_INPUT,
            IDEMPOTENCY_HEADER,
        )
    return key


class CaseDetailView(ApiView):
    @extend_schema(
        operation_id="cases_retrieve",
        summary=_("A case"),
        description=_(
            "The case with its deadlines as of today and the actions the caller may take on it now."
        ),
        responses={200: s.CaseDetailSerializer, **problems(401, 404)},
        tags=["cases"],
    )
    def get(self, request: Request, number: str) -> Response:
        return Response(_detail(request, _case_or_404(request, number)))


class CaseEventsView(ApiView):
    @extend_schema(
        operation_id="cases_events",
        summary=_("The case's ledger"),
        description=_(
            "Every event of the case in order, hash-chained: each hash is SHA-256 over the "
            "event and the previous event's hash."
        ),
        responses={200: s.CaseEventSerializer(many=True), **problems(401, 404)},
        tags=["cases"],
    )
    def get(self, request: Request, number: str) -> Response:
        case = _case_or_404(request, number)
        return Response(s.CaseEventSerializer(selectors.case_events(case), many=True).data)


class CaseActionView(ApiView):
    """One action on a case; subclassed per action (``action_view``)."""

    parser_classes = [JSONParser]
    spec: ActionSpec

    def post(self, request: Request, number: str) -> Response:
        case = _case_or_404(request, number)
        form = self.spec.input(data=request.data)
        form.is_valid(raise_exception=True)
        uploads = s.parse_uploads(request.FILES, case.item_version) if self.spec.takes_files else []
        self.spec.perform(case, request.user, form.validated_data, uploads)
        return Response(_detail(request, _case_or_404(request, number)))


def action_view(spec: ActionSpec) -> type[CaseActionView]:
    body: Any = spec.input
    parsers: list[Any] = [JSONParser]
    if spec.takes_files:
        parsers = [JSONParser, MultiPartParser]
        ref = spec.input.__name__.removesuffix("Serializer")
        body = {
            "application/json": spec.input,
            "multipart/form-data": {
                "allOf": [{"$ref": f"#/components/schemas/{ref}Request"}, _FILE_FIELDS_SCHEMA]
            },
        }

    @extend_schema(
        operation_id=f"cases_{spec.name.replace('-', '_')}",
        summary=spec.summary,
        description=spec.description,
        request=body,
        responses={200: s.CaseDetailSerializer, **problems(400, 401, 403, 404, 409)},
        tags=["case actions"],
    )
    def post(self: CaseActionView, request: Request, number: str) -> Response:
        return CaseActionView.post(self, request, number)

    name = "".join(part.title() for part in spec.name.split("-"))
    attrs = {"spec": spec, "parser_classes": parsers, "post": post, "__doc__": str(spec.summary)}
    return type(f"Case{name}View", (CaseActionView,), attrs)


class UnknownActionView(ApiView):
    @extend_schema(exclude=True)
    def post(self, request: Request, number: str, action: str) -> Response:
        _case_or_404(request, number)
        raise NotFound(
            gettext("There is no action “%(action)s”; the actions are: %(actions)s.")
            % {"action": action, "actions": ", ".join(ACTIONS)}
        )


# --------------------------------------------------------------------------- items


class ItemListView(ApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="items_list",
        summary=_("List items in force"),
        description=_("The versions of items in force today, by region and item code."),
        parameters=[s.ItemListQuerySerializer],
        responses={200: s.ItemSummarySerializer(many=True), **problems(400, 401, 404)},
        tags=["items"],
    )
    def get(self, request: Request) -> Response:
        query = s.ItemListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        region = None
        if params.get("region"):
            region = Region.objects.filter(code=params["region"]).first()
            if region is None:
                raise serializers.ValidationError({"region": [gettext("No region with this code.")]})
        department = None
        if params.get("department") is not None:
            department = Department.objects.filter(pk=params["department"]).first()
            if department is None:
                raise serializers.ValidationError({"department": [gettext("No department with this id.")]})
        versions = catalog.items_in_force(
            on=timezone.localdate(),
            region=region,
            department=department,
            item_types=[params["item_type"]] if params.get("item_type") else None,
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(versions, request, view=self)
        return paginator.get_paginated_response(s.ItemSummarySerializer(page, many=True).data)


class ItemDetailView(ApiView):
    @extend_schema(
        operation_id="items_retrieve",
        summary=_("An item in force"),
        description=_("The version in force today, with its materials (their ids name upload fields)."),
        responses={200: s.ItemDetailSerializer, **problems(401, 404)},
        tags=["items"],
    )
    def get(self, request: Request, code: str) -> Response:
        version = catalog.item_guide(code=code, on=timezone.localdate())
        if version is None:
            raise NotFound(gettext("No item %(code)s is in force today.") % {"code": code})
        return Response(s.ItemDetailSerializer(version).data)


# --------------------------------------------------------------------------- auth


class TokenView(ObtainAuthToken):
    """A token for a username and password (each failure counts towards the lockout)."""

    schema = ApiSchema()
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="auth_token",
        summary=_("Obtain a token"),
        description=_("Send it as “Authorization: Token <key>” on every request."),
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            **problems(400, 403),
        },
        tags=["auth"],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except serializers.ValidationError:
            # django-axes marks the request it refused because the account is locked.
            if getattr(request, "axes_locked_out", False):
                raise AccountLocked() from None
            raise


# --------------------------------------------------------------------------- fallback


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([AllowAny])
def not_found(request: Request, *args: Any, **kwargs: Any) -> Response:
    """Any other path under /api/: a problem+json 404 rather than the site's HTML page."""
    raise NotFound(gettext("There is no such API endpoint."))
