"""The online application form of an item version (FormField): checked on save, frozen
with its published version, copied into a new draft, edited in the version admin."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from yiwang.catalog import services
from yiwang.catalog.factories import published_item
from yiwang.catalog.models import FieldKind, FormField, ItemVersion, PublishedVersionError, VersionStatus
from yiwang.org.models import Department

pytestmark = pytest.mark.django_db

FIELDS = (
    {"name": "address", "label": "经营场所地址", "kind": "text", "required": True, "max_length": 100},
    {"name": "area", "label": "经营面积（平方米）", "kind": "decimal", "min_value": Decimal("1")},
    {
        "name": "format",
        "label": "主体业态",
        "kind": "choice",
        "choices": ["食品销售经营者", "餐饮服务经营者"],
    },
    {"name": "opening", "label": "预计开业日期", "kind": "date", "required": False},
)


@pytest.fixture
def with_form(market_dept: Department) -> ItemVersion:
    return published_item(
        code="130402-XK-FORM", name="食品经营许可", department=market_dept, form_fields=FIELDS
    )


def codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


def test_published_item_carries_the_form_in_order(with_form: ItemVersion) -> None:
    rows = list(with_form.form_fields.all())
    assert [(f.order, f.name, f.kind) for f in rows] == [
        (1, "address", "text"),
        (2, "area", "decimal"),
        (3, "format", "choice"),
        (4, "opening", "date"),
    ]
    assert rows[2].choices == ["食品销售经营者", "餐饮服务经营者"]


def test_a_published_form_cannot_be_changed(with_form: ItemVersion) -> None:
    field = with_form.form_fields.first()
    assert field is not None
    field.label = "改过的"
    with pytest.raises(PublishedVersionError):
        field.save()
    with pytest.raises(PublishedVersionError):
        field.delete()
    with pytest.raises(PublishedVersionError):
        with_form.form_fields.update(required=False)
    with pytest.raises(PublishedVersionError):
        FormField(version=with_form, name="extra", label="新增", kind="text").save()
    assert with_form.form_fields.count() == 4


def test_a_new_draft_copies_the_form_and_may_replace_it(with_form: ItemVersion) -> None:
    draft = services.draft_create(item=with_form.item)
    assert list(draft.form_fields.values_list("name", "label", "kind", "required", "choices")) == list(
        with_form.form_fields.values_list("name", "label", "kind", "required", "choices")
    )
    services.version_publish(version=draft, effective_from=dt.date(2026, 1, 1))
    replaced = services.draft_create(
        item=with_form.item, parts={"form_fields": [{"name": "only", "label": "唯一", "kind": "text"}]}
    )
    assert list(replaced.form_fields.values_list("name", flat=True)) == ["only"]
    assert replaced.status == VersionStatus.DRAFT


def test_a_draft_with_a_bad_or_repeated_field_is_not_created(with_form: ItemVersion) -> None:
    before = (ItemVersion.objects.count(), FormField.objects.count())
    for rows, field in (
        (
            [{"name": "a", "label": "甲", "kind": "text"}, {"name": "a", "label": "乙", "kind": "text"}],
            "form_fields",
        ),
        ([{"name": "Bad-Key", "label": "甲", "kind": "text"}], "name"),
        ([{"name": "pick", "label": "选", "kind": "choice", "choices": []}], "choices"),
    ):
        with pytest.raises(ValidationError) as raised:
            services.draft_create(item=with_form.item, parts={"form_fields": rows})
        assert field in raised.value.error_dict
    assert (ItemVersion.objects.count(), FormField.objects.count()) == before


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        ({"kind": FieldKind.CHOICE}, "choices", "choices_missing"),
        ({"kind": FieldKind.CHOICE, "choices": ["甲", " 甲"]}, "choices", "choices_duplicate"),
        ({"kind": FieldKind.CHOICE, "choices": "甲,乙"}, "choices", "choices_missing"),
        ({"kind": FieldKind.TEXT, "choices": ["甲"]}, "choices", "choices_not_allowed"),
        ({"kind": FieldKind.DATE, "max_length": 10}, "max_length", "length_not_allowed"),
        ({"kind": FieldKind.TEXT, "min_length": 10, "max_length": 5}, "max_length", "length_order"),
        ({"kind": FieldKind.TEXT, "min_value": Decimal("1")}, "max_value", "value_not_allowed"),
        (
            {"kind": FieldKind.DECIMAL, "min_value": Decimal("5"), "max_value": Decimal("1")},
            "max_value",
            "value_order",
        ),
        ({"kind": FieldKind.INTEGER, "max_value": Decimal("1.5")}, "max_value", "value_not_integer"),
        ({"kind": FieldKind.TEXT, "pattern": "([a-z"}, "pattern", "pattern_invalid"),
        ({"kind": FieldKind.INTEGER, "pattern": "[0-9]+"}, "pattern", "pattern_not_allowed"),
        ({"kind": FieldKind.TEXT, "pattern_message": "格式不对"}, "pattern_message", "pattern_message_alone"),
        ({"kind": FieldKind.TEXT, "name": "_licenses"}, "name", "field_name_format"),
        ({"kind": "colour"}, "kind", "invalid_choice"),
    ],
)
def test_a_field_definition_that_cannot_work_is_refused(
    with_form: ItemVersion, values: dict[str, Any], field: str, code: str
) -> None:
    row = FormField(version=with_form, **{"name": "x", "label": "某项", **values})
    with pytest.raises(ValidationError) as raised:
        row.full_clean(exclude=["version"], validate_constraints=False)
    assert code in codes(raised.value).get(field, []), codes(raised.value)


def test_choices_are_trimmed() -> None:
    row = FormField(name="pick", label="选", kind=FieldKind.CHOICE, choices=[" 甲 ", "乙"])
    row.clean()
    assert row.choices == ["甲", "乙"]


# --- admin ----------------------------------------------------------------------------


def url(view: str, *args: Any) -> str:
    return reverse(f"admin:catalog_itemversion_{view}", args=args)


def test_the_form_is_shown_read_only_on_a_published_version(
    admin_client: Client, with_form: ItemVersion
) -> None:
    with translation.override("en"):
        response = admin_client.get(url("change", with_form.pk))
    assert response.status_code == 200
    inline = next(i for i in response.context["inline_admin_formsets"] if i.opts.model is FormField)
    assert (inline.has_add_permission, inline.has_change_permission, inline.has_delete_permission) == (
        False,
        False,
        False,
    )
    assert "经营场所地址" in response.content.decode()


def _page_data(response: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}

    def put(form: Any, name: str) -> None:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[form.add_prefix(name)] = "on"
        elif value is not None and not hasattr(value, "url"):
            data[form.add_prefix(name)] = value

    form = response.context["adminform"].form
    for name in form.fields:
        put(form, name)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[formset.management_form.add_prefix(name)] = formset.management_form[name].value()
        for sub in formset.forms:
            for name in sub.fields:
                put(sub, name)
    return data


def test_a_field_is_added_to_a_draft_in_the_admin_and_a_bad_one_is_refused(
    admin_client: Client, with_form: ItemVersion
) -> None:
    draft = services.draft_create(item=with_form.item)
    page = admin_client.get(url("change", draft.pk))
    data = _page_data(page)
    prefix = next(
        i.formset.prefix for i in page.context["inline_admin_formsets"] if i.opts.model is FormField
    )
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": 5,
            f"{prefix}-4-order": 5,
            f"{prefix}-4-name": "staff",
            f"{prefix}-4-label": "从业人员数",
            f"{prefix}-4-kind": "integer",
            f"{prefix}-4-required": "on",
            f"{prefix}-4-choices": "[]",
            f"{prefix}-4-min_value": "1",
        }
    )
    bad = {**data, f"{prefix}-4-kind": "choice"}
    response = admin_client.post(url("change", draft.pk), bad)
    assert response.status_code == 200  # shown again with the error
    assert draft.form_fields.count() == 4

    response = admin_client.post(url("change", draft.pk), data)
    assert response.status_code == 302
    assert list(draft.form_fields.values_list("name", flat=True)) == [
        "address",
        "area",
        "format",
        "opening",
        "staff",
    ]
