"""Writes to the organisation: regions, departments, service centers and windows, staff,
role grants. Views, the admin, the API, commands and the demo seeder all go through these
functions; none writes the org models directly.

Every function takes the acting user as ``actor`` (keyword-only, always passed): a user
acts only inside the scope of their administrator roles; ``None`` is the system itself
(management commands, the demo seeder) and is not scope-checked. Bad input raises
``django.core.exceptions.ValidationError`` keyed by field, each message carrying a stable
code (``OrgError``, the identifier codes of ``yiwang.core.identifiers`` or Django's own),
and nothing is written.

The ``*_validate`` functions run every check of the matching write without writing; the
admin forms call them so a page shows the same errors the service would raise.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any, Final

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from yiwang.core.identifiers import normalize_uscc
from yiwang.org.models import (
    Department,
    OrgError,
    Region,
    RegionLevel,
    Role,
    RoleAssignment,
    ServiceCenter,
    Staff,
    Window,
)
from yiwang.org.permissions import Grant, can_view, forget_scope, scope_of

__all__ = [
    "ORG_ADMIN_ROLES",
    "STRUCTURE_ROLES",
    "UNSET",
    "OrgError",
    "account_validate",
    "department_create",
    "department_update",
    "department_validate",
    "region_create",
    "region_update",
    "region_validate",
    "role_grant",
    "role_revoke",
    "role_revoke_validate",
    "role_validate",
    "service_center_create",
    "service_center_update",
    "service_center_validate",
    "staff_create",
    "staff_deactivate",
    "staff_reactivate",
    "staff_update",
    "staff_validate",
    "window_create",
    "window_delete",
    "window_update",
    "window_validate",
]

Actor = AbstractBaseUser | AnonymousUser | None

# Who maintains departments, centers, windows and staff inside their scope (seed 001:
# 系统管理员 and 维护员 of each unit).
ORG_ADMIN_ROLES: Final[tuple[Role, ...]] = (Role.SYSTEM_ADMIN, Role.MAINTAINER)
# Who changes the structure itself: the region tree and who holds which role.
STRUCTURE_ROLES: Final[tuple[Role, ...]] = (Role.SYSTEM_ADMIN,)


class _Unset(Enum):
    UNSET = "unset"


UNSET: Final = _Unset.UNSET
"""Default of the optional arguments of the ``*_update`` functions: leave the field as it is."""


class _Errors:
    """Collects field errors so one call reports every problem at once."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message: str, code: str, params: dict[str, Any] | None = None) -> None:
        self.by_field.setdefault(field, []).append(ValidationError(message, code=code, params=params))

    def merge(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.by_field.setdefault(field, []).extend(errors)
        else:
            self.by_field.setdefault(NON_FIELD_ERRORS, []).extend(error.error_list)

    def has(self, field: str) -> bool:
        return field in self.by_field

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)  # type: ignore[arg-type]


def _clean(obj: Model, errors: _Errors, exclude: Iterable[str] = ()) -> None:
    """Field validators and ``Model.clean``; uniqueness is checked by the caller with
    specific codes (and by the database as the last word)."""
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as e:
        errors.merge(e)


def _grants(actor: Actor, roles: Iterable[Role]) -> list[Grant] | None:
    """The actor's grants in ``roles``; ``None`` when the actor is unrestricted."""
    if actor is None:
        return None
    scope = scope_of(actor)
    if scope.is_superuser:
        return None
    return scope.grants_for(roles)


def _covers(
    actor: Actor,
    roles: Iterable[Role],
    *,
    region_path: str | None,
    department_id: int | None,
    region_bound: bool = False,
) -> bool:
    """Does the actor hold one of ``roles`` over this placement? With ``region_bound`` the
    covering grant must itself name a region (to move something between regions)."""
    grants = _grants(actor, roles)
    if grants is None:
        return True
    return any(
        g.covers(region_path, department_id) and (g.region_path is not None or not region_bound)
        for g in grants
    )


