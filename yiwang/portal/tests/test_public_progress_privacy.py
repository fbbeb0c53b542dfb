# ruff: noqa: F811  (the cases app's fixtures are imported here and requested by name)
"""The public progress page, reached by the QR code on a receipt or the applicant's own
case page, shows the progress of a case filed online from a portal account without any
of the applicant's personal data, in every state it passes through."""

from __future__ import annotations

import datetime as dt
from html import unescape
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from yiwang.cases import services
from yiwang.cases.models import Case, Channel
from yiwang.cases.services import Upload
from yiwang.cases.tests.conftest import (  # noqa: F401  (fixtures, used by name)
    approver_user,
    at,
    food_licence,
    handler_user,
    materials,
    reviewer_user,
    window_user,
)
from yiwang.core.identifiers import build_resident_id, build_uscc, mask_mobile
from yiwang.portal.factories import citizen_account
from yiwang.portal.models import Account
from yiwang.portal.tests.test_my_cases import PDF, signed_in, staff  # noqa: F401  (staff: fixture)

pytestmark = pytest.mark.django_db

NAME = "欧阳娜娜"
ID_NUMBER = build_resident_id("130402", dt.date(1993, 8, 19), 426)
MOBILE = "13912398765"
EMAIL = "ouyang.nana@example.com"
SHOP = "娜娜私房菜馆"
ADDRESS = "邯山区滏河北大街1717号"
FILE_NAME = "欧阳娜娜身份证复印件.pdf"
PROBLEM = "欧阳娜娜的健康证已过期"
HEARING_REASON = "邻居赵铁柱申请听证"
FIRM = "邯郸市娜娜餐饮管理有限公司"
FIRM_USCC = build_uscc("9", "1", "130402", "MA0DKW8P2")
LEGAL_REP = "欧阳大山"


@pytest.fixture
def nana(db: None) -> Account:
    return citizen_account(username="ouyangnana", name=NAME, id_number=ID_NUMBER, mobile=MOBILE, email=EMAIL)


@pytest.fixture
def firm(db: None) -> Account:
    return citizen_account(
        username="nana_firm",
        name=FIRM,
        id_number=FIRM_USCC,
        mobile="13712398765",
        kind="enterprise",
        legal_rep_name=LEGAL_REP,
        legal_rep_id_number=ID_NUMBER,
    )


def apply(account: Account, version: Any, materials: Any) -> Case:
    return services.case_file(
        version=version,
        channel=Channel.ONLINE,
        applicant_kind=account.kind,
        applicant_name=account.name,
        applicant_id_number=account.id_number,
        applicant_mobile=account.mobile,
        form_data={"shop_name": SHOP, "address": ADDRESS, "contact": MOBILE, "legal_rep": LEGAL_REP},
        uploads=[Upload(SimpleUploadedFile(FILE_NAME, PDF, content_type="application/pdf"), materials[0])],
        user=account.user,
        applicant_user=account.user,
        at=at("2025-09-22"),
    )


def secrets_of(case: Case, account: Account) -> list[str]:
    return [
        NAME,
        case.masked_applicant_name,
        ID_NUMBER,
        ID_NUMBER[-6:],
        case.masked_applicant_id,
        account.masked_id_number,
        MOBILE,
        mask_mobile(MOBILE),
        EMAIL,
        account.user.username,
        SHOP,
        ADDRESS,
        FILE_NAME,
        PROBLEM,
        HEARING_REASON,
        FIRM_USCC,
        LEGAL_REP,
        "孙窗口",
        "李承办",
        "周审核",
        "吴批准",
    ]


