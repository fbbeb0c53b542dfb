"""The GB/T 36904 e-license identifier: known answers from identifiers issued by provincial
platforms, round trips and error detection with hypothesis."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.licenses.identifiers import (
    ALPHABET,
    ROOT,
    build_identifier,
    check_character,
    is_valid_identifier,
    parse_identifier,
)

# Published by provincial e-license platforms (a work-safety certificate in Hunan, an
# investment-project document in Zhejiang).
ISSUED = (
    "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
    "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
)

codes = st.text(alphabet=ALPHABET, min_size=18, max_size=18)
license_types = st.builds(lambda c, n: f"{c}{n:03d}", codes, st.integers(0, 999))
serials = st.text(alphabet=ALPHABET, min_size=1, max_size=40)
versions = st.integers(1, 999)
# Pure functions: how long an example takes on a loaded machine says nothing about them.
quick = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize("identifier", ISSUED)
def test_check_character_of_issued_identifiers(identifier: str) -> None:
    parsed = parse_identifier(identifier)
    assert str(parsed) == identifier
    assert (
        check_character(parsed.license_type, parsed.issuer, parsed.serial, parsed.version) == identifier[-1]
    )


def test_build_gives_the_issued_identifier() -> None:
    assert (
        build_identifier(
            license_type="11100000000013338W011", issuer="11430000006122244L", serial="20230000403", version=1
        )
        == ISSUED[0]
    )


def test_lower_case_and_blanks_are_normalised() -> None:
    assert str(parse_identifier(f"  {ISSUED[0].lower()} ")) == ISSUED[0]


@quick
@given(license_types, codes, serials, versions)
def test_round_trip(license_type: str, issuer: str, serial: str, version: int) -> None:
    identifier = build_identifier(license_type=license_type, issuer=issuer, serial=serial, version=version)
    assert identifier.startswith(ROOT + ".")
    parsed = parse_identifier(identifier)
    assert (parsed.license_type, parsed.issuer, parsed.serial, parsed.version) == (
        license_type,
        issuer,
        serial,
        version,
    )


@quick
@given(license_types, codes, serials, versions, st.data())
def test_any_single_character_changed_is_detected(
    license_type: str, issuer: str, serial: str, version: int, data: st.DataObject
) -> None:
    identifier = build_identifier(license_type=license_type, issuer=issuer, serial=serial, version=version)
    positions = [i for i, c in enumerate(identifier) if i > len(ROOT) and c != "."]
    i = data.draw(st.sampled_from(positions))
    replacement = data.draw(st.sampled_from([c for c in ALPHABET if c != identifier[i]]))
    changed = identifier[:i] + replacement + identifier[i + 1 :]
    assert not is_valid_identifier(changed)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "identifier_root"),
        ("1.2.156.3005.1.11100000000013338W011.11430000006122244L.20230000403.001.U", "identifier_root"),
        ("1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001", "identifier_parts"),
        ("1.2.156.3005.2.11100000000013338W01.11430000006122244L.20230000403.001.U", "license_type_format"),
        ("1.2.156.3005.2.11100000000013338W011.1143000000612224.20230000403.001.U", "issuer_format"),
        ("1.2.156.3005.2.11100000000013338W011.11430000006122244L.2023-0403.001.U", "serial_format"),
        ("1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.000.U", "version_range"),
        ("1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.01.U", "version_range"),
        ("1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.UU", "check_format"),
        ("1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.V", "identifier_checksum"),
    ],
)
def test_malformed_identifiers_are_refused_with_their_reason(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_identifier(value)
    assert caught.value.code == code
    assert not is_valid_identifier(value)


def test_build_refuses_malformed_parts() -> None:
    with pytest.raises(ValidationError) as caught:
        build_identifier(license_type="食品经营许可证", issuer="11430000006122244L", serial="1")
    assert caught.value.code == "license_type_format"
    with pytest.raises(ValidationError) as caught:
        build_identifier(
            license_type="11100000000013338W011", issuer="11430000006122244L", serial="1", version=1000
        )
    assert caught.value.code == "version_range"