def _outside_scope(errors: _Errors, field: str, place: str) -> None:
    errors.add(
        field,
        _("%(place)s lies outside the scope you administer."),
        OrgError.OUTSIDE_SCOPE,
        {"place": place},
    )


def _save(obj: Model, field: str, message: str, code: str, **kwargs: Any) -> None:
    """Save; a unique violation that slipped past validation (a concurrent write) becomes
    the same error validation would have raised."""
    try:
        with transaction.atomic():
            obj.save(**kwargs)
    except IntegrityError:
        raise ValidationError({field: ValidationError(message, code=code)}) from None


def _apply(obj: Model, changes: dict[str, Any]) -> list[str]:
    changed = []
    for name, value in changes.items():
        if value is UNSET:
            continue
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def _require_current(actor: Actor, roles: Iterable[Role], obj: Model, field: str, place: str) -> None:
    """The actor must already be able to act on the row as it is stored."""
    if actor is None or scope_of(actor).is_superuser:
        return
    if not can_view(actor, obj, roles=tuple(roles)):
        errors = _Errors()
        _outside_scope(errors, field, place)
        errors.raise_if_any()


# Regions ------------------------------------------------------------------------------


def region_validate(*, actor: Actor, region: Region) -> None:
    """Every check of ``region_create`` / ``region_update`` for an unsaved region."""
    errors = _Errors()
    if isinstance(region.code, str):
        region.code = region.code.strip()
    if isinstance(region.name, str):
        region.name = region.name.strip()
    _clean(region, errors)
    if not errors.has("code") and Region.objects.filter(code=region.code).exclude(pk=region.pk).exists():
        errors.add(
            "code",
            _("A region with the code %(code)s already exists."),
            OrgError.REGION_CODE_EXISTS,
            {"code": region.code},
        )
    if (
        not errors.has("code")
        and not errors.has("parent")
        and region.path
        and not _covers(actor, STRUCTURE_ROLES, region_path=region.path, department_id=None)
    ):
        place = region.parent.name if region.parent_id else region.code  # type: ignore[union-attr]
        _outside_scope(errors, "parent" if region.parent_id else "code", place)
    errors.raise_if_any()


@transaction.atomic
def region_create(
    *, actor: Actor, code: str, name: str, level: RegionLevel | int, parent: Region | None = None
) -> Region:
    region = Region(code=code, name=name, level=level, parent=parent)
    region_validate(actor=actor, region=region)
    _save(
        region,
        "code",
        _("A region with the code %(code)s already exists.") % {"code": region.code},
        OrgError.REGION_CODE_EXISTS,
    )
    return region


@transaction.atomic
def region_update(*, actor: Actor, region: Region, name: str) -> Region:
    """Rename a region. Code, level and parent are its identity and its subtree's paths:
    a wrong code is corrected by creating the right region, not by editing this one."""
    current = Region.objects.select_for_update(of=("self",)).get(pk=region.pk)
    _require_current(actor, STRUCTURE_ROLES, current, "name", current.name)
    current.name = name
    region_validate(actor=actor, region=current)
    current.save(update_fields=["name"])
    region.name = current.name
    return current


# Departments --------------------------------------------------------------------------


