"""Chinese identifiers: resident ID (GB 11643), USCC (GB 32100), region codes (GB/T 2260).

The check-character arithmetic comes from python-stdnum; this module adds the rules a
government service needs on top (exact length, no future birth dates, GB 32100 letter
positions) and a specific error for each way a value can be wrong. Forms and APIs use the
``validate_*`` functions (Django validators raising ``ValidationError`` with a stable
code); other code asks the ``is_valid_*`` predicates.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# ASCII digits only: ``\d`` would also match full-width and other scripts' digits, which
# int() accepts, so such a number would pass and be stored in a form no lookup matches.
_RESIDENT_ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")
_USCC_RE = re.compile(rf"^[{USCC_ALPHABET}]{{2}}[0-9]{{6}}[{USCC_ALPHABET}]{{10}}$")
_REGION_RE = re.compile(r"^([0-9]{6}|[0-9]{12})$")
# Province-level regions of GB/T 2260 (71 Taiwan, 81 Hong Kong, 82 Macao).
PROVINCE_CODES = frozenset(
    {
        *(
            "11",
            "12",
            "13",
            "14",
            "15",
            "21",
            "22",
            "23",
            "31",
            "32",
            "33",
            "34",
            "35",
            "36",
            "37",
            "41",
            "42",
        ),
        *(
            "43",
            "44",
            "45",
            "46",
            "50",
            "51",
            "52",
            "53",
            "54",
            "61",
            "62",
            "63",
            "64",
            "65",
            "71",
            "81",
            "82",
        ),
    }
)


def _half_width(value: str) -> str:
    """Full-width digits and letters typed with a Chinese input method → ASCII (NFKC)."""
    return unicodedata.normalize("NFKC", value).strip()


def normalize_resident_id(value: str) -> str:
    """Strip surrounding blanks, turn full-width characters into ASCII and upper-case the
    check character (x → X)."""
    return _half_width(value).upper()


def validate_resident_id(value: str) -> str:
    """Return the normalised resident ID number or raise ``ValidationError``."""
    number = normalize_resident_id(value or "")
    if len(number) != 18:
        raise ValidationError(
            _("A resident ID number has 18 characters; this one has %(n)d."),
            code="resident_id_length",
            params={"n": len(number)},
        )
    if not _RESIDENT_ID_RE.match(number):
        raise ValidationError(
            _("A resident ID number is 17 digits followed by a digit or X."),
            code="resident_id_format",
        )
    try:
        birth = ric.get_birth_date(number)
    except StdnumError:
        raise ValidationError(
            _("The birth date in this resident ID number (%(date)s) does not exist."),
            code="resident_id_birth_date",
            params={"date": number[6:14]},
        ) from None
    if birth > timezone.localdate() or birth < dt.date(1880, 1, 1):
        raise ValidationError(
            _("The birth date in this resident ID number (%(date)s) is not plausible."),
            code="resident_id_birth_date",
            params={"date": birth.isoformat()},
        )
    if number[-1] != ric.calc_check_digit(number):
        raise ValidationError(
            _("The check character of this resident ID number is wrong; please check for a typing error."),
            code="resident_id_checksum",
        )
    return number


def is_valid_resident_id(s: str) -> bool:
    try:
        validate_resident_id(s)
    except ValidationError:
        return False
    return True


def normalize_uscc(value: str) -> str:
    return _half_width(value).upper()


def validate_uscc(value: str) -> str:
    """Return the normalised unified social credit code or raise ``ValidationError``."""
    code = normalize_uscc(value or "")
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d."),
            code="uscc_length",
            params={"n": len(code)},
        )
    bad = sorted({c for c in code if c not in USCC_ALPHABET})
    if bad:
        raise ValidationError(
            _(
                "A unified social credit code cannot contain %(chars)s (the letters I, O, Z, S and V are never used)."
            ),
            code="uscc_characters",
            params={"chars": gettext(", ").join(bad)},
        )
    if not _USCC_RE.match(code):
        raise ValidationError(
            _(
                "Characters 3 to 8 of a unified social credit code are the registering region's six-digit code."
            ),
            code="uscc_format",
        )
    if code[-1] != uscc.calc_check_digit(code):
        raise ValidationError(
            _(
                "The check character of this unified social credit code is wrong; please check for a typing error."
            ),
            code="uscc_checksum",
        )
    return code


def is_valid_uscc(s: str) -> bool:
    try:
        validate_uscc(s)
    except ValidationError:
        return False
    return True


def validate_region_code(value: str) -> str:
    """A GB/T 2260 code: six digits (province, city, county) or twelve (town, village)."""
    code = _half_width(value or "")
    if not _REGION_RE.match(code):
        raise ValidationError(
            _("A region code is 6 digits (province, city, county) or 12 digits (town, village)."),
            code="region_code_format",
        )
    if code[:2] not in PROVINCE_CODES:
        raise ValidationError(
            _(
                "The first two digits of a region code must name a province-level region "
                "(GB/T 2260, e.g. 11 Beijing, 13 Hebei); %(prefix)s does not."
            ),
            code="region_code_province",
            params={"prefix": code[:2]},
        )
    return code


def is_valid_region_code(s: str) -> bool:
    try:
        validate_region_code(s)
    except ValidationError:
        return False
    return True


def mask(value: str, keep_start: int, keep_end: int, fill: str = "*") -> str:
    """Replace the middle of ``value`` by ``fill``, keeping the given number of characters."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return fill * len(value)
    return value[:keep_start] + fill * (len(value) - keep_start - keep_end) + value[len(value) - keep_end :]


def mask_resident_id(value: str) -> str:
    """``11010519491231002X`` → ``110105********002X`` (region and last four kept)."""
    return mask(normalize_resident_id(value), 6, 4)


def mask_uscc(value: str) -> str:
    """Enterprise codes are public record, but lists still show them shortened."""
    return mask(normalize_uscc(value), 8, 4)


def mask_mobile(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    return mask(value.strip(), 3, 4)


def mask_name(value: str) -> str:
    """``张三丰`` → ``张**``: only the family name stays visible."""
    value = value.strip()
    return value[:1] + "*" * (len(value) - 1) if value else ""


def build_resident_id(region: str, birth: dt.date, sequence: int) -> str:
    """A well-formed resident ID number (for demo data and tests): region, birth date,
    three-digit sequence (odd for men) and the computed check character."""
    body = f"{region[:6]}{birth:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def build_uscc(authority: str, org_type: str, region: str, org_code: str) -> str:
    """A well-formed USCC (for demo data and tests) from its parts: registering authority
    (1 character), organisation type (1), region (6) and the 9-character organisation code."""
    body = f"{authority}{org_type}{region[:6]}{org_code}".upper()
    if len(body) != 17:
        raise ValueError("authority(1) + type(1) + region(6) + organisation code(9) = 17 characters")
    return body + uscc.calc_check_digit(body + "0")
