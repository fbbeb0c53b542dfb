"""Account pages: sign in (with django-axes counting failures and locking), the SMS code
at sign-in, sign out, register, the account page and its forms."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY, get_user_model
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from yiwang.core import notify
from yiwang.core.models import OutboundMessage
from yiwang.org.factories import StaffFactory, UserFactory, center
from yiwang.org.models import Department, Region
from yiwang.portal import accounts
from yiwang.portal.factories import DEMO_PASSWORD, citizen_account
from yiwang.portal.models import Account, AccountEvent, AccountEventType, Agent
from yiwang.portal.tests.test_accounts import NEW_ID, NEW_USCC, PERSON_ID, REP_ID, snapshot

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def person(db: None) -> Account:
    """赵六, a verified individual (a well-formed ID number, unlike the shared ``citizen``)."""
    return citizen_account(username="zhaoliu", name="赵六", id_number=PERSON_ID, mobile="13611112222")


@pytest.fixture
def en_client(client: Client) -> Client:
    """A client that chose English (the language cookie the language switch sets)."""
    client.cookies["django_language"] = "en"
    return client


def signed_in_user(client: Client) -> Any:
    return client.session.get(SESSION_KEY)


def sms_codes(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Deliver the outbox through the SMS LogBackend and read the codes it logged."""
    caplog.clear()
    with caplog.at_level("INFO", logger="yiwang.core.sms"):
        notify.deliver_pending()
    texts = [r.getMessage() for r in caplog.records if r.name == "yiwang.core.sms"]
    assert all("13800138000" not in text for text in texts)  # the log masks the number
    return [m.group(1) for text in texts for m in [re.search(r"\b([0-9]{6})\b", text)] if m]


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


# --------------------------------------------------------------------------- sign in