def department_validate(*, actor: Actor, department: Department) -> None:
    """Every check of ``department_create`` / ``department_update`` for an unsaved state."""
    errors = _Errors()
    if isinstance(department.uscc, str):
        department.uscc = normalize_uscc(department.uscc)
    if isinstance(department.name, str):
        department.name = department.name.strip()
    _clean(department, errors)
    others = Department.objects.exclude(pk=department.pk)
    if not errors.has("uscc") and others.filter(uscc=department.uscc).exists():
        errors.add(
            "uscc",
            _("Another department already has the unified social credit code %(uscc)s."),
            OrgError.USCC_EXISTS,
            {"uscc": department.uscc},
        )
    region = getattr(department, "region", None)
    if region is None:
        errors.raise_if_any()
        return
    if not errors.has("name") and others.filter(region=region, name=department.name).exists():
        errors.add(
            "name",
            _("%(region)s already has a department named %(name)s."),
            OrgError.NAME_EXISTS,
            {"region": region.name, "name": department.name},
        )
    if (
        department.is_supervision_room
        and department.is_active
        and others.filter(region=region, is_supervision_room=True, is_active=True).exists()
    ):
        errors.add(
            "is_supervision_room",
            _("%(region)s already has an electronic supervision room."),
            OrgError.SUPERVISION_ROOM_EXISTS,
            {"region": region.name},
        )
    stored = (
        Department.objects.filter(pk=department.pk).values("region_id", "parent_id").first()
        if department.pk
        else None
    )
    moved = stored is not None and stored["region_id"] != department.region_id
    reparented = stored is None or stored["parent_id"] != department.parent_id
    if moved and not errors.has("region"):
        outside = (
            department.children.exclude(region__path__startswith=region.path)
            .values_list("name", flat=True)
            .first()
        )
        if outside is not None:
            errors.add(
                "region",
                _("The sub-department %(name)s lies outside %(region)s; move it first."),
                OrgError.CHILD_REGION,
                {"name": outside, "region": region.name},
            )
    if not errors.has("region") and not errors.has("parent"):
        # Under a department grant, a department placed under a new parent is in scope when
        # the parent is (it becomes one of the parent's sub-departments); moving it to
        # another region needs a grant that names that region.
        department_id = department.parent_id if reparented else department.pk
        if not _covers(
            actor, ORG_ADMIN_ROLES, region_path=region.path, department_id=department_id, region_bound=moved
        ):
            region_reachable = any(
                g.region_path is None or region.path.startswith(g.region_path)
                for g in _grants(actor, ORG_ADMIN_ROLES) or []
            )
            if region_reachable and not moved:
                parent = getattr(department, "parent", None)
                _outside_scope(errors, "parent", parent.name if parent else region.name)
            else:
                _outside_scope(errors, "region", region.name)
    errors.raise_if_any()


@transaction.atomic
def department_create(
    *,
    actor: Actor,
    name: str,
    uscc: str,
    region: Region,
    short_name: str = "",
    parent: Department | None = None,
    is_supervision_room: bool = False,
    phone: str = "",
    address: str = "",
) -> Department:
    department = Department(
        name=name,
        uscc=uscc,
        region=region,
        short_name=short_name.strip(),
        parent=parent,
        is_supervision_room=is_supervision_room,
        phone=phone.strip(),
        address=address.strip(),
    )
    department_validate(actor=actor, department=department)
    _save(
        department,
        "uscc",
        _("Another department already has the unified social credit code %(uscc)s.")
        % {"uscc": department.uscc},
        OrgError.USCC_EXISTS,
    )
    return department


@transaction.atomic
def department_update(
    *,
    actor: Actor,
    department: Department,
    name: str | _Unset = UNSET,
    short_name: str | _Unset = UNSET,
    uscc: str | _Unset = UNSET,
    region: Region | _Unset = UNSET,
    parent: Department | _Unset | None = UNSET,
    is_supervision_room: bool | _Unset = UNSET,
    phone: str | _Unset = UNSET,
    address: str | _Unset = UNSET,
    is_active: bool | _Unset = UNSET,
) -> Department:
    """Change the given fields of a department (the others stay as stored)."""
    current = (
        Department.objects.select_for_update(of=("self",)).select_related("region").get(pk=department.pk)
    )
    _require_current(actor, ORG_ADMIN_ROLES, current, "name", current.name)
    changed = _apply(
        current,
        {
            "name": name,
            "short_name": short_name,
            "uscc": uscc,
            "region": region,
            "parent": parent,
            "is_supervision_room": is_supervision_room,
            "phone": phone,
            "address": address,
            "is_active": is_active,
        },
    )
    department_validate(actor=actor, department=current)
    if changed:
        _save(
            current,
            "uscc",
            _("Another department already has the unified social credit code %(uscc)s.")
            % {"uscc": current.uscc},
            OrgError.USCC_EXISTS,
        )
    return current


