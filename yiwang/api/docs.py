"""The API docs page: the operations of the generated OpenAPI schema as a plain page,
with no script from anywhere (the machines serving it have no internet)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.generators import SchemaGenerator

from yiwang.api.problems import CODES

_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class FieldDoc:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class BodyDoc:
    media_type: str
    fields: list[FieldDoc]
    note: str = ""


@dataclass(frozen=True)
class OperationDoc:
    method: str
    path: str
    operation_id: str
    summary: str
    description: str
    parameters: list[FieldDoc] = field(default_factory=list)
    bodies: list[BodyDoc] = field(default_factory=list)
    responses: list[tuple[str, str, str]] = field(default_factory=list)  # status, media, schema

    @property
    def anchor(self) -> str:
        return f"op-{self.operation_id}"


@dataclass(frozen=True)
class TagDoc:
    name: str
    operations: list[OperationDoc]

    @property
    def title(self) -> str:
        return str(TAG_TITLES.get(self.name, self.name))


TAG_TITLES = {
    "auth": _("Authentication"),
    "cases": _("Cases"),
    "case actions": _("Actions on a case"),
    "items": _("Service items"),
}


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type_of(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _type_of(schema["allOf"][0])
    if "oneOf" in schema:
        return " | ".join(_type_of(s) for s in schema["oneOf"])
    kind = str(schema.get("type", "object"))
    if kind == "array":
        return f"array<{_type_of(schema.get('items', {}))}>"
    if "format" in schema:
        kind = f"{kind} ({schema['format']})"
    if "enum" in schema:
        kind = f"{kind}: {' | '.join(str(v) for v in schema['enum'] if v not in ('', None))}"
    return kind


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return dict(components.get(_ref_name(schema["$ref"]), {}))
    return schema


def _fields(schema: dict[str, Any], components: dict[str, Any]) -> tuple[list[FieldDoc], str]:
    """The top-level fields of a body schema, and a note for what is not a field list."""
    parts = schema.get("allOf", [schema])
    fields: list[FieldDoc] = []
    notes: list[str] = []
    for part in parts:
        resolved = _resolve(part, components)
        required = set(resolved.get("required", []))
        for name, prop in resolved.get("properties", {}).items():
            if prop.get("readOnly"):
                continue
            fields.append(
                FieldDoc(name, _type_of(prop), name in required, str(prop.get("description", "")).strip())
            )
        if "additionalProperties" in resolved and resolved.get("description"):
            notes.append(str(resolved["description"]))
    return fields, " ".join(notes)


def operations(schema: dict[str, Any]) -> list[TagDoc]:
    components = schema.get("components", {}).get("schemas", {})
    by_tag: dict[str, list[OperationDoc]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [
                FieldDoc(
                    f"{p['name']} ({p['in']})",
                    _type_of(p.get("schema", {})),
                    bool(p.get("required")),
                    str(p.get("description", "")).strip(),
                )
                for p in op.get("parameters", [])
            ]
            bodies = []
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                fields, note = _fields(content.get("schema", {}), components)
                bodies.append(BodyDoc(media, fields, note))
            responses = []
            for code, response in op.get("responses", {}).items():
                for media, content in (response.get("content") or {"": {}}).items():
                    responses.append((code, media, _type_of(content.get("schema", {})) if content else ""))
            doc = OperationDoc(
                method=method.upper(),
                path=path,
                operation_id=op.get("operationId", f"{method}-{path}"),
                summary=str(op.get("summary", "")),
                description=str(op.get("description", "")),
                parameters=params,
                bodies=bodies,
                responses=responses,
            )
            by_tag.setdefault((op.get("tags") or ["api"])[0], []).append(doc)
    return [TagDoc(name, ops) for name, ops in by_tag.items()]


@lru_cache(maxsize=8)
def _schema(language: str) -> dict[str, Any]:
    # The language is part of the key: titles and descriptions are translated.
    return SchemaGenerator().get_schema(request=None, public=True)


def docs(request: HttpRequest) -> HttpResponse:
    schema = _schema(get_language() or "")
    problem_codes = [(code, status, str(title)) for code, (status, title) in CODES.items()]
    return render(
        request,
        "api/docs.html",
        {
            "info": schema.get("info", {}),
            "tags": operations(schema),
            "problem_codes": problem_codes,
            "schema_url": reverse("api:schema"),
        },
    )
