"""A licensing item that issues 食品经营许可证, one whose result is an approval document,
and a walk of a case through the cases services up to completion."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yiwang.cases import services as cases
from yiwang.cases.models import Case, Channel
from yiwang.cases.services import Upload
from yiwang.cases.tests.conftest import (  # noqa: F401
    APPLICANT_ID,
    STEPS,
    approver_user,
    at,
    handler_user,
    neighbour_approver,
    reviewer_user,
    window_user,
)
from yiwang.catalog.factories import published_item
from yiwang.catalog.models import ItemVersion, ResultType
from yiwang.org.models import Department

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FOOD_LICENSE_TYPE = "11100000000013661B002"


@pytest.fixture
def licence_item(market_dept: Department) -> ItemVersion:
    return published_item(
        code="HS-SPJY-101",
        name="食品经营许可",
        department=market_dept,
        steps=STEPS,
        materials=({"name": "食品经营许可申请书"},),
        fields={"result_type": ResultType.LICENSE, "result_name": "食品经营许可证"},
        effective_from=dt.date(2024, 1, 1),
    )


@pytest.fixture
def approval_item(market_dept: Department) -> ItemVersion:
    return published_item(
        code="HS-GGXX-102",
        name="户外广告设置审批",
        department=market_dept,
        steps=STEPS,
        materials=({"name": "申请书"},),
        fields={"result_type": ResultType.APPROVAL, "result_name": "户外广告设置批复"},
        effective_from=dt.date(2024, 1, 1),
    )


class Walk:
    """Files a case at the window and takes it through the cases services."""

    def __init__(self, window: Any, handler: Any, reviewer: Any, approver: Any) -> None:
        self.window, self.handler, self.reviewer, self.approver = window, handler, reviewer, approver

    def file(
        self,
        version: ItemVersion,
        *,
        name: str = "张晓梅",
        id_number: str = APPLICANT_ID,
        kind: str = "individual",
        applicant_user: Any = None,
        day: str = "2025-09-22",
    ) -> Case:
        material = version.materials.first()
        return cases.case_file(
            version=version,
            channel=Channel.WINDOW,
            applicant_kind=kind,
            applicant_name=name,
            applicant_id_number=id_number,
            applicant_mobile="13831012345",
            uploads=[Upload(SimpleUploadedFile("申请书.pdf", PDF, content_type="application/pdf"), material)],
            user=self.window,
            applicant_user=applicant_user,
            at=at(day),
        )

    def decide(self, case: Case, decision: str = "approved") -> Case:
        cases.case_accept(case=case, user=self.window, at=at("2025-09-23"))
        cases.case_pass_step(case=case, user=self.handler, opinion="材料齐全", at=at("2025-09-24"))
        cases.case_pass_step(case=case, user=self.reviewer, opinion="同意", at=at("2025-09-25"))
        extra = (
            {"reason": "经营场所不符合要求", "legal_basis": "《食品经营许可管理办法》"}
            if decision == "denied"
            else {}
        )
        cases.case_decide(case=case, user=self.approver, decision=decision, at=at("2025-09-26"), **extra)
        case.refresh_from_db()
        return case

    def complete(
        self, case: Case, *, number: str = "JY11304020001234", until: dt.date | None = dt.date(2030, 9, 25)
    ) -> Case:
        cases.case_complete(
            case=case,
            user=self.approver,
            fee_charged=0,
            result_number=number,
            result_valid_until=until,
            at=at("2025-09-26", "15:00"),
        )
        case.refresh_from_db()
        return case

    def approved(self, version: ItemVersion, **kwargs: Any) -> Case:
        return self.complete(self.decide(self.file(version, **kwargs)))


@pytest.fixture
def walk(request: pytest.FixtureRequest) -> Walk:
    users = [
        request.getfixturevalue(name)
        for name in ("window_user", "handler_user", "reviewer_user", "approver_user")
    ]
    return Walk(*users)


@pytest.fixture
def holder(db: None) -> Any:
    """张晓梅, a verified individual account whose ID is ``APPLICANT_ID`` (the shared
    ``citizen`` fixture's ID number fails its check character, so cases refuse it)."""
    from yiwang.portal.factories import citizen_account

    return citizen_account(username="zhangxm", name="张晓梅", id_number=APPLICANT_ID, mobile="13831012345")