class TestSignIn:
    def test_the_page_renders_with_labelled_fields(self, en_client: Client, db: None) -> None:
        response = en_client.get("/account/login/")
        assert response.status_code == 200
        content = response.content.decode()
        assert '<label for="id_username">Username or mobile number' in content
        assert '<label for="id_password">Password' in content
        assert 'autocomplete="current-password"' in content
        assert 'href="/account/register/"' in content

    def test_by_username_then_to_the_account_page(self, client: Client, citizen: Account) -> None:
        response = client.post("/account/login/", {"username": "zhangsan", "password": DEMO_PASSWORD})
        assert response.status_code == 302 and response["Location"] == "/account/"
        assert signed_in_user(client) == str(citizen.user_id)

    def test_by_mobile_number_and_back_to_where_the_person_was(
        self, client: Client, citizen: Account
    ) -> None:
        response = client.post(
            "/account/login/", {"username": "138 0013 8000", "password": DEMO_PASSWORD, "next": "/items/"}
        )
        assert response.status_code == 302 and response["Location"] == "/items/"
        assert signed_in_user(client) == str(citizen.user_id)

    def test_next_may_not_leave_the_site(self, client: Client, citizen: Account) -> None:
        response = client.post(
            "/account/login/?next=https://evil.example/", {"username": "zhangsan", "password": DEMO_PASSWORD}
        )
        assert response["Location"] == "/account/"

    def test_a_wrong_password_is_counted(self, en_client: Client, citizen: Account) -> None:
        response = en_client.post("/account/login/", {"username": "zhangsan", "password": "wrong-password"})
        assert response.status_code == 422
        assert "The username or password is not right" in response.content.decode()
        assert signed_in_user(en_client) is None
        assert AccessAttempt.objects.get(username="zhangsan").failures_since_start == 1

    def test_empty_fields_are_marked(self, en_client: Client, db: None) -> None:
        content = en_client.post("/account/login/", {"username": "", "password": ""}).content.decode()
        assert 'aria-invalid="true"' in content and 'id="id_username_error"' in content

    def test_locked_after_five_failures_for_thirty_minutes(self, en_client: Client, citizen: Account) -> None:
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            for attempt in range(1, 5):
                response = en_client.post(
                    "/account/login/", {"username": "zhangsan", "password": f"wrong-{attempt}"}
                )
                assert response.status_code == 422
            response = en_client.post("/account/login/", {"username": "zhangsan", "password": "wrong-5"})
            assert response.status_code == 429
            content = response.content.decode()
            until = timezone.localtime(start + dt.timedelta(minutes=30))
            assert "too many unsuccessful sign-in attempts" in content
            assert f"Please try again after {until:%H:%M}" in content

            # The right password does not help while locked.
            response = en_client.post("/account/login/", {"username": "zhangsan", "password": DEMO_PASSWORD})
            assert response.status_code == 429 and signed_in_user(en_client) is None

        with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
            response = en_client.post("/account/login/", {"username": "zhangsan", "password": DEMO_PASSWORD})
            assert response.status_code == 302 and signed_in_user(en_client) == str(citizen.user_id)

    def test_signing_in_by_mobile_counts_against_the_same_account(
        self, client: Client, citizen: Account
    ) -> None:
        for attempt in range(3):
            client.post("/account/login/", {"username": "zhangsan", "password": f"wrong-{attempt}"})
        client.post("/account/login/", {"username": "13800138000", "password": "wrong"})
        response = client.post("/account/login/", {"username": "13800138000", "password": "wrong-again"})
        assert response.status_code == 429

    def test_staff_do_not_sign_in_here(self, en_client: Client, market_dept: Department) -> None:
        user = UserFactory(username="staff_x", password=DEMO_PASSWORD)
        StaffFactory(user=user, name="员工", department=market_dept)
        response = en_client.post("/account/login/", {"username": "staff_x", "password": DEMO_PASSWORD})
        assert response.status_code == 422 and "staff sign in on the workbench" in response.content.decode()
        assert signed_in_user(en_client) is None

    def test_sign_out_is_a_post(self, client: Client, citizen: Account) -> None:
        client.force_login(citizen.user)
        assert client.get("/account/logout/").status_code == 405
        response = client.post("/account/logout/")
        assert response.status_code == 302 and response["Location"] == "/"
        assert signed_in_user(client) is None


