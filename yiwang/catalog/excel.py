"""Import and export of service items as an Excel workbook (.xlsx).

Layout
------
One header row per sheet, data from row 2; headers are the Chinese names below, in any
order. Empty rows are skipped. The exported workbook has a sheet 说明 that lists every
column with its allowed values; the importer ignores that sheet.

基本目录 (catalog entries, optional)
    目录编码, 目录名称, 事项类型编码, 设定依据, 法定时限, 法定时限单位, 权力来源.
    An item whose 目录编码 is neither on this sheet nor in the database gets a catalog
    entry made from its own row (name, type, legal basis, statutory limit).
事项 (one row per item)
    事项编码, 目录编码, 事项名称, 事项类型编码 (national code 01…10, 20), 实施主体统一社会信用代码,
    行政区划代码, 承办机构, 实施依据, 法定时限, 承诺时限, 时限单位 (工作日 / 自然日), 时限说明,
    办件类型 (即办件 / 承诺件), 服务对象 (个人 / 企业 / 个人和企业), 受理条件, 特别程序,
    网上办理深度, 到现场次数, 预约办理 (是 / 否), 并联审批 (是 / 否), 办理结果类型, 办理结果名称,
    办理地点和时间, 咨询电话, 咨询地址, 投诉电话, 网上办理地址, 生效日期, 变更说明.
材料, 收费, 环节, 常见问题 (rows keyed by 事项编码, in the order of 序号)
    材料: 事项编码, 序号, 材料名称, 材料形式, 纸质份数, 必要性, 需要的情形, 来源渠道, 依据,
    受理标准, 空白表格, 示例样表, 可替代的电子证照类型.
    收费: 事项编码, 序号, 收费项目, 收费标准（元）, 计费单位, 收费依据, 减免说明.
    环节: 事项编码, 序号, 环节名称, 环节类型, 岗位角色, 环节时限, 办理部门统一社会信用代码, 并联组.
    常见问题: 事项编码, 序号, 问题, 解答.

Import rules
------------
The whole workbook is checked before anything is written; every problem is reported with
its sheet, row and column, and if there is any, nothing is imported. A valid workbook is
written in one transaction: catalog entries are created or updated, new items created,
and each item whose content (事项 row and its 材料 / 收费 / 环节 / 常见问题 rows) differs
from its latest published version gets a new version, published from 生效日期 (default
today), which must come after the latest version's. Unchanged items get no new version,
so importing the same workbook twice, or a fresh export, changes nothing. Items missing
from the workbook are left as they are. An item's catalog entry, department and region
cannot be changed by import.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import IO, Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import OuterRef, Prefetch, Subquery
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from yiwang.catalog import services
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
    MaterialForm,
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
from yiwang.core.identifiers import validate_uscc
from yiwang.org.models import Department, Region, Role

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``; stage is ``"validate"`` or ``"write"``."""

T = TypeVar("T")

SHEET_ENTRIES = "基本目录"
SHEET_ITEMS = "事项"
SHEET_MATERIALS = "材料"
SHEET_FEES = "收费"
SHEET_STEPS = "环节"
SHEET_FAQS = "常见问题"
SHEET_README = "说明"

_CHUNK = 500  # rows per IN (...) lookup: well under every database's parameter limit


# --- vocabulary -----------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One allowed value: what is stored, the word written to the workbook, other spellings read."""

    value: Any
    word: str
    aliases: tuple[str, ...] = ()


def _choices(*rows: tuple[Any, ...]) -> tuple[Choice, ...]:
    return tuple(Choice(row[0], row[1], tuple(row[2:])) for row in rows)


ITEM_TYPES = _choices(
    (ItemType.LICENSING, "01", "行政许可"),
    (ItemType.PENALTY, "02", "行政处罚"),
    (ItemType.ENFORCEMENT, "03", "行政强制"),
    (ItemType.LEVY, "04", "行政征收"),
    (ItemType.BENEFIT, "05", "行政给付"),
    (ItemType.INSPECTION, "06", "行政检查"),
    (ItemType.CONFIRMATION, "07", "行政确认"),
    (ItemType.REWARD, "08", "行政奖励"),
    (ItemType.ADJUDICATION, "09", "行政裁决"),
    (ItemType.OTHER, "10", "其他行政权力"),
    (ItemType.PUBLIC_SERVICE, "20", "公共服务"),
)
POWER_SOURCES = _choices(
    (PowerSource.STATUTORY, "法定本级行使", "1"),
    (PowerSource.DELEGATED, "上级下放", "2"),
    (PowerSource.AUTHORISED_SUPERIOR, "上级授权", "3"),
    (PowerSource.AUTHORISED_PEER, "同级授权", "4"),
    (PowerSource.ENTRUSTED_SUPERIOR, "上级委托", "5"),
    (PowerSource.ENTRUSTED_PEER, "同级委托", "6"),
)
LIMIT_UNITS = _choices((LimitUnit.WORKING_DAYS, "工作日"), (LimitUnit.NATURAL_DAYS, "自然日"))
CASE_KINDS = _choices((CaseKind.IMMEDIATE, "即办件", "1"), (CaseKind.PROMISED, "承诺件", "2"))
TARGETS = _choices(
    (Target.INDIVIDUAL, "个人", "自然人"),
    (Target.ENTERPRISE, "企业", "法人", "法人和其他组织"),
    (Target.BOTH, "个人和企业", "自然人和法人", "自然人、法人", "个人、企业"),
)
ONLINE_DEPTHS = _choices(
    (OnlineDepth.CONSULTATION, "网上咨询", "1"),
    (OnlineDepth.RECEIPT, "网上收件", "2"),
    (OnlineDepth.PRE_REVIEW, "网上预审", "3"),
    (OnlineDepth.ACCEPTANCE, "网上受理", "4"),
    (OnlineDepth.HANDLING, "全程网办", "5"),
    (OnlineDepth.RESULT, "网上反馈结果", "6"),
    (OnlineDepth.E_LICENSE, "电子证照反馈", "7"),
)
RESULT_TYPES = _choices(
    (ResultType.LICENSE, "证照", "1"),
    (ResultType.APPROVAL, "批文", "2"),
    (ResultType.OTHER, "其他", "3"),
    (ResultType.NONE, "无", "4"),
)
YES_NO = _choices((True, "是", "y", "yes", "true", "1"), (False, "否", "n", "no", "false", "0"))
MATERIAL_FORMS = _choices(
    (MaterialForm.ORIGINAL, "原件"),
    (MaterialForm.COPY, "复印件"),
    (MaterialForm.ORIGINAL_AND_COPY, "原件和复印件", "原件及复印件"),
    (MaterialForm.ELECTRONIC, "电子", "电子材料", "电子版"),
)
NECESSITIES = _choices(
    (Necessity.REQUIRED, "必要"),
    (Necessity.CONDITIONAL, "情形必要", "特定情形下必要"),
    (Necessity.OPTIONAL, "非必要"),
)
MATERIAL_SOURCES = _choices(
    (MaterialSource.APPLICANT, "申请人自备", "申请人"),
    (MaterialSource.GOVERNMENT, "政府部门核发", "政府部门"),
    (MaterialSource.OTHER, "第三方提供", "第三方", "其他"),
)
STEP_KINDS = _choices(
    (StepKind.ACCEPT, "受理"),
    (StepKind.HANDLE, "承办"),
    (StepKind.REVIEW, "审核"),
    (StepKind.DECIDE, "决定", "批准"),
    (StepKind.COMPLETE, "办结"),
    (StepKind.DELIVER, "送达"),
)
ROLES = _choices(
    (Role.WINDOW_OPERATOR, "窗口人员"),
    (Role.HANDLER, "承办人员"),
    (Role.REVIEWER, "审核人员"),
    (Role.APPROVER, "批准人员"),
    (Role.MAINTAINER, "维护员"),
    (Role.SYSTEM_ADMIN, "系统管理员"),
    (Role.SUPERVISOR, "监察员"),
    (Role.LEADER, "领导"),
    (Role.HOTLINE_AGENT, "话务员"),
)


