"""Issuing e-licenses on completed cases, receiving them from departmental systems,
revoking and expiring them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from yiwang.cases.models import CaseEvent, EventType
from yiwang.cases.services import CaseError
from yiwang.conftest import ENTERPRISE_USCC
from yiwang.core.identifiers import build_resident_id
from yiwang.core.models import Notification
from yiwang.licenses import selectors
from yiwang.licenses.identifiers import parse_identifier
from yiwang.licenses.models import HolderKind, License, LicenseSerial, LicenseStatus, LicenseType
from yiwang.licenses.services import (
    LicenseError,
    expire_licenses,
    license_issue,
    license_issue_for_case,
    license_revoke,
    license_type_for,
)
from yiwang.licenses.tests.conftest import APPLICANT_ID, FOOD_LICENSE_TYPE

pytestmark = pytest.mark.django_db


def _snapshot() -> list[tuple[Any, ...]]:
    return list(
        License.objects.order_by("pk").values_list(
            "pk", "status", "revoked_at", "revoked_by", "revoke_reason"
        )
    )


# --------------------------------------------------------------------------- issue on completion


def test_completing_an_approved_licence_case_issues_its_license(walk, licence_item, market_dept) -> None:
    # Given the directory knows 食品经营许可证
    LicenseType.objects.create(code=FOOD_LICENSE_TYPE, name="食品经营许可证")
    # When a case is filed, accepted, passed, approved and completed
    case = walk.approved(licence_item)
    # Then exactly one e-license exists for it, with the completion's number and validity
    license = License.objects.get(case=case)
    assert license.license_type == FOOD_LICENSE_TYPE
    assert license.name == "食品经营许可证"
    assert license.number == "JY11304020001234"
    assert (license.holder_name, license.holder_id_number, license.holder_kind) == (
        "张晓梅",
        APPLICANT_ID,
        HolderKind.RESIDENT_ID,
    )
    assert license.issuer == market_dept and license.region == case.region
    assert license.issued_on == license.valid_from == dt.date(2025, 9, 26)
    assert license.valid_until == dt.date(2030, 9, 25)
    assert license.status == LicenseStatus.VALID
    assert len(license.verify_token) == 43
    parsed = parse_identifier(license.identifier)
    assert (parsed.license_type, parsed.issuer, parsed.serial, parsed.version) == (
        FOOD_LICENSE_TYPE,
        market_dept.uscc,
        "20250000001",
        1,
    )
    # and it is among the holder's licenses in force
    assert list(selectors.valid_licenses(holder_id_number=APPLICANT_ID, on=dt.date(2025, 10, 1))) == [license]


def test_issuing_is_idempotent(walk, licence_item) -> None:
    case = walk.approved(licence_item)
    first = License.objects.get(case=case)
    complete = CaseEvent.objects.get(case=case, type=EventType.COMPLETE)
    # When the receiver's service runs again for the same case (a redelivered event)
    again = license_issue_for_case(case=case, event=complete)
    assert again == first
    assert License.objects.filter(case=case).count() == 1
    assert LicenseSerial.objects.get().last == 1


def test_serials_follow_each_other_per_type_and_issuer(walk, licence_item) -> None:
    first = License.objects.get(case=walk.approved(licence_item))
    second = License.objects.get(
        case=walk.approved(
            licence_item, name="王建国", id_number=build_resident_id("130402", dt.date(1980, 1, 1), 123)
        )
    )
    assert parse_identifier(first.identifier).serial == "20250000001"
    assert parse_identifier(second.identifier).serial == "20250000002"


def test_a_result_name_missing_from_the_directory_is_registered_under_the_issuer(
    walk, licence_item, market_dept
) -> None:
    case = walk.approved(licence_item)
    license = License.objects.get(case=case)
    registered = LicenseType.objects.get(name="食品经营许可证")
    assert registered.code == f"{market_dept.uscc}001"
    assert license.license_type == registered.code
    # the next unknown type of the same department gets the next serial
    other = license_type_for(type(licence_item)(result_name="小餐饮经营许可证", name="小餐饮"), market_dept)
    assert other.code == f"{market_dept.uscc}002"


def test_denied_cases_issue_nothing(walk, licence_item) -> None:
    case = walk.complete(walk.decide(walk.file(licence_item), "denied"), until=None)
    assert case.decision == "denied"
    assert not License.objects.exists()
    assert not LicenseSerial.objects.exists()


def test_items_whose_result_is_not_a_license_issue_nothing(walk, approval_item) -> None:
    walk.approved(approval_item)
    assert not License.objects.exists()
    assert not LicenseType.objects.exists()


def test_no_number_given_uses_the_case_number(walk, licence_item) -> None:
    case = walk.complete(walk.decide(walk.file(licence_item)), number="", until=None)
    license = License.objects.get(case=case)
    assert license.number == case.number
    assert license.valid_until is None


def test_an_end_date_before_completion_refuses_the_completion(walk, licence_item) -> None:
    case = walk.decide(walk.file(licence_item))
    events_before = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(CaseError) as caught:
        walk.complete(case, until=dt.date(2025, 9, 1))
    assert caught.value.field == "result_valid_until"
    case.refresh_from_db()
    assert case.state == "decided"
    assert CaseEvent.objects.filter(case=case).count() == events_before
    assert not License.objects.exists()


def test_the_applicant_is_told(walk, licence_item, holder) -> None:
    case = walk.approved(
        licence_item, name=holder.name, id_number=holder.id_number, applicant_user=holder.user
    )
    license = License.objects.get(case=case)
    notes = list(Notification.objects.filter(recipient=holder.user, kind="license.issued"))
    assert len(notes) == 1
    assert license.number in notes[0].body
    assert notes[0].link == "/licenses/mine/"


def test_an_enterprise_applicant_holds_by_its_uscc(walk, licence_item) -> None:
    case = walk.approved(
        licence_item, name="邯郸市丛台食品有限公司", id_number=ENTERPRISE_USCC, kind="enterprise"
    )
    license = License.objects.get(case=case)
    assert (license.holder_kind, license.holder_id_number) == (HolderKind.USCC, ENTERPRISE_USCC)
    assert license.masked_holder_name == "邯郸市丛台食品有限公司"


# --------------------------------------------------------------------------- issue from departmental systems


def _exchange(market_dept: Any, **overrides: Any) -> License:
    fields: dict[str, Any] = {
        "user": None,
        "license_type": "11100000000013661B001",
        "name": "营业执照",
        "number": "91130402MA0A1B2C3D",
        "holder_name": "邯郸市丛台食品有限公司",
        "holder_id_number": ENTERPRISE_USCC,
        "holder_kind": HolderKind.USCC,
        "issuer": market_dept,
        "issued_on": dt.date(2024, 3, 1),
        "source": "河北省市场主体登记系统",
    }
    fields.update(overrides)
    return license_issue(**fields)


def test_a_license_from_a_departmental_system_is_kept_once(market_dept) -> None:
    license = _exchange(market_dept)
    assert license.case is None and license.valid_from == dt.date(2024, 3, 1)
    assert parse_identifier(license.identifier).issuer == market_dept.uscc
    # delivered again: the same row
    assert _exchange(market_dept) == license
    assert License.objects.count() == 1


def test_the_issuing_systems_identifier_is_kept(market_dept) -> None:
    from yiwang.licenses.identifiers import build_identifier

    identifier = build_identifier(
        license_type="11100000000013661B001", issuer=market_dept.uscc, serial="ZX2024000123", version=2
    )
    license = _exchange(market_dept, identifier=identifier.lower())
    assert license.identifier == identifier and license.version == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"license_type": "营业执照"}, "license_type"),
        ({"number": "  "}, "number"),
        ({"holder_id_number": "91130402MA0A1B2C3X"}, "holder_id_number"),
        ({"holder_kind": HolderKind.RESIDENT_ID}, "holder_id_number"),
        ({"holder_kind": "999"}, "holder_kind"),
        ({"holder_name": ""}, "holder_name"),
        ({"valid_until": dt.date(2024, 2, 1)}, "valid_until"),
        ({"identifier": "1.2.156.3005.2.11100000000013661B001.11430000006122244L.1.001.A"}, "identifier"),
        ({"identifier": "1.2.156.3005.2.bad"}, "identifier"),
    ],
)
def test_bad_departmental_data_is_refused_and_nothing_is_written(market_dept, overrides, field) -> None:
    with pytest.raises(LicenseError) as caught:
        _exchange(market_dept, **overrides)
    assert caught.value.field == field
    assert not License.objects.exists()
    assert not LicenseSerial.objects.exists()


def test_a_conflicting_delivery_is_refused(market_dept) -> None:
    from yiwang.licenses.identifiers import build_identifier

    identifier = build_identifier(license_type="11100000000013661B001", issuer=market_dept.uscc, serial="A1")
    _exchange(market_dept, identifier=identifier)
    with pytest.raises(LicenseError) as caught:
        _exchange(market_dept, identifier=identifier, number="OTHER-1")
    assert caught.value.error_code == "conflict"
    assert License.objects.get().number == "91130402MA0A1B2C3D"


def test_staff_issue_only_for_their_own_department(
    market_dept, approver_user, neighbour_approver, handler_user
) -> None:
    assert _exchange(market_dept, user=approver_user).issuer == market_dept
    for user in (neighbour_approver, handler_user):
        with pytest.raises(LicenseError) as caught:
            _exchange(market_dept, user=user, number="OTHER-2")
        assert caught.value.error_code == "forbidden"
    assert License.objects.count() == 1


# --------------------------------------------------------------------------- revoke


def test_the_issuing_department_revokes(walk, licence_item, approver_user, holder) -> None:
    case = walk.approved(
        licence_item, name=holder.name, id_number=holder.id_number, applicant_user=holder.user
    )
    license = License.objects.get(case=case)
    revoked = license_revoke(license=license, user=approver_user, reason="以欺骗手段取得许可")
    assert revoked.status == LicenseStatus.REVOKED
    assert revoked.revoked_by == approver_user and revoked.revoke_reason == "以欺骗手段取得许可"
    assert revoked.revoked_at is not None
    assert not selectors.valid_licenses(holder_id_number=holder.id_number, on=timezone.localdate()).exists()
    assert Notification.objects.filter(recipient=holder.user, kind="license.revoked").count() == 1


def test_revoking_by_another_department_is_refused_and_changes_nothing(
    walk, licence_item, neighbour_approver, handler_user
) -> None:
    license = License.objects.get(case=walk.approved(licence_item))
    before = _snapshot()
    for user in (neighbour_approver, handler_user, None):
        with pytest.raises(LicenseError) as caught:
            license_revoke(license=license, user=user, reason="撤销")
        assert caught.value.error_code == "forbidden"
    assert _snapshot() == before
    assert not Notification.objects.filter(kind="license.revoked").exists()


def test_revoking_needs_a_reason_and_happens_once(walk, licence_item, approver_user) -> None:
    license = License.objects.get(case=walk.approved(licence_item))
    before = _snapshot()
    with pytest.raises(LicenseError) as caught:
        license_revoke(license=license, user=approver_user, reason="  ")
    assert caught.value.field == "reason"
    with pytest.raises(LicenseError):
        license_revoke(license=license, user=approver_user, reason="x" * 301)
    assert _snapshot() == before
    license_revoke(license=license, user=approver_user, reason="依法撤销")
    after = _snapshot()
    with pytest.raises(LicenseError) as caught:
        license_revoke(license=license, user=approver_user, reason="再次撤销")
    assert caught.value.error_code == "illegal_in_state"
    assert _snapshot() == after


# --------------------------------------------------------------------------- expire


def test_expired_licenses_are_detected_and_swept(walk, licence_item) -> None:
    license = License.objects.get(case=walk.approved(licence_item))  # valid until 2030-09-25
    assert license.status_on(dt.date(2030, 9, 25)) == LicenseStatus.VALID
    assert license.status_on(dt.date(2030, 9, 26)) == LicenseStatus.EXPIRED
    assert selectors.valid_licenses(holder_id_number=APPLICANT_ID, on=dt.date(2030, 9, 25)).exists()
    assert not selectors.valid_licenses(holder_id_number=APPLICANT_ID, on=dt.date(2030, 9, 26)).exists()
    assert not selectors.valid_licenses(holder_id_number=APPLICANT_ID, on=dt.date(2025, 9, 25)).exists()

    assert expire_licenses(today=dt.date(2030, 9, 25)) == 0
    assert expire_licenses(today=dt.date(2030, 9, 26)) == 1
    assert expire_licenses(today=dt.date(2030, 9, 26)) == 0
    license.refresh_from_db()
    assert license.status == LicenseStatus.EXPIRED


def test_the_expiry_task_runs_the_sweep(walk, licence_item) -> None:
    from yiwang.licenses.tasks import expire_licenses as task

    case = walk.complete(walk.decide(walk.file(licence_item)), until=dt.date(2025, 9, 30))
    assert task() == (1 if timezone.localdate() > dt.date(2025, 9, 30) else 0)
    assert License.objects.get(case=case).status == LicenseStatus.EXPIRED
