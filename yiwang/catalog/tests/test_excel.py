"""Excel export and import: round trip, one new version per changed item, every bad row refused."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from yiwang.catalog import excel, services
from yiwang.catalog.excel import ImportResult, export_workbook, import_workbook
from yiwang.catalog.factories import published_item
from yiwang.catalog.models import (
    FAQ,
    CaseKind,
    CatalogEntry,
    Fee,
    Item,
    ItemType,
    ItemVersion,
    LimitUnit,
    Material,
    MaterialSource,
    Necessity,
    OnlineDepth,
    PowerSource,
    ResultType,
    StepKind,
    Target,
    VersionStatus,
    WorkflowStep,
)
from yiwang.catalog.tests.conftest import catalog_counts
from yiwang.core.identifiers import build_uscc
from yiwang.org.models import Department, Region, Role

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _today() -> Any:
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def items(licence: ItemVersion, registration: ItemVersion, other_licence: ItemVersion) -> list[ItemVersion]:
    return [licence, registration, other_licence]


# --- helpers --------------------------------------------------------------------------


def exported(**kwargs: Any) -> Workbook:
    buffer = io.BytesIO()
    export_workbook(buffer, **kwargs)
    buffer.seek(0)
    return load_workbook(buffer)


def as_file(workbook: Workbook) -> io.BytesIO:
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def run(workbook: Workbook, **kwargs: Any) -> ImportResult:
    return import_workbook(as_file(workbook), **kwargs)


def column_of(ws: Worksheet, header: str) -> int:
    return next(c.column for c in ws[1] if c.value == header)


def row_of(ws: Worksheet, item_code: str, nth: int = 0) -> int:
    key = column_of(ws, "事项编码")
    rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, key).value == item_code]
    return rows[nth]


def cell(wb: Workbook, sheet: str, item_code: str, header: str, nth: int = 0) -> Any:
    ws = wb[sheet]
    return ws.cell(row_of(ws, item_code, nth), column_of(ws, header))


def where(result: ImportResult) -> list[tuple[str, int | None, str | None, str]]:
    return [(p.sheet, p.row, p.column, p.code) for p in result.problems]


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every catalog table: proves a refused import changed nothing at all."""
    models = (CatalogEntry, Item, ItemVersion, Material, Fee, WorkflowStep, FAQ)
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in models}


# --- layout ---------------------------------------------------------------------------


def test_the_layout_covers_every_field_of_a_version_and_its_parts() -> None:
    assert set(excel.VERSION_CONTENT) == set(services.VERSION_FIELDS)
    for related, model in services.PART_MODELS:
        fields = {f.attname for f in model._meta.concrete_fields} - {"id", "version_id", "order"}
        assert set(excel.PART_CONTENT[related]) == fields, related


@pytest.mark.parametrize(
    ("choices", "enum"),
    [
        (excel.ITEM_TYPES, ItemType),
        (excel.POWER_SOURCES, PowerSource),
        (excel.LIMIT_UNITS, LimitUnit),
        (excel.CASE_KINDS, CaseKind),
        (excel.TARGETS, Target),
        (excel.ONLINE_DEPTHS, OnlineDepth),
        (excel.RESULT_TYPES, ResultType),
        (excel.MATERIAL_FORMS, excel.MaterialForm),
        (excel.NECESSITIES, Necessity),
        (excel.MATERIAL_SOURCES, MaterialSource),
        (excel.STEP_KINDS, StepKind),
        (excel.ROLES, Role),
    ],
)
def test_every_code_value_has_a_word_in_the_workbook(choices: tuple[excel.Choice, ...], enum: Any) -> None:
    assert {c.value for c in choices} == set(enum.values)
    assert len({c.word for c in choices}) == len(choices)


def test_export_writes_every_sheet_with_chinese_headers(items: list[ItemVersion]) -> None:
    wb = exported()
    assert wb.sheetnames == ["基本目录", "事项", "材料", "收费", "环节", "常见问题", "说明"]
    assert [c.value for c in wb["事项"][1]][:6] == [
        "事项编码",
        "目录编码",
        "事项名称",
        "事项类型编码",
        "实施主体统一社会信用代码",
        "行政区划代码",
    ]
    assert cell(wb, "事项", "130402-XK-0001", "承诺时限").value == 10
    assert cell(wb, "事项", "130402-XK-0001", "时限单位").value == "工作日"
    assert cell(wb, "事项", "130402-XK-0001", "预约办理").value == "是"
    assert cell(wb, "材料", "130402-XK-0001", "必要性", nth=1).value == "情形必要"
    assert cell(wb, "环节", "130402-XK-0001", "岗位角色").value == "窗口人员"
    assert wb["事项"].max_row == 4
    assert wb["环节"].max_row == 1 + 3 * 4


