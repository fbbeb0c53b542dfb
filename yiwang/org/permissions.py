"""The one place that answers "may this user see / act on this object".

Every view, API endpoint, admin page and export asks here. A staff member's scope is the
union of their role assignments; each assignment covers a region subtree, a department
(with its sub-departments), or that department's work inside the subtree. Models opt in
by naming the fields that place a row: ``scope_region_field`` (a path to a Region, or
``"self"`` on Region itself) and ``scope_department_field`` (a path to a Department,
``"pk"`` on Department itself, or ``None`` when rows belong to no department). A county's
staff therefore never see a neighbouring county's rows.

A region subtree is one indexed prefix filter on ``Region.path``; department grants are
expanded to the department's sub-departments once per request.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model, Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from yiwang.org.models import Department, Region, Role, RoleAssignment

M = TypeVar("M", bound=Model)
User = AbstractBaseUser | AnonymousUser

_CACHE_ATTR = "_yiwang_scope"
SELF = "self"
"""``scope_region_field`` value of a model whose rows are regions themselves."""


@dataclass(frozen=True)
class Grant:
    """One role assignment, resolved: the region path prefix and department ids it covers."""

    role: Role
    region_path: str | None
    department_ids: frozenset[int] | None

    def covers(self, region_path: str | None, department_id: int | None) -> bool:
        if self.region_path is not None and not (region_path or "").startswith(self.region_path):
            return False
        return not (self.department_ids is not None and department_id not in self.department_ids)


@dataclass(frozen=True)
class Scope:
    is_superuser: bool = False
    grants: tuple[Grant, ...] = field(default_factory=tuple)

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(g.role for g in self.grants)

    def has_role(self, *roles: Role) -> bool:
        return self.is_superuser or any(g.role in roles for g in self.grants)

    def grants_for(self, roles: Iterable[Role] | None) -> list[Grant]:
        if roles is None:
            return list(self.grants)
        wanted = set(roles)
        return [g for g in self.grants if g.role in wanted]


def _descendant_ids(root_ids: set[int]) -> frozenset[int]:
    """Department ids under the given roots (the tree is shallow: a few queries at most)."""
    found = set(root_ids)
    frontier = set(root_ids)
    while frontier:
        frontier = set(Department.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        found |= frontier
    return frozenset(found)


def scope_of(user: User | None) -> Scope:
    """The user's scope, computed once per user object (i.e. once per request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if getattr(user, "is_superuser", False):
        scope = Scope(is_superuser=True)
    else:
        rows = list(
            RoleAssignment.objects.filter(staff__user_id=user.pk, staff__is_active=True).select_related(
                "region"
            )
        )
        grants = []
        for row in rows:
            depts = _descendant_ids({row.department_id}) if row.department_id else None
            grants.append(Grant(Role(row.role), row.region.path if row.region else None, depts))
        scope = Scope(grants=tuple(grants))
    setattr(user, _CACHE_ATTR, scope)
    return scope


def _scope_fields(model: type[Model]) -> tuple[str | None, str | None]:
    region_field = getattr(model, "scope_region_field", None)
    department_field = getattr(model, "scope_department_field", None)
    if region_field is None and department_field is None:
        raise TypeError(f"{model.__name__} declares no scope fields; it cannot be scoped")
    return region_field, department_field


def _region_lookup(region_field: str) -> str:
    return "path__startswith" if region_field == SELF else f"{region_field}__path__startswith"


def _grant_q(grant: Grant, region_field: str | None, department_field: str | None) -> Q | None:
    q = Q()
    if grant.region_path is not None:
        if region_field is None:
            return None
        q &= Q(**{_region_lookup(region_field): grant.region_path})
    if grant.department_ids is not None:
        if department_field is None:
            return None
        q &= Q(**{f"{department_field}__in": grant.department_ids})
    return q