# --- layout ---------------------------------------------------------------------------


class Kind(Enum):
    TEXT = "text"
    INT = "int"
    DECIMAL = "decimal"
    DATE = "date"
    CHOICE = "choice"
    USCC = "uscc"


@functools.cache
def _lookup(choices: tuple[Choice, ...]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for choice in choices:
        for spelling in (choice.word, str(choice.value), *choice.aliases):
            table[spelling.casefold()] = choice.value
    return table


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    kind: Kind = Kind.TEXT
    required: bool = False
    choices: tuple[Choice, ...] = ()
    default: Any = None
    note: str | Promise = ""
    width: int = 14
    choice_error: str = "bad_choice"

    def lookup(self) -> dict[str, Any]:
        """Every accepted spelling (word, code, alias; case-folded) → stored value."""
        return _lookup(self.choices)

    def word(self, value: Any) -> str:
        for choice in self.choices:
            if choice.value == value:
                return choice.word
        return "" if value is None else str(value)


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    required: bool = True

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


_ITEM_CODE = Column(
    "事项编码", "item_code", required=True, width=24, note=gettext_lazy("Code of an item on the 事项 sheet.")
)
_ORDER = Column(
    "序号",
    "order",
    Kind.INT,
    width=6,
    note=gettext_lazy("Position in the item's list; empty keeps the row order."),
)

ENTRIES = Sheet(
    SHEET_ENTRIES,
    (
        Column("目录编码", "code", required=True, width=22),
        Column("目录名称", "name", required=True, width=30),
        Column("事项类型编码", "item_type", Kind.CHOICE, True, ITEM_TYPES, choice_error="unknown_type_code"),
        Column("设定依据", "legal_basis", required=True, width=40),
        Column(
            "法定时限", "statutory_limit", Kind.INT, note=gettext_lazy("Empty when the law sets no limit.")
        ),
        Column(
            "法定时限单位",
            "statutory_limit_unit",
            Kind.CHOICE,
            choices=LIMIT_UNITS,
            default=LimitUnit.WORKING_DAYS,
        ),
        Column("权力来源", "power_source", Kind.CHOICE, choices=POWER_SOURCES, default=PowerSource.STATUTORY),
    ),
    required=False,
)
ITEMS = Sheet(
    SHEET_ITEMS,
    (
        Column("事项编码", "code", required=True, width=24),
        Column("目录编码", "entry_code", required=True, width=22),
        Column("事项名称", "name", required=True, width=30),
        Column("事项类型编码", "item_type", Kind.CHOICE, True, ITEM_TYPES, choice_error="unknown_type_code"),
        Column("实施主体统一社会信用代码", "department_uscc", Kind.USCC, required=True, width=22),
        Column("行政区划代码", "region_code", required=True),
        Column("承办机构", "handling_unit", width=20),
        Column("实施依据", "legal_basis", required=True, width=40),
        Column("法定时限", "statutory_limit", Kind.INT, note=gettext_lazy("Empty: the catalog entry's.")),
        Column("承诺时限", "promised_limit", Kind.INT, required=True),
        Column("时限单位", "limit_unit", Kind.CHOICE, choices=LIMIT_UNITS, default=LimitUnit.WORKING_DAYS),
        Column("时限说明", "limit_note", width=20),
        Column("办件类型", "case_kind", Kind.CHOICE, choices=CASE_KINDS, default=CaseKind.PROMISED),
        Column("服务对象", "target", Kind.CHOICE, choices=TARGETS, default=Target.BOTH),
        Column("受理条件", "conditions", width=40),
        Column("特别程序", "special_procedures", width=20),
        Column(
            "网上办理深度", "online_depth", Kind.CHOICE, choices=ONLINE_DEPTHS, default=OnlineDepth.ACCEPTANCE
        ),
        Column("到现场次数", "visits", Kind.INT, default=1),
        Column("预约办理", "appointment", Kind.CHOICE, choices=YES_NO, default=False),
        Column("并联审批", "parallel_approval", Kind.CHOICE, choices=YES_NO, default=False),
        Column("办理结果类型", "result_type", Kind.CHOICE, choices=RESULT_TYPES, default=ResultType.APPROVAL),
        Column("办理结果名称", "result_name", width=20),
        Column("办理地点和时间", "place_and_hours", width=30),
        Column("咨询电话", "consultation_phone"),
        Column("咨询地址", "consultation_address", width=30),
        Column("投诉电话", "complaint_phone"),
        Column("网上办理地址", "online_url", width=30),
        Column(
            "生效日期",
            "effective_from",
            Kind.DATE,
            note=gettext_lazy(
                "Used only when the item changed: the new version takes effect on this date (empty: today)."
            ),
        ),
        Column("变更说明", "change_note", width=30),
    ),
)
MATERIALS = Sheet(
    SHEET_MATERIALS,
    (
        _ITEM_CODE,
        _ORDER,
        Column("材料名称", "name", required=True, width=30),
        Column("材料形式", "form", Kind.CHOICE, choices=MATERIAL_FORMS, default=MaterialForm.ORIGINAL),
        Column("纸质份数", "copies", Kind.INT, default=1),
        Column("必要性", "necessity", Kind.CHOICE, choices=NECESSITIES, default=Necessity.REQUIRED),
        Column(
            "需要的情形",
            "condition",
            width=24,
            note=gettext_lazy("Required when the material is conditional."),
        ),
        Column("来源渠道", "source", Kind.CHOICE, choices=MATERIAL_SOURCES, default=MaterialSource.APPLICANT),
        Column("依据", "basis", width=24),
        Column("受理标准", "requirements", width=24),
        Column("空白表格", "blank_form", note=gettext_lazy("Path of the file in the media storage.")),
        Column("示例样表", "sample", note=gettext_lazy("Path of the file in the media storage.")),
        Column("可替代的电子证照类型", "license_type", width=18),
    ),
)
FEES = Sheet(
    SHEET_FEES,
    (
        _ITEM_CODE,
        _ORDER,
        Column("收费项目", "name", required=True, width=24),
        Column("收费标准（元）", "standard_amount", Kind.DECIMAL, required=True),
        Column("计费单位", "unit"),
        Column("收费依据", "basis", required=True, width=40),
        Column("减免说明", "reductions", width=24),
    ),
)
STEPS = Sheet(
    SHEET_STEPS,
    (
        _ITEM_CODE,
        _ORDER,
        Column("环节名称", "name", required=True),
        Column("环节类型", "kind", Kind.CHOICE, True, STEP_KINDS),
        Column("岗位角色", "role", Kind.CHOICE, True, ROLES),
        Column("环节时限", "limit", Kind.INT, required=True, note=gettext_lazy("In the item's limit unit.")),
        Column(
            "办理部门统一社会信用代码",
            "department_uscc",
            Kind.USCC,
            width=22,
            note=gettext_lazy(
                "Another department approving in parallel; empty for the implementing department."
            ),
        ),
        Column(
            "并联组",
            "parallel_group",
            Kind.INT,
            note=gettext_lazy("Steps with the same number run at the same time."),
        ),
    ),
)
FAQS = Sheet(
    SHEET_FAQS,
    (
        _ITEM_CODE,
        _ORDER,
        Column("问题", "question", required=True, width=40),
        Column("解答", "answer", required=True, width=60),
    ),
)
SHEETS: tuple[Sheet, ...] = (ENTRIES, ITEMS, MATERIALS, FEES, STEPS, FAQS)
PART_SHEETS: tuple[tuple[str, type[models.Model], Sheet], ...] = (
    ("materials", Material, MATERIALS),
    ("fees", Fee, FEES),
    ("steps", WorkflowStep, STEPS),
    ("faqs", FAQ, FAQS),
)
_NOT_CONTENT = {"code", "entry_code", "department_uscc", "region_code", "effective_from", "change_note"}
# The fields that make up an item's content: what the import compares with the latest
# published version to decide whether a new version is due.
VERSION_CONTENT: tuple[str, ...] = tuple(c.key for c in ITEMS.columns if c.key not in _NOT_CONTENT)
PART_CONTENT: dict[str, tuple[str, ...]] = {
    related: tuple(
        "department_id" if c.key == "department_uscc" else c.key
        for c in sheet.columns
        if c.key not in {"item_code", "order"}
    )
    for related, _model, sheet in PART_SHEETS
}


# --- problems and results -------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    """One reason the workbook cannot be imported, located by sheet, row and column."""

    sheet: str
    row: int | None
    column: str | None
    code: str
    message: str

    def __str__(self) -> str:
        if self.row is not None and self.column:
            return _("%(sheet)s sheet, row %(row)d, column %(column)s: %(message)s") % {
                "sheet": self.sheet,
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        if self.column:
            return _("%(sheet)s sheet, column %(column)s: %(message)s") % {
                "sheet": self.sheet,
                "column": self.column,
                "message": self.message,
            }
        if self.row is not None:
            return _("%(sheet)s sheet, row %(row)d: %(message)s") % {
                "sheet": self.sheet,
                "row": self.row,
                "message": self.message,
            }
        if self.sheet:
            return _("%(sheet)s sheet: %(message)s") % {"sheet": self.sheet, "message": self.message}
        return self.message


@dataclass
class ImportResult:
    rows: int = 0
    items: int = 0
    entries_created: int = 0
    entries_updated: int = 0
    items_created: int = 0
    versions_published: int = 0
    unchanged: int = 0
    dry_run: bool = False
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class _Problems:
    def __init__(self) -> None:
        self.items: list[ImportProblem] = []
        self._seen: set[tuple[str, int | None, str | None, str]] = set()

    def add(self, sheet: str, row: int | None, column: str | None, code: str, message: str) -> None:
        key = (sheet, row, column, message)
        if key not in self._seen:
            self._seen.add(key)
            self.items.append(ImportProblem(sheet, row, column, code, message))

    def add_validation(
        self, sheet: Sheet, row: int, error: ValidationError, fields: Mapping[str, str]
    ) -> None:
        """Report a model ValidationError; ``fields`` maps model fields to column keys."""
        error_dict = (
            error.error_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.error_list}
        )
        for name, errors in error_dict.items():
            column = sheet.column(fields.get(name, name)) or sheet.columns[0]
            for err in errors:
                self.add(sheet.name, row, column.header, err.code or "invalid", err.messages[0])

    def __bool__(self) -> bool:
        return bool(self.items)

    def sorted(self) -> list[ImportProblem]:
        sheet_order = {s.name: i for i, s in enumerate(SHEETS)}
        column_order = {(s.name, c.header): i for s in SHEETS for i, c in enumerate(s.columns)}
        return sorted(
            self.items,
            key=lambda p: (
                sheet_order.get(p.sheet, -1),
                p.row or 0,
                column_order.get((p.sheet, p.column or ""), -1),
            ),
        )


class _CellError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Row:
    number: int
    values: dict[str, Any]
    ok: bool = True


# --- reading cells --------------------------------------------------------------------

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
_HEADER_FOLD = str.maketrans({"(": "（", ")": "）", " ": "", "\u3000": ""})


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    return str(raw).strip()


def _parse(column: Column, raw: Any) -> Any:
    text = _text(raw)
    if not text:
        if column.required:
            raise _CellError("required", _("This column is required."))
        if column.kind is Kind.TEXT:
            return ""
        return column.default
    if column.kind is Kind.TEXT:
        return text
    if column.kind is Kind.INT:
        try:
            number = int(text)
        except ValueError:
            raise _CellError(
                "not_integer", _("“%(value)s” is not a whole number.") % {"value": text}
            ) from None
        if number < 0:
            raise _CellError("negative", _("The number cannot be negative."))
        return number
    if column.kind is Kind.DECIMAL:
        try:
            amount = Decimal(text)
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite():
            raise _CellError("not_decimal", _("“%(value)s” is not an amount of money.") % {"value": text})
        if amount < 0:
            raise _CellError("negative", _("The number cannot be negative."))
        return amount
    if column.kind is Kind.DATE:
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a calendar date, no time)
            except ValueError:
                continue
        raise _CellError(
            "bad_date", _("“%(value)s” is not a date; write it as 2025-01-31.") % {"value": text}
        )
    if column.kind is Kind.USCC:
        try:
            return validate_uscc(text)
        except ValidationError as e:
            raise _CellError(e.code or "invalid_uscc", e.messages[0]) from None
    # Kind.CHOICE
    if column.choice_error == "unknown_type_code" and text.isdigit() and len(text) == 1:
        text = text.zfill(2)  # Excel turns a typed 01 into the number 1
    value = column.lookup().get(text.casefold())
    if value is None:
        if column.choice_error == "unknown_type_code":
            message = _("Unknown item type code “%(value)s”; the codes are %(allowed)s.")
        else:
            message = _("“%(value)s” is not one of: %(allowed)s.")
        raise _CellError(
            column.choice_error,
            message % {"value": text, "allowed": "、".join(c.word for c in column.choices)},
        )
    return value


