"""Performance scoring (绩效评估): schemes of weighted indicators as data, and the scores of
departments, windows and staff members for a month, a quarter or a year.

A scheme version (``ScoringSchemeVersion``) holds a total and a list of indicators, each a
JSON object with a ``code``, a ``label`` (Chinese, shown in reports), a ``kind``, a
``weight`` and the measures it reads (the daily facts' ``FACT_MEASURES``)::

    {"code": "on_time", "label": "按时办结率", "kind": "rate", "weight": 30,
     "numerator": "on_time", "denominator": "completed"}
    {"code": "discipline", "label": "效能纪律", "kind": "deduction", "weight": 20,
     "points": {"yellow_cards": 2, "red_cards": 5}}

The four kinds:

* ``rate``: weight × numerator / denominator;
* ``complement``: weight × (1 − numerator / denominator), for a share that should be small;
* ``deduction``: weight − Σ points × count over its measures, never below 0;
* ``bonus``: min(weight, Σ points × count), a capped bonus.

The weights add up to the total: a bonus's weight is its cap and part of the total. The
breakdown names a deduction's or a bonus's measures in the order of ``FACT_MEASURES``.
A share is clamped to 0…1. **A share with a zero denominator scores full marks** and says
"无数据" (no data) in the breakdown: a department that completed no case this month has
not missed a deadline, and leaving it at zero would rank an idle office below a busy one
that was late. A subject with no fact at all in the period is not scored.

Points are rounded to two decimals per indicator (half up), and the total is the sum of the
rounded points, so the breakdown always adds up to the total shown.

The default 100-point scheme (``default``) follows seeds 001, 003 and 004 (绩效评估:
automatic quantified scoring of each department from the supervision data) and the
example of issue 6:

=====================  ======  =================================================
indicator              weight  formula
=====================  ======  =================================================
按时办结率             30      rate: on_time / completed
提前办结率             10      rate: early / completed
群众满意度             20      rate: ratings_satisfied / ratings
网上办理率             10      rate: online / received
一次性告知             10      complement: 1 − repeat_supplements / supplements
效能纪律               20      deduction: yellow card 2, red card 5, substantiated
                               complaint 5, irregularity 1 point each
=====================  ======  =================================================

Migration 0012 installs it (published, attached everywhere); ``install_default_scheme``
does the same for a database that was emptied. Schemes change by new versions
(``scheme_new_version``) and are attached to a region subtree (``scheme_assign``); the
nearest attachment above a region wins, else the one attached everywhere. A report over
a region is scored by that region's scheme, one scheme for all its subjects, so a ranking
compares like with like; ``scores`` takes an explicit ``version`` to reproduce a report
under an earlier version.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Literal

from django.db import models, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from yiwang.org.models import PATH_LENGTH, Department, Region, Staff, Window
from yiwang.supervision.models import (
    FACT_MEASURES,
    DailyFact,
    SchemeAssignment,
    ScoringScheme,
    ScoringSchemeVersion,
)
from yiwang.supervision.services import SupervisionError, SupervisionErrorCode, User

CENT = Decimal("0.01")
TENTH = Decimal("0.1")

# --------------------------------------------------------------------------- periods


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    CUSTOM = "custom"


_EXAMPLES = {
    PeriodKind.MONTH: "2025-10",
    PeriodKind.QUARTER: "2025-Q4",
    PeriodKind.YEAR: "2025",
    PeriodKind.CUSTOM: "2025-10-01..2025-10-15",
}
_PATTERNS = {
    PeriodKind.MONTH: re.compile(r"(\d{4})-(\d{1,2})"),
    PeriodKind.QUARTER: re.compile(r"(\d{4})-?[Qq]([1-4])"),
    PeriodKind.YEAR: re.compile(r"(\d{4})"),
    PeriodKind.CUSTOM: re.compile(r"(\d{4}-\d{2}-\d{2})\s*(?:\.\.|/|~)\s*(\d{4}-\d{2}-\d{2})"),
}
_QUARTER_NAMES = ("一", "二", "三", "四")


def _bad_period(value: str, kind: str) -> SupervisionError:
    words = {
        PeriodKind.MONTH: pgettext("period", "month"),
        PeriodKind.QUARTER: pgettext("period", "quarter"),
        PeriodKind.YEAR: pgettext("period", "year"),
        PeriodKind.CUSTOM: pgettext("period", "date range"),
    }
    return SupervisionError(
        _("“%(value)s” is not a valid %(kind)s; write it as %(example)s.")
        % {"value": value, "kind": words[PeriodKind(kind)], "example": _EXAMPLES[PeriodKind(kind)]},
        SupervisionErrorCode.BAD_INPUT,
        "period",
    )


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class Period:
    """A reporting period: whole days from ``start`` to ``end``, both included.

    Build one with ``month``, ``quarter``, ``year``, ``custom`` or ``of``; ``parse`` reads
    user input and also refuses a period that starts after today. A period under way
    (this month, say) is allowed and ``partial``: its figures run to today. ``today`` is
    the day the period is seen from (a dashboard "as of" a date), the local date when
    not given; it takes no part in comparing periods."""

    kind: PeriodKind
    start: dt.date
    end: dt.date
    label: str
    today: dt.date | None = field(default=None, compare=False, repr=False)

    @classmethod
    def month(cls, year: int, month: int, *, today: dt.date | None = None) -> Period:
        if not 1 <= month <= 12 or not 1 <= year <= 9999:
            raise _bad_period(f"{year}-{month}", PeriodKind.MONTH)
        last = calendar.monthrange(year, month)[1]
        start, end = dt.date(year, month, 1), dt.date(year, month, last)
        return cls(PeriodKind.MONTH, start, end, f"{year}年{month}月", today)

    @classmethod
    def quarter(cls, year: int, quarter: int, *, today: dt.date | None = None) -> Period:
        if not 1 <= quarter <= 4 or not 1 <= year <= 9999:
            raise _bad_period(f"{year}-Q{quarter}", PeriodKind.QUARTER)
        first = 3 * quarter - 2
        last = calendar.monthrange(year, first + 2)[1]
        start, end = dt.date(year, first, 1), dt.date(year, first + 2, last)
        return cls(PeriodKind.QUARTER, start, end, f"{year}年第{_QUARTER_NAMES[quarter - 1]}季度", today)

    @classmethod
    def year(cls, year: int, *, today: dt.date | None = None) -> Period:
        if not 1 <= year <= 9999:
            raise _bad_period(str(year), PeriodKind.YEAR)
        return cls(PeriodKind.YEAR, dt.date(year, 1, 1), dt.date(year, 12, 31), f"{year}年度", today)

    @classmethod
    def custom(cls, start: dt.date, end: dt.date, *, today: dt.date | None = None) -> Period:
        if end < start:
            raise SupervisionError(
                _("The period's start (%(start)s) is after its end (%(end)s).")
                % {"start": start.isoformat(), "end": end.isoformat()},
                SupervisionErrorCode.BAD_INPUT,
                "period",
            )
        return cls(PeriodKind.CUSTOM, start, end, f"{_cn_date(start)}至{_cn_date(end)}", today)

    @classmethod
    def of(cls, kind: str, day: dt.date, *, today: dt.date | None = None) -> Period:
        """The month, quarter or year that contains ``day``."""
        if kind == PeriodKind.MONTH:
            return cls.month(day.year, day.month, today=today)
        if kind == PeriodKind.QUARTER:
            return cls.quarter(day.year, (day.month - 1) // 3 + 1, today=today)
        if kind == PeriodKind.YEAR:
            return cls.year(day.year, today=today)
        raise _unknown_kind(kind)

    @classmethod
    def parse(cls, kind: str, value: str, *, today: dt.date | None = None) -> Period:
        """A period from user input ("2025-10", "2025-Q4", "2025",
        "2025-10-01..2025-10-15"), checked: malformed values, reversed ranges and
        periods starting after today are refused."""
        if kind not in {k.value for k in PeriodKind}:
            raise _unknown_kind(kind)
        kind = PeriodKind(kind)
        text = (value or "").strip()
        found = _PATTERNS[kind].fullmatch(text)
        if found is None:
            raise _bad_period(text, kind)
        if kind == PeriodKind.MONTH:
            period = cls.month(int(found[1]), int(found[2]), today=today)
        elif kind == PeriodKind.QUARTER:
            period = cls.quarter(int(found[1]), int(found[2]), today=today)
        elif kind == PeriodKind.YEAR:
            period = cls.year(int(found[1]), today=today)
        else:
            try:
                start, end = dt.date.fromisoformat(found[1]), dt.date.fromisoformat(found[2])
            except ValueError:
                raise _bad_period(text, kind) from None
            period = cls.custom(start, end, today=today)
        return period.check()

    @property
    def value(self) -> str:
        """The period written as ``parse`` reads it."""
        if self.kind == PeriodKind.MONTH:
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == PeriodKind.YEAR:
            return str(self.start.year)
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def seen_on(self) -> dt.date:
        """The day the period is seen from: ``today`` if given, else the local date."""
        return self.today or timezone.localdate()

    @property
    def partial(self) -> bool:
        """Under way: started, not yet ended (figures to date)."""
        return self.start <= self.seen_on <= self.end

    @property
    def through(self) -> dt.date:
        """The last day with figures: the end, or today for a period under way."""
        return min(self.end, self.seen_on)

    def check(self) -> Period:
        """Refuse a period that starts after today: there is nothing to score yet."""
        today = self.seen_on
        if self.start > today:
            raise SupervisionError(
                _("%(period)s starts on %(start)s, after today (%(today)s): there is nothing to score yet.")
                % {"period": self.label, "start": self.start.isoformat(), "today": today.isoformat()},
                SupervisionErrorCode.BAD_INPUT,
                "period",
            )
        return self


def _unknown_kind(kind: str) -> SupervisionError:
    return SupervisionError(
        _("Unknown kind of period “%(kind)s”; use month, quarter, year or custom.") % {"kind": kind},
        SupervisionErrorCode.BAD_INPUT,
        "period",
    )


# --------------------------------------------------------------------------- indicators


class IndicatorKind(models.TextChoices):
    RATE = "rate", pgettext_lazy("indicator kind", "rate")
    COMPLEMENT = "complement", pgettext_lazy("indicator kind", "complement (1 − rate)")
    DEDUCTION = "deduction", pgettext_lazy("indicator kind", "deduction per count")
    BONUS = "bonus", pgettext_lazy("indicator kind", "capped bonus")


SHARE_KINDS = (IndicatorKind.RATE, IndicatorKind.COMPLEMENT)
POINT_KINDS = (IndicatorKind.DEDUCTION, IndicatorKind.BONUS)

# How the breakdown names each measure and counts it (Chinese: report text).
MEASURE_LABELS: dict[str, tuple[str, str]] = {
    "received": ("申请", "件"),
    "online": ("网上申请", "件"),
    "accepted": ("受理", "件"),
    "refused": ("不予受理", "件"),
    "completed": ("办结", "件"),
    "on_time": ("按时办结", "件"),
    "early": ("提前办结", "件"),
    "late": ("超时办结", "件"),
    "workdays_used": ("办结用时", "个工作日"),
    "promised_days": ("承诺时限", "个工作日"),
    "statutory_days": ("法定时限", "个工作日"),
    "supplements": ("补齐补正", "次"),
    "repeat_supplements": ("重复补正", "次"),
    "suspensions": ("特别程序", "次"),
    "ratings": ("评价", "条"),
    "ratings_satisfied": ("满意评价", "条"),
    "ratings_poor": ("不满意评价", "条"),
    "complaints": ("效能投诉", "件"),
    "complaints_substantiated": ("查实投诉", "件"),
    "warnings": ("预警", "次"),
    "yellow_cards": ("黄牌", "张"),
    "red_cards": ("红牌", "张"),
    "irregularities": ("违规", "起"),
}


def _number(value: Any) -> Decimal | None:
    """A finite JSON number (or numeric text) as a Decimal; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def plain(number: Decimal) -> str:
    """95, 2.5: a Decimal without an exponent or trailing zeros."""
    return f"{number.normalize():f}"


