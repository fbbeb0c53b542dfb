"""The monthly summary, quarterly bulletin and annual evaluation (月汇总、季通报、年度考核)
as files: an Excel workbook (openpyxl) and an A4 PDF (WeasyPrint).

Both are official texts, so they are Chinese whatever the viewer's language, as the
notices of ``documents.py``: the title names the region, the period and the kind of
report ("邯郸市2025年10月政务服务绩效月汇总"), the issuing unit is the region's electronic
supervision room. They are built from one ``reports.Summary`` and read nothing more
from the database than the scheme's name and the issuing room (a fixed number of
queries whatever the number of departments).

The workbook has a sheet of figures, one sheet per ranking (departments, windows, staff
members) with each indicator's points, the nominations and the complaints per
department. Numbers are stored as numbers (rates in per cent, points with two
decimals), headers are Chinese, the header row is frozen and the columns are as wide as
their text.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from yiwang.org.models import Region
from yiwang.supervision.complaints import room_of
from yiwang.supervision.documents import chinese_date
from yiwang.supervision.reports import Figures, Summary, nomination_rule
from yiwang.supervision.scoring import PeriodKind, Score

# What each kind of report is called in its title (月汇总、季通报、年度考核); the period's
# label already says 季度 or 年度 ("2025年第四季度", "2025年度").
TITLE_ENDINGS: dict[str, str] = {
    PeriodKind.MONTH: "政务服务绩效月汇总",
    PeriodKind.QUARTER: "政务服务绩效通报",
    PeriodKind.YEAR: "政务服务绩效考核",
    PeriodKind.CUSTOM: "政务服务绩效报告",
}
REPORT_KINDS: tuple[str, ...] = tuple(TITLE_ENDINGS)


def document_title(summary: Summary) -> str:
    """ "邯郸市2025年10月政务服务绩效月汇总", "邯郸市2025年第四季度政务服务绩效通报"."""
    period = summary.period
    return f"{summary.region.name}{period.label}{TITLE_ENDINGS[period.kind]}"


def issuing_unit(region: Region) -> str:
    """The region's own electronic supervision room, else the conventional name of one."""
    room = room_of(region)
    if room is not None and room.region_id == region.pk:
        return room.name
    return f"{region.name}政务服务中心电子监察室"


def period_text(summary: Summary) -> str:
    period = summary.period
    text = f"{chinese_date(period.start)}至{chinese_date(period.through)}"
    return f"{text}（截至当日，{period.label}尚未结束）" if period.partial else text


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class FigureLine:
    label: str
    value: int | Decimal | None
    unit: str
    rate: bool = False

    @property
    def text(self) -> str:
        if self.value is None:
            return "—"
        return f"{self.value}%" if self.unit == "%" else f"{self.value} {self.unit}"


_COUNTS: tuple[tuple[str, str, str], ...] = (
    ("received", "申请", "件"),
    ("online", "其中网上申请", "件"),
    ("accepted", "受理", "件"),
    ("refused", "不予受理", "件"),
    ("completed", "办结", "件"),
    ("on_time", "按时办结", "件"),
    ("early", "提前办结", "件"),
    ("late", "超时办结", "件"),
)
_RATES: tuple[tuple[str, str], ...] = (
    ("on_time_rate", "按时办结率"),
    ("early_rate", "提前办结率"),
    ("online_share", "网上办理率"),
    ("satisfaction", "群众满意度"),
    ("used_of_promised", "办结用时占承诺时限"),
    ("used_of_statutory", "办结用时占法定时限"),
)
_DISCIPLINE: tuple[tuple[str, str, str], ...] = (
    ("supplements", "补齐补正", "次"),
    ("repeat_supplements", "重复补正", "次"),
    ("suspensions", "特别程序", "次"),
    ("ratings", "评价", "条"),
    ("warnings", "预警", "次"),
    ("yellow_cards", "黄牌", "张"),
    ("red_cards", "红牌", "张"),
    ("complaints", "效能投诉", "件"),
    ("complaints_substantiated", "查实投诉", "件"),
    ("irregularities", "违规", "起"),
)


