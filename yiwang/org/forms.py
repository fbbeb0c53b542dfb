"""Forms of the organisation app (used by its admin pages).

They validate through the services' ``*_validate`` functions, so a page shows exactly the
errors the service would raise (specific identifier messages, scope refusals) and the
admin then writes through the services. ``actor`` is the signed-in user; the admin sets it
on the form class it builds for each request.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _

from yiwang.org import services
from yiwang.org.models import Department, OrgError, Region, RoleAssignment, ServiceCenter, Staff, Window
from yiwang.org.permissions import User


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Attach a service's errors to the form: on the field when the form shows it, else at
    the top of the form (prefixed with the field's name)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        if field in form.fields and field != NON_FIELD_ERRORS:
            form.add_error(field, errors)
        elif field == NON_FIELD_ERRORS:
            form.add_error(None, errors)
        else:
            label = _field_label(form, field)
            for e in errors:
                for message in e.messages:
                    form.add_error(None, ValidationError(f"{label}：{message}", code=e.code))


def _field_label(form: forms.BaseForm, field: str) -> str:
    model = getattr(getattr(form, "_meta", None), "model", None)
    if model is not None:
        try:
            return str(model._meta.get_field(field).verbose_name)
        except FieldDoesNotExist:
            return field
    return field


class ServiceValidatedForm(forms.ModelForm):
    """A model form whose model-level validation is the service's validation.

    Field cleaning is Django's; then, instead of ``Model.full_clean`` plus the generic
    uniqueness checks, ``validate_instance`` calls the service validator, whose messages
    are specific ("another department already has this code", "outside your scope").
    """

    actor: ClassVar[User | None] = None

    def validate_instance(self, instance: Any) -> None:
        raise NotImplementedError

    def validate_unique(self) -> None:
        """Uniqueness is part of ``validate_instance`` (with specific messages)."""

    def _post_clean(self) -> None:
        opts = self._meta
        try:
            self.instance = construct_instance(self, self.instance, opts.fields, opts.exclude)
        except ValidationError as e:
            self._update_errors(e)  # type: ignore[attr-defined]
            return
        if self.errors:
            # Some fields did not clean, so the instance is half-built: say what is wrong
            # with the fields first.
            return
        try:
            self.validate_instance(self.instance)
        except ValidationError as e:
            add_service_errors(self, e)


class RegionForm(ServiceValidatedForm):
    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent"]
        help_texts = {
            "code": _("GB/T 2260: 6 digits for a province, city or county; 12 for a town or village."),
        }

    def validate_instance(self, instance: Region) -> None:
        services.region_validate(actor=self.actor, region=instance)


class DepartmentForm(ServiceValidatedForm):
    class Meta:
        model = Department
        fields = [
            "name",
            "short_name",
            "uscc",
            "region",
            "parent",
            "is_supervision_room",
            "phone",
            "address",
            "is_active",
        ]

    def clean_uscc(self) -> str:
        return (self.cleaned_data.get("uscc") or "").strip().upper()

    def validate_instance(self, instance: Department) -> None:
        services.department_validate(actor=self.actor, department=instance)


class ServiceCenterForm(ServiceValidatedForm):
    class Meta:
        model = ServiceCenter
        fields = ["name", "region", "address", "phone", "opening_hours"]

    def validate_instance(self, instance: ServiceCenter) -> None:
        services.service_center_validate(actor=self.actor, center=instance)


class WindowForm(ServiceValidatedForm):
    class Meta:
        model = Window
        fields = ["number", "name", "departments", "is_active"]

    def validate_instance(self, instance: Window) -> None:
        departments = self.cleaned_data.get("departments")
        services.window_validate(
            actor=self.actor,
            window=instance,
            departments=list(departments) if departments is not None else None,
        )


class StaffForm(ServiceValidatedForm):
    """A staff member's particulars (the account is created with ``StaffCreationForm``)."""

    class Meta:
        model = Staff
        fields = ["name", "employee_number", "department", "mobile"]

    def validate_instance(self, instance: Staff) -> None:
        services.staff_validate(actor=self.actor, staff=instance)


class StaffCreationForm(StaffForm):
    """A new staff member with their login account."""

    username = forms.CharField(label=_("user name"), max_length=150)
    email = forms.EmailField(label=_("email"), required=False)
    password1 = forms.CharField(
        label=_("password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta(StaffForm.Meta):
        fields = [
            "username",
            "email",
            "password1",
            "password2",
            "name",
            "employee_number",
            "department",
            "mobile",
        ]

    def clean_password2(self) -> str:
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2", "")
        if first and second and first != second:
            raise ValidationError(_("The two passwords differ."), code=OrgError.PASSWORD_MISMATCH)
        return second

    def validate_instance(self, instance: Staff) -> None:
        errors: dict[str, list[ValidationError]] = {}
        data = self.cleaned_data
        for check in (
            lambda: services.account_validate(
                username=data["username"],
                password=data["password1"],
                email=data.get("email", ""),
                name=instance.name,
            ),
            lambda: services.staff_validate(actor=self.actor, staff=instance),
        ):
            try:
                check()
            except ValidationError as e:
                for field, field_errors in e.error_dict.items():
                    errors.setdefault("password1" if field == "password" else field, []).extend(field_errors)
        if errors:
            raise ValidationError(errors)  # type: ignore[arg-type]


class RoleAssignmentForm(ServiceValidatedForm):
    class Meta:
        model = RoleAssignment
        fields = ["staff", "role", "region", "department"]

    def validate_instance(self, instance: RoleAssignment) -> None:
        services.role_validate(actor=self.actor, assignment=instance)
