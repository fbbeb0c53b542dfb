"""The application form built from an item version's form fields: one Django field per
row, each kind checked its own way, with a specific message."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from yiwang.catalog.models import FieldKind, FormField
from yiwang.core.identifiers import build_resident_id
from yiwang.portal.dynamic_forms import ApplicationForm, normalise_mobile

CITIZEN_ID = build_resident_id("130402", dt.date(1990, 3, 7), 123)
USCC = "91130402MA0A1B2C3D"


def fields(*rows: dict[str, Any]) -> list[FormField]:
    """Unsaved rows are enough: the form reads their attributes only."""
    return [FormField(order=i, **{"required": True, **row}) for i, row in enumerate(rows, start=1)]


def check(form_fields: list[FormField], **answers: Any) -> ApplicationForm:
    """The form bound to ``answers`` and checked; its messages rendered in English (the
    identifier validators' messages are lazy) in ``form.messages``."""
    with translation.override("en"):
        form = ApplicationForm(data={f"form-{k}": v for k, v in answers.items()}, form_fields=form_fields)
        form.is_valid()
        form.messages = {name: " ".join(str(e) for e in errors) for name, errors in form.errors.items()}  # type: ignore[attr-defined]
    return form


def error(form: ApplicationForm, name: str) -> str:
    return str(form.messages[name])  # type: ignore[attr-defined]


ALL_KINDS = fields(
    {
        "name": "address",
        "label": "经营场所地址",
        "kind": FieldKind.TEXT,
        "max_length": 10,
        "help_text": "写到门牌号",
    },
    {"name": "note", "label": "说明", "kind": FieldKind.TEXTAREA, "required": False},
    {
        "name": "staff",
        "label": "从业人员数",
        "kind": FieldKind.INTEGER,
        "min_value": Decimal("1"),
        "max_value": Decimal("500"),
    },
    {"name": "area", "label": "经营面积", "kind": FieldKind.DECIMAL, "min_value": Decimal("1")},
    {"name": "opening", "label": "预计开业日期", "kind": FieldKind.DATE},
    {
        "name": "format",
        "label": "主体业态",
        "kind": FieldKind.CHOICE,
        "choices": ["食品销售经营者", "餐饮服务经营者"],
    },
    {"name": "manager_id", "label": "负责人身份证号", "kind": FieldKind.ID_NUMBER},
    {"name": "company", "label": "统一社会信用代码", "kind": FieldKind.USCC},
    {"name": "phone", "label": "联系电话", "kind": FieldKind.MOBILE},
    {"name": "email", "label": "电子邮箱", "kind": FieldKind.EMAIL, "required": False},
)
GOOD = {
    "address": "陵园路18号",
    "note": "",
    "staff": "12",
    "area": "85.50",
    "opening": "2026-03-01",
    "format": "餐饮服务经营者",
    "manager_id": " " + CITIZEN_ID.lower(),
    "company": USCC.lower(),
    "phone": "138 0013 8000",
    "email": "",
}


def test_the_form_has_one_field_per_row_in_order_with_labels_help_and_required() -> None:
    form = ApplicationForm(form_fields=ALL_KINDS)
    assert list(form.fields) == [f.name for f in ALL_KINDS]
    assert form.fields["address"].label == "经营场所地址"
    assert form.fields["address"].help_text == "写到门牌号"
    assert form.fields["note"].required is False
    assert form["opening"].field.widget.input_type == "date"
    assert form["format"].field.choices[1:] == [
        ("食品销售经营者", "食品销售经营者"),
        ("餐饮服务经营者", "餐饮服务经营者"),
    ]
    html = str(form["address"])
    assert 'name="form-address"' in html


def test_good_answers_are_normalised_to_json_safe_values() -> None:
    form = check(ALL_KINDS, **GOOD)
    assert form.is_valid(), form.errors
    assert form.json_data() == {
        "address": "陵园路18号",
        "note": "",
        "staff": 12,
        "area": "85.5",
        "opening": "2026-03-01",
        "format": "餐饮服务经营者",
        "manager_id": CITIZEN_ID,
        "company": USCC,
        "phone": "13800138000",
        "email": "",
    }


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("address", "一二三四五六七八九十十一", "Keep this to 10 characters at most (it has 12)."),
        ("address", "", "Fill in “经营场所地址”."),
        ("staff", "0", "The smallest value allowed is 1."),
        ("staff", "501", "The largest value allowed is 500."),
        ("staff", "1.5", "Enter “从业人员数” as a whole number."),
        ("area", "很大", "Enter “经营面积” as a number, e.g. 120.5."),
        ("opening", "2026-02-30", "Enter “预计开业日期” as a date, e.g. 2026-03-01."),
        ("opening", "明天", "Enter “预计开业日期” as a date, e.g. 2026-03-01."),
        ("format", "单位食堂", "“单位食堂” is not one of the options."),
        ("format", "", "Choose an answer for “主体业态”."),
        (
            "manager_id",
            CITIZEN_ID[:-1] + ("1" if CITIZEN_ID[-1] != "1" else "2"),
            "The check character of this",
        ),
        ("manager_id", CITIZEN_ID[:-1], "A resident ID number has 18 characters; this one has 17."),
        (
            "manager_id",
            "130402199002301233",
            "The birth date in this resident ID number (19900230) does not exist.",
        ),
        ("company", "91130402MA0A1B2C3E", "The check character of this unified social credit code is wrong"),
        ("company", "91130402MA0A1B2COD", "cannot contain O"),
        ("phone", "1380013800", "A mobile number has 11 digits"),
        ("phone", "23800138000", "A mobile number has 11 digits"),
        ("email", "not-an-address", "Enter an email address such as name@example.com."),
    ],
)
def test_each_kind_refuses_a_bad_answer_with_a_specific_message(name: str, value: str, message: str) -> None:
    form = check(ALL_KINDS, **{**GOOD, name: value})
    assert not form.is_valid()
    assert list(form.errors) == [name]
    assert message in error(form, name)