# Service centers and windows ------------------------------------------------------------


def service_center_validate(*, actor: Actor, center: ServiceCenter) -> None:
    errors = _Errors()
    if isinstance(center.name, str):
        center.name = center.name.strip()
    _clean(center, errors)
    region = getattr(center, "region", None)
    if region is not None:
        if (
            not errors.has("name")
            and ServiceCenter.objects.filter(region=region, name=center.name).exclude(pk=center.pk).exists()
        ):
            errors.add(
                "name",
                _("%(region)s already has a service center named %(name)s."),
                OrgError.NAME_EXISTS,
                {"region": region.name, "name": center.name},
            )
        if not errors.has("region") and not _covers(
            actor, ORG_ADMIN_ROLES, region_path=region.path, department_id=None
        ):
            _outside_scope(errors, "region", region.name)
    errors.raise_if_any()


@transaction.atomic
def service_center_create(
    *, actor: Actor, region: Region, name: str, address: str, phone: str = "", opening_hours: str = ""
) -> ServiceCenter:
    center = ServiceCenter(
        region=region,
        name=name,
        address=address.strip(),
        phone=phone.strip(),
        opening_hours=opening_hours.strip(),
    )
    service_center_validate(actor=actor, center=center)
    center.save()
    return center


@transaction.atomic
def service_center_update(
    *,
    actor: Actor,
    center: ServiceCenter,
    name: str | _Unset = UNSET,
    address: str | _Unset = UNSET,
    phone: str | _Unset = UNSET,
    opening_hours: str | _Unset = UNSET,
) -> ServiceCenter:
    """Change a center's particulars; its region is fixed (its windows serve that region)."""
    current = ServiceCenter.objects.select_for_update(of=("self",)).select_related("region").get(pk=center.pk)
    _require_current(actor, ORG_ADMIN_ROLES, current, "name", current.name)
    changed = _apply(
        current, {"name": name, "address": address, "phone": phone, "opening_hours": opening_hours}
    )
    service_center_validate(actor=actor, center=current)
    if changed:
        current.save(update_fields=changed)
    return current


def window_validate(*, actor: Actor, window: Window, departments: Iterable[Department] | None = None) -> None:
    """Checks of a window; ``departments`` are the departments it is to serve (None: the
    stored ones are kept and not re-checked)."""
    errors = _Errors()
    if isinstance(window.number, str):
        window.number = window.number.strip()
    _clean(window, errors)
    center = getattr(window, "center", None)
    if center is None:
        errors.raise_if_any()
        return
    if (
        center.pk is not None
        and not errors.has("number")
        and Window.objects.filter(center=center, number=window.number).exclude(pk=window.pk).exists()
    ):
        errors.add(
            "number",
            _("%(center)s already has a window numbered %(number)s."),
            OrgError.NUMBER_EXISTS,
            {"center": center.name, "number": window.number},
        )
    region = center.region
    for department in departments or ():
        dept_region = department.region
        if not (region.contains(dept_region) or dept_region.contains(region)):
            errors.add(
                "departments",
                _("%(department)s works in %(dept_region)s and cannot be served at %(center)s."),
                OrgError.DEPARTMENT_OUTSIDE_CENTER,
                {"department": department.name, "dept_region": dept_region.name, "center": center.name},
            )
        elif not department.is_active:
            errors.add(
                "departments",
                _("%(department)s is no longer active."),
                OrgError.DEPARTMENT_INACTIVE,
                {"department": department.name},
            )
    if not _covers(actor, ORG_ADMIN_ROLES, region_path=region.path, department_id=None):
        _outside_scope(errors, "center", center.name)
    errors.raise_if_any()