def test_export_of_a_region_holds_only_its_items_and_their_entries(
    items: list[ItemVersion], county: Region
) -> None:
    wb = exported(region=county)
    codes = [r[0].value for r in wb["事项"].iter_rows(min_row=2)]
    assert codes == ["130402-QT-0002", "130402-XK-0001"]
    assert [r[0].value for r in wb["基本目录"].iter_rows(min_row=2)] == [
        "E-130402-QT-0002",
        "E-130402-XK-0001",
    ]


def test_export_leaves_out_items_never_published(items: list[ItemVersion], market_dept: Department) -> None:
    entry = services.entry_upsert(
        code="E-D", name="草稿事项", item_type="01", legal_basis="某法", statutory_limit=20
    )
    item = services.item_create(
        code="130402-D", entry=entry, department=market_dept, region=market_dept.region
    )
    services.draft_create(item=item, fields={"promised_limit": 5})
    codes = [r[0].value for r in exported()["事项"].iter_rows(min_row=2)]
    assert "130402-D" not in codes


# --- round trip -----------------------------------------------------------------------


def test_importing_an_export_changes_nothing(items: list[ItemVersion]) -> None:
    before = snapshot()
    result = run(exported())
    assert result.ok, [str(p) for p in result.problems]
    assert (result.items, result.unchanged, result.versions_published, result.items_created) == (3, 3, 0, 0)
    assert (result.entries_created, result.entries_updated) == (0, 0)
    assert snapshot() == before


def test_text_that_looks_like_a_formula_survives_the_round_trip(market_dept: Department) -> None:
    published_item(
        code="130402-F", name="公式事项", department=market_dept, fields={"limit_note": "=1+1 个工作日"}
    )
    wb = exported()
    assert cell(wb, "事项", "130402-F", "时限说明").value == "=1+1 个工作日"
    before = snapshot()
    assert run(wb).ok
    assert snapshot() == before


def test_changing_one_cell_publishes_exactly_one_new_version(items: list[ItemVersion]) -> None:
    licence = items[0]
    wb = exported()
    cell(wb, "事项", "130402-XK-0001", "承诺时限").value = 8
    cell(wb, "事项", "130402-XK-0001", "生效日期").value = dt.date(2026, 4, 1)
    cell(wb, "事项", "130402-XK-0001", "变更说明").value = "压缩承诺时限"
    counts = catalog_counts()

    result = run(wb)

    assert result.ok, [str(p) for p in result.problems]
    assert (result.versions_published, result.unchanged) == (1, 2)
    v2 = ItemVersion.objects.get(item=licence.item, version=2)
    assert (v2.status, v2.promised_limit, v2.effective_from, v2.change_note) == (
        VersionStatus.PUBLISHED,
        8,
        dt.date(2026, 4, 1),
        "压缩承诺时限",
    )
    assert [m.name for m in v2.materials.all()] == [m.name for m in licence.materials.all()]
    assert v2.steps.count() == 4 and v2.fees.count() == 1 and v2.faqs.count() == 1
    licence.refresh_from_db()
    assert licence.effective_to == dt.date(2026, 4, 1)
    assert catalog_counts() == {
        **counts,
        "ItemVersion": counts["ItemVersion"] + 1,
        "Material": counts["Material"] + 2,
        "Fee": counts["Fee"] + 1,
        "WorkflowStep": counts["WorkflowStep"] + 4,
        "FAQ": counts["FAQ"] + 1,
    }
    # and the same workbook again is a no-op
    after = snapshot()
    again = run(wb)
    assert again.ok and again.versions_published == 0 and again.unchanged == 3
    assert snapshot() == after


def test_changing_a_part_row_publishes_a_new_version(items: list[ItemVersion]) -> None:
    wb = exported()
    cell(wb, "收费", "130402-XK-0001", "收费标准（元）").value = 12.5
    cell(wb, "事项", "130402-XK-0001", "生效日期").value = None  # today
    result = run(wb)
    assert result.ok and result.versions_published == 1
    v2 = ItemVersion.objects.get(item__code="130402-XK-0001", version=2)
    assert str(v2.fees.get().standard_amount) == "12.50"
    assert v2.effective_from == TODAY.date()


