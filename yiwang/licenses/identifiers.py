"""The e-license identifier (电子证照标识, GB/T 36904-2018, with the metadata of GB/T 36903):

    1.2.156.3005.2.{license type code}.{issuer code}.{serial}.{version}.{check}

- ``1.2.156.3005.2``: the root OID of Chinese e-licenses;
- license type code (证照类型代码): the defining authority's 18-character unified social
  credit code followed by a three-digit serial, e.g. ``11100000000013338W011``;
- issuer code (证照颁发机构代码): the issuing department's USCC;
- serial (流水号): letters and digits chosen by the issuer, unique per type and issuer;
- version (版本号): three digits, ``001`` for a first issue;
- check (校验位): one character computed with ISO/IEC 7064 MOD 37,36 (GB/T 17710) over
  the type code, issuer code, serial and version written together without the dots.

The check is the one GB/T 36904 prescribes; it reproduces the check characters of
identifiers issued by provincial e-license platforms (for example
``1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U``), which the
tests use as known answers. The computation is python-stdnum's ``iso7064.mod_37_36``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.iso7064 import mod_37_36

ROOT = "1.2.156.3005.2"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

LICENSE_TYPE_RE = re.compile(r"[0-9A-Z]{18}[0-9]{3}\Z")
ISSUER_RE = re.compile(r"[0-9A-Z]{18}\Z")
SERIAL_RE = re.compile(r"[0-9A-Z]{1,40}\Z")
VERSION_RE = re.compile(r"[0-9]{3}\Z")


@dataclass(frozen=True)
class Identifier:
    license_type: str
    issuer: str
    serial: str
    version: int
    check: str

    def __str__(self) -> str:
        return f"{ROOT}.{self.license_type}.{self.issuer}.{self.serial}.{self.version:03d}.{self.check}"


def check_character(license_type: str, issuer: str, serial: str, version: int) -> str:
    """The check character of the given parts (ISO/IEC 7064 MOD 37,36)."""
    return str(mod_37_36.calc_check_digit(f"{license_type}{issuer}{serial}{version:03d}"))


def _require(pattern: re.Pattern[str], value: str, message: str, code: str) -> str:
    if not pattern.match(value):
        raise ValidationError(message, code=code)
    return value


def _check_parts(license_type: str, issuer: str, serial: str, version: int) -> None:
    _require(
        LICENSE_TYPE_RE,
        license_type,
        _(
            "A license type code is the defining authority's 18-character code followed by a "
            "three-digit number; “%(value)s” is not."
        )
        % {"value": license_type},
        "license_type_format",
    )
    _require(
        ISSUER_RE,
        issuer,
        _("The issuer's code in an e-license identifier is its 18-character unified social credit code."),
        "issuer_format",
    )
    _require(
        SERIAL_RE,
        serial,
        _("The serial of an e-license identifier is 1 to 40 digits or capital letters."),
        "serial_format",
    )
    if not 1 <= version <= 999:
        raise ValidationError(
            _("The version of an e-license identifier is a number from 001 to 999."), code="version_range"
        )


def build_identifier(*, license_type: str, issuer: str, serial: str, version: int = 1) -> str:
    """The identifier of the given parts with its check character; ``ValidationError``
    when a part is malformed."""
    _check_parts(license_type, issuer, serial, version)
    return str(
        Identifier(
            license_type, issuer, serial, version, check_character(license_type, issuer, serial, version)
        )
    )


def parse_identifier(value: str) -> Identifier:
    """The parts of an identifier, its check character verified; ``ValidationError`` with
    a code naming what is wrong otherwise."""
    text = (value or "").strip().upper()
    if not text.startswith(ROOT + "."):
        raise ValidationError(
            _("An e-license identifier starts with %(root)s.") % {"root": ROOT}, code="identifier_root"
        )
    parts = text[len(ROOT) + 1 :].split(".")
    if len(parts) != 5:
        raise ValidationError(
            _(
                "An e-license identifier has five parts after %(root)s: type code, issuer, serial, "
                "version and check character."
            )
            % {"root": ROOT},
            code="identifier_parts",
        )
    license_type, issuer, serial, version_text, check = parts
    _require(
        VERSION_RE,
        version_text,
        _("The version of an e-license identifier is a number from 001 to 999."),
        "version_range",
    )
    version = int(version_text)
    _check_parts(license_type, issuer, serial, version)
    if len(check) != 1 or check not in ALPHABET:
        raise ValidationError(
            _("The check part of an e-license identifier is one digit or capital letter."),
            code="check_format",
        )
    if check != check_character(license_type, issuer, serial, version):
        raise ValidationError(
            _("The check character of this e-license identifier is wrong; please check for a typing error."),
            code="identifier_checksum",
        )
    return Identifier(license_type, issuer, serial, version, check)


def is_valid_identifier(value: str) -> bool:
    try:
        parse_identifier(value)
    except ValidationError:
        return False
    return True