class TestSmsCode:
    @pytest.fixture
    def guarded(self, citizen: Account) -> Account:
        return accounts.set_second_factor(account=citizen, on=True)

    def test_password_then_the_code_sent_by_sms(
        self, en_client: Client, guarded: Account, caplog: pytest.LogCaptureFixture
    ) -> None:
        response = en_client.post(
            "/account/login/", {"username": "zhangsan", "password": DEMO_PASSWORD, "next": "/items/"}
        )
        assert response.status_code == 302 and response["Location"] == "/account/login/code/"
        assert signed_in_user(en_client) is None  # not until the code
        page = en_client.get("/account/login/code/").content.decode()
        assert "138****8000" in page and 'autocomplete="one-time-code"' in page
        [code] = sms_codes(caplog)

        response = en_client.post("/account/login/code/", {"code": wrong(code)})
        assert response.status_code == 422 and "This code is not right" in response.content.decode()
        assert signed_in_user(en_client) is None

        response = en_client.post("/account/login/code/", {"code": code})
        assert response.status_code == 302 and response["Location"] == "/items/"
        assert signed_in_user(en_client) == str(guarded.user_id)
        assert en_client.session[DEVICE_ID_SESSION_KEY].endswith(f"/{guarded.user.smsdevice_set.get().pk}")
        assert not AccessAttempt.objects.filter(username="zhangsan").exists()  # reset on success

    def test_a_used_or_expired_code_is_refused(
        self, client: Client, guarded: Account, caplog: pytest.LogCaptureFixture
    ) -> None:
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            client.post("/account/login/", {"username": "zhangsan", "password": DEMO_PASSWORD})
            [code] = sms_codes(caplog)
        with time_machine.travel(start + dt.timedelta(minutes=6), tick=False):
            response = client.post("/account/login/code/", {"code": code})
        assert response.status_code == 422 and signed_in_user(client) is None

    def test_wrong_codes_count_as_failed_sign_ins(
        self, en_client: Client, guarded: Account, caplog: pytest.LogCaptureFixture
    ) -> None:
        en_client.post("/account/login/", {"username": "zhangsan", "password": DEMO_PASSWORD})
        [code] = sms_codes(caplog)
        for _ in range(4):
            assert en_client.post("/account/login/code/", {"code": wrong(code)}).status_code == 422
        response = en_client.post("/account/login/code/", {"code": wrong(code)})
        assert response.status_code == 429
        # The pending sign-in is gone: even the right code goes back to the password.
        response = en_client.post("/account/login/code/", {"code": code})
        assert response.status_code == 302 and response["Location"] == "/account/login/"
        assert signed_in_user(en_client) is None

    def test_a_new_code_at_most_once_a_minute(
        self, client: Client, guarded: Account, caplog: pytest.LogCaptureFixture
    ) -> None:
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            client.post("/account/login/", {"username": "zhangsan", "password": DEMO_PASSWORD})
            client.post("/account/login/code/", {"resend": "1"})
            assert OutboundMessage.objects.count() == 1
        with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
            client.post("/account/login/code/", {"resend": "1"})
            first, second = sms_codes(caplog)
            if first != second:  # the new code replaced the first one
                assert client.post("/account/login/code/", {"code": first}).status_code == 422
            assert client.post("/account/login/code/", {"code": second}).status_code == 302
        assert signed_in_user(client) == str(guarded.user_id)

    def test_the_code_page_without_a_password_step(self, client: Client, db: None) -> None:
        response = client.get("/account/login/code/")
        assert response.status_code == 302 and response["Location"] == "/account/login/"


# --------------------------------------------------------------------------- register