def test_removing_a_part_row_publishes_a_version_without_it(items: list[ItemVersion]) -> None:
    wb = exported()
    ws = wb["常见问题"]
    ws.delete_rows(row_of(ws, "130402-XK-0001"))
    cell(wb, "事项", "130402-XK-0001", "生效日期").value = "2026/05/01"
    result = run(wb)
    assert result.ok and result.versions_published == 1
    v2 = ItemVersion.objects.get(item__code="130402-XK-0001", version=2)
    assert not v2.faqs.exists()
    assert v2.effective_from == dt.date(2026, 5, 1)


def test_a_new_item_is_created_with_its_entry_and_published(
    items: list[ItemVersion], market_dept: Department
) -> None:
    wb = exported()
    ws = wb["事项"]
    source = [c.value for c in ws[row_of(ws, "130402-QT-0002")]]
    ws.append(source)
    new_row = ws.max_row
    ws.cell(new_row, column_of(ws, "事项编码")).value = "130402-QT-0009"
    ws.cell(new_row, column_of(ws, "目录编码")).value = "E-NEW"
    ws.cell(new_row, column_of(ws, "事项名称")).value = "个体工商户变更登记"
    ws.cell(new_row, column_of(ws, "生效日期")).value = None
    wb["环节"].append(["130402-QT-0009", 1, "受理", "受理", "窗口人员", 1, None, None])
    wb["环节"].append(["130402-QT-0009", 2, "决定", "批准", "批准人员", 2, None, None])

    result = run(wb)

    assert result.ok, [str(p) for p in result.problems]
    assert (result.items_created, result.versions_published, result.entries_created) == (1, 1, 1)
    item = Item.objects.get(code="130402-QT-0009")
    assert (item.entry.code, item.entry.name, item.department, item.region) == (
        "E-NEW",
        "个体工商户变更登记",
        market_dept,
        market_dept.region,
    )
    version = item.versions.get()
    assert (version.status, version.effective_from, version.promised_limit) == (
        VersionStatus.PUBLISHED,
        TODAY.date(),
        8,
    )
    assert [(s.kind, s.role, s.limit) for s in version.steps.all()] == [
        ("accept", "window_operator", 1),
        ("decide", "approver", 2),
    ]
    assert run(wb).versions_published == 0


def test_the_entries_sheet_updates_catalog_entries(items: list[ItemVersion]) -> None:
    wb = exported()
    ws = wb["基本目录"]
    assert ws.cell(2, 1).value == "E-130402-QT-0002"
    ws.cell(2, column_of(ws, "目录名称")).value = "个体工商户注册登记"
    result = run(wb)
    assert result.ok and (result.entries_updated, result.versions_published) == (1, 0)
    assert CatalogEntry.objects.get(code="E-130402-QT-0002").name == "个体工商户注册登记"


def test_a_dry_run_counts_and_writes_nothing(items: list[ItemVersion]) -> None:
    wb = exported()
    cell(wb, "事项", "130402-XK-0001", "承诺时限").value = 9
    cell(wb, "事项", "130402-XK-0001", "生效日期").value = dt.date(2026, 4, 1)
    before = snapshot()
    result = run(wb, dry_run=True)
    assert result.ok and result.dry_run and result.versions_published == 1
    assert snapshot() == before


