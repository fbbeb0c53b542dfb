"""Organisation: regions, departments, service centers and windows, staff, roles and scopes."""

from __future__ import annotations

import re
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.core.identifiers import (
    is_valid_region_code,
    mask_mobile,
    normalize_uscc,
    validate_region_code,
    validate_uscc,
)

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


class OrgError(StrEnum):
    """Stable machine codes of the organisation app's validation errors (besides the
    identifier codes of ``yiwang.core.identifiers`` and Django's own)."""

    REGION_CODE_LENGTH = "region_code_length"
    REGION_CODE_LEVEL = "region_code_level"
    REGION_CODE_EXISTS = "region_code_exists"
    PARENT_LEVEL = "parent_level"
    PARENT_OUTSIDE = "parent_outside"
    PARENT_REQUIRED = "parent_required"
    PARENT_CYCLE = "parent_cycle"
    PARENT_REGION = "parent_region"
    CHILD_REGION = "child_region"
    USCC_EXISTS = "uscc_exists"
    NAME_EXISTS = "name_exists"
    NUMBER_EXISTS = "number_exists"
    SUPERVISION_ROOM_EXISTS = "supervision_room_exists"
    DEPARTMENT_OUTSIDE_CENTER = "department_outside_center"
    DEPARTMENT_INACTIVE = "department_inactive"
    MOBILE_FORMAT = "mobile_format"
    USERNAME_EXISTS = "username_exists"
    PASSWORD_MISMATCH = "password_mismatch"  # noqa: S105 (an error code)
    STAFF_INACTIVE = "staff_inactive"
    STAFF_ACTIVE = "staff_active"
    SELF_DEACTIVATION = "self_deactivation"
    SCOPE_REQUIRED = "scope_required"
    SCOPE_DISJOINT = "scope_disjoint"
    ROLE_EXISTS = "role_exists"
    SELF_REVOKE = "self_revoke"
    OUTSIDE_SCOPE = "outside_scope"
    GRANT_OUTSIDE_SCOPE = "grant_outside_scope"


class RegionLevel(models.IntegerChoices):
    """Exercise levels (行使层级) of the national standard; 1 (national) is not a region here."""

    PROVINCE = 2, _("province")
    CITY = 3, _("city")
    COUNTY = 4, _("county")
    TOWN = 5, _("town")
    VILLAGE = 6, _("village")


# How many leading digits of the 12-digit code identify a region at each level: the
# region's subtree is every region whose path starts with its path.
PATH_LENGTH = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWN: 9,
    RegionLevel.VILLAGE: 12,
}


def region_path(code: str, level: int) -> str:
    """The significant prefix of a GB/T 2260 code: ``110105`` at county level → ``110105``."""
    return code.ljust(12, "0")[: PATH_LENGTH[RegionLevel(level)]]


def _code_level_error(code: str, level: RegionLevel) -> ValidationError | None:
    """Why a well-formed code cannot be a region of ``level``, or None when it can."""
    expected = 6 if level <= RegionLevel.COUNTY else 12
    if len(code) != expected:
        return ValidationError(
            _("A %(level)s code has %(n)d digits; this one has %(actual)d."),
            code=OrgError.REGION_CODE_LENGTH,
            params={"level": level.label, "n": expected, "actual": len(code)},
        )
    full = code.ljust(12, "0")
    end = PATH_LENGTH[level]
    start = max((n for n in PATH_LENGTH.values() if n < end), default=0)
    if full[end:].strip("0"):
        return ValidationError(
            _("The code %(code)s names a region below %(level)s level; check the level."),
            code=OrgError.REGION_CODE_LEVEL,
            params={"code": code, "level": level.label},
        )
    if not full[start:end].strip("0"):
        return ValidationError(
            _("The code %(code)s names a region above %(level)s level; check the level."),
            code=OrgError.REGION_CODE_LEVEL,
            params={"code": code, "level": level.label},
        )
    return None