class TestRegister:
    def test_both_forms_render(self, en_client: Client, db: None) -> None:
        individual = en_client.get("/account/register/").content.decode()
        assert 'name="id_number"' in individual and 'name="uscc"' not in individual
        assert '<label for="id_id_number">Resident ID number' in individual
        assert 'aria-describedby="id_id_number_helptext"' in individual
        enterprise = en_client.get("/account/register/?kind=enterprise").content.decode()
        assert 'name="uscc"' in enterprise and 'name="legal_rep_id_number"' in enterprise
        assert 'value="enterprise"' in enterprise

    def test_an_individual_registers_and_is_signed_in(self, client: Client, db: None) -> None:
        response = client.post(
            "/account/register/",
            {
                "kind": "individual",
                "name": "王小二",
                "id_number": NEW_ID,
                "mobile": "13612345678",
                "email": "",
                "username": "wangxiaoer",
                "password": DEMO_PASSWORD,
                "password2": DEMO_PASSWORD,
            },
        )
        assert response.status_code == 302 and response["Location"] == "/account/"
        account = Account.objects.get(id_number=NEW_ID)
        assert not account.is_verified and signed_in_user(client) == str(account.user_id)

    def test_an_enterprise_registers(self, client: Client, db: None) -> None:
        response = client.post(
            "/account/register/",
            {
                "kind": "enterprise",
                "name": "邯郸市邯山食品有限公司",
                "uscc": NEW_USCC,
                "legal_rep_name": "赵六",
                "legal_rep_id_number": REP_ID,
                "mobile": "13512345678",
                "username": "hs_food",
                "password": DEMO_PASSWORD,
                "password2": DEMO_PASSWORD,
            },
        )
        assert response.status_code == 302
        assert Account.objects.get(id_number=NEW_USCC).legal_rep_name == "赵六"

    def test_every_wrong_field_is_marked_and_nothing_is_created(self, en_client: Client, db: None) -> None:
        before = snapshot()
        response = en_client.post(
            "/account/register/",
            {
                "kind": "individual",
                "name": "王小二",
                "id_number": NEW_ID[:-1] + ("1" if NEW_ID[-1] != "1" else "2"),
                "mobile": "12345",
                "email": "nope",
                "username": "13612345678",
                "password": "short",
                "password2": "short",
            },
        )
        assert response.status_code == 422
        content = response.content.decode()
        for field in ("id_number", "mobile", "email", "username", "password"):
            assert f'id="id_{field}_error"' in content, field
        assert "The check character of this resident ID number is wrong" in content
        assert 'aria-describedby="id_id_number_helptext id_id_number_error"' in content
        assert snapshot() == before

    def test_different_passwords(self, en_client: Client, db: None) -> None:
        response = en_client.post(
            "/account/register/",
            {
                "kind": "individual",
                "name": "王小二",
                "id_number": NEW_ID,
                "mobile": "13612345678",
                "username": "wangxiaoer",
                "password": DEMO_PASSWORD,
                "password2": DEMO_PASSWORD + "x",
            },
        )
        assert response.status_code == 422 and "The two passwords differ." in response.content.decode()

    def test_a_registered_number_is_refused_beside_its_field(
        self, en_client: Client, person: Account
    ) -> None:
        before = snapshot()
        response = en_client.post(
            "/account/register/",
            {
                "kind": "individual",
                "name": "冒名",
                "id_number": PERSON_ID,
                "mobile": "13612345678",
                "username": "someone",
                "password": DEMO_PASSWORD,
                "password2": DEMO_PASSWORD,
            },
        )
        content = response.content.decode()
        assert response.status_code == 422 and 'id="id_id_number_error"' in content
        assert "An account with this ID number already exists" in content and "赵六" not in content
        assert snapshot() == before

    def test_signed_in_people_go_to_their_account(self, client: Client, citizen: Account) -> None:
        client.force_login(citizen.user)
        assert client.get("/account/register/")["Location"] == "/account/"


# --------------------------------------------------------------------------- account page


class TestAccountPage:
    def test_anonymous_visitors_are_sent_to_sign_in(self, client: Client, db: None) -> None:
        response = client.get("/account/")
        assert response.status_code == 302 and response["Location"] == "/account/login/?next=/account/"

    def test_unverified_sees_how_to_get_verified(
        self, en_client: Client, unverified_citizen: Account, county: Region
    ) -> None:
        center(county, "邯山区政务服务中心", "邯山区滏河北大街 1 号", "0310-3010000", "工作日 9:00–17:00")
        en_client.force_login(unverified_citizen.user)
        content = en_client.get("/account/").content.decode()
        assert "Not verified yet" in content and "Bring your ID card" in content
        assert (
            "邯山区政务服务中心" in content
            and "邯山区滏河北大街 1 号" in content
            and "工作日 9:00–17:00" in content
        )
        assert unverified_citizen.masked_id_number in content and unverified_citizen.id_number not in content

    def test_verified_individual(self, en_client: Client, citizen: Account) -> None:
        en_client.force_login(citizen.user)
        content = en_client.get("/account/").content.decode()
        assert "Verified" in content and "Bring your ID card" not in content
        assert citizen.id_number not in content and "Turn the SMS code on" in content

    def test_staff_without_an_account(self, en_client: Client, market_dept: Department) -> None:
        staff = StaffFactory(user=UserFactory(username="staff_y"), name="员工", department=market_dept)
        en_client.force_login(staff.user)
        assert "without a citizen or enterprise account" in en_client.get("/account/").content.decode()

    def test_change_contact_details(self, client: Client, citizen: Account) -> None:
        client.force_login(citizen.user)
        response = client.post("/account/contact/", {"mobile": "13900001111", "email": "zs@example.com"})
        assert response.status_code == 302
        citizen.refresh_from_db()
        assert citizen.mobile == "13900001111"
        assert citizen.events.filter(type=AccountEventType.PROFILE_CHANGED).exists()

    def test_bad_contact_details_change_nothing(self, en_client: Client, citizen: Account) -> None:
        en_client.force_login(citizen.user)
        before = snapshot()
        response = en_client.post("/account/contact/", {"mobile": "1234", "email": "a@"})
        assert response.status_code == 422
        content = response.content.decode()
        assert 'id="id_mobile_error"' in content and 'id="id_email_error"' in content
        assert snapshot() == before

    def test_turn_the_sms_code_on_after_a_first_code(
        self, en_client: Client, citizen: Account, caplog: pytest.LogCaptureFixture
    ) -> None:
        en_client.force_login(citizen.user)
        response = en_client.post("/account/sign-in-code/", {"on": "1"})
        assert response["Location"] == "/account/sign-in-code/confirm/"
        citizen.refresh_from_db()
        assert not citizen.second_factor  # not before the code came back
        [code] = sms_codes(caplog)
        assert en_client.post("/account/sign-in-code/confirm/", {"code": wrong(code)}).status_code == 422
        assert en_client.post("/account/sign-in-code/confirm/", {"code": code})["Location"] == "/account/"
        citizen.refresh_from_db()
        assert citizen.second_factor

        en_client.post("/account/sign-in-code/", {"on": "0"})
        citizen.refresh_from_db()
        assert not citizen.second_factor

    def test_the_account_page_needs_a_post_for_changes(self, client: Client, citizen: Account) -> None:
        client.force_login(citizen.user)
        for url in ("/account/contact/", "/account/sign-in-code/", "/account/real-name/", "/account/agents/"):
            assert client.get(url).status_code == 405