def figure_lines(figures: Figures) -> list[FigureLine]:
    """The figures of a report in the order it prints them, Chinese."""
    lines = [FigureLine(label, getattr(figures, key), unit) for key, label, unit in _COUNTS]
    lines += [FigureLine(label, getattr(figures, key), "%", rate=True) for key, label in _RATES]
    lines.append(FigureLine("平均办结用时", figures.average_workdays, "个工作日", rate=True))
    lines += [FigureLine(label, getattr(figures, key), unit) for key, label, unit in _DISCIPLINE]
    return lines


def overview(figures: Figures) -> str:
    """One sentence of the whole period, as a bulletin opens."""

    def pct(value: Decimal | None) -> str:
        return "—" if value is None else f"{value}%"

    return (
        f"期内共受理申请{figures.received}件，办结{figures.completed}件，"
        f"按时办结率{pct(figures.on_time_rate)}，提前办结率{pct(figures.early_rate)}，"
        f"网上办理率{pct(figures.online_share)}，群众满意度{pct(figures.satisfaction)}；"
        f"发出黄牌{figures.yellow_cards}张、红牌{figures.red_cards}张，"
        f"收到效能投诉{figures.complaints}件。"
    )


def rule_text(kind: str) -> str:
    rule = nomination_rule(kind)
    who = "窗口" if kind == "window" else "工作人员"
    return f"得分前{rule['top']}名、不低于{rule['min_score']}分，且期内无红牌、无查实效能投诉的{who}"


# --------------------------------------------------------------------------- rankings


def share(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / denominator).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Score], Any]
    kind: str = "text"  # text, int, points, rate


def ranking_columns(scores: Sequence[Score], subject: str) -> list[Column]:
    """Rank, name, each indicator's points, the total, and the measures behind them."""
    columns = [Column("名次", lambda s: s.rank, "int"), Column(subject, lambda s: s.name)]

    def points_of(i: int) -> Callable[[Score], Any]:
        return lambda s: s.breakdown[i].points

    if scores:
        for i, line in enumerate(scores[0].breakdown):
            columns.append(Column(f"{line.label}（{line.weight.normalize():f}分）", points_of(i), "points"))
    columns += [
        Column("总分", lambda s: s.total, "points"),
        Column("申请（件）", lambda s: s.measures["received"], "int"),
        Column("办结（件）", lambda s: s.measures["completed"], "int"),
        Column("按时办结率（%）", lambda s: share(s.measures["on_time"], s.measures["completed"]), "rate"),
        Column(
            "群众满意度（%）", lambda s: share(s.measures["ratings_satisfied"], s.measures["ratings"]), "rate"
        ),
        Column("黄牌（张）", lambda s: s.measures["yellow_cards"], "int"),
        Column("红牌（张）", lambda s: s.measures["red_cards"], "int"),
        Column("效能投诉（件）", lambda s: s.measures["complaints"], "int"),
    ]
    return columns


# --------------------------------------------------------------------------- Excel

_FORMATS = {"int": "0", "points": "0.00", "rate": "0.0"}
_WIDTH_LIMIT = 48


def _text_width(value: Any) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _number(value: Any) -> Any:
    """Decimals as floats: a spreadsheet cell is a double either way, and openpyxl
    writes a float's shortest form (92.5, not 92.50)."""
    return float(value) if isinstance(value, Decimal) else value


