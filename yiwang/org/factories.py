"""Factories for organisation data, shared by the tests and the demo seeder."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from yiwang.core.identifiers import build_uscc
from yiwang.org.models import (
    Department,
    Region,
    RegionLevel,
    Role,
    RoleAssignment,
    ServiceCenter,
    Staff,
    Window,
)


def region(code: str, name: str, level: RegionLevel, parent: Region | None = None) -> Region:
    """Get or create a region by code (idempotent, so the demo seeder can run twice)."""
    obj, _ = Region.objects.get_or_create(
        code=code, defaults={"name": name, "level": level, "parent": parent}
    )
    return obj


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("uscc",)

    name = factory.Sequence(lambda n: f"测试局{n}")
    short_name = factory.LazyAttribute(lambda o: o.name[:6])
    region = None
    uscc = factory.LazyAttributeSequence(lambda o, n: build_uscc("1", "1", o.region.code, f"{n:08d}X"))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("Yiwang-demo-2026")
    is_staff = True


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"工作人员{n}")
    department = None
    mobile = factory.Sequence(lambda n: f"139{n:08d}")


def grant(
    staff: Staff, role: Role, *, region: Region | None = None, department: Department | None = None
) -> RoleAssignment:
    obj, _ = RoleAssignment.objects.get_or_create(
        staff=staff, role=role, region=region, department=department
    )
    return obj


def center(region: Region, name: str, address: str, phone: str = "", hours: str = "") -> ServiceCenter:
    obj, _ = ServiceCenter.objects.get_or_create(
        region=region, name=name, defaults={"address": address, "phone": phone, "opening_hours": hours}
    )
    return obj


def window(center: ServiceCenter, number: str, name: str, departments: list[Department]) -> Window:
    obj, _ = Window.objects.get_or_create(center=center, number=number, defaults={"name": name})
    obj.departments.add(*departments)
    return obj
