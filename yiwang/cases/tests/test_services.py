"""Every refused action gets a specific error and leaves the case and its ledger as they were."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from yiwang.cases import services
from yiwang.cases.models import Case, CaseEvent, CaseFile, CaseState, Channel
from yiwang.cases.services import CaseError, CaseErrorCode, Upload
from yiwang.cases.tests.conftest import APPLICANT_ID, at
from yiwang.cases.tests.test_journey import PDF, pdf
from yiwang.org.factories import grant
from yiwang.org.models import Role
from yiwang.org.permissions import forget_scope


def _file(version: Any, user: Any, **kwargs: Any) -> Case:
    values: dict[str, Any] = {
        "version": version,
        "channel": Channel.WINDOW,
        "applicant_kind": "individual",
        "applicant_name": "刘芳",
        "applicant_id_number": APPLICANT_ID,
        "user": user,
        "at": at("2025-05-12"),
    }
    values.update(kwargs)
    return services.case_file(**values)


def _state(case: Case) -> tuple[Any, ...]:
    case.refresh_from_db()
    return (
        case.state,
        case.step_index,
        case.due_date,
        case.extension_days,
        case.last_seq,
        case.last_hash,
        CaseEvent.objects.filter(case=case).count(),
        CaseFile.objects.filter(case=case).count(),
    )


def _refused(case: Case, code: str, action: Callable[[], object]) -> CaseError:
    before = _state(case)
    with pytest.raises(CaseError) as raised, translation.override("en"):
        action()
    assert raised.value.error_code == code, raised.value.text
    assert _state(case) == before
    return raised.value


@pytest.fixture
def submitted(food_licence, window_user) -> Case:
    return _file(food_licence, window_user)


@pytest.fixture
def accepted(submitted, window_user) -> Case:
    services.case_accept(case=submitted, user=window_user, at=at("2025-05-12", "10:00"))
    return submitted


@pytest.mark.django_db
def test_approving_before_acceptance_is_refused(submitted, approver_user) -> None:
    error = _refused(
        submitted,
        CaseErrorCode.ILLEGAL_IN_STATE,
        lambda: services.case_decide(case=submitted, user=approver_user, decision="approved"),
    )
    assert submitted.number in error.text


@pytest.mark.django_db
def test_deciding_while_steps_are_outstanding_is_refused(accepted, approver_user) -> None:
    error = _refused(
        accepted,
        CaseErrorCode.ILLEGAL_IN_STATE,
        lambda: services.case_decide(case=accepted, user=approver_user, decision="approved"),
    )
    assert "step 1 of 3" in error.text


@pytest.mark.django_db
def test_a_role_that_does_not_hold_the_step_is_refused(accepted, approver_user) -> None:
    # the current step is 承办, held by handlers, not approvers
    _refused(
        accepted,
        CaseErrorCode.FORBIDDEN,
        lambda: services.case_pass_step(case=accepted, user=approver_user, opinion="同意"),
    )


@pytest.mark.django_db
def test_staff_of_another_county_may_not_act(
    accepted, neighbour_approver, handler_user, reviewer_user
) -> None:
    services.case_pass_step(case=accepted, user=handler_user, opinion="同意", at=at("2025-05-13"))
    services.case_pass_step(case=accepted, user=reviewer_user, opinion="同意", at=at("2025-05-14"))
    _refused(
        accepted,
        CaseErrorCode.FORBIDDEN,
        lambda: services.case_decide(case=accepted, user=neighbour_approver, decision="approved"),
    )


@pytest.mark.django_db
def test_whoever_accepted_may_not_also_decide(
    accepted, window_user, handler_user, reviewer_user, market_dept
) -> None:
    grant(window_user.staff, Role.APPROVER, department=market_dept)
    forget_scope(window_user)
    services.case_pass_step(case=accepted, user=handler_user, opinion="同意", at=at("2025-05-13"))
    services.case_pass_step(case=accepted, user=reviewer_user, opinion="同意", at=at("2025-05-14"))
    _refused(
        accepted,
        CaseErrorCode.SEPARATION_OF_DUTIES,
        lambda: services.case_decide(case=accepted, user=window_user, decision="approved"),
    )


@pytest.mark.django_db
def test_separation_of_duties_is_configurable(
    settings, accepted, window_user, handler_user, reviewer_user, market_dept
) -> None:
    settings.CASE_SEPARATION_OF_DUTIES = []
    grant(window_user.staff, Role.APPROVER, department=market_dept)
    forget_scope(window_user)
    services.case_pass_step(case=accepted, user=handler_user, opinion="同意", at=at("2025-05-13"))
    services.case_pass_step(case=accepted, user=reviewer_user, opinion="同意", at=at("2025-05-14"))
    services.case_decide(case=accepted, user=window_user, decision="approved", at=at("2025-05-15"))
    accepted.refresh_from_db()
    assert accepted.state == CaseState.DECIDED


@pytest.mark.django_db
def test_a_supplement_notice_must_name_materials(submitted, window_user) -> None:
    _refused(
        submitted,
        CaseErrorCode.NO_MATERIAL_NAMED,
        lambda: services.case_request_supplement(case=submitted, user=window_user, items=[]),
    )
    _refused(
        submitted,
        CaseErrorCode.NO_MATERIAL_NAMED,
        lambda: services.case_request_supplement(
            case=submitted, user=window_user, items=[{"material": None, "name": "营业执照", "problem": ""}]
        ),
    )


@pytest.mark.django_db
def test_a_refusal_needs_reason_and_legal_basis(submitted, window_user) -> None:
    _refused(
        submitted,
        CaseErrorCode.REASON_REQUIRED,
        lambda: services.case_refuse(case=submitted, user=window_user, reason=" ", legal_basis="第三十二条"),
    )
    _refused(
        submitted,
        CaseErrorCode.LEGAL_BASIS_REQUIRED,
        lambda: services.case_refuse(
            case=submitted, user=window_user, reason="不属于本机关职权", legal_basis=""
        ),
    )


@pytest.mark.django_db
def test_a_denial_needs_reason_and_legal_basis(accepted, handler_user, reviewer_user, approver_user) -> None:
    services.case_pass_step(case=accepted, user=handler_user, opinion="不符合条件", at=at("2025-05-13"))
    services.case_pass_step(case=accepted, user=reviewer_user, opinion="同意承办意见", at=at("2025-05-14"))
    _refused(
        accepted,
        CaseErrorCode.LEGAL_BASIS_REQUIRED,
        lambda: services.case_decide(
            case=accepted, user=approver_user, decision="denied", reason="场所不符合要求"
        ),
    )


@pytest.mark.django_db
def test_an_extension_beyond_the_cap_is_refused(accepted, approver_user) -> None:
    services.case_extend(case=accepted, user=approver_user, days=6, reason="需专家论证", at=at("2025-05-13"))
    error = _refused(
        accepted,
        CaseErrorCode.EXTENSION_CAP,
        lambda: services.case_extend(case=accepted, user=approver_user, days=5, reason="再次延期"),
    )
    assert "at most 10 days; 6 are already granted" in error.text


@pytest.mark.django_db
def test_only_the_head_may_extend(accepted, handler_user) -> None:
    _refused(
        accepted,
        CaseErrorCode.FORBIDDEN,
        lambda: services.case_extend(case=accepted, user=handler_user, days=2, reason="工作量大"),
    )


@pytest.mark.django_db
def test_an_event_dated_before_the_previous_one_is_refused(accepted, handler_user) -> None:
    _refused(
        accepted,
        CaseErrorCode.TIME_ORDER,
        lambda: services.case_pass_step(
            case=accepted, user=handler_user, opinion="同意", at=at("2025-05-11")
        ),
    )


@pytest.mark.django_db
def test_an_event_in_the_future_is_refused(accepted, handler_user) -> None:
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    _refused(
        accepted,
        CaseErrorCode.TIME_ORDER,
        lambda: services.case_pass_step(case=accepted, user=handler_user, opinion="同意", at=future),
    )


@pytest.mark.django_db
def test_returning_to_a_later_step_is_refused(accepted, handler_user, reviewer_user) -> None:
    services.case_pass_step(case=accepted, user=handler_user, opinion="同意", at=at("2025-05-13"))
    _refused(
        accepted,
        CaseErrorCode.ILLEGAL_IN_STATE,
        lambda: services.case_return(case=accepted, user=reviewer_user, to_step=2, reason="退回"),
    )
    services.case_return(
        case=accepted, user=reviewer_user, to_step=0, reason="补充现场核查意见", at=at("2025-05-14")
    )
    accepted.refresh_from_db()
    assert accepted.step_index == 0


# --------------------------------------------------------------------------- intake


def _no_case_filed(action: Callable[[], object], code: str) -> CaseError:
    before = (Case.objects.count(), CaseEvent.objects.count(), CaseFile.objects.count())
    with pytest.raises(CaseError) as raised, translation.override("en"):
        action()
    assert raised.value.error_code == code, raised.value.text
    assert (Case.objects.count(), CaseEvent.objects.count(), CaseFile.objects.count()) == before
    return raised.value


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "id_number", "expected"),
    [
        ("individual", "11010519491231002Y", "17 digits"),
        ("individual", "130402199902300011", "birth date"),
        ("enterprise", "91110000600037341I", "cannot contain"),
        ("enterprise", APPLICANT_ID, "check character"),
    ],
)
def test_a_malformed_identifier_files_nothing(food_licence, window_user, kind, id_number, expected) -> None:
    error = _no_case_filed(
        lambda: _file(food_licence, window_user, applicant_kind=kind, applicant_id_number=id_number),
        CaseErrorCode.APPLICANT_INVALID,
    )
    assert error.field == "applicant_id_number"
    assert expected in error.text


@pytest.mark.django_db
def test_a_text_file_named_pdf_is_refused(food_licence, materials, window_user) -> None:
    fake = SimpleUploadedFile("营业执照.pdf", "这不是PDF".encode(), content_type="application/pdf")
    error = _no_case_filed(
        lambda: _file(food_licence, window_user, uploads=[Upload(fake, materials[1])]), "file_type"
    )
    assert "营业执照.pdf" in error.text


@pytest.mark.django_db
def test_an_oversize_file_is_refused(settings, food_licence, materials, window_user) -> None:
    settings.CASE_UPLOAD_MAX_BYTES = 20
    big = SimpleUploadedFile("大文件.pdf", PDF + b"0" * 100, content_type="application/pdf")
    _no_case_filed(
        lambda: _file(food_licence, window_user, uploads=[Upload(big, materials[0])]), "file_too_large"
    )


@pytest.mark.django_db
def test_a_material_of_another_item_is_refused(food_licence, window_user, market_dept) -> None:
    from yiwang.catalog.factories import published_item

    other = published_item(
        code="HS-OTHER",
        name="公共场所卫生许可",
        department=market_dept,
        materials=({"name": "卫生许可申请书"},),
    )
    _no_case_filed(
        lambda: _file(food_licence, window_user, uploads=[Upload(pdf(), other.materials.first())]),
        CaseErrorCode.BAD_INPUT,
    )


@pytest.mark.django_db
def test_a_version_no_longer_in_force_cannot_be_applied_for(food_licence, window_user) -> None:
    from yiwang.catalog import services as catalog_services

    draft = catalog_services.draft_create(item=food_licence.item)
    catalog_services.version_publish(version=draft, effective_from=dt.date(2025, 3, 1))
    _no_case_filed(lambda: _file(food_licence, window_user), CaseErrorCode.VERSION_NOT_IN_FORCE)


@pytest.mark.django_db
def test_window_staff_of_another_county_cannot_file(food_licence, other_county, other_market_dept) -> None:
    from yiwang.cases.tests.conftest import _staff

    stranger = _staff("window_ct", "丛台窗口", other_market_dept, Role.WINDOW_OPERATOR, region=other_county)
    _no_case_filed(lambda: _file(food_licence, stranger), CaseErrorCode.FORBIDDEN)


@pytest.mark.django_db
def test_a_repeated_submission_with_the_same_key_files_one_case(food_licence, window_user) -> None:
    first = _file(food_licence, window_user, idempotency_key="0b5e0d4c-form-1")
    again = _file(food_licence, window_user, idempotency_key="0b5e0d4c-form-1")
    assert again.pk == first.pk
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1


@pytest.mark.django_db
def test_reusing_a_key_for_another_application_is_refused(food_licence, window_user) -> None:
    from yiwang.core.identifiers import build_resident_id

    _file(food_licence, window_user, idempotency_key="key-7")
    other_applicant = build_resident_id("130403", dt.date(1979, 2, 3), 456)
    _no_case_filed(
        lambda: _file(
            food_licence, window_user, idempotency_key="key-7", applicant_id_number=other_applicant
        ),
        CaseErrorCode.IDEMPOTENCY_CONFLICT,
    )


@pytest.mark.django_db
def test_case_numbers_are_sortable_and_unique_per_region_and_day(food_licence, window_user) -> None:
    numbers = [_file(food_licence, window_user, at=at("2025-05-12", f"0{h}:00")).number for h in range(1, 4)]
    assert numbers == ["13040220250512000001", "13040220250512000002", "13040220250512000003"]
    later = _file(food_licence, window_user, at=at("2025-05-13")).number
    assert later == "13040220250513000001" and later > numbers[-1]


@pytest.mark.django_db
def test_each_case_gets_an_unguessable_query_token(food_licence, window_user) -> None:
    a = _file(food_licence, window_user)
    b = _file(food_licence, window_user)
    assert len(a.query_token) >= 43 and a.query_token != b.query_token
    assert APPLICANT_ID not in a.query_token


@pytest.mark.django_db
def test_withdrawal_by_the_applicant_closes_the_case(submitted, window_user) -> None:
    services.case_withdraw(case=submitted, user=window_user, reason="申请人书面撤回", at=at("2025-05-13"))
    submitted.refresh_from_db()
    assert submitted.state == CaseState.WITHDRAWN and submitted.closed_at is not None
    _refused(
        submitted,
        CaseErrorCode.ILLEGAL_IN_STATE,
        lambda: services.case_accept(case=submitted, user=window_user),
    )