def summary_xlsx(summary: Summary, *, issued_on: dt.date, scheme: str = "") -> bytes:
    """The report as an Excel workbook (bytes of an .xlsx file)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="EEF1F5")
    title = document_title(summary)
    book = Workbook()

    def header(sheet: Any, row: int, headers: Sequence[str]) -> None:
        for col, text in enumerate(headers, start=1):
            cell = sheet.cell(row=row, column=col, value=text)
            cell.font = bold
            cell.fill = header_fill
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.freeze_panes = sheet.cell(row=row + 1, column=1)

    def fit(sheet: Any, first_row: int = 1) -> None:
        widths: dict[int, int] = {}
        for row in sheet.iter_rows(min_row=first_row):
            for cell in row:
                widths[cell.column] = max(widths.get(cell.column, 0), _text_width(cell.value))
        for col, width in widths.items():
            sheet.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), _WIDTH_LIMIT)

    # Figures: the title and period on top, then 项目 / 数值 / 单位.
    sheet = book.active
    sheet.title = "总体情况"
    sheet["A1"] = title
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.merge_cells("A1:C1")
    sheet["A2"] = f"统计区间：{period_text(summary)}"
    sheet["A3"] = f"制表单位：{issuing_unit(summary.region)}　制表日期：{chinese_date(issued_on)}"
    if scheme:
        sheet["A4"] = f"评分办法：{scheme}"
    header(sheet, 5, ("项目", "数值", "单位"))
    for row, line in enumerate(figure_lines(summary.figures), start=6):
        sheet.cell(row=row, column=1, value=line.label)
        cell = sheet.cell(row=row, column=2, value=_number(line.value))
        cell.number_format = _FORMATS["rate" if line.rate else "int"]
        sheet.cell(row=row, column=3, value=line.unit)
    fit(sheet, first_row=5)

    for name, subject, scores in (
        ("部门排名", "部门", summary.departments),
        ("窗口排名", "窗口", summary.windows),
        ("个人排名", "工作人员", summary.staff),
    ):
        sheet = book.create_sheet(name)
        columns = ranking_columns(scores, subject)
        header(sheet, 1, [c.header for c in columns])
        for row, score in enumerate(scores, start=2):
            for col, column in enumerate(columns, start=1):
                cell = sheet.cell(row=row, column=col, value=_number(column.value(score)))
                if column.kind in _FORMATS:
                    cell.number_format = _FORMATS[column.kind]
        fit(sheet)

    sheet = book.create_sheet("评选推荐")
    header(sheet, 1, ("类别", "名次", "名称", "得分", "评选规则"))
    row = 2
    for label, kind, chosen in (
        ("红旗窗口", "window", summary.red_flag_windows),
        ("先进个人", "staff", summary.model_staff),
    ):
        rule = rule_text(kind)
        if not chosen:
            for col, value in enumerate((label, None, "无符合条件者", None, rule), start=1):
                sheet.cell(row=row, column=col, value=value)
            row += 1
        for score in chosen:
            for col, value in enumerate((label, score.rank, score.name, _number(score.total), rule), start=1):
                sheet.cell(row=row, column=col, value=value)
            sheet.cell(row=row, column=4).number_format = _FORMATS["points"]
            row += 1
    fit(sheet)

    sheet = book.create_sheet("效能投诉")
    header(sheet, 1, ("部门", "效能投诉（件）", "查实（件）"))
    substantiated = {s.name: s.measures["complaints_substantiated"] for s in summary.departments}
    for row, (name, n) in enumerate(summary.complaints_by_department, start=2):
        sheet.cell(row=row, column=1, value=name)
        sheet.cell(row=row, column=2, value=n)
        sheet.cell(row=row, column=3, value=substantiated.get(name, 0))
    fit(sheet)

    book.properties.title = title
    book.properties.creator = issuing_unit(summary.region)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- PDF


def _pairs(lines: list[FigureLine]) -> list[tuple[FigureLine, FigureLine | None]]:
    return [(lines[i], lines[i + 1] if i + 1 < len(lines) else None) for i in range(0, len(lines), 2)]


def summary_pdf(summary: Summary, *, issued_on: dt.date, scheme: str = "") -> bytes:
    """The report as an A4 PDF in Chinese."""
    from weasyprint import HTML  # heavy import, only when a PDF is made

    departments = summary.departments
    context = {
        "title": document_title(summary),
        "unit": issuing_unit(summary.region),
        "issued": chinese_date(issued_on),
        "period": period_text(summary),
        "overview": overview(summary.figures),
        "figure_rows": _pairs(figure_lines(summary.figures)),
        "indicators": [(line.label, line.weight) for line in departments[0].breakdown] if departments else [],
        "departments": departments,
        "nominations": [
            ("红旗窗口", rule_text("window"), summary.red_flag_windows),
            ("先进个人", rule_text("staff"), summary.model_staff),
        ],
        "complaints": summary.complaints_by_department,
        "scheme": scheme,
    }
    with translation.override("zh-hans"):
        html = render_to_string("supervision/reports/pdf/summary.html", context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()  # type: ignore[no-any-return]