class TestAgentsPage:
    def test_the_enterprise_authorises_and_revokes(
        self, en_client: Client, enterprise: Account, person: Account
    ) -> None:
        en_client.force_login(enterprise.user)
        content = en_client.get("/account/").content.decode()
        assert "Authorise an agent" in content and "No agents yet." in content

        response = en_client.post("/account/agents/", {"person_id_number": PERSON_ID, "valid_until": ""})
        assert response.status_code == 302
        agent = Agent.objects.get(enterprise=enterprise)
        content = en_client.get("/account/").content.decode()
        assert "赵六" in content and person.masked_id_number in content and PERSON_ID not in content

        response = en_client.post(f"/account/agents/{agent.pk}/revoke/")
        assert response.status_code == 302
        agent.refresh_from_db()
        assert agent.revoked_at is not None

    def test_an_unverified_person_is_refused_beside_the_field(
        self, en_client: Client, enterprise: Account, unverified_citizen: Account
    ) -> None:
        en_client.force_login(enterprise.user)
        before = snapshot()
        response = en_client.post("/account/agents/", {"person_id_number": unverified_citizen.id_number})
        assert response.status_code == 422
        content = response.content.decode()
        assert 'id="id_person_id_number_error"' in content and "No verified personal account" in content
        assert snapshot() == before

    def test_an_individual_cannot_authorise(
        self, en_client: Client, person: Account, citizen: Account
    ) -> None:
        en_client.force_login(person.user)
        before = snapshot()
        response = en_client.post("/account/agents/", {"person_id_number": PERSON_ID})
        assert response.status_code == 422 and "Only an enterprise account" in response.content.decode()
        assert snapshot() == before

    def test_another_enterprises_agent_is_not_found(
        self, client: Client, enterprise: Account, person: Account
    ) -> None:
        agent = accounts.authorise_agent(
            enterprise=enterprise, person_id_number=PERSON_ID, by_user=enterprise.user
        )
        other = citizen_account(
            username="other_co", name="别的公司", id_number=NEW_USCC, mobile="13512345678", kind="enterprise"
        )
        before = snapshot()
        for user in (other.user, person.user):
            client.force_login(user)
            assert client.post(f"/account/agents/{agent.pk}/revoke/").status_code == 404
        assert snapshot() == before

    def test_the_person_sees_whom_they_act_for(
        self, en_client: Client, enterprise: Account, person: Account
    ) -> None:
        accounts.authorise_agent(enterprise=enterprise, person_id_number=PERSON_ID, by_user=enterprise.user)
        en_client.force_login(person.user)
        content = en_client.get("/account/").content.decode()
        assert "Enterprises you act for" in content and "邯郸市丛台食品有限公司" in content


