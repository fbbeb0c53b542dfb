"""The payments tests' own fixtures and helpers (re-exported by ``conftest``, beside the
cases and portal fixtures they build on)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from yiwang.cases import services as cases
from yiwang.cases.models import Case, Channel, Decision
from yiwang.catalog.factories import published_item
from yiwang.catalog.models import ItemVersion, LimitUnit, StepKind
from yiwang.core.identifiers import build_resident_id, is_valid_resident_id, is_valid_uscc
from yiwang.org.models import Department, Region, Role
from yiwang.payments import services
from yiwang.payments.gateways import SandboxGateway
from yiwang.payments.models import FeeOrder

TWO_STEPS = (
    {"name": "受理", "kind": StepKind.ACCEPT, "role": Role.WINDOW_OPERATOR, "limit": 1},
    {"name": "备案", "kind": StepKind.DECIDE, "role": Role.APPROVER, "limit": 2},
)


@pytest.fixture
def free_item(market_dept: Department, county: Region) -> ItemVersion:
    return published_item(
        code="HS-SCJG-009",
        name="个体工商户名称备案",
        department=market_dept,
        region=county,
        statutory_limit=None,
        promised_limit=3,
        fields={"limit_unit": LimitUnit.NATURAL_DAYS},
        steps=TWO_STEPS,
    )


def applicant_id(account: Any) -> str:
    """The account's identifier if it is valid. (The shared fixture's CITIZEN_ID has a
    wrong check digit, which case_file rightly refuses; a valid one stands in.)"""
    if is_valid_resident_id(account.id_number) or is_valid_uscc(account.id_number):
        return str(account.id_number)
    return build_resident_id(account.id_number[:6], dt.date(1990, 3, 7), 123)


def file_online(version: ItemVersion, account: Any) -> Case:
    return cases.case_file(
        version=version,
        channel=Channel.ONLINE,
        applicant_kind=account.kind,
        applicant_name=account.name,
        applicant_id_number=applicant_id(account),
        applicant_mobile=account.mobile,
        user=account.user,
        applicant_user=account.user,
        at=timezone.now() - dt.timedelta(hours=3),
    )


def decided(
    version: ItemVersion,
    account: Any,
    window: AbstractBaseUser,
    approver: AbstractBaseUser,
    decision: str = Decision.APPROVED,
) -> Case:
    case = file_online(version, account)
    cases.case_accept(case=case, user=window, at=timezone.now() - dt.timedelta(hours=2))
    reason = (
        {} if decision == Decision.APPROVED else {"reason": "不符合条件", "legal_basis": "《印章管理办法》"}
    )
    cases.case_decide(
        case=case, user=approver, decision=decision, at=timezone.now() - dt.timedelta(hours=1), **reason
    )
    case.refresh_from_db()
    return case


@pytest.fixture
def seal_case(company_seal: ItemVersion, citizen: Any, window_user: Any, approver_user: Any) -> Case:
    """张三's seal registration, approved, waiting for its fee."""
    return decided(company_seal, citizen, window_user, approver_user)


def seal_fee(case: Case) -> int:
    return case.item_version.fees.get().pk


@pytest.fixture
def order(seal_case: Case, approver_user: Any) -> FeeOrder:
    return services.order_issue(
        case=seal_case, user=approver_user, lines=[services.LineInput(fee=seal_fee(seal_case))]
    )


@pytest.fixture
def sandbox() -> SandboxGateway:
    return SandboxGateway()
