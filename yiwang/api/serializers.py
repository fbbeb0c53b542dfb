"""Small explicit serializers, one per endpoint: inputs only parse and type the request
(the rules live in the services, which give the specific error codes); outputs say
exactly which fields a client gets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from yiwang.cases.models import (
    NATIONAL_MESSAGE_CODE,
    ApplicantKind,
    Case,
    CaseEvent,
    CaseState,
    Channel,
    Decision,
    DeliveryMethod,
    SuspensionKind,
)
from yiwang.cases.services import CaseErrorCode, Upload
from yiwang.catalog.models import ItemVersion, Material
from yiwang.org.models import Department

# Multipart file fields: ``material_<id>`` for a required material of the item (several
# files allowed), ``other`` for documents that belong to no listed material.
MATERIAL_FIELD_PREFIX = "material_"
OTHER_FILES_FIELD = "other"


def parse_uploads(files: Mapping[str, Any], version: ItemVersion) -> list[Upload]:
    """The uploads of a multipart request, each tied to a material of ``version``."""
    if not files:
        return []
    materials = {m.pk: m for m in Material.objects.filter(version=version)}
    uploads: list[Upload] = []
    for name in files:
        material: Material | None = None
        if name != OTHER_FILES_FIELD:
            raw = name.removeprefix(MATERIAL_FIELD_PREFIX)
            if not name.startswith(MATERIAL_FIELD_PREFIX) or not raw.isdigit():
                raise ValidationError(
                    {
                        name: ValidationError(
                            gettext("Name file fields material_<id> or other."),
                            code=CaseErrorCode.BAD_INPUT,
                        )
                    }
                )
            material = materials.get(int(raw))
            if material is None:
                raise ValidationError(
                    {
                        name: ValidationError(
                            gettext("Material %(id)s is not a material of this item.") % {"id": raw},
                            code=CaseErrorCode.BAD_INPUT,
                        )
                    }
                )
        getlist = getattr(files, "getlist", None)
        batch: list[UploadedFile] = getlist(name) if getlist else [files[name]]
        uploads.extend(Upload(file=f, material=material) for f in batch)
    return uploads


# --------------------------------------------------------------------------- shared parts


class DepartmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class RegionRefSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class ItemRefSerializer(serializers.Serializer):
    code = serializers.CharField(source="item.code", read_only=True)
    name = serializers.CharField(source="item_version.name", read_only=True)
    version = serializers.IntegerField(source="item_version.version", read_only=True)


# --------------------------------------------------------------------------- cases: input


class CaseFileInputSerializer(serializers.Serializer):
    """Filing a case. Files come as multipart fields ``material_<id>`` / ``other``."""

    item = serializers.CharField(
        max_length=60, help_text=_("The item code; the version in force today applies.")
    )
    applicant_kind = serializers.ChoiceField(choices=ApplicantKind.choices)
    applicant_name = serializers.CharField(max_length=200, allow_blank=True)
    applicant_id_number = serializers.CharField(
        max_length=30,
        allow_blank=True,
        help_text=_("Resident ID number for an individual, USCC for an enterprise."),
    )
    applicant_mobile = serializers.CharField(max_length=20, allow_blank=True, required=False, default="")
    form_data = serializers.JSONField(
        required=False,
        default=dict,
        help_text=_("The application form's answers, as a JSON object (a JSON string in multipart)."),
    )
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        help_text=_("Default: at a window for staff, online for an applicant's own account."),
    )

    def validate_form_data(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError(gettext("The form data must be a JSON object."))
        return value


class CaseListQuerySerializer(serializers.Serializer):
    state = serializers.MultipleChoiceField(
        choices=CaseState.choices, required=False, help_text=_("Repeat to list several states.")
    )
    department = serializers.IntegerField(required=False, help_text=_("The department's id."))
    item = serializers.CharField(required=False, max_length=60, help_text=_("The item code."))
    due_before = serializers.DateField(
        required=False, help_text=_("Cases whose due date is strictly before this day.")
    )
    overdue = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "true: open cases past their acceptance or completion date while their clock runs; "
            "false: all others."
        ),
    )


# --------------------------------------------------------------------------- cases: output


class CaseSummarySerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True)
    state = serializers.ChoiceField(choices=CaseState.choices, read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    item = ItemRefSerializer(source="*", read_only=True)
    department = DepartmentRefSerializer(read_only=True)
    region = RegionRefSerializer(read_only=True)
    channel = serializers.ChoiceField(choices=Channel.choices, read_only=True)
    applicant_kind = serializers.ChoiceField(choices=ApplicantKind.choices, read_only=True)
    applicant_name = serializers.CharField(
        source="masked_applicant_name", read_only=True, help_text=_("Masked in lists.")
    )
    applicant_id_number = serializers.CharField(
        source="masked_applicant_id", read_only=True, help_text=_("Masked in lists.")
    )
    submitted_at = serializers.DateTimeField(read_only=True)
    acceptance_due = serializers.DateField(read_only=True, allow_null=True)
    due_date = serializers.DateField(read_only=True, allow_null=True)
    step_due_date = serializers.DateField(read_only=True, allow_null=True)
    clock_stopped = serializers.BooleanField(read_only=True)
    overdue = serializers.SerializerMethodField()

    def get_overdue(self, case: Case) -> bool:
        from yiwang.api.selectors import is_overdue

        today: dt.date = self.context["today"]
        return is_overdue(case, today)


class DeadlinesSerializer(serializers.Serializer):
    acceptance_due = serializers.DateField(read_only=True, allow_null=True)
    due_date = serializers.DateField(read_only=True, allow_null=True)
    limit = serializers.IntegerField(read_only=True, help_text=_("Promised limit plus extensions."))
    unit = serializers.CharField(read_only=True, help_text=_("working or natural (days)."))
    used = serializers.IntegerField(read_only=True, allow_null=True)
    left = serializers.IntegerField(read_only=True, allow_null=True, help_text=_("Negative when late."))
    step_due_date = serializers.DateField(read_only=True, allow_null=True)
    clock_stopped = serializers.BooleanField(read_only=True)
    stopped_days = serializers.IntegerField(read_only=True)


class StepSerializer(serializers.Serializer):
    index = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    kind = serializers.CharField(read_only=True)
    role = serializers.CharField(read_only=True)
    limit = serializers.IntegerField(read_only=True)


class CaseFileSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    material = serializers.IntegerField(source="material_id", read_only=True, allow_null=True)
    sha256 = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    content_type = serializers.CharField(read_only=True)
    uploaded_at = serializers.DateTimeField(read_only=True)


class CaseRefSerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True)
    state = serializers.ChoiceField(choices=CaseState.choices, read_only=True)
    department = DepartmentRefSerializer(read_only=True)


class CaseDetailSerializer(serializers.Serializer):
    """A ``yiwang.api.selectors.CaseSnapshot``."""

    number = serializers.CharField(source="case.number", read_only=True)
    state = serializers.ChoiceField(source="case.state", choices=CaseState.choices, read_only=True)
    state_label = serializers.CharField(source="case.get_state_display", read_only=True)
    item = ItemRefSerializer(source="case", read_only=True)
    department = DepartmentRefSerializer(source="case.department", read_only=True)
    region = RegionRefSerializer(source="case.region", read_only=True)
    channel = serializers.ChoiceField(source="case.channel", choices=Channel.choices, read_only=True)
    applicant_kind = serializers.ChoiceField(
        source="case.applicant_kind", choices=ApplicantKind.choices, read_only=True
    )
    applicant_name = serializers.CharField(source="case.applicant_name", read_only=True)
    applicant_id_number = serializers.CharField(source="case.applicant_id_number", read_only=True)
    applicant_mobile = serializers.CharField(source="case.applicant_mobile", read_only=True)
    form_data = serializers.JSONField(source="case.form_data", read_only=True)
    decision = serializers.CharField(source="case.decision", read_only=True)
    submitted_at = serializers.DateTimeField(source="case.submitted_at", read_only=True)
    accepted_at = serializers.DateTimeField(source="case.accepted_at", read_only=True, allow_null=True)
    decided_at = serializers.DateTimeField(source="case.decided_at", read_only=True, allow_null=True)
    completed_at = serializers.DateTimeField(source="case.completed_at", read_only=True, allow_null=True)
    delivered_at = serializers.DateTimeField(source="case.delivered_at", read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(source="case.closed_at", read_only=True, allow_null=True)
    step_index = serializers.IntegerField(
        source="case.step_index",
        read_only=True,
        allow_null=True,
        help_text=_("Index into steps of the step the case is at; null outside the steps."),
    )
    step_name = serializers.CharField(read_only=True)
    steps = serializers.SerializerMethodField()
    extension_days = serializers.IntegerField(source="case.extension_days", read_only=True)
    supplement_requests = serializers.IntegerField(source="case.supplement_requests", read_only=True)
    deadlines = DeadlinesSerializer(read_only=True)
    actions = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=_("The actions the caller may take on the case now."),
    )
    files = serializers.SerializerMethodField()
    lead_case = serializers.CharField(
        source="case.parent.number", read_only=True, allow_null=True, default=None
    )
    branches = serializers.SerializerMethodField()
    last_seq = serializers.IntegerField(source="case.last_seq", read_only=True)
    last_hash = serializers.CharField(source="case.last_hash", read_only=True)

    @extend_schema_field(StepSerializer(many=True))
    def get_steps(self, snapshot: Any) -> list[dict[str, Any]]:
        return StepSerializer(
            [
                {"index": i, "name": s.name, "kind": s.kind, "role": s.role, "limit": s.limit}
                for i, s in enumerate(snapshot.template.middle)
            ],
            many=True,
        ).data

    @extend_schema_field(CaseFileSerializer(many=True))
    def get_files(self, snapshot: Any) -> list[dict[str, Any]]:
        return CaseFileSerializer(snapshot.case.files.order_by("pk"), many=True).data

    @extend_schema_field(CaseRefSerializer(many=True))
    def get_branches(self, snapshot: Any) -> list[dict[str, Any]]:
        return CaseRefSerializer(
            snapshot.case.branches.select_related("department").order_by("number"), many=True
        ).data


class CaseEventSerializer(serializers.Serializer):
    seq = serializers.IntegerField(read_only=True)
    type = serializers.CharField(read_only=True)
    type_label = serializers.CharField(source="get_type_display", read_only=True)
    national_code = serializers.SerializerMethodField(
        help_text=_("The national e-supervision message this event maps to; null when none.")
    )
    actor_name = serializers.CharField(read_only=True)
    role = serializers.CharField(read_only=True)
    department = DepartmentRefSerializer(read_only=True, allow_null=True)
    occurred_at = serializers.DateTimeField(read_only=True)
    recorded_at = serializers.DateTimeField(read_only=True)
    payload = serializers.JSONField(read_only=True)
    prev_hash = serializers.CharField(read_only=True)
    hash = serializers.CharField(read_only=True)

    def get_national_code(self, event: CaseEvent) -> int | None:
        return NATIONAL_MESSAGE_CODE.get(event.type)


# --------------------------------------------------------------------------- actions: input


class AcceptInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class RefuseInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    legal_basis = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class TransferInputSerializer(serializers.Serializer):
    to_department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.filter(is_active=True), help_text=_("The competent department's id.")
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class SupplementItemSerializer(serializers.Serializer):
    material = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text=_("The material's id; null for another.")
    )
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    problem = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class SupplementRequestInputSerializer(serializers.Serializer):
    items = SupplementItemSerializer(
        many=True,
        required=False,
        default=list,
        help_text=_("Every material that is missing or defective, each with what is wrong."),
    )


class SupplementReceiveInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class PassStepInputSerializer(serializers.Serializer):
    opinion = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReturnInputSerializer(serializers.Serializer):
    to_step = serializers.IntegerField(min_value=0, help_text=_("Index of an earlier step."))
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class DecideInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    legal_basis = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class CompleteInputSerializer(serializers.Serializer):
    fee_charged = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, default=0, help_text=_("In yuan.")
    )
    result_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    result_valid_until = serializers.DateField(required=False, allow_null=True, default=None)


class DeliverInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=DeliveryMethod.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class SuspendInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SuspensionKind.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    expected_days = serializers.IntegerField(help_text=_("Expected length in days."))


class ResumeInputSerializer(serializers.Serializer):
    result = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ExtendInputSerializer(serializers.Serializer):
    days = serializers.IntegerField(help_text=_("Days added to the limit, in the item's unit."))
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class WithdrawInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


# --------------------------------------------------------------------------- items


class ItemSummarySerializer(serializers.Serializer):
    """An ``ItemVersion`` in force."""

    code = serializers.CharField(source="item.code", read_only=True)
    name = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    item_type = serializers.CharField(read_only=True)
    department = DepartmentRefSerializer(source="item.department", read_only=True)
    region = RegionRefSerializer(source="item.region", read_only=True)
    target = serializers.CharField(read_only=True)
    statutory_limit = serializers.IntegerField(read_only=True, allow_null=True)
    promised_limit = serializers.IntegerField(read_only=True)
    limit_unit = serializers.CharField(read_only=True)
    online_depth = serializers.IntegerField(read_only=True)
    parallel_approval = serializers.BooleanField(read_only=True)
    effective_from = serializers.DateField(read_only=True, allow_null=True)


class MaterialSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    form = serializers.CharField(read_only=True)
    copies = serializers.IntegerField(read_only=True)
    necessity = serializers.CharField(read_only=True)
    condition = serializers.CharField(read_only=True)
    requirements = serializers.CharField(read_only=True)


class FeeSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    standard_amount = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    unit = serializers.CharField(read_only=True)
    basis = serializers.CharField(read_only=True)


class WorkflowStepSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    kind = serializers.CharField(read_only=True)
    role = serializers.CharField(read_only=True)
    limit = serializers.IntegerField(read_only=True)


class ItemDetailSerializer(ItemSummarySerializer):
    legal_basis = serializers.CharField(read_only=True)
    conditions = serializers.CharField(read_only=True)
    result_name = serializers.CharField(read_only=True)
    materials = MaterialSerializer(many=True, read_only=True)
    fees = FeeSerializer(many=True, read_only=True)
    steps = WorkflowStepSerializer(many=True, read_only=True)


class ItemListQuerySerializer(serializers.Serializer):
    department = serializers.IntegerField(required=False, help_text=_("The department's id."))
    region = serializers.CharField(
        required=False, max_length=12, help_text=_("A region code; covers the regions below it.")
    )
    item_type = serializers.CharField(
        required=False, max_length=2, help_text=_("The national item type code.")
    )