def test_a_pattern_and_its_message_apply_to_the_whole_answer() -> None:
    rows = fields(
        {
            "name": "plate",
            "label": "车牌号",
            "kind": FieldKind.TEXT,
            "pattern": "冀[A-Z][A-Z0-9]{5}",
            "pattern_message": "请填写河北省车牌号，如冀D12345。",
        }
    )
    assert check(rows, plate="冀D12345").is_valid()
    for bad in ("京A12345", "冀D12345X", "x冀D12345"):
        form = check(rows, plate=bad)
        assert error(form, "plate") == "请填写河北省车牌号，如冀D12345。"


def test_a_minimum_length_is_checked() -> None:
    rows = fields({"name": "why", "label": "理由", "kind": FieldKind.TEXTAREA, "min_length": 5})
    assert "Write at least 5 characters (it has 2)." in error(check(rows, why="太短"), "why")


def test_optional_fields_may_stay_empty_and_give_empty_answers() -> None:
    rows = fields(
        {"name": "d", "label": "日期", "kind": FieldKind.DATE, "required": False},
        {"name": "n", "label": "数量", "kind": FieldKind.INTEGER, "required": False},
        {"name": "i", "label": "身份证", "kind": FieldKind.ID_NUMBER, "required": False},
    )
    form = check(rows, d="", n="", i="")
    assert form.is_valid()
    assert form.json_data() == {"d": "", "n": "", "i": ""}


def test_raw_answers_are_kept_as_typed_and_capped() -> None:
    raw = ApplicationForm.raw_data(
        {"form-address": "  很长" + "字" * 5000, "form-staff": " 12 ", "unrelated": "x"},
        form_fields=ALL_KINDS,
    )
    assert raw["staff"] == "12"
    assert len(raw["address"]) == 4000
    assert set(raw) == {f.name for f in ALL_KINDS}
    rebound = ApplicationForm.from_stored({"staff": "12", "opening": "2026/3/1"}, form_fields=ALL_KINDS)
    assert rebound.is_bound
    assert not rebound.is_valid()
    assert rebound.cleaned_data["opening"] == dt.date(2026, 3, 1)


def test_inputs_point_to_their_help_and_error_texts() -> None:
    form = check(ALL_KINDS, **{**GOOD, "address": ""}).describe()
    address = str(form["address"])
    assert 'aria-describedby="id_form-address-help id_form-address-error"' in address
    assert 'aria-invalid="true"' in address
    staff = str(form["staff"])
    assert "aria-describedby" not in staff
    assert "aria-invalid" not in staff


def test_mobile_numbers_lose_spaces_dashes_and_the_country_code() -> None:
    assert normalise_mobile("+86 138-0013-8000") == "13800138000"
    assert normalise_mobile("１３８００１３８０００") == "13800138000"