def _read_sheet(workbook: Any, sheet: Sheet, problems: _Problems) -> list[_Row] | None:
    """The parsed rows of a sheet; None when the sheet is absent or its header is unusable."""
    if sheet.name not in workbook.sheetnames:
        if sheet.required:
            problems.add(
                sheet.name,
                None,
                None,
                "missing_sheet",
                _("The workbook has no sheet with this name."),
            )
        return None
    rows = workbook[sheet.name].iter_rows(values_only=True)
    header = next(rows, ())
    by_header = {c.header.translate(_HEADER_FOLD): c for c in sheet.columns}
    positions: dict[str, int] = {}
    header_ok = True
    for index, raw in enumerate(header):
        title = _text(raw).translate(_HEADER_FOLD)
        if not title:
            continue
        column = by_header.get(title)
        if column is None:
            problems.add(
                sheet.name,
                1,
                _text(raw),
                "unknown_column",
                _("Unknown column; the columns of this sheet are %(columns)s.")
                % {"columns": "、".join(c.header for c in sheet.columns)},
            )
            header_ok = False
        elif column.key in positions:
            problems.add(sheet.name, 1, column.header, "duplicate_column", _("This column appears twice."))
            header_ok = False
        else:
            positions[column.key] = index
    for column in sheet.columns:
        if column.key not in positions:
            problems.add(
                sheet.name, 1, column.header, "missing_column", _("The header row lacks this column.")
            )
            header_ok = False
    if not header_ok:
        return None
    parsed: list[_Row] = []
    for number, cells in enumerate(rows, start=2):
        if all(_text(c) == "" for c in cells):
            continue
        row = _Row(number, {})
        for column in sheet.columns:
            index = positions[column.key]
            raw = cells[index] if index < len(cells) else None
            try:
                row.values[column.key] = _parse(column, raw)
            except _CellError as e:
                problems.add(sheet.name, number, column.header, e.code, e.message)
                row.ok = False
        parsed.append(row)
    return parsed