class TestQueries:
    def test_the_enterprise_page_does_not_grow_with_agents(
        self, client: Client, enterprise: Account, django_assert_max_num_queries: Any, county: Region
    ) -> None:
        from yiwang.core.identifiers import build_resident_id

        center(county, "邯山区政务服务中心", "邯山区滏河北大街 1 号")
        client.force_login(enterprise.user)

        def add_agents(start: int, count: int) -> None:
            for n in range(start, start + count):
                agent = citizen_account(
                    username=f"agent{n}",
                    name=f"经办人{n}",
                    id_number=build_resident_id("130402", dt.date(1980, 1, 1) + dt.timedelta(days=n), 11),
                    mobile="13700000000",
                )
                Agent.objects.create(
                    enterprise=enterprise,
                    person=agent,
                    authorised_by=enterprise.user,
                    authorised_at=timezone.now(),
                )

        add_agents(0, 1)
        with django_assert_max_num_queries(12) as few:
            assert client.get("/account/").status_code == 200
        add_agents(1, 15)
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert client.get("/account/").status_code == 200

    def test_sign_in_page_queries(
        self, client: Client, citizen: Account, django_assert_max_num_queries: Any
    ) -> None:
        with django_assert_max_num_queries(3):
            client.get("/account/login/")
        with django_assert_max_num_queries(20):
            client.post("/account/login/", {"username": "zhangsan", "password": DEMO_PASSWORD})


def test_events_of_the_whole_journey(client: Client, db: None) -> None:
    """Register, then the account page lists what happened."""
    client.post(
        "/account/register/",
        {
            "kind": "individual",
            "name": "王小二",
            "id_number": NEW_ID,
            "mobile": "13612345678",
            "username": "wangxiaoer",
            "password": DEMO_PASSWORD,
            "password2": DEMO_PASSWORD,
        },
    )
    account = Account.objects.get(id_number=NEW_ID)
    assert list(AccountEvent.objects.filter(account=account).values_list("type", flat=True)) == ["registered"]
    assert get_user_model().objects.filter(username="wangxiaoer").count() == 1


class TestAdmin:
    def test_lists_are_masked_and_nothing_is_editable(
        self, client: Client, citizen: Account, enterprise: Account, person: Account
    ) -> None:
        accounts.authorise_agent(enterprise=enterprise, person_id_number=PERSON_ID, by_user=enterprise.user)
        client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

        content = client.get("/admin/portal/account/").content.decode()
        assert citizen.masked_id_number in content and citizen.id_number not in content
        assert "138****8000" in content and "13800138000" not in content
        found = client.get("/admin/portal/account/", {"q": PERSON_ID}).content.decode()
        assert "赵六" in found and "张三" not in found
        assert client.get(f"/admin/portal/account/{citizen.pk}/change/").status_code == 200
        assert client.get("/admin/portal/account/add/").status_code == 403
        before = snapshot()
        client.post(f"/admin/portal/account/{citizen.pk}/change/", {"name": "改名"})
        client.post(f"/admin/portal/account/{citizen.pk}/delete/", {"post": "yes"})
        assert snapshot() == before

        agents = client.get("/admin/portal/agent/").content.decode()
        assert person.masked_id_number in agents and PERSON_ID not in agents
        assert client.get("/admin/portal/accountevent/").status_code == 200