def test_progress_is_reported_for_checking_and_writing(items: list[ItemVersion]) -> None:
    wb = exported()
    cell(wb, "事项", "130402-XK-0001", "承诺时限").value = 9
    cell(wb, "事项", "130402-XK-0001", "生效日期").value = dt.date(2026, 4, 1)
    calls: list[tuple[str, int, int]] = []
    result = run(wb, progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert result.ok
    assert ("validate", result.rows, result.rows) in calls
    assert calls[-1] == ("write", 1, 1)


# --- bad rows -------------------------------------------------------------------------

Edit = Callable[[Workbook], None]


def _set(sheet: str, code: str, header: str, value: Any, nth: int = 0) -> Edit:
    def edit(wb: Workbook) -> None:
        cell(wb, sheet, code, header, nth).value = value

    return edit


def _drop_rows(sheet: str, code: str) -> Edit:
    def edit(wb: Workbook) -> None:
        ws = wb[sheet]
        for row in sorted((r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == code), reverse=True):
            ws.delete_rows(row)

    return edit


def _append(sheet: str, values: list[Any]) -> Edit:
    return lambda wb: wb[sheet].append(values)


UNKNOWN_USCC = build_uscc("1", "1", "130402", "99999999X")
L = "130402-XK-0001"  # the licence: row 3 of 事项 (rows are sorted by item code)

BAD_ROWS: list[tuple[str, Edit, tuple[str, int, str, str]]] = [
    (
        "promised over statutory",
        _set("事项", L, "承诺时限", 30),
        ("事项", 3, "承诺时限", "promised_exceeds_statutory"),
    ),
    (
        "unknown department",
        _set("事项", L, "实施主体统一社会信用代码", UNKNOWN_USCC),
        ("事项", 3, "实施主体统一社会信用代码", "unknown_department"),
    ),
    (
        "invalid USCC",
        _set("事项", L, "实施主体统一社会信用代码", "91130402MA0CX0000X"),
        ("事项", 3, "实施主体统一社会信用代码", "uscc_checksum"),
    ),
    ("bad date", _set("事项", L, "生效日期", "2026-13-45"), ("事项", 3, "生效日期", "bad_date")),
    (
        "unknown type code",
        _set("事项", L, "事项类型编码", "99"),
        ("事项", 3, "事项类型编码", "unknown_type_code"),
    ),
    (
        "unknown region",
        _set("事项", L, "行政区划代码", "130499"),
        ("事项", 3, "行政区划代码", "unknown_region"),
    ),
    ("empty required cell", _set("事项", L, "事项名称", None), ("事项", 3, "事项名称", "required")),
    ("not a number", _set("事项", L, "承诺时限", "十天"), ("事项", 3, "承诺时限", "not_integer")),
    ("negative number", _set("事项", L, "到现场次数", -1), ("事项", 3, "到现场次数", "negative")),
    ("unknown word", _set("事项", L, "时限单位", "小时"), ("事项", 3, "时限单位", "bad_choice")),
    ("bad URL", _set("事项", L, "网上办理地址", "not a url"), ("事项", 3, "网上办理地址", "invalid")),
    ("item without workflow step", _drop_rows("环节", L), ("事项", 3, "事项编码", "no_workflow_step")),
    (
        "step of an unknown item",
        _append("环节", ["130402-NOPE", 1, "受理", "受理", "窗口人员", 1, None, None]),
        ("环节", 14, "事项编码", "unknown_item"),
    ),
    (
        "step with unknown department",
        _set("环节", L, "办理部门统一社会信用代码", UNKNOWN_USCC, nth=1),
        ("环节", 7, "办理部门统一社会信用代码", "unknown_department"),
    ),
    ("step with unknown role", _set("环节", L, "岗位角色", "科长"), ("环节", 6, "岗位角色", "bad_choice")),
    (
        "steps longer than promised",
        _set("环节", L, "环节时限", 9),
        ("事项", 3, "承诺时限", "steps_exceed_promised"),
    ),
    (
        "conditional material without condition",
        _set("材料", L, "需要的情形", None, nth=1),
        ("材料", 3, "需要的情形", "condition_missing"),
    ),
    ("fee without basis", _set("收费", L, "收费依据", None), ("收费", 2, "收费依据", "required")),
    (
        "fee not an amount",
        _set("收费", L, "收费标准（元）", "免费"),
        ("收费", 2, "收费标准（元）", "not_decimal"),
    ),
    (
        "statutory limit differing from the entry",
        _set("事项", L, "法定时限", 25),
        ("事项", 3, "法定时限", "statutory_differs_from_entry"),
    ),
    (
        "duplicate item",
        lambda wb: wb["事项"].append([c.value for c in wb["事项"][3]]),
        ("事项", 5, "事项编码", "duplicate_item"),
    ),
    (
        "moving an item to another department",
        lambda wb: _set(
            "事项", L, "实施主体统一社会信用代码", Department.objects.get(name="丛台区市场监督管理局").uscc
        )(wb),
        ("事项", 3, "实施主体统一社会信用代码", "item_identity_changed"),
    ),
    (
        "effective date not after the current version's",
        lambda wb: (_set("事项", L, "承诺时限", 9)(wb), _set("事项", L, "生效日期", dt.date(2025, 1, 1))(wb)),
        ("事项", 3, "生效日期", "effective_date_order"),
    ),
    (
        "entry with unknown type code",
        lambda wb: setattr(wb["基本目录"].cell(2, 3), "value", "30"),
        ("基本目录", 2, "事项类型编码", "unknown_type_code"),
    ),
]


@pytest.mark.parametrize(
    ("edit", "expected"), [(e, x) for _n, e, x in BAD_ROWS], ids=[n for n, _e, _x in BAD_ROWS]
)
def test_a_bad_row_is_reported_by_sheet_row_and_column_and_nothing_is_imported(
    items: list[ItemVersion], edit: Edit, expected: tuple[str, int, str, str]
) -> None:
    # given a workbook with a valid change to one item and one bad row elsewhere
    wb = exported()
    cell(wb, "事项", "130402-QT-0002", "事项名称").value = "个体工商户登记（新）"
    cell(wb, "事项", "130402-QT-0002", "生效日期").value = dt.date(2026, 4, 1)
    edit(wb)
    before = snapshot()
    # when it is imported
    result = run(wb)
    # then the problem is located precisely and nothing at all was written
    assert not result.ok
    assert expected in where(result), [str(p) for p in result.problems]
    assert snapshot() == before
    assert (result.versions_published, result.items_created, result.entries_created) == (0, 0, 0)


def test_the_message_names_sheet_row_column_and_reason(items: list[ItemVersion]) -> None:
    wb = exported()
    cell(wb, "事项", L, "承诺时限").value = 30
    with translation.override("en"):
        result = run(wb)
        assert [str(p) for p in result.problems] == [
            "事项 sheet, row 3, column 承诺时限: The promised limit (30) cannot exceed the statutory limit (20)."
        ]
    with translation.override("zh-hans"):
        assert str(result.problems[0]).startswith("“事项”工作表第3行“承诺时限”列")


def test_every_problem_is_reported_at_once_in_sheet_order(items: list[ItemVersion]) -> None:
    wb = exported()
    cell(wb, "常见问题", L, "解答").value = None
    cell(wb, "事项", "130402-QT-0002", "承诺时限").value = "x"
    cell(wb, "事项", L, "事项类型编码").value = "99"
    result = run(wb)
    assert where(result) == [
        ("事项", 2, "承诺时限", "not_integer"),
        ("事项", 3, "事项类型编码", "unknown_type_code"),
        ("常见问题", 2, "解答", "required"),
    ]


def test_a_pending_draft_blocks_a_changed_item(items: list[ItemVersion]) -> None:
    services.draft_create(item=items[0].item)
    wb = exported()
    # unchanged: the draft does not matter
    assert run(wb).ok
    cell(wb, "事项", L, "承诺时限").value = 9
    cell(wb, "事项", L, "生效日期").value = dt.date(2026, 4, 1)
    before = snapshot()
    result = run(wb)
    assert where(result) == [("事项", 3, "事项编码", "draft_exists")]
    assert snapshot() == before


def test_a_missing_sheet_or_column_is_reported(items: list[ItemVersion]) -> None:
    wb = exported()
    del wb["环节"]
    ws = wb["材料"]
    ws.delete_cols(column_of(ws, "纸质份数"))
    wb["收费"].cell(1, 8).value = "备注"
    before = snapshot()
    result = run(wb)
    assert where(result) == [
        ("材料", 1, "纸质份数", "missing_column"),
        ("收费", 1, "备注", "unknown_column"),
        ("环节", None, None, "missing_sheet"),
    ]
    assert snapshot() == before


def test_a_file_that_is_not_a_workbook_is_refused(items: list[ItemVersion]) -> None:
    result = import_workbook(io.BytesIO(b"name,code\n"))
    assert where(result) == [("", None, None, "bad_file")]


def test_headers_with_half_width_brackets_and_codes_instead_of_words_are_read(
    items: list[ItemVersion],
) -> None:
    wb = exported()
    ws = wb["收费"]
    ws.cell(1, column_of(ws, "收费标准（元）")).value = "收费标准(元)"
    cell(wb, "事项", L, "时限单位").value = "working"
    cell(wb, "事项", L, "事项类型编码").value = 1  # Excel dropped the leading zero
    cell(wb, "事项", L, "网上办理深度").value = 4
    before = snapshot()
    result = run(wb)
    assert result.ok, [str(p) for p in result.problems]
    assert snapshot() == before


# --- speed ----------------------------------------------------------------------------


def _many(department: Department, n: int) -> None:
    for i in range(n):
        published_item(code=f"130402-N-{i:04d}", name=f"批量事项{i}", department=department)


def test_checking_a_workbook_costs_the_same_queries_for_3_or_30_items(market_dept: Department) -> None:
    _many(market_dept, 3)
    small = as_file(exported())
    with CaptureQueriesContext(connection) as three:
        assert import_workbook(small).ok
    _many(market_dept, 30)
    large = as_file(exported())
    with CaptureQueriesContext(connection) as thirty:
        result = import_workbook(large)
    assert result.ok and result.unchanged == 30
    assert len(thirty) == len(three)