@transaction.atomic
def window_create(
    *,
    actor: Actor,
    center: ServiceCenter,
    number: str,
    name: str,
    departments: Iterable[Department] = (),
) -> Window:
    departments = list(departments)
    window = Window(center=center, number=number, name=name.strip())
    window_validate(actor=actor, window=window, departments=departments)
    _save(
        window,
        "number",
        _("%(center)s already has a window numbered %(number)s.")
        % {"center": center.name, "number": window.number},
        OrgError.NUMBER_EXISTS,
    )
    window.departments.set(departments)
    return window


@transaction.atomic
def window_update(
    *,
    actor: Actor,
    window: Window,
    number: str | _Unset = UNSET,
    name: str | _Unset = UNSET,
    departments: Iterable[Department] | _Unset = UNSET,
    is_active: bool | _Unset = UNSET,
) -> Window:
    current = (
        Window.objects.select_for_update(of=("self",)).select_related("center__region").get(pk=window.pk)
    )
    _require_current(actor, ORG_ADMIN_ROLES, current, "number", str(current))
    changed = _apply(current, {"number": number, "name": name, "is_active": is_active})
    new_departments = None if departments is UNSET else list(departments)
    window_validate(actor=actor, window=current, departments=new_departments)
    if changed:
        _save(
            current,
            "number",
            _("%(center)s already has a window numbered %(number)s.")
            % {"center": current.center.name, "number": current.number},
            OrgError.NUMBER_EXISTS,
            update_fields=changed,
        )
    if new_departments is not None:
        current.departments.set(new_departments)
    return current


@transaction.atomic
def window_delete(*, actor: Actor, window: Window) -> None:
    current = (
        Window.objects.select_for_update(of=("self",)).select_related("center__region").get(pk=window.pk)
    )
    _require_current(actor, ORG_ADMIN_ROLES, current, "number", str(current))
    current.delete()


# Staff --------------------------------------------------------------------------------


def account_validate(*, username: str, password: str, email: str = "", name: str = "") -> None:
    """The login account of a new staff member: a free, well-formed user name and a
    password that passes the project's password validators (AUTH_PASSWORD_VALIDATORS)."""
    user_model = get_user_model()
    errors = _Errors()
    username = (username or "").strip()
    user = user_model(username=username, email=email.strip(), first_name=name.strip()[:150])
    try:
        user.clean_fields(exclude=["password"])
    except ValidationError as e:
        errors.merge(e)
    if not errors.has("username") and user_model._default_manager.filter(username__iexact=username).exists():
        errors.add(
            "username",
            _("The user name %(username)s is already taken."),
            OrgError.USERNAME_EXISTS,
            {"username": username},
        )
    try:
        validate_password(password, user=user)
    except ValidationError as e:
        errors.by_field.setdefault("password", []).extend(e.error_list)
    errors.raise_if_any()


def staff_validate(*, actor: Actor, staff: Staff) -> None:
    """Checks of a staff member's particulars and placement (not of the login account)."""
    errors = _Errors()
    if isinstance(staff.name, str):
        staff.name = staff.name.strip()
    _clean(staff, errors, exclude=["user"] if staff.user_id is None else ())
    department = getattr(staff, "department", None)
    if department is not None and not errors.has("department"):
        stored = Staff.objects.filter(pk=staff.pk).values("department_id").first() if staff.pk else None
        moved = stored is None or stored["department_id"] != staff.department_id
        if moved and not department.is_active:
            errors.add(
                "department",
                _("%(department)s is no longer active."),
                OrgError.DEPARTMENT_INACTIVE,
                {"department": department.name},
            )
        if not _covers(
            actor, ORG_ADMIN_ROLES, region_path=department.region.path, department_id=department.pk
        ):
            _outside_scope(errors, "department", department.name)
    errors.raise_if_any()