def public_page(case: Case) -> str:
    response = Client().get(reverse("progress:detail", args=[case.query_token]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return unescape(response.content.decode())


def assert_private(case: Case, account: Account, html: str) -> None:
    for secret in secrets_of(case, account):
        assert secret not in html, f"{secret!r} must not be on the public progress page"


def test_the_public_page_shows_progress_but_nothing_personal_in_any_state(
    nana: Account, food_licence: Any, materials: Any, staff: dict[str, Any]
) -> None:
    case = apply(nana, food_licence, materials)
    seen = [public_page(case)]
    services.case_request_supplement(
        case=case,
        user=staff["window"],
        items=[{"material": materials[1].pk, "problem": PROBLEM}],
        at=at("2025-09-23"),
    )
    seen.append(public_page(case))
    services.case_receive_supplement(
        case=case,
        user=nana.user,
        uploads=[Upload(SimpleUploadedFile(FILE_NAME, PDF, content_type="application/pdf"), materials[1])],
        note=f"{NAME}已补交，联系电话{MOBILE}",
        at=at("2025-09-24"),
    )
    services.case_accept(case=case, user=staff["window"], note=f"申请人{NAME}材料齐全", at=at("2025-09-25"))
    services.case_pass_step(case=case, user=staff["handler"], opinion=f"{NAME}符合条件", at=at("2025-09-26"))
    services.case_suspend(
        case=case,
        user=staff["reviewer"],
        kind="hearing",
        reason=HEARING_REASON,
        expected_days=5,
        at=at("2025-09-29"),
    )
    seen.append(public_page(case))
    services.case_resume(case=case, user=staff["reviewer"], result=f"{NAME}到场", at=at("2025-10-09"))
    services.case_pass_step(case=case, user=staff["reviewer"], opinion="同意", at=at("2025-10-09", "10:00"))
    services.case_decide(case=case, user=staff["approver"], decision="approved", at=at("2025-10-10"))
    services.case_complete(
        case=case, user=staff["approver"], result_number="JY1130402000777", at=at("2025-10-11")
    )
    services.case_deliver(
        case=case, user=staff["window"], method="post", note=f"寄往{ADDRESS}", at=at("2025-10-13")
    )
    seen.append(public_page(case))

    for html in seen:
        assert case.number in html and "食品经营许可" in html and "邯山区市场监督管理局" in html
        assert_private(case, nana, html)
    # The page does show the progress: the steps came through, with their departments.
    assert seen[-1].count('class="timeline__event') >= 8

    # The applicant's own page shows their data (the list of the notice, their file) and
    # links to the public page, which is the one to share.
    own = unescape(signed_in(nana).get(f"/my/cases/{case.number}/").content.decode())
    assert PROBLEM in own and FILE_NAME in own
    assert reverse("progress:detail", args=[case.query_token]) in own


def test_an_enterprise_case_shows_neither_its_code_nor_its_legal_representative(
    firm: Account, food_licence: Any, materials: Any, staff: dict[str, Any]
) -> None:
    case = apply(firm, food_licence, materials)
    services.case_refuse(
        case=case,
        user=staff["window"],
        reason=f"{LEGAL_REP}未到场签字",
        legal_basis="《行政许可法》第三十二条",
        at=at("2025-09-23"),
    )

    html = public_page(case)

    assert_private(case, firm, html)
    assert FIRM_USCC[-4:] + "<" not in html
    # A QR code holds only the page's own address.
    svg = Client().get(reverse("progress:qr", args=[case.query_token])).content.decode()
    for secret in (FIRM, FIRM_USCC, LEGAL_REP, MOBILE, case.number):
        assert secret not in svg


def test_a_signed_in_applicant_sees_no_more_on_the_public_page_than_anyone(
    nana: Account, food_licence: Any, materials: Any
) -> None:
    case = apply(nana, food_licence, materials)
    response = signed_in(nana).get(reverse("progress:detail", args=[case.query_token]))
    html = unescape(response.content.decode())
    assert response.status_code == 200
    for secret in (ID_NUMBER, MOBILE, EMAIL, SHOP, ADDRESS, FILE_NAME, LEGAL_REP):
        assert secret not in html