def _json_number(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


@dataclass(frozen=True)
class Indicator:
    """One validated indicator of a scheme version."""

    code: str
    label: str
    kind: IndicatorKind
    weight: Decimal
    numerator: str = ""
    denominator: str = ""
    points: tuple[tuple[str, Decimal], ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Indicator:
        """From an object ``validate`` accepted."""
        kind = IndicatorKind(data["kind"])
        weight = _number(data["weight"])
        assert weight is not None  # noqa: S101 (validated)
        if kind in SHARE_KINDS:
            return cls(
                str(data["code"]).strip(),
                str(data["label"]).strip(),
                kind,
                weight,
                numerator=data["numerator"],
                denominator=data["denominator"],
            )
        # In the order of FACT_MEASURES, whatever the order written: PostgreSQL's jsonb
        # keeps no key order, and the breakdown must read the same on every database.
        points = tuple(
            (m, _number(data["points"][m]) or Decimal(0)) for m in FACT_MEASURES if m in data["points"]
        )
        return cls(str(data["code"]).strip(), str(data["label"]).strip(), kind, weight, points=points)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "label": self.label,
            "kind": str(self.kind),
            "weight": _json_number(self.weight),
        }
        if self.kind in SHARE_KINDS:
            data["numerator"] = self.numerator
            data["denominator"] = self.denominator
        else:
            data["points"] = {m: _json_number(p) for m, p in self.points}
        return data

    @property
    def measures(self) -> tuple[str, ...]:
        if self.kind in SHARE_KINDS:
            return (self.numerator, self.denominator)
        return tuple(m for m, _p in self.points)

    @property
    def formula(self) -> str:
        """The formula in words, e.g. "30 × 按时办结 ÷ 办结"."""
        weight = plain(self.weight)
        if self.kind == IndicatorKind.RATE:
            return f"{weight} × {_name(self.numerator)} ÷ {_name(self.denominator)}"
        if self.kind == IndicatorKind.COMPLEMENT:
            return f"{weight} × (1 − {_name(self.numerator)} ÷ {_name(self.denominator)})"
        terms = " + ".join(f"{plain(p)} × {_name(m)}" for m, p in self.points)
        if self.kind == IndicatorKind.DEDUCTION:
            return f"{weight} − ({terms})，最低 0"
        return f"min({weight}, {terms})"


def _name(measure: str) -> str:
    return MEASURE_LABELS.get(measure, (measure, ""))[0]


def _unit(measure: str) -> str:
    return MEASURE_LABELS.get(measure, ("", "件"))[1]


def _indicator_errors(position: int, data: Any, seen: set[str]) -> tuple[list[str], Decimal | None]:
    """What is wrong with one indicator, and its weight when that is usable."""
    if not isinstance(data, Mapping):
        return [
            _("Indicator %(n)d is not an object with a code, a label, a kind and a weight.") % {"n": position}
        ], None
    errors: list[str] = []
    code = str(data.get("code") or "").strip()
    if not code:
        errors.append(_("Indicator %(n)d has no code.") % {"n": position})
        code = f"#{position}"
    elif code in seen:
        errors.append(_("The indicator code “%(code)s” is used twice.") % {"code": code})
    seen.add(code)
    if not str(data.get("label") or "").strip():
        errors.append(_("Indicator “%(code)s” has no label.") % {"code": code})
    weight = _number(data.get("weight"))
    if weight is None:
        errors.append(
            _("The weight of indicator “%(code)s” must be a number, not “%(value)s”.")
            % {"code": code, "value": data.get("weight")}
        )
    elif weight < 0:
        errors.append(
            _("The weight of indicator “%(code)s” cannot be negative (%(value)s).")
            % {"code": code, "value": plain(weight)}
        )
        weight = None
    kind = data.get("kind")
    allowed_measures = ", ".join(FACT_MEASURES)

    def unknown_measure(measure: Any) -> str:
        return _(
            "Indicator “%(code)s” refers to an unknown measure “%(measure)s”; the measures are: %(allowed)s."
        ) % {
            "code": code,
            "measure": measure,
            "allowed": allowed_measures,
        }

    if kind in SHARE_KINDS:
        for part, missing in (
            ("numerator", _("Indicator “%(code)s” (%(kind)s) needs a numerator: the measure it counts.")),
            (
                "denominator",
                _("Indicator “%(code)s” (%(kind)s) needs a denominator: the measure it divides by."),
            ),
        ):
            measure = data.get(part)
            if not measure:
                errors.append(missing % {"code": code, "kind": kind})
            elif measure not in FACT_MEASURES:
                errors.append(unknown_measure(measure))
    elif kind in POINT_KINDS:
        points = data.get("points")
        if not isinstance(points, Mapping) or not points:
            errors.append(
                _(
                    'Indicator “%(code)s” (%(kind)s) needs points per measure, for example {"yellow_cards": 2}.'
                )
                % {"code": code, "kind": kind}
            )
        else:
            for measure, value in points.items():
                if measure not in FACT_MEASURES:
                    errors.append(unknown_measure(measure))
                    continue
                number = _number(value)
                if number is None:
                    errors.append(
                        _(
                            "The points for “%(measure)s” in indicator “%(code)s” must be a number, not “%(value)s”."
                        )
                        % {"measure": measure, "code": code, "value": value}
                    )
                elif number < 0:
                    errors.append(
                        _(
                            "The points for “%(measure)s” in indicator “%(code)s” cannot be negative (%(value)s)."
                        )
                        % {"measure": measure, "code": code, "value": plain(number)}
                    )
    else:
        errors.append(
            _("Indicator “%(code)s” has an unknown kind “%(kind)s”; use one of: %(kinds)s.")
            % {"code": code, "kind": kind, "kinds": ", ".join(IndicatorKind.values)}
        )
    return errors, weight


def validate(total: Any, indicators: Any) -> list[str]:
    """Everything wrong with a scheme (empty when it is usable): weights that do not add
    up to the total, unknown measures or kinds, negative weights or points, duplicate
    codes, a share without its numerator or denominator."""
    errors: list[str] = []
    total_number = _number(total)
    if total_number is None or total_number <= 0 or total_number != total_number.to_integral_value():
        errors.append(
            _("The scheme's total must be a positive whole number, not “%(total)s”.") % {"total": total}
        )
        total_number = None
    if not isinstance(indicators, list | tuple) or not indicators:
        errors.append(_("A scheme needs at least one indicator."))
        return errors
    seen: set[str] = set()
    weights: list[Decimal] = []
    for position, data in enumerate(indicators, start=1):
        found, weight = _indicator_errors(position, data, seen)
        errors.extend(found)
        if weight is not None:
            weights.append(weight)
    if total_number is not None and len(weights) == len(indicators) and sum(weights) != total_number:
        errors.append(
            _("The weights add up to %(sum)s, not to the scheme's total of %(total)s.")
            % {"sum": plain(sum(weights, Decimal(0))), "total": plain(total_number)}
        )
    return errors


def indicators_of(version: ScoringSchemeVersion) -> list[Indicator]:
    """The indicators of a version, refused if the stored data is not a usable scheme."""
    errors = validate(version.total, version.indicators)
    if errors:
        raise SupervisionError(" ".join(errors), SupervisionErrorCode.BAD_RULES)
    return [Indicator.from_json(data) for data in version.indicators]


# --------------------------------------------------------------------------- schemes


@transaction.atomic
def scheme_new_version(
    *,
    scheme: ScoringScheme,
    total: int,
    indicators: Sequence[Mapping[str, Any]],
    note: str = "",
    user: User | None = None,
    publish: bool = True,
) -> ScoringSchemeVersion:
    """A new version of ``scheme`` (published unless told otherwise). A scheme that
    ``validate`` refuses is refused whole, nothing saved."""
    errors = validate(total, indicators)
    if errors:
        raise SupervisionError(" ".join(errors), SupervisionErrorCode.BAD_RULES, "indicators")
    ScoringScheme.objects.select_for_update().get(pk=scheme.pk)
    last = scheme.versions.aggregate(m=models.Max("number"))["m"] or 0
    publisher = user.pk if publish and user is not None and user.is_authenticated else None
    return ScoringSchemeVersion.objects.create(
        scheme=scheme,
        number=last + 1,
        total=int(total),
        indicators=[Indicator.from_json(data).to_json() for data in indicators],
        note=note.strip(),
        published_at=timezone.now() if publish else None,
        published_by_id=publisher,
    )


@transaction.atomic
def scheme_publish(*, version: ScoringSchemeVersion, user: User | None = None) -> ScoringSchemeVersion:
    """Publish a draft version, checked again; from then on it never changes."""
    version = ScoringSchemeVersion.objects.select_for_update().get(pk=version.pk)
    if version.published_at is not None:
        raise SupervisionError(_("This version is already published."), SupervisionErrorCode.IMMUTABLE)
    indicators_of(version)
    ScoringSchemeVersion.objects.filter(pk=version.pk).update(
        published_at=timezone.now(),
        published_by_id=user.pk if user is not None and user.is_authenticated else None,
    )
    version.refresh_from_db()
    return version


@transaction.atomic
def scheme_assign(*, scheme: ScoringScheme, region: Region | None = None) -> SchemeAssignment:
    """Attach ``scheme`` to ``region``'s subtree, or everywhere without a region,
    replacing what was attached there before."""
    if not scheme.versions.filter(published_at__isnull=False).exists():
        raise SupervisionError(
            _("Scoring scheme “%(name)s” has no published version yet.") % {"name": scheme.name},
            SupervisionErrorCode.BAD_RULES,
        )
    if region is None:
        SchemeAssignment.objects.filter(region=None).delete()
    else:
        SchemeAssignment.objects.filter(region=region).delete()
    return SchemeAssignment.objects.create(scheme=scheme, region=region)


DEFAULT_CODE = "default"
DEFAULT_NAME = "绩效评估默认办法（百分制）"
DEFAULT_DESCRIPTION = (
    "按时办结率30分（按时办结数÷办结数）；提前办结率10分（提前办结数÷办结数）；"
    "群众满意度20分（满意和基本满意评价数÷评价数）；网上办理率10分（网上申请数÷申请数）；"
    "一次性告知10分（1−重复补正次数÷补齐补正次数）；效能纪律20分，每张黄牌扣2分、每张红牌扣5分、"
    "每件查实的效能投诉扣5分、每起违规扣1分，扣完为止。无数据的比率项得满分。"
)
DEFAULT_TOTAL = 100
DEFAULT_INDICATORS: tuple[dict[str, Any], ...] = (
    {
        "code": "on_time",
        "label": "按时办结率",
        "kind": "rate",
        "weight": 30,
        "numerator": "on_time",
        "denominator": "completed",
    },
    {
        "code": "early",
        "label": "提前办结率",
        "kind": "rate",
        "weight": 10,
        "numerator": "early",
        "denominator": "completed",
    },
    {
        "code": "satisfaction",
        "label": "群众满意度",
        "kind": "rate",
        "weight": 20,
        "numerator": "ratings_satisfied",
        "denominator": "ratings",
    },
    {
        "code": "online",
        "label": "网上办理率",
        "kind": "rate",
        "weight": 10,
        "numerator": "online",
        "denominator": "received",
    },
    {
        "code": "one_time_notice",
        "label": "一次性告知",
        "kind": "complement",
        "weight": 10,
        "numerator": "repeat_supplements",
        "denominator": "supplements",
    },
    {
        "code": "discipline",
        "label": "效能纪律",
        "kind": "deduction",
        "weight": 20,
        "points": {"yellow_cards": 2, "red_cards": 5, "complaints_substantiated": 5, "irregularities": 1},
    },
)


def install_default_scheme() -> ScoringScheme:
    """Create the default scheme (once) and attach it everywhere if no scheme is
    attached everywhere. Idempotent."""
    scheme, _new = ScoringScheme.objects.get_or_create(
        code=DEFAULT_CODE, defaults={"name": DEFAULT_NAME, "description": DEFAULT_DESCRIPTION}
    )
    if not scheme.versions.exists():
        scheme_new_version(scheme=scheme, total=DEFAULT_TOTAL, indicators=DEFAULT_INDICATORS, note="预置")
    if not SchemeAssignment.objects.filter(region=None).exists():
        SchemeAssignment.objects.create(scheme=scheme)
    return scheme


def scheme_for(region: Region) -> ScoringSchemeVersion:
    """The current (highest published) version of the scheme attached nearest above
    ``region`` (itself included), else of the one attached everywhere. Two queries."""
    prefixes = [region.path[:n] for n in sorted(PATH_LENGTH.values()) if n <= len(region.path)]
    best: tuple[int, int] | None = None  # (depth, assignment): the nearest, the global one last
    scheme_id: int | None = None
    for assigned, path, pk in SchemeAssignment.objects.filter(
        Q(region__isnull=True) | Q(region__path__in=prefixes)
    ).values_list("scheme_id", "region__path", "pk"):
        key = (len(path) if path is not None else -1, pk)
        if best is None or key > best:
            best, scheme_id = key, assigned
    version = None
    if scheme_id is not None:
        version = (
            ScoringSchemeVersion.objects.filter(scheme_id=scheme_id, published_at__isnull=False)
            .select_related("scheme")
            .order_by("-number")
            .first()
        )
    if version is None:
        raise SupervisionError(
            _(
                "No scoring scheme applies to %(region)s: attach one to it, to a region above it or everywhere."
            )
            % {"region": region.name},
            SupervisionErrorCode.BAD_RULES,
        )
    return version


# --------------------------------------------------------------------------- scores


@dataclass(frozen=True)
class IndicatorScore:
    """One line of a score's breakdown."""

    code: str
    label: str
    kind: IndicatorKind
    weight: Decimal
    points: Decimal
    # rate and complement: the share that earns points (on time ÷ completed; for a
    # complement 1 − repeats ÷ supplements); None without data and for the other kinds
    value: Decimal | None
    counts: dict[str, int]
    deductions: dict[str, Decimal] = field(default_factory=dict)  # deduction: points taken per measure
    bonuses: dict[str, Decimal] = field(default_factory=dict)  # bonus: points given per measure
    no_data: bool = False
    explanation: str = ""

    @property
    def percent(self) -> Decimal | None:
        return None if self.value is None else (self.value * 100).quantize(TENTH, ROUND_HALF_UP)


@dataclass(frozen=True)
class Score:
    """A subject's score in a period: total, rank among the subjects scored together,
    the measures summed over the period and the breakdown by indicator."""

    subject_id: int
    name: str
    total: Decimal
    rank: int
    measures: dict[str, int]
    breakdown: list[IndicatorScore]
    version_id: int

    def line(self, code: str) -> IndicatorScore:
        return next(line for line in self.breakdown if line.code == code)


def _pts(value: Decimal) -> str:
    return f"{value.quantize(CENT, ROUND_HALF_UP)}"


def _share(indicator: Indicator, measures: Mapping[str, int]) -> IndicatorScore:
    numerator = int(measures.get(indicator.numerator, 0))
    denominator = int(measures.get(indicator.denominator, 0))
    counts = {indicator.numerator: numerator, indicator.denominator: denominator}
    unit = _unit(indicator.denominator)
    if denominator <= 0:
        points = indicator.weight.quantize(CENT, ROUND_HALF_UP)
        return IndicatorScore(
            indicator.code,
            indicator.label,
            indicator.kind,
            indicator.weight,
            points,
            None,
            counts,
            no_data=True,
            explanation=f"{_name(indicator.denominator)} 0 {unit}，无数据，得满分 {_pts(points)} 分",
        )
    ratio = min(max(Decimal(numerator) / Decimal(denominator), Decimal(0)), Decimal(1))
    value = ratio if indicator.kind == IndicatorKind.RATE else 1 - ratio
    points = (indicator.weight * value).quantize(CENT, ROUND_HALF_UP)
    percent = (value * 100).quantize(TENTH, ROUND_HALF_UP)
    fraction = f"{_name(indicator.numerator)} {numerator}/{denominator} {unit}"
    if indicator.kind == IndicatorKind.RATE:
        text = f"{fraction}，{percent}%，得 {_pts(points)} 分"
    else:
        text = f"{fraction}，{indicator.label} {percent}%，得 {_pts(points)} 分"
    return IndicatorScore(
        indicator.code,
        indicator.label,
        indicator.kind,
        indicator.weight,
        points,
        value,
        counts,
        explanation=text,
    )


def _counted(indicator: Indicator, measures: Mapping[str, int]) -> IndicatorScore:
    counts = {m: int(measures.get(m, 0)) for m, _p in indicator.points}
    per_measure = {m: (p * counts[m]).quantize(CENT, ROUND_HALF_UP) for m, p in indicator.points if counts[m]}
    summed = sum(per_measure.values(), Decimal(0))
    weight = indicator.weight.quantize(CENT, ROUND_HALF_UP)
    deduction = indicator.kind == IndicatorKind.DEDUCTION
    verb = "扣" if deduction else "加"
    parts = [f"{_name(m)} {counts[m]} {_unit(m)}{verb} {_pts(v)} 分" for m, v in per_measure.items()]
    if deduction:
        points = max(weight - summed, Decimal(0))
        if not parts:
            text = f"无扣分，得 {_pts(points)} 分"
        elif summed > weight:
            text = f"{'，'.join(parts)}，共扣 {_pts(summed)} 分，扣至 0 分为止，得 {_pts(points)} 分"
        else:
            text = f"{'，'.join(parts)}，共扣 {_pts(summed)} 分，得 {_pts(points)} 分"
    else:
        points = min(weight, summed)
        if not parts:
            text = f"无加分，得 {_pts(points)} 分"
        elif summed > weight:
            text = (
                f"{'，'.join(parts)}，共 {_pts(summed)} 分，以上限 {_pts(weight)} 分计，得 {_pts(points)} 分"
            )
        else:
            text = f"{'，'.join(parts)}，得 {_pts(points)} 分"
    return IndicatorScore(
        indicator.code,
        indicator.label,
        indicator.kind,
        indicator.weight,
        points,
        None,
        counts,
        deductions=per_measure if deduction else {},
        bonuses={} if deduction else per_measure,
        explanation=text,
    )


def evaluate(
    indicators: Iterable[Indicator], measures: Mapping[str, int]
) -> tuple[Decimal, list[IndicatorScore]]:
    """The total and the breakdown for one subject's summed measures (pure)."""
    breakdown = [
        _share(indicator, measures) if indicator.kind in SHARE_KINDS else _counted(indicator, measures)
        for indicator in indicators
    ]
    return sum((line.points for line in breakdown), Decimal("0.00")), breakdown


Subject = Literal["department", "window", "staff"]
_SUBJECT_FIELDS: dict[str, str] = {"department": "department_id", "window": "window_id", "staff": "staff_id"}


def _names(by: str, ids: list[int]) -> dict[int, str]:
    if by == "department":
        return dict(Department.objects.filter(pk__in=ids).values_list("pk", "name"))
    if by == "window":
        return {w.pk: str(w) for w in Window.objects.filter(pk__in=ids).select_related("center")}
    return {s.pk: str(s) for s in Staff.objects.filter(pk__in=ids).select_related("department")}


def scores(
    *,
    region: Region,
    period: Period,
    by: Subject = "department",
    department: Department | None = None,
    version: ScoringSchemeVersion | None = None,
    today: dt.date | None = None,
) -> list[Score]:
    """The scores of every department (window, staff member) with facts in ``region``'s
    subtree during ``period``, best first; ``department`` narrows to one department's.
    Scored by ``region``'s scheme (``scheme_for``) unless a ``version`` is given. Seen
    from ``today`` (else the period's own, else the local date): a period under way counts
    the facts up to that day. A fixed number of queries: the scheme, one aggregate over
    the facts, the names."""
    if by not in _SUBJECT_FIELDS:
        raise SupervisionError(
            _("Scores are by department, window or staff, not “%(by)s”.") % {"by": by},
            SupervisionErrorCode.BAD_INPUT,
            "by",
        )
    if today is not None:
        period = replace(period, today=today)
    period.check()
    if (
        department is not None
        and not Department.objects.filter(pk=department.pk, region__path__startswith=region.path).exists()
    ):
        raise SupervisionError(
            _("%(department)s is not in %(region)s.")
            % {"department": department.name, "region": region.name},
            SupervisionErrorCode.BAD_INPUT,
            "department",
        )
    version = version or scheme_for(region)
    indicators = indicators_of(version)
    subject = _SUBJECT_FIELDS[by]
    facts = DailyFact.objects.filter(
        region_path__startswith=region.path, day__gte=period.start, day__lte=period.through
    )
    if department is not None:
        facts = facts.filter(department_id=department.pk)
    if by != "department":
        facts = facts.exclude(**{subject: 0})
    rows = list(facts.order_by().values(subject).annotate(**{m: Sum(m) for m in FACT_MEASURES}))
    names = _names(by, [row[subject] for row in rows])
    scored = []
    for row in rows:
        measures = {m: int(row[m] or 0) for m in FACT_MEASURES}
        total, breakdown = evaluate(indicators, measures)
        subject_id = row[subject]
        scored.append((total, names.get(subject_id, f"#{subject_id}"), subject_id, measures, breakdown))
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    result: list[Score] = []
    for position, (total, name, subject_id, measures, breakdown) in enumerate(scored, start=1):
        rank = result[-1].rank if result and result[-1].total == total else position
        result.append(Score(subject_id, name, total, rank, measures, breakdown, version.pk))
    return result