# --- comparing content ----------------------------------------------------------------


@functools.cache
def _field(model: type[models.Model], attname: str) -> models.Field[Any, Any]:
    return next(f for f in model._meta.concrete_fields if f.attname == attname)


def _normalise(model: type[models.Model], attname: str, value: Any) -> Any:
    model_field = _field(model, attname)
    if isinstance(model_field, models.FileField):
        return (getattr(value, "name", value) or "").strip()
    if isinstance(model_field, models.CharField | models.TextField):
        return (value or "").strip() if isinstance(value, str) or value is None else value
    if isinstance(model_field, models.DecimalField) and value is not None:
        return Decimal(value).quantize(Decimal("0.01"))
    return value


def _content(fields: Mapping[str, Any], parts: Mapping[str, Sequence[Mapping[str, Any]]]) -> tuple[Any, ...]:
    version = tuple(_normalise(ItemVersion, name, fields.get(name)) for name in VERSION_CONTENT)
    rows = tuple(
        tuple(
            tuple(_normalise(model, name, row.get(name)) for name in PART_CONTENT[related])
            for row in parts[related]
        )
        for related, model, _sheet in PART_SHEETS
    )
    return (version, rows)


def _version_content(version: ItemVersion) -> tuple[Any, ...]:
    fields = {name: getattr(version, name) for name in VERSION_CONTENT}
    parts = {
        related: [
            {name: getattr(obj, name) for name in PART_CONTENT[related]}
            for obj in getattr(version, related).all()
        ]
        for related, _model, _sheet in PART_SHEETS
    }
    return _content(fields, parts)


