"""Resident ID numbers (GB 11643), unified social credit codes (GB 32100), region codes
(GB/T 2260) and masking. Valid numbers' check characters were computed by hand from the
standards' weights (DOMAIN.md), not with the code under test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from yiwang.core.identifiers import (
    build_resident_id,
    build_uscc,
    is_valid_region_code,
    is_valid_resident_id,
    is_valid_uscc,
    mask,
    mask_mobile,
    mask_name,
    mask_resident_id,
    mask_uscc,
    validate_region_code,
    validate_resident_id,
    validate_uscc,
)

TODAY = dt.datetime(2026, 11, 21, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def fixed_today() -> Iterator[None]:
    with time_machine.travel(TODAY, tick=False):
        yield


def error_of(validator: object, value: object) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        validator(value)  # type: ignore[operator]
    return exc.value


# --------------------------------------------------------------------------- resident ID


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",  # the standard's own example
        "130402199005171234",
        "130402198511014560",
        "440306200002290025",  # born on a leap day
    ],
)
def test_valid_resident_ids(number: str) -> None:
    assert validate_resident_id(number) == number
    assert is_valid_resident_id(number)


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("11010519491231002x", "11010519491231002X"),  # lower-case x accepted
        ("  11010519491231002X\n", "11010519491231002X"),
        (
            "１１０１０５１９４９１２３１００２Ｘ",
            "11010519491231002X",
        ),  # full-width, as a Chinese IME types it
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
    ],
)
def test_resident_id_is_normalised(typed: str, stored: str) -> None:
    assert validate_resident_id(typed) == stored


@pytest.mark.parametrize(
    "number, code",
    [
        ("", "resident_id_length"),
        ("11010519491231002", "resident_id_length"),  # 17
        ("11010519491231002X1", "resident_id_length"),  # 19
        ("1101051949123100211", "resident_id_length"),
        ("11010519491231002A", "resident_id_format"),
        ("1101051949123100XX", "resident_id_format"),
        ("11010519491231O02X", "resident_id_format"),  # letter O for zero
        ("110105-1949123102X", "resident_id_format"),
        ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "resident_id_format"),  # Arabic-Indic digits are not accepted
        ("110105199902300015", "resident_id_birth_date"),  # 1999-02-30
        ("110105199913010012", "resident_id_birth_date"),  # month 13
        ("11010520300101001X", "resident_id_birth_date"),  # born in 2030
        ("110105187901010018", "resident_id_birth_date"),  # born in 1879
        ("110105194912310021", "resident_id_checksum"),
        ("130402199005171235", "resident_id_checksum"),
        ("11010519491231002 ", "resident_id_length"),  # 17 characters once blanks are stripped
    ],
)
def test_invalid_resident_ids(number: str, code: str) -> None:
    assert error_of(validate_resident_id, number).code == code
    assert not is_valid_resident_id(number)


def test_resident_id_of_someone_born_today_is_accepted_and_tomorrow_is_not() -> None:
    assert is_valid_resident_id(build_resident_id("110105", dt.date(2026, 11, 21), 1))
    error = error_of(validate_resident_id, build_resident_id("110105", dt.date(2026, 11, 22), 1))
    assert error.code == "resident_id_birth_date"
    assert error.params == {"date": "2026-11-22"}


def test_resident_id_messages() -> None:
    with translation.override("en"):
        assert error_of(validate_resident_id, "11010519491231002").messages == [
            "A resident ID number has 18 characters; this one has 17."
        ]
        assert error_of(validate_resident_id, "110105199902300015").messages == [
            "The birth date in this resident ID number (19990230) does not exist."
        ]
    with translation.override("zh-hans"):
        assert error_of(validate_resident_id, "11010519491231002").messages == [
            "居民身份证号码应为 18 位，当前为 17 位。"
        ]
        assert error_of(validate_resident_id, "110105199902300015").messages == [
            "居民身份证号码中的出生日期（19990230）不存在。"
        ]
        assert error_of(validate_resident_id, "110105194912310021").messages == [
            "居民身份证号码校验码不正确，请检查是否输入有误。"
        ]


def test_build_resident_id_matches_hand_computed_check_character() -> None:
    assert build_resident_id("110105", dt.date(1949, 12, 31), 2) == "11010519491231002X"
    assert build_resident_id("130402", dt.date(1990, 5, 17), 123) == "130402199005171234"


# --------------------------------------------------------------------------- USCC


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341L",
        "91130402MA0CXXXX12",
        "12130400000000001K",
        "91440300MA5F00001A",
        "51110000500000001E",
    ],
)
def test_valid_usccs(code: str) -> None:
    assert validate_uscc(code) == code
    assert is_valid_uscc(code)


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("91110000600037341l", "91110000600037341L"),
        (" 91110000600037341L ", "91110000600037341L"),
        ("９１１１００００６０００３７３４１Ｌ", "91110000600037341L"),
    ],
)
def test_uscc_is_normalised(typed: str, stored: str) -> None:
    assert validate_uscc(typed) == stored


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_uscc_forbidden_letters(letter: str) -> None:
    code = "9111000060003734" + letter + "L"
    error = error_of(validate_uscc, code)
    assert error.code == "uscc_characters"
    assert error.params == {"chars": letter}
    assert letter in error.messages[0]
    assert not is_valid_uscc(code)


@pytest.mark.parametrize(
    "code, error_code",
    [
        ("", "uscc_length"),
        ("91110000600037341", "uscc_length"),
        ("91110000600037341LL", "uscc_length"),
        ("91110000600037341*", "uscc_characters"),
        ("91A10000600037341L", "uscc_format"),  # the region part must be digits
        ("91110000600037341M", "uscc_checksum"),
        ("91110000600037342L", "uscc_checksum"),
        ("91130402MA0CXXXX13", "uscc_checksum"),
    ],
)
def test_invalid_usccs(code: str, error_code: str) -> None:
    assert error_of(validate_uscc, code).code == error_code
    assert not is_valid_uscc(code)


def test_uscc_messages_name_the_bad_characters() -> None:
    with translation.override("en"):
        assert error_of(validate_uscc, "9111000060003734OI").messages == [
            "A unified social credit code cannot contain I, O (the letters I, O, Z, S and V are never used)."
        ]
    with translation.override("zh-hans"):
        assert error_of(validate_uscc, "9111000060003734OI").messages == [
            "统一社会信用代码不能包含 I、O（不使用字母 I、O、Z、S、V）。"
        ]
        assert error_of(validate_uscc, "91110000600037341M").messages == [
            "统一社会信用代码校验码不正确，请检查是否输入有误。"
        ]


def test_build_uscc() -> None:
    assert build_uscc("9", "1", "110000", "600037341") == "91110000600037341L"
    assert is_valid_uscc(build_uscc("1", "1", "130402", "00000007X"))
    with pytest.raises(ValueError, match="17 characters"):
        build_uscc("9", "1", "1100", "600037341")


# --------------------------------------------------------------------------- region codes


@pytest.mark.parametrize(
    "code",
    ["110000", "110105", "130402", "130402001000", "130402001001", "650000", "710000", "810000", "820000"],
)
def test_valid_region_codes(code: str) -> None:
    assert validate_region_code(code) == code
    assert is_valid_region_code(code)


def test_full_width_region_code_is_normalised() -> None:
    assert validate_region_code("１３０４０２") == "130402"


@pytest.mark.parametrize(
    "code, error_code",
    [
        ("", "region_code_format"),
        ("13040", "region_code_format"),
        ("1304021", "region_code_format"),
        ("13040200100", "region_code_format"),
        ("1304020010001", "region_code_format"),
        ("13040A", "region_code_format"),
        ("130 402", "region_code_format"),
        ("١٣٠٤٠٢", "region_code_format"),
        ("000000", "region_code_province"),
        ("100000", "region_code_province"),
        ("160000", "region_code_province"),
        ("550000", "region_code_province"),
        ("830000", "region_code_province"),
        ("990000000000", "region_code_province"),
    ],
)
def test_invalid_region_codes(code: str, error_code: str) -> None:
    assert error_of(validate_region_code, code).code == error_code
    assert not is_valid_region_code(code)


def test_region_code_messages() -> None:
    with translation.override("zh-hans"):
        assert error_of(validate_region_code, "160000").messages == [
            "行政区划代码前两位应为省级行政区代码（GB/T 2260，如 11 北京、13 河北），“16”不是。"
        ]
        assert error_of(validate_region_code, "13040").messages == [
            "行政区划代码应为 6 位（省、市、县）或 12 位（乡镇、村）数字。"
        ]


# --------------------------------------------------------------------------- masking


def test_masking() -> None:
    assert mask_resident_id("11010519491231002X") == "110105********002X"
    assert mask_resident_id("11010519491231002x") == "110105********002X"
    assert mask_uscc("91110000600037341L") == "91110000******341L"
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_mobile(" 13812345678 ") == "138****5678"
    assert mask_name("张三丰") == "张**"
    assert mask_name("欧阳") == "欧*"
    assert mask_name("  ") == ""


def test_mask_never_reveals_a_short_value() -> None:
    assert mask("", 3, 4) == ""
    assert mask("1234567", 3, 4) == "*******"
    assert mask("12345678", 3, 4) == "123*5678"
    assert mask("abc", 6, 4, fill="#") == "###"
