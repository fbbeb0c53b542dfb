"""The window's identity check (/work/citizens/): only window operators, a look-up by the
full number (POSTed, never in the address), masked details, the typed document number."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from yiwang.org.factories import StaffFactory, UserFactory, center, grant, window
from yiwang.org.models import Department, Region, Role
from yiwang.portal.models import Account, AccountEventType
from yiwang.portal.tests.test_accounts import snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(market_dept: Department, county: Region) -> AbstractBaseUser:
    hall = center(county, "邯山区政务服务中心", "邯山区滏河北大街 1 号")
    seat = window(hall, "12", "市场监管综合窗口", [market_dept])
    staff = StaffFactory(
        user=UserFactory(username="window_ver"), name="孙窗口", department=market_dept, window=seat
    )
    grant(staff, Role.WINDOW_OPERATOR, region=county)
    return staff.user


@pytest.fixture
def en_client(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def find(client: Client, number: str) -> Any:
    return client.post("/work/citizens/", {"number": number})


class TestAccess:
    def test_anonymous_visitors_go_to_the_staff_login(self, client: Client, db: None) -> None:
        response = client.get("/work/citizens/")
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")

    def test_only_window_operators(
        self,
        client: Client,
        handler: Any,
        county_supervisor: Any,
        citizen: Account,
        unverified_citizen: Account,
    ) -> None:
        before = snapshot()
        for user in (handler.user, county_supervisor.user, citizen.user):
            client.force_login(user)
            assert client.get("/work/citizens/").status_code == 403
            assert find(client, unverified_citizen.id_number).status_code == 403
            response = client.post(
                f"/work/citizens/{unverified_citizen.pk}/verify/",
                {"document_number": unverified_citizen.id_number},
            )
            assert response.status_code == 403
        assert snapshot() == before

    def test_verify_is_post_only(
        self, client: Client, operator: AbstractBaseUser, unverified_citizen: Account
    ) -> None:
        client.force_login(operator)
        assert client.get(f"/work/citizens/{unverified_citizen.pk}/verify/").status_code == 405


class TestFindAndVerify:
    def test_the_page_has_the_workbench_look(self, en_client: Client, operator: AbstractBaseUser) -> None:
        en_client.force_login(operator)
        content = en_client.get("/work/citizens/").content.decode()
        assert "site-header--work" in content and "Staff workbench" in content
        assert 'method="post" action="/work/citizens/"' in content
        assert '<label for="id_number">Resident ID number or unified social credit code' in content

    def test_find_shows_masked_details_and_verifies(
        self,
        en_client: Client,
        operator: AbstractBaseUser,
        unverified_citizen: Account,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        en_client.force_login(operator)
        with caplog.at_level(logging.INFO, logger="yiwang.portal.access"):
            response = find(en_client, unverified_citizen.id_number.lower())
        assert response.status_code == 200
        content = response.content.decode()
        assert "李四" in content and unverified_citizen.masked_id_number in content
        assert unverified_citizen.id_number not in content and "13900139000" not in content
        assert "139****9000" in content and "Not verified yet" in content
        assert f'action="/work/citizens/{unverified_citizen.pk}/verify/"' in content
        assert unverified_citizen.id_number not in caplog.text and f"{unverified_citizen.pk}" in caplog.text

        response = en_client.post(
            f"/work/citizens/{unverified_citizen.pk}/verify/",
            {"document_number": unverified_citizen.id_number, "note": "身份证原件"},
            follow=True,
        )
        assert response.redirect_chain == [("/work/citizens/", 302)]
        assert "is verified" in response.content.decode()
        unverified_citizen.refresh_from_db()
        assert unverified_citizen.is_verified and unverified_citizen.verified_by == operator
        event = unverified_citizen.events.get(type=AccountEventType.VERIFIED)
        assert event.detail["center"] == "邯山区政务服务中心" and event.detail["note"] == "身份证原件"

    def test_a_verified_account_shows_no_form(
        self, en_client: Client, operator: AbstractBaseUser, citizen: Account
    ) -> None:
        en_client.force_login(operator)
        content = find(en_client, citizen.id_number).content.decode()
        assert "Verified" in content and "/verify/" not in content

    def test_an_unknown_or_partial_number(
        self, en_client: Client, operator: AbstractBaseUser, unverified_citizen: Account
    ) -> None:
        en_client.force_login(operator)
        for number in (unverified_citizen.id_number[:-4], "", "130402199205170000"):
            response = find(en_client, number)
            assert response.status_code == 422
            content = response.content.decode()
            assert 'id="id_number_error"' in content and "李四" not in content

    def test_a_wrong_document_number_changes_nothing(
        self, en_client: Client, operator: AbstractBaseUser, unverified_citizen: Account, citizen: Account
    ) -> None:
        en_client.force_login(operator)
        before = snapshot()
        response = en_client.post(
            f"/work/citizens/{unverified_citizen.pk}/verify/", {"document_number": citizen.id_number}
        )
        assert response.status_code == 422
        content = response.content.decode()
        assert 'id="id_document_number_error"' in content and "does not match this account" in content
        assert "李四" in content  # the account stays on the page for another try
        assert snapshot() == before

    def test_an_unknown_account_is_404(self, client: Client, operator: AbstractBaseUser) -> None:
        client.force_login(operator)
        assert client.post("/work/citizens/999999/verify/", {"document_number": "x"}).status_code == 404

    def test_an_enterprise_by_its_legal_representatives_id(
        self, client: Client, operator: AbstractBaseUser
    ) -> None:
        from yiwang.portal.factories import citizen_account
        from yiwang.portal.tests.test_accounts import NEW_USCC, REP_ID

        company = citizen_account(
            username="hs_food",
            name="邯郸市邯山食品有限公司",
            id_number=NEW_USCC,
            mobile="13512345678",
            kind="enterprise",
            legal_rep_name="赵六",
            legal_rep_id_number=REP_ID,
            verified=False,
        )
        client.force_login(operator)
        content = find(client, NEW_USCC).content.decode()
        assert "邯郸市邯山食品有限公司" in content and "赵六" in content and NEW_USCC not in content
        response = client.post(f"/work/citizens/{company.pk}/verify/", {"document_number": REP_ID})
        assert response.status_code == 302
        company.refresh_from_db()
        assert company.is_verified

    def test_queries(
        self,
        client: Client,
        operator: AbstractBaseUser,
        unverified_citizen: Account,
        django_assert_max_num_queries: Any,
    ) -> None:
        client.force_login(operator)
        with django_assert_max_num_queries(12):
            find(client, unverified_citizen.id_number)