def visible(user: User | None, queryset: QuerySet[M], roles: Iterable[Role] | None = None) -> QuerySet[M]:
    """Restrict ``queryset`` to the rows the user may see (optionally through given roles only)."""
    scope = scope_of(user)
    if scope.is_superuser:
        return queryset
    region_field, department_field = _scope_fields(queryset.model)
    qs = [
        q for g in scope.grants_for(roles) if (q := _grant_q(g, region_field, department_field)) is not None
    ]
    if not qs:
        return queryset.none()
    queryset = queryset.filter(reduce(or_, qs))
    if len(qs) > 1 and _crosses_many(queryset.model, (region_field, department_field)):
        # Only a path through a to-many relation can repeat a row; DISTINCT on a large
        # table is a sort of the whole result, so it is not added otherwise.
        queryset = queryset.distinct()
    return queryset


def _crosses_many(model: type[Model], paths: Iterable[str | None]) -> bool:
    for path in paths:
        if path is None or path in (SELF, "pk"):
            continue
        current: Any = model
        for part in path.split("__"):
            field_ = current._meta.get_field(part)
            if field_.many_to_many or field_.one_to_many:
                return True
            if field_.related_model is None:
                break
            current = field_.related_model
    return False


# Region paths by id: a scope check needs only the path, and a case's region row would
# otherwise be fetched on every action. Cleared whenever a region is saved or deleted in
# this process, and every few minutes for changes made by another one.
_REGION_PATHS: dict[int, str] = {}
_REGION_PATHS_TTL = 300.0
_region_paths_since = [time.monotonic()]


@receiver([post_save, post_delete], sender=Region)
def _region_changed(**kwargs: Any) -> None:
    _REGION_PATHS.clear()


def _region_path_of(obj: Any, field: str) -> str | None:
    """The path of the region ``obj.<field>`` without loading the region when the field is
    a plain foreign key whose row is not at hand."""
    if "__" not in field and field not in obj._state.fields_cache:
        region_id = getattr(obj, f"{field}_id", None)
        if region_id is None:
            return None
        if time.monotonic() - _region_paths_since[0] > _REGION_PATHS_TTL:
            _REGION_PATHS.clear()
            _region_paths_since[0] = time.monotonic()
        path = _REGION_PATHS.get(region_id)
        if path is None:
            path = Region.objects.filter(pk=region_id).values_list("path", flat=True).first()
            if path is not None:
                _REGION_PATHS[region_id] = path
        return path
    region: Any = _follow(obj, field)
    return region.path if region is not None else None


def _placement(obj: Model) -> tuple[str | None, int | None]:
    region_field, department_field = _scope_fields(type(obj))
    region_path = None
    if region_field is not None:
        own = region_field == SELF
        region_path = obj.path if own else _region_path_of(obj, region_field)  # type: ignore[attr-defined]
    department_id = None
    if department_field is not None:
        if "__" not in department_field and hasattr(obj, f"{department_field}_id"):
            department_id = getattr(obj, f"{department_field}_id")  # no need to load the row
        else:
            dept = _follow(obj, department_field)
            department_id = dept if isinstance(dept, int) else getattr(dept, "pk", None)
    return region_path, department_id


def _follow(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, part)
    return obj


def forget_scope(user: User | None) -> None:
    """Drop the scope cached on a user object (after its roles changed in this request)."""
    if user is not None and hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def can_view(user: User | None, obj: Model, roles: Iterable[Role] | None = None) -> bool:
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    region_path, department_id = _placement(obj)
    return any(g.covers(region_path, department_id) for g in scope.grants_for(roles))


def can_act(user: User | None, obj: Model, role: Role) -> bool:
    """May the user act on ``obj`` in the given role (e.g. approve as APPROVER)?"""
    return can_view(user, obj, roles=(role,))


def staff_of(user: User | None) -> Any:
    """The Staff row of a user, or None for citizens and anonymous visitors."""
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "staff", None)