class Region(models.Model):
    code = models.CharField(_("region code"), max_length=12, unique=True, validators=[validate_region_code])  # type: ignore[list-item]
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Derived from code and level (see region_path); kept as a column so a subtree is one
    # indexed prefix query.
    path = models.CharField(_("tree path"), max_length=12, unique=True, editable=False)

    # The row is its own placement (see yiwang.org.permissions.SELF); regions belong to no
    # department, so department-only grants see none.
    scope_region_field = "self"
    scope_department_field = None

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="org_region_path_like", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.path = region_path(self.code, self.level)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        errors: dict[str, ValidationError] = {}
        level = self.level if self.level in RegionLevel.values else None
        code_ok = bool(self.code) and is_valid_region_code(self.code)
        if code_ok:
            # The field validator has reported a malformed code; a good one is stored in
            # its normal form.
            self.code = validate_region_code(self.code)
        if code_ok and level is not None:
            error = _code_level_error(self.code, RegionLevel(level))
            if error is not None:
                errors["code"] = error
            else:
                self.path = region_path(self.code, level)
        if level is not None and self.parent_id:
            parent = self.parent
            assert parent is not None  # noqa: S101 (parent_id is set)
            if parent.level >= level:
                errors["parent"] = ValidationError(
                    _("The parent region must be of a higher level than %(level)s."),
                    code=OrgError.PARENT_LEVEL,
                    params={"level": RegionLevel(level).label},
                )
            elif code_ok and "code" not in errors and not self.path.startswith(parent.path):
                errors["parent"] = ValidationError(
                    _("The code %(code)s does not lie inside %(parent)s (%(parent_code)s)."),
                    code=OrgError.PARENT_OUTSIDE,
                    params={"code": self.code, "parent": parent.name, "parent_code": parent.code},
                )
        elif level is not None and level != RegionLevel.PROVINCE:
            errors["parent"] = ValidationError(
                _("Only a province has no parent region."), code=OrgError.PARENT_REQUIRED
            )
        if errors:
            raise ValidationError(errors)

    def contains(self, other: Region) -> bool:
        return other.path.startswith(self.path)


class Department(models.Model):
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    uscc = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_uscc],  # type: ignore[list-item]
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="departments"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_supervision_room = models.BooleanField(
        _("supervision room"), default=False, help_text=_("The electronic supervision room of its region.")
    )
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope_region_field = "region"
    scope_department_field = "pk"

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["region__path", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="org_department_unique_name")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.uscc:
            self.uscc = normalize_uscc(self.uscc)
        if not self.parent_id:
            return
        parent = self.parent
        assert parent is not None  # noqa: S101 (parent_id is set)
        if self.pk is not None and (parent.pk == self.pk or self.pk in parent.ancestor_ids()):
            raise ValidationError(
                {
                    "parent": ValidationError(
                        _("A department cannot be placed under itself or one of its sub-departments."),
                        code=OrgError.PARENT_CYCLE,
                    )
                }
            )
        if self.region_id and not parent.region.contains(self.region):
            raise ValidationError(
                {
                    "region": ValidationError(
                        _("A sub-department lies in its parent's region (%(region)s) or below it."),
                        code=OrgError.PARENT_REGION,
                        params={"region": parent.region.name},
                    )
                }
            )

    def ancestor_ids(self) -> list[int]:
        """Ids of the departments above this one, nearest first (the tree is shallow)."""
        ids: list[int] = []
        parent_id = self.parent_id
        while parent_id is not None and parent_id not in ids:
            ids.append(parent_id)
            parent_id = Department.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
        return ids


class ServiceCenter(models.Model):
    name = models.CharField(_("name"), max_length=200)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="centers"
    )
    address = models.CharField(_("address"), max_length=200)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)

    scope_region_field = "region"
    scope_department_field = None

    class Meta:
        verbose_name = _("service center")
        verbose_name_plural = _("service centers")
        ordering = ["region__path", "name"]

    def __str__(self) -> str:
        return self.name