def _chunks(values: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _latest_published(item_ids: Sequence[int]) -> dict[int, ItemVersion]:
    """The latest published version of each item, with its parts: a few queries per 500 items."""
    latest = (
        ItemVersion.objects.filter(item=OuterRef("item"), status=VersionStatus.PUBLISHED)
        .order_by("-effective_from", "-version")
        .values("pk")[:1]
    )
    found: dict[int, ItemVersion] = {}
    for chunk in _chunks(item_ids):
        versions = ItemVersion.objects.filter(item_id__in=chunk, pk=Subquery(latest)).prefetch_related(
            "materials", "fees", Prefetch("steps", WorkflowStep.objects.select_related("department")), "faqs"
        )
        found.update({v.item_id: v for v in versions})
    return found


# --- import ---------------------------------------------------------------------------


@dataclass
class _ItemPlan:
    row: _Row
    fields: dict[str, Any]
    parts: dict[str, list[dict[str, Any]]]
    entry_code: str
    department: Department
    region: Region
    item: Item | None
    effective_from: dt.date
    change_note: str
    changed: bool


_ENTRY_FIELDS_FROM_ITEM = {
    "name": "name",
    "item_type": "item_type",
    "legal_basis": "legal_basis",
    "statutory_limit": "statutory_limit",
    "statutory_limit_unit": "limit_unit",
}
_ENTRY_KEYS = ("name", "item_type", "legal_basis", "statutory_limit", "statutory_limit_unit", "power_source")


def import_workbook(
    source: str | Path | IO[bytes],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Check the workbook and, if it has no problem, write it in one transaction.

    Returns the counts, or the problems (and then nothing was written). With ``dry_run``
    the writes run and are rolled back, so the counts are what a real import would do.
    """
    result = ImportResult(dry_run=dry_run)
    problems = _Problems()
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a file that is not .xlsx
        result.problems = [
            ImportProblem(
                "",
                None,
                None,
                "bad_file",
                _("This is not an Excel workbook (.xlsx): %(error)s") % {"error": e},
            )
        ]
        return result
    try:
        sheets = {sheet.name: _read_sheet(workbook, sheet, problems) for sheet in SHEETS}
    finally:
        workbook.close()
    result.rows = sum(len(rows or ()) for rows in sheets.values())
    if progress:
        progress("validate", 0, result.rows)
    plans, db_entries = _plan(sheets, problems, result, progress)
    if problems:
        result.problems = problems.sorted()
        return result
    _write(plans, sheets.get(SHEET_ENTRIES) or [], db_entries, problems, result, progress, dry_run)
    if problems:
        # Rolled back: report the problems, not counts of writes that did not happen.
        return ImportResult(rows=result.rows, items=result.items, dry_run=dry_run, problems=problems.sorted())
    return result


def _plan(
    sheets: Mapping[str, list[_Row] | None],
    problems: _Problems,
    result: ImportResult,
    progress: Progress | None,
) -> tuple[list[_ItemPlan], dict[str, CatalogEntry]]:
    """Check every row and decide what each item needs; also returns the stored entries read."""
    item_rows = sheets[SHEET_ITEMS] or []
    entry_rows = sheets[SHEET_ENTRIES] or []
    result.items = len(item_rows)
    done = 0

    def tick(n: int = 1) -> None:
        nonlocal done
        done += n
        if progress:
            progress("validate", done, result.rows)

    # Bulk reads: every department, region, entry and item the workbook names, in a few queries.
    usccs = {r.values.get("department_uscc") or "" for r in item_rows}
    usccs |= {r.values.get("department_uscc") or "" for r in sheets[SHEET_STEPS] or []}
    departments: dict[str, Department] = {}
    for chunk in _chunks(sorted(usccs - {""})):
        departments.update(
            {d.uscc: d for d in Department.objects.filter(uscc__in=chunk).select_related("region")}
        )
    region_codes = sorted({r.values["region_code"] for r in item_rows if r.values.get("region_code")})
    regions: dict[str, Region] = {}
    for chunk in _chunks(region_codes):
        regions.update({r.code: r for r in Region.objects.filter(code__in=chunk)})
    entry_codes = sorted(
        {r.values["code"] for r in entry_rows if r.values.get("code")}
        | {r.values["entry_code"] for r in item_rows if r.values.get("entry_code")}
    )
    db_entries: dict[str, CatalogEntry] = {}
    for chunk in _chunks(entry_codes):
        db_entries.update({e.code: e for e in CatalogEntry.objects.filter(code__in=chunk)})
    item_codes = sorted({r.values["code"] for r in item_rows if r.values.get("code")})
    db_items: dict[str, Item] = {}
    for chunk in _chunks(item_codes):
        db_items.update(
            {
                i.code: i
                for i in Item.objects.filter(code__in=chunk).select_related("entry", "department", "region")
            }
        )
    item_ids = [i.pk for i in db_items.values()]
    current = _latest_published(item_ids)
    drafts: dict[int, int] = {}
    for chunk in _chunks(item_ids):
        drafts.update(
            ItemVersion.objects.filter(item_id__in=chunk, status=VersionStatus.DRAFT).values_list(
                "item_id", "version"
            )
        )

    # 基本目录: entries defined by the workbook.
    file_entries: dict[str, CatalogEntry] = {}
    first_entry_row: dict[str, int] = {}
    for row in entry_rows:
        tick()
        code: str = row.values.get("code") or ""
        if code and code in first_entry_row:
            problems.add(
                SHEET_ENTRIES,
                row.number,
                "目录编码",
                "duplicate_entry",
                _("Catalog code %(code)s appears twice (first in row %(row)d).")
                % {"code": code, "row": first_entry_row[code]},
            )
            continue
        if not row.ok:
            continue
        first_entry_row[code] = row.number
        entry = CatalogEntry(**{"code": code, **{k: row.values[k] for k in _ENTRY_KEYS}})
        try:
            entry.full_clean(validate_unique=False)
        except ValidationError as e:
            problems.add_validation(ENTRIES, row.number, e, {})
            continue
        file_entries[code] = entry

    # 事项: one plan per item row.
    plans: dict[str, _ItemPlan] = {}
    versions: dict[str, ItemVersion] = {}
    auto_entries: dict[str, CatalogEntry] = {}
    first_item_row: dict[str, int] = {}
    today = timezone.localdate()
    for row in item_rows:
        tick()
        values = row.values
        code = values.get("code") or ""
        if code:
            if code in first_item_row:
                problems.add(
                    SHEET_ITEMS,
                    row.number,
                    "事项编码",
                    "duplicate_item",
                    _("Item code %(code)s appears twice (first in row %(row)d).")
                    % {"code": code, "row": first_item_row[code]},
                )
                row.ok = False
                continue
            first_item_row[code] = row.number
        department = departments.get(values.get("department_uscc") or "")
        if values.get("department_uscc") and department is None:
            problems.add(
                SHEET_ITEMS,
                row.number,
                "实施主体统一社会信用代码",
                "unknown_department",
                _("No department has the unified social credit code %(uscc)s.")
                % {"uscc": values["department_uscc"]},
            )
            row.ok = False
        region = regions.get(values.get("region_code") or "")
        if values.get("region_code") and region is None:
            problems.add(
                SHEET_ITEMS,
                row.number,
                "行政区划代码",
                "unknown_region",
                _("No region has the code %(code)s.") % {"code": values["region_code"]},
            )
            row.ok = False
        # Every check that the parsed cells allow runs, even on a row with a bad cell
        # elsewhere, so one pass reports all of a row's problems.
        existing = db_items.get(code) if code else None
        if existing is not None:
            for header, now, then in (
                ("目录编码", values.get("entry_code"), existing.entry.code),
                ("实施主体统一社会信用代码", department and department.uscc, existing.department.uscc),
                ("行政区划代码", region and region.code, existing.region.code),
            ):
                if now and now != then:
                    problems.add(
                        SHEET_ITEMS,
                        row.number,
                        header,
                        "item_identity_changed",
                        _(
                            "Item %(code)s is recorded with %(then)s; import cannot change an item's catalog entry, department or region."
                        )
                        % {"code": code, "then": then},
                    )
                    row.ok = False
        elif department is not None and region is not None:
            if not region.path.startswith(department.region.path):
                problems.add(
                    SHEET_ITEMS,
                    row.number,
                    "行政区划代码",
                    "region_outside_department",
                    _("The item's region must be the department's region or lie inside it."),
                )
                row.ok = False
            candidate = Item(code=code or "", department=department, region=region)
            try:
                # Foreign keys are resolved above; validating them again would cost a query a row.
                candidate.full_clean(exclude=["entry", "department", "region"], validate_unique=False)
            except ValidationError as e:
                problems.add_validation(ITEMS, row.number, e, {})
                row.ok = False
        entry_code: str = values.get("entry_code") or ""
        entry_keys = ("entry_code", *_ENTRY_FIELDS_FROM_ITEM.values())
        if (
            all(k in values for k in entry_keys)
            and entry_code not in file_entries
            and entry_code not in db_entries
            and entry_code not in auto_entries
        ):
            entry = CatalogEntry(
                code=entry_code,
                power_source=PowerSource.STATUTORY,
                **{k: values[v] for k, v in _ENTRY_FIELDS_FROM_ITEM.items()},
            )
            try:
                entry.full_clean(validate_unique=False)
            except ValidationError as e:
                problems.add_validation(
                    ITEMS, row.number, e, {"code": "entry_code", "statutory_limit_unit": "limit_unit"}
                )
                row.ok = False
            auto_entries[entry_code] = entry
        parsed = {name: values[name] for name in VERSION_CONTENT if name in values}
        version = ItemVersion(**parsed, change_note=values.get("change_note", ""))
        try:
            version.full_clean(
                exclude=["item", "version", *(set(VERSION_CONTENT) - set(parsed))],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as e:
            problems.add_validation(ITEMS, row.number, e, {})
            row.ok = False
        if not row.ok or not code or department is None or region is None or not entry_code:
            continue
        versions[code] = version
        plans[code] = _ItemPlan(
            row=row,
            fields=parsed,
            parts={related: [] for related, _m, _s in PART_SHEETS},
            entry_code=entry_code,
            department=department,
            region=region,
            item=existing,
            effective_from=values["effective_from"] or today,
            change_note=values["change_note"],
            changed=True,
        )

    # 材料 / 收费 / 环节 / 常见问题: rows keyed by item code.
    part_objects: dict[str, dict[str, list[models.Model]]] = defaultdict(lambda: defaultdict(list))
    part_rows_seen: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    incomplete: set[str] = set()
    for related, model, sheet in PART_SHEETS:
        rows = sheets[sheet.name] or []
        ordered = sorted(
            rows, key=lambda r: (r.values.get("order") is None, r.values.get("order") or 0, r.number)
        )
        for row in ordered:
            tick()
            code = row.values.get("item_code") or ""
            if code and code not in first_item_row:
                problems.add(
                    sheet.name,
                    row.number,
                    "事项编码",
                    "unknown_item",
                    _("No item with code %(code)s on the %(sheet)s sheet.")
                    % {"code": code, "sheet": SHEET_ITEMS},
                )
                continue
            if code:
                part_rows_seen[code][related] += 1
            if not row.ok:
                incomplete.add(code)
                continue
            values = {k: v for k, v in row.values.items() if k not in {"item_code", "order"}}
            if related == "steps":
                uscc = values.pop("department_uscc")
                values["department_id"] = None
                if uscc:
                    department = departments.get(uscc)
                    if department is None:
                        problems.add(
                            sheet.name,
                            row.number,
                            "办理部门统一社会信用代码",
                            "unknown_department",
                            _("No department has the unified social credit code %(uscc)s.") % {"uscc": uscc},
                        )
                        incomplete.add(code)
                        continue
                    values["department_id"] = department.pk
            obj = model(**values)
            try:
                obj.full_clean(exclude=["version", "department"], validate_unique=False)
            except ValidationError as e:
                problems.add_validation(sheet, row.number, e, {"department": "department_uscc"})
                incomplete.add(code)
                continue
            part_objects[code][related].append(obj)
            if code in plans:
                plans[code].parts[related].append(values)

    # Whole-item rules, the same ones version_publish applies.
    publish_columns = {
        "promised_limit": "promised_limit",
        "statutory_limit": "statutory_limit",
        "limit_unit": "limit_unit",
        "legal_basis": "legal_basis",
        "steps": "promised_limit",
    }
    if any(sheets[sheet.name] is None for _r, _m, sheet in PART_SHEETS):
        # A part sheet could not be read: its rows are unknown, so whole-item rules
        # would report problems that are not there. The sheet's own problem stands.
        return [], db_entries
    for code, plan in plans.items():
        row = plan.row
        if not part_rows_seen[code]["steps"]:
            problems.add(
                SHEET_ITEMS,
                row.number,
                "事项编码",
                "no_workflow_step",
                _("The item has no row on the %(sheet)s sheet; an item needs at least one workflow step.")
                % {"sheet": SHEET_STEPS},
            )
            row.ok = False
        if not row.ok or code in incomplete:
            continue
        entry = (
            file_entries.get(plan.entry_code)
            or db_entries.get(plan.entry_code)
            or auto_entries[plan.entry_code]
        )
        errors = services.publish_problems(
            version=versions[code],
            entry=entry,
            steps=part_objects[code]["steps"],  # type: ignore[arg-type]
            materials=part_objects[code]["materials"],  # type: ignore[arg-type]
            fees=part_objects[code]["fees"],  # type: ignore[arg-type]
        )
        for name, errs in errors.items():
            if name not in publish_columns:
                continue  # materials and fees: already reported on their own rows
            column = ITEMS.column(publish_columns[name])
            for err in errs:
                problems.add(
                    SHEET_ITEMS,
                    row.number,
                    column.header if column else None,
                    err.code or "invalid",
                    err.messages[0],
                )
                row.ok = False
        if not row.ok or plan.item is None:
            continue
        latest = current.get(plan.item.pk)
        if latest is not None and _version_content(latest) == _content(plan.fields, plan.parts):
            plan.changed = False
            continue
        if plan.item.pk in drafts:
            problems.add(
                SHEET_ITEMS,
                row.number,
                "事项编码",
                "draft_exists",
                _(
                    "The item has an unpublished draft (version %(v)d); publish or delete it before importing changes."
                )
                % {"v": drafts[plan.item.pk]},
            )
        elif latest is not None and latest.effective_from and plan.effective_from <= latest.effective_from:
            problems.add(
                SHEET_ITEMS,
                row.number,
                "生效日期",
                "effective_date_order",
                _(
                    "The item changed, so its new version needs an effective date after %(date)s, when version %(v)d took effect."
                )
                % {"date": latest.effective_from.isoformat(), "v": latest.version},
            )
    return [plans[code] for code in sorted(plans, key=lambda c: plans[c].row.number)], db_entries


def _write(
    plans: Sequence[_ItemPlan],
    entry_rows: Sequence[_Row],
    db_entries: Mapping[str, CatalogEntry],
    problems: _Problems,
    result: ImportResult,
    progress: Progress | None,
    dry_run: bool,
) -> None:
    to_write = [p for p in plans if p.changed]
    result.unchanged = len(plans) - len(to_write)
    with transaction.atomic():
        entries: dict[str, CatalogEntry] = {}
        for row in entry_rows:
            values = {k: row.values[k] for k in _ENTRY_KEYS}
            code = row.values["code"]
            entries[code] = _entry_write(code, values, db_entries.get(code), result)
        for plan in to_write:
            if plan.entry_code not in entries:
                existing = db_entries.get(plan.entry_code)
                if existing is None:
                    values = {k: plan.fields[v] for k, v in _ENTRY_FIELDS_FROM_ITEM.items()}
                    existing = _entry_write(
                        plan.entry_code, {**values, "power_source": PowerSource.STATUTORY}, None, result
                    )
                entries[plan.entry_code] = existing
        if progress:
            progress("write", 0, len(to_write))
        for done, plan in enumerate(to_write, start=1):
            try:
                with transaction.atomic():
                    _write_item(plan, entries[plan.entry_code], result)
            except ValidationError as e:
                problems.add_validation(
                    ITEMS, plan.row.number, e, {"steps": "code", "materials": "code", "fees": "code"}
                )
            except IntegrityError:
                problems.add(
                    SHEET_ITEMS,
                    plan.row.number,
                    "事项编码",
                    "concurrent_change",
                    _("The item was changed by someone else during the import; run the import again."),
                )
            if progress:
                progress("write", done, len(to_write))
        if problems or dry_run:
            transaction.set_rollback(True)


def _entry_write(
    code: str, values: Mapping[str, Any], existing: CatalogEntry | None, result: ImportResult
) -> CatalogEntry:
    if existing is not None and all(
        _normalise(CatalogEntry, k, getattr(existing, k)) == _normalise(CatalogEntry, k, v)
        for k, v in values.items()
    ):
        return existing
    if existing is None:
        result.entries_created += 1
    else:
        result.entries_updated += 1
    return services.entry_upsert(code=code, **values)


def _write_item(plan: _ItemPlan, entry: CatalogEntry, result: ImportResult) -> None:
    item = plan.item
    if item is None:
        item = services.item_create(
            code=plan.row.values["code"], entry=entry, department=plan.department, region=plan.region
        )
        result.items_created += 1
    else:
        # Another import may have published the same content since the workbook was
        # checked: look again under the item's lock, so running twice stays a no-op.
        Item.objects.select_for_update().get(pk=item.pk)
        latest = _latest_published([item.pk]).get(item.pk)
        if latest is not None and _version_content(latest) == _content(plan.fields, plan.parts):
            result.unchanged += 1
            return
    draft = services.draft_create(
        item=item, fields=plan.fields, parts=plan.parts, change_note=plan.change_note
    )
    services.version_publish(version=draft, effective_from=plan.effective_from)
    result.versions_published += 1


# --- export ---------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _cell_value(value: Any) -> Any:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _append(ws: Worksheet, values: Sequence[Any]) -> None:
    cleaned = [_cell_value(v) for v in values]
    ws.append(cleaned)
    # A text starting with "=" is text here, never a formula. (The row just appended is
    # ws._current_row: ws.max_row would scan every cell of the sheet on each call.)
    for column, value in enumerate(cleaned, start=1):
        if isinstance(value, str) and value.startswith("="):
            ws.cell(row=ws._current_row, column=column).data_type = "s"


def _new_sheet(workbook: Workbook, sheet: Sheet) -> Worksheet:
    ws = workbook.create_sheet(sheet.name)
    ws.append([c.header for c in sheet.columns])
    for index, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=1, column=index)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        ws.column_dimensions[get_column_letter(index)].width = column.width
        if column.choices and len(column.choices) <= 12:
            letter = get_column_letter(index)
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(c.word for c in column.choices) + '"',
                allow_blank=not column.required,
                showErrorMessage=False,
            )
            validation.add(f"{letter}2:{letter}1048576")
            ws.add_data_validation(validation)
    ws.freeze_panes = "A2"
    return ws


def _row_values(sheet: Sheet, values: Mapping[str, Any]) -> list[Any]:
    out: list[Any] = []
    for column in sheet.columns:
        value = values.get(column.key)
        if column.kind is Kind.CHOICE:
            out.append(column.word(value))
        elif isinstance(value, FieldFile):
            out.append(value.name or "")
        else:
            out.append(value)
    return out


def _readme(workbook: Workbook) -> None:
    ws = workbook.create_sheet(SHEET_README)
    ws.append([_("Sheet"), _("Column"), _("Required"), _("Allowed values"), _("Notes")])
    for cell in ws[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    for sheet in SHEETS:
        for column in sheet.columns:
            if column.kind is Kind.CHOICE:
                allowed = "、".join(c.word for c in column.choices)
            else:
                allowed = {
                    Kind.INT: _("a whole number"),
                    Kind.DECIMAL: _("an amount in yuan"),
                    Kind.DATE: _("a date (2025-01-31)"),
                    Kind.USCC: _("an 18-character unified social credit code"),
                    Kind.TEXT: "",
                }[column.kind]
            ws.append(
                [sheet.name, column.header, _("yes") if column.required else "", allowed, str(column.note)]
            )
    for letter, width in zip("ABCDE", (10, 26, 6, 50, 60), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"


@dataclass
class ExportResult:
    entries: int
    items: int


def export_workbook(target: str | Path | IO[bytes], *, region: Region | None = None) -> ExportResult:
    """Write the latest published version of every item (in ``region``'s subtree) as a workbook."""
    items_qs = Item.objects.select_related("entry", "department", "region").order_by("code")
    if region is not None:
        items_qs = items_qs.filter(region__path__startswith=region.path)
    items = list(items_qs)
    versions = _latest_published([i.pk for i in items])
    items = [i for i in items if i.pk in versions]
    if region is None:
        entries = list(CatalogEntry.objects.order_by("code"))
    else:
        entries = sorted({i.entry.code: i.entry for i in items}.values(), key=lambda e: e.code)

    workbook = Workbook()
    workbook.remove(workbook.active)
    sheets = {sheet.name: _new_sheet(workbook, sheet) for sheet in SHEETS}
    for entry in entries:
        _append(
            sheets[SHEET_ENTRIES],
            _row_values(ENTRIES, {"code": entry.code, **{k: getattr(entry, k) for k in _ENTRY_KEYS}}),
        )
    for item in items:
        version = versions[item.pk]
        values = {name: getattr(version, name) for name in VERSION_CONTENT}
        values.update(
            code=item.code,
            entry_code=item.entry.code,
            department_uscc=item.department.uscc,
            region_code=item.region.code,
            effective_from=version.effective_from,
            change_note=version.change_note,
        )
        _append(sheets[SHEET_ITEMS], _row_values(ITEMS, values))
        for related, _model, sheet in PART_SHEETS:
            for order, part in enumerate(getattr(version, related).all(), start=1):
                part_values = {c.key: getattr(part, c.key, None) for c in sheet.columns}
                part_values.update(item_code=item.code, order=order)
                if related == "steps":
                    part_values["department_uscc"] = part.department.uscc if part.department else ""
                _append(sheets[sheet.name], _row_values(sheet, part_values))
    _readme(workbook)
    workbook.save(target)
    return ExportResult(entries=len(entries), items=len(items))