@transaction.atomic
def staff_create(
    *,
    actor: Actor,
    username: str,
    password: str,
    name: str,
    department: Department,
    employee_number: str = "",
    mobile: str = "",
    email: str = "",
) -> Staff:
    """Create the login account (may sign in to the back office) and its staff record.
    Roles are granted separately (``role_grant``): a new account sees nothing."""
    staff = Staff(name=name, department=department, employee_number=employee_number.strip(), mobile=mobile)
    errors = _Errors()
    for check in (
        lambda: account_validate(username=username, password=password, email=email, name=name),
        lambda: staff_validate(actor=actor, staff=staff),
    ):
        try:
            check()
        except ValidationError as e:
            errors.merge(e)
    errors.raise_if_any()
    user_model = get_user_model()
    user = user_model(
        username=username.strip(), email=email.strip(), first_name=staff.name[:150], is_staff=True
    )
    user.set_password(password)
    _save(
        user,
        "username",
        _("The user name %(username)s is already taken.") % {"username": username.strip()},
        OrgError.USERNAME_EXISTS,
    )
    staff.user = user
    staff.save()
    return staff


@transaction.atomic
def staff_update(
    *,
    actor: Actor,
    staff: Staff,
    name: str | _Unset = UNSET,
    employee_number: str | _Unset = UNSET,
    mobile: str | _Unset = UNSET,
    department: Department | _Unset = UNSET,
) -> Staff:
    """Change a staff member's particulars or move them to another department; both the
    old and the new department must be inside the actor's scope. Role grants stay."""
    current = (
        Staff.objects.select_for_update(of=("self",)).select_related("department__region").get(pk=staff.pk)
    )
    _require_current(actor, ORG_ADMIN_ROLES, current, "department", current.name)
    changed = _apply(
        current,
        {"name": name, "employee_number": employee_number, "mobile": mobile, "department": department},
    )
    staff_validate(actor=actor, staff=current)
    if changed:
        current.save(update_fields=changed)
    return current


def _set_active(actor: Actor, staff: Staff, active: bool) -> Staff:
    current = (
        Staff.objects.select_for_update(of=("self",))
        .select_related("user", "department__region")
        .get(pk=staff.pk)
    )
    _require_current(actor, ORG_ADMIN_ROLES, current, "is_active", current.name)
    if current.is_active == active:
        if active:
            message, code = _("%(name)s is already active."), OrgError.STAFF_ACTIVE
        else:
            message, code = _("%(name)s is already deactivated."), OrgError.STAFF_INACTIVE
        raise ValidationError(
            {"is_active": ValidationError(message, code=code, params={"name": current.name})}
        )
    if not active and actor is not None and getattr(actor, "pk", None) == current.user_id:
        raise ValidationError(
            {
                "is_active": ValidationError(
                    _("You cannot deactivate your own account."), code=OrgError.SELF_DEACTIVATION
                )
            }
        )
    current.is_active = active
    current.save(update_fields=["is_active"])
    current.user.is_active = active
    current.user.save(update_fields=["is_active"])
    forget_scope(current.user)
    staff.is_active = active
    return current


@transaction.atomic
def staff_deactivate(*, actor: Actor, staff: Staff) -> Staff:
    """A staff member leaves: the account can no longer sign in and their roles stop
    applying at once. Their records and role history stay for the ledger and audits."""
    return _set_active(actor, staff, False)


@transaction.atomic
def staff_reactivate(*, actor: Actor, staff: Staff) -> Staff:
    return _set_active(actor, staff, True)


# Roles --------------------------------------------------------------------------------


def _grant_within(grant: Grant, *, region: Region | None, department: Department | None) -> bool:
    """Is the scope (region, department) inside ``grant``? A department-only scope lies
    where its department works."""
    if grant.region_path is not None:
        path = region.path if region is not None else department.region.path  # type: ignore[union-attr]
        if not path.startswith(grant.region_path):
            return False
    return not (
        grant.department_ids is not None and (department is None or department.pk not in grant.department_ids)
    )