class Window(models.Model):
    center = models.ForeignKey(
        ServiceCenter, verbose_name=_("service center"), on_delete=models.CASCADE, related_name="windows"
    )
    number = models.CharField(_("window number"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    departments = models.ManyToManyField(
        Department,
        verbose_name=_("departments served"),
        related_name="windows",
        blank=True,
        help_text=_("A comprehensive window (综合窗口) serves several departments."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    scope_region_field = "center__region"
    scope_department_field = None

    class Meta:
        verbose_name = _("window")
        verbose_name_plural = _("windows")
        ordering = ["center", "number"]
        constraints = [models.UniqueConstraint(fields=["center", "number"], name="org_window_unique_number")]

    def __str__(self) -> str:
        return f"{self.center.name} {self.number} {self.name}"


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("system administrator")
    MAINTAINER = "maintainer", _("maintainer")
    WINDOW_OPERATOR = "window_operator", _("window operator")
    HANDLER = "handler", _("handler")
    REVIEWER = "reviewer", _("reviewer")
    APPROVER = "approver", _("approver")
    SUPERVISOR = "supervisor", _("supervisor")
    LEADER = "leader", _("leader")
    HOTLINE_AGENT = "hotline_agent", _("hotline agent")


class Staff(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.CASCADE,
        related_name="staff",
    )
    name = models.CharField(_("name"), max_length=50)
    employee_number = models.CharField(_("employee number"), max_length=30, blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="staff"
    )
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    window = models.ForeignKey(
        "Window",
        verbose_name=_("window"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
        help_text=_("Where the staff member sits in the service center, if at a window."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    scope_region_field = "department__region"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["department", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.department.short_name or self.department.name}）"

    def clean(self) -> None:
        self.mobile = self.mobile.strip()
        if self.mobile and not _MOBILE_RE.match(self.mobile):
            raise ValidationError(
                {
                    "mobile": ValidationError(
                        _("A mobile number is 11 digits starting with 1, such as 13812345678."),
                        code=OrgError.MOBILE_FORMAT,
                    )
                }
            )

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)


class RoleAssignment(models.Model):
    """A role a staff member holds, within a scope: a region subtree and/or a department.

    With both set, the scope is that department's work inside the region subtree.
    """

    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    region = models.ForeignKey(
        Region,
        verbose_name=_("region scope"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("The role covers this region and every region below it."),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department scope"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("The role covers this department and its sub-departments."),
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(region__isnull=False) | Q(department__isnull=False),
                name="org_roleassignment_has_scope",
                violation_error_message=_("A role needs a region scope, a department scope or both."),
            ),
            models.UniqueConstraint(
                fields=["staff", "role", "region", "department"], name="org_roleassignment_unique"
            ),
        ]

    # An assignment is placed where its holder works: whoever manages that staff member
    # sees the roles they hold.
    scope_region_field = "staff__department__region"
    scope_department_field = "staff__department"

    def __str__(self) -> str:
        scope = " / ".join(str(x) for x in (self.region, self.department) if x)
        return f"{self.staff.name}: {self.get_role_display()} @ {scope}"

    def clean(self) -> None:
        if not self.region_id and not self.department_id:
            raise ValidationError(
                _("A role needs a region scope, a department scope or both."), code=OrgError.SCOPE_REQUIRED
            )
        if self.region_id and self.department_id:
            region, dept_region = self.region, self.department.region  # type: ignore[union-attr]
            assert region is not None  # noqa: S101 (region_id is set)
            if not (region.contains(dept_region) or dept_region.contains(region)):
                raise ValidationError(
                    {
                        "department": ValidationError(
                            _(
                                "%(department)s works in %(dept_region)s, outside %(region)s: the scope would be empty."
                            ),
                            code=OrgError.SCOPE_DISJOINT,
                            params={
                                "department": self.department.name,  # type: ignore[union-attr]
                                "dept_region": dept_region.name,
                                "region": region.name,
                            },
                        )
                    }
                )
