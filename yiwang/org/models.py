"""Organisation: regions, departments, service centers and windows, staff, roles and scopes."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.core.identifiers import mask_mobile, validate_region_code, validate_uscc


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


class Region(models.Model):
    code = models.CharField(_("region code"), max_length=12, unique=True, validators=[validate_region_code])
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
        errors: dict[str, str] = {}
        if self.code and self.level:
            expected = 6 if self.level <= RegionLevel.COUNTY else 12
            if len(self.code) != expected:
                errors["code"] = _("A %(level)s code has %(n)d digits.") % {
                    "level": RegionLevel(self.level).label,
                    "n": expected,
                }
            elif self.code.ljust(12, "0")[PATH_LENGTH[RegionLevel(self.level)] :].strip("0"):
                errors["code"] = _("This code has digits beyond its level; check the level.")
        if self.parent_id and self.level:
            parent = self.parent
            if parent.level >= self.level:
                errors["parent"] = _("The parent region must be of a higher level.")
            elif self.code and not region_path(self.code, self.level).startswith(parent.path):
                errors["parent"] = _("The code %(code)s does not lie inside %(parent)s.") % {
                    "code": self.code,
                    "parent": parent.name,
                }
        elif self.level and self.level != RegionLevel.PROVINCE:
            errors["parent"] = _("Only a province has no parent region.")
        if errors:
            raise ValidationError(errors)

    def contains(self, other: Region) -> bool:
        return other.path.startswith(self.path)


class Department(models.Model):
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
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
    is_active = models.BooleanField(_("active"), default=True)

    scope_region_field = "department__region"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["department", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.department.short_name or self.department.name}）"

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

    def __str__(self) -> str:
        scope = " / ".join(str(x) for x in (self.region, self.department) if x)
        return f"{self.staff.name}: {self.get_role_display()} @ {scope}"

    def clean(self) -> None:
        if not self.region_id and not self.department_id:
            raise ValidationError(_("A role needs a region scope, a department scope or both."))