def _check_granter(
    actor: Actor, errors: _Errors, *, staff: Staff, region: Region | None, department: Department | None
) -> None:
    grants = _grants(actor, STRUCTURE_ROLES)
    if grants is None:
        return
    if not any(g.covers(staff.department.region.path, staff.department_id) for g in grants):
        _outside_scope(errors, "staff", staff.name)
        return
    if not any(_grant_within(g, region=region, department=department) for g in grants):
        place = region.name if region is not None else department.name  # type: ignore[union-attr]
        errors.add(
            "region" if region is not None else "department",
            _(
                "You can only grant or revoke roles within your own scope; %(place)s lies outside the scope you administer."
            ),
            OrgError.GRANT_OUTSIDE_SCOPE,
            {"place": place},
        )


def role_validate(*, actor: Actor, assignment: RoleAssignment) -> None:
    """Every check of ``role_grant`` for an unsaved assignment."""
    errors = _Errors()
    _clean(assignment, errors)
    staff = getattr(assignment, "staff", None)
    if errors or staff is None:
        errors.raise_if_any()
        return
    if not staff.is_active:
        errors.add(
            "staff",
            _("%(name)s is deactivated and cannot be given roles."),
            OrgError.STAFF_INACTIVE,
            {"name": staff.name},
        )
    region = assignment.region if assignment.region_id else None
    department = assignment.department if assignment.department_id else None
    if (
        RoleAssignment.objects.filter(staff=staff, role=assignment.role, region=region, department=department)
        .exclude(pk=assignment.pk)
        .exists()
    ):
        errors.add(
            "role",
            _("%(name)s already holds this role in this scope."),
            OrgError.ROLE_EXISTS,
            {"name": staff.name},
        )
    _check_granter(actor, errors, staff=staff, region=region, department=department)
    errors.raise_if_any()


@transaction.atomic
def role_grant(
    *,
    actor: Actor,
    staff: Staff,
    role: Role,
    region: Region | None = None,
    department: Department | None = None,
) -> RoleAssignment:
    """Give ``staff`` a role over a region subtree, a department (with its sub-departments)
    or that department's work inside the region. Unless a superuser (or the system), the
    actor must be a system administrator whose own scope contains both the staff member
    and the whole scope granted: a county's administrator cannot grant a role over the
    neighbouring county, nor over the city above."""
    # Serialise grants per staff member: the duplicate check cannot rely on the unique
    # constraint, whose NULL scopes never compare equal.
    Staff.objects.select_for_update(of=("self",)).filter(pk=staff.pk).first()
    assignment = RoleAssignment(staff=staff, role=role, region=region, department=department)
    role_validate(actor=actor, assignment=assignment)
    assignment.save()
    forget_scope(staff.user)
    return assignment


def role_revoke_validate(*, actor: Actor, assignment: RoleAssignment) -> None:
    """Every check of ``role_revoke``: the actor needs the same standing as for granting
    the role, and a system administrator cannot withdraw their own administrator role
    (the level above does that)."""
    errors = _Errors()
    _check_granter(
        actor, errors, staff=assignment.staff, region=assignment.region, department=assignment.department
    )
    if (
        not errors
        and actor is not None
        and not scope_of(actor).is_superuser
        and assignment.role == Role.SYSTEM_ADMIN
        and getattr(actor, "pk", None) == assignment.staff.user_id
    ):
        errors.add("role", _("You cannot withdraw your own administrator role."), OrgError.SELF_REVOKE)
    errors.raise_if_any()


@transaction.atomic
def role_revoke(*, actor: Actor, assignment: RoleAssignment) -> None:
    current = (
        RoleAssignment.objects.select_for_update(of=("self",))
        .select_related("staff__department__region", "region", "department__region")
        .get(pk=assignment.pk)
    )
    role_revoke_validate(actor=actor, assignment=current)
    user = current.staff.user
    current.delete()
    forget_scope(user)
