"""Reads of the organisation that need more than a one-line query.

Lists that a user browses go through ``yiwang.org.permissions.visible`` here, with the
related rows their pages show already joined, so a list costs the same few queries
however long it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import reduce
from operator import or_

from django.db.models import Prefetch, Q, QuerySet

from yiwang.org.models import (
    PATH_LENGTH,
    Department,
    Region,
    Role,
    RoleAssignment,
    ServiceCenter,
    Staff,
    Window,
)
from yiwang.org.permissions import User, scope_of, visible


def region_subtree(region: Region, *, include_self: bool = True) -> QuerySet[Region]:
    """The region and every region below it, in tree order (one indexed prefix query)."""
    qs = Region.objects.filter(path__startswith=region.path)
    if not include_self:
        qs = qs.exclude(pk=region.pk)
    return qs.order_by("path")


def region_ancestors(region: Region, *, include_self: bool = False) -> QuerySet[Region]:
    """The regions above ``region``, province first. Their paths are prefixes of its path,
    so this is one query however deep the tree."""
    prefixes = {region.path[:n] for n in PATH_LENGTH.values() if n < len(region.path)}
    if include_self:
        prefixes.add(region.path)
    return Region.objects.filter(path__in=prefixes).order_by("path")


def regions_visible(user: User | None, roles: Iterable[Role] | None = None) -> QuerySet[Region]:
    return visible(user, Region.objects.select_related("parent"), roles)


def regions_in_reach(user: User | None, roles: Iterable[Role] | None = None) -> QuerySet[Region]:
    """Regions the user may place a row in: the region subtrees of their grants, and for a
    grant over a department (without a region) that department's region and below, where
    its rows and sub-departments lie. This is what region choices in forms offer."""
    scope = scope_of(user)
    qs = Region.objects.all()
    if scope.is_superuser:
        return qs
    conditions: list[Q] = []
    department_ids: set[int] = set()
    for grant in scope.grants_for(roles):
        if grant.region_path is not None:
            conditions.append(Q(path__startswith=grant.region_path))
        elif grant.department_ids is not None:
            department_ids |= grant.department_ids
    if department_ids:
        paths = set(Department.objects.filter(pk__in=department_ids).values_list("region__path", flat=True))
        conditions.extend(Q(path__startswith=path) for path in paths)
    if not conditions:
        return qs.none()
    return qs.filter(reduce(or_, conditions))


def department_subtree(department: Department) -> QuerySet[Department]:
    """The department and its sub-departments, however deep (one query per level)."""
    found = {department.pk}
    frontier = {department.pk}
    while frontier:
        frontier = set(Department.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        found |= frontier
    return Department.objects.filter(pk__in=found)


def departments_visible(user: User | None, roles: Iterable[Role] | None = None) -> QuerySet[Department]:
    return visible(user, Department.objects.select_related("region", "parent"), roles)


def staff_visible(user: User | None, roles: Iterable[Role] | None = None) -> QuerySet[Staff]:
    return visible(user, Staff.objects.select_related("user", "department__region"), roles)


def service_centers_visible(
    user: User | None, roles: Iterable[Role] | None = None
) -> QuerySet[ServiceCenter]:
    return visible(user, ServiceCenter.objects.select_related("region"), roles)


def windows_visible(user: User | None, roles: Iterable[Role] | None = None) -> QuerySet[Window]:
    return visible(
        user,
        Window.objects.select_related("center__region").prefetch_related(
            Prefetch("departments", queryset=Department.objects.order_by("name"))
        ),
        roles,
    )


def role_assignments_visible(
    user: User | None, roles: Iterable[Role] | None = None
) -> QuerySet[RoleAssignment]:
    """Role assignments held by staff the user can see (placed where their holder works)."""
    return visible(
        user,
        RoleAssignment.objects.select_related("staff__department", "region", "department"),
        roles,
    )


def staff_holding(*, role: Role, region: Region, department: Department | None = None) -> QuerySet[Staff]:
    """Active staff holding ``role`` over a row placed in ``region`` (and ``department``):
    e.g. the supervisors who watch a county's case, or the approvers of a department's
    items there. The grants that cover a placement are those whose region is the region or
    one above it and whose department is the department or one above it."""
    region_q = Q(roles__region__isnull=True) | Q(roles__region__path__in=_prefixes(region.path))
    if department is None:
        department_q = Q(roles__department__isnull=True)
    else:
        department_q = Q(roles__department__isnull=True) | Q(
            roles__department__in=[department.pk, *department.ancestor_ids()]
        )
    return (
        Staff.objects.filter(is_active=True, user__is_active=True)
        .filter(Q(roles__role=role) & region_q & department_q)
        .select_related("department")
        .distinct()
        .order_by("department__name", "name")
    )


def supervision_room_for(region: Region) -> Department | None:
    """The electronic supervision room responsible for ``region``: its own, or else the
    nearest one above it."""
    prefixes = _prefixes(region.path)
    return (
        Department.objects.filter(is_supervision_room=True, is_active=True, region__path__in=prefixes)
        .select_related("region")
        .order_by("-region__level")
        .first()
    )


def _prefixes(path: str) -> list[str]:
    """``path`` and the paths of the regions above it."""
    return [path[:n] for n in PATH_LENGTH.values() if n <= len(path)]
