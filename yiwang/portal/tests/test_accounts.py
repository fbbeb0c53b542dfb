"""Account services: registration, on-site verification, agents, the SMS sign-in code and
contact details; every refusal leaves the database as it was."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone, translation

from yiwang.core.identifiers import build_resident_id, build_uscc, mask_resident_id
from yiwang.core.models import Notification, OutboundMessage
from yiwang.org.factories import StaffFactory, UserFactory, center, grant, window
from yiwang.org.models import Department, Region, Role
from yiwang.portal import accounts
from yiwang.portal.errors import PortalError
from yiwang.portal.factories import DEMO_PASSWORD, citizen_account
from yiwang.portal.models import Account, AccountEvent, AccountEventType, Agent, SmsDevice, VerificationMethod

pytestmark = pytest.mark.django_db

NEW_ID = build_resident_id("130403", dt.date(1985, 11, 2), 117)
NEW_USCC = build_uscc("9", "1", "130403", "MA0B2C3D4")
REP_ID = build_resident_id("130403", dt.date(1970, 1, 30), 51)


# --------------------------------------------------------------------------- helpers


def snapshot() -> tuple[Any, ...]:
    """Everything an account service may write."""
    user_model = get_user_model()
    return (
        list(user_model.objects.order_by("pk").values_list("pk", "username", "email", "password")),
        list(Account.objects.order_by("pk").values()),
        list(AccountEvent.objects.order_by("pk").values_list("pk", "type")),
        list(Agent.objects.order_by("pk").values()),
        list(SmsDevice.objects.order_by("pk").values()),
        Notification.objects.count(),
        OutboundMessage.objects.count(),
    )


def refused(code: str, field: str | None, action: Callable[[], Any]) -> PortalError:
    """Run ``action``; it must raise PortalError with this code and field and write nothing."""
    before = snapshot()
    with pytest.raises(PortalError) as caught:
        action()
    assert caught.value.error_code == code, caught.value.text
    assert caught.value.field == field
    assert snapshot() == before
    return caught.value


@pytest.fixture
def site_in_english(settings: Any) -> None:
    """Messages to citizens are written in the site's language; English until the
    Chinese catalogue has this area's translations merged."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def window_operator(market_dept: Department, county: Region) -> AbstractBaseUser:
    """孙窗口 at window 12 of 邯山区政务服务中心, window operator for the county."""
    hall = center(county, "邯山区政务服务中心", "邯山区滏河北大街 1 号", "0310-3010000", "工作日 9:00–17:00")
    seat = window(hall, "12", "市场监管综合窗口", [market_dept])
    staff = StaffFactory(
        user=UserFactory(username="window_acc"), name="孙窗口", department=market_dept, window=seat
    )
    grant(staff, Role.WINDOW_OPERATOR, region=county)
    return staff.user


@pytest.fixture
def far_window_operator(other_market_dept: Department, other_county: Region) -> AbstractBaseUser:
    """A window operator of the neighbouring county, without a window seat."""
    staff = StaffFactory(user=UserFactory(username="window_far"), name="钱窗口", department=other_market_dept)
    grant(staff, Role.WINDOW_OPERATOR, department=other_market_dept)
    return staff.user


PERSON_ID = build_resident_id("130402", dt.date(1991, 4, 9), 213)


@pytest.fixture
def person(db: None) -> Account:
    """赵六, a verified individual with a well-formed ID number (the shared ``citizen``
    fixture's number has a wrong check character, so services refuse it as input)."""
    return citizen_account(username="zhaoliu", name="赵六", id_number=PERSON_ID, mobile="13611112222")


def new_individual(**overrides: Any) -> Account:
    fields = {
        "username": "wangxiaoer",
        "password": DEMO_PASSWORD,
        "name": "王小二",
        "id_number": NEW_ID,
        "mobile": "13612345678",
        "email": "wxe@example.com",
        **overrides,
    }
    return accounts.register_individual(**fields)


def new_enterprise(**overrides: Any) -> Account:
    fields = {
        "username": "hanshan_food",
        "password": DEMO_PASSWORD,
        "name": "邯郸市邯山食品有限公司",
        "uscc": NEW_USCC,
        "legal_rep_name": "赵六",
        "legal_rep_id_number": REP_ID,
        "mobile": "13512345678",
        **overrides,
    }
    return accounts.register_enterprise(**fields)


# --------------------------------------------------------------------------- register


class TestRegister:
    def test_an_individual_registers_unverified_with_an_event(self) -> None:
        account = new_individual(id_number=NEW_ID.lower().replace("X", "x"), mobile="136 1234 5678")

        assert account.kind == "individual" and not account.is_verified
        assert account.id_number == NEW_ID and account.mobile == "13612345678"
        assert account.user.check_password(DEMO_PASSWORD)
        assert account.user.password.startswith(("argon2", "md5"))  # the tests' fast hasher
        assert not account.user.is_staff
        [event] = account.events.all()
        assert event.type == AccountEventType.REGISTERED and event.actor == account.user
        assert event.detail == {"kind": "individual"}

    def test_production_hasher_is_argon2(self, settings: Any) -> None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
        account = new_individual()
        assert account.user.password.startswith("argon2$")

    def test_an_enterprise_registers_with_its_legal_representative(self) -> None:
        account = new_enterprise(uscc=NEW_USCC.lower())

        assert account.is_enterprise and account.id_number == NEW_USCC
        assert account.legal_rep_name == "赵六" and account.legal_rep_id_number == REP_ID
        assert account.events.get().type == AccountEventType.REGISTERED

    @pytest.mark.parametrize(
        ("overrides", "code", "field"),
        [
            ({"id_number": NEW_ID[:-1]}, "bad_id_number", "id_number"),
            ({"id_number": NEW_ID[:-1] + ("1" if NEW_ID[-1] != "1" else "2")}, "bad_id_number", "id_number"),
            ({"id_number": "130403" + "20991231" + "1234"}, "bad_id_number", "id_number"),
            ({"mobile": "12345678901"}, "bad_mobile", "mobile"),
            ({"mobile": "1381234567"}, "bad_mobile", "mobile"),
            ({"email": "not-an-address"}, "bad_email", "email"),
            ({"name": "  "}, "bad_name", "name"),
            ({"username": "ab"}, "bad_username", "username"),
            ({"username": "13612345678"}, "bad_username", "username"),
            ({"username": "has space"}, "bad_username", "username"),
            ({"password": "short1"}, "bad_password", "password"),
            ({"password": "1234567890123"}, "bad_password", "password"),
            ({"password": "password123"}, "bad_password", "password"),
            ({"password": "wangxiaoer1"}, "bad_password", "password"),
        ],
    )
    def test_bad_individual_input_is_refused(self, overrides: dict[str, str], code: str, field: str) -> None:
        refused(code, field, lambda: new_individual(**overrides))

    @pytest.mark.parametrize(
        ("overrides", "code", "field"),
        [
            ({"uscc": NEW_USCC[:-1] + ("0" if NEW_USCC[-1] != "0" else "1")}, "bad_uscc", "uscc"),
            ({"uscc": "91130403MA0B2C3D4I"}, "bad_uscc", "uscc"),
            ({"uscc": "9113"}, "bad_uscc", "uscc"),
            ({"legal_rep_id_number": "130403197001301234"}, "bad_id_number", "legal_rep_id_number"),
            ({"legal_rep_name": ""}, "bad_name", "legal_rep_name"),
            ({"mobile": "0310-3012345"}, "bad_mobile", "mobile"),
        ],
    )
    def test_bad_enterprise_input_is_refused(self, overrides: dict[str, str], code: str, field: str) -> None:
        refused(code, field, lambda: new_enterprise(**overrides))

    def test_one_account_per_id_number_without_saying_whose(self, person: Account) -> None:
        with translation.override("en"):
            error = refused(
                "already_registered",
                "id_number",
                lambda: new_individual(id_number=person.id_number.lower(), username="other"),
            )
        assert "already exists" in error.text and "赵六" not in error.text and "zhaoliu" not in error.text

    def test_one_account_per_uscc(self, enterprise: Account) -> None:
        refused("already_registered", "uscc", lambda: new_enterprise(uscc=enterprise.id_number))

    def test_a_taken_username_is_refused_whatever_its_case(self, citizen: Account) -> None:
        refused("username_taken", "username", lambda: new_individual(username="ZhangSan"))


# --------------------------------------------------------------------------- reads


class TestReads:
    def test_account_of(self, citizen: Account, window_operator: AbstractBaseUser) -> None:
        from django.contrib.auth.models import AnonymousUser

        assert accounts.account_of(citizen.user) == citizen
        assert accounts.account_of(window_operator) is None
        assert accounts.account_of(AnonymousUser()) is None
        assert accounts.account_of(None) is None

    def test_require_verified(self, citizen: Account, unverified_citizen: Account) -> None:
        assert accounts.require_verified(citizen.user) == citizen
        with translation.override("en"), pytest.raises(PortalError) as caught:
            accounts.require_verified(unverified_citizen.user)
        assert caught.value.error_code == "unverified"
        assert "ID card" in caught.value.text and "window" in caught.value.text
        assert "real-name" in caught.value.text

    def test_require_verified_without_an_account(self, window_operator: AbstractBaseUser) -> None:
        with pytest.raises(PortalError) as caught:
            accounts.require_verified(window_operator)
        assert caught.value.error_code == "no_account"

    def test_acting_accounts_own_first_then_active_agencies(
        self, citizen: Account, enterprise: Account, unverified_citizen: Account
    ) -> None:
        other = citizen_account(
            username="handan_tea",
            name="邯郸市茶叶有限公司",
            id_number=NEW_USCC,
            mobile="13512345678",
            kind="enterprise",
        )
        ended = citizen_account(
            username="old_co",
            name="邯郸市旧公司",
            id_number=build_uscc("9", "1", "130402", "MA0C3D4E5"),
            mobile="13512345679",
            kind="enterprise",
        )
        now = timezone.now()
        today = timezone.localdate()
        Agent.objects.create(
            enterprise=enterprise, person=citizen, authorised_by=enterprise.user, authorised_at=now
        )
        Agent.objects.create(
            enterprise=other, person=citizen, authorised_by=other.user, authorised_at=now, valid_until=today
        )
        Agent.objects.create(
            enterprise=ended,
            person=citizen,
            authorised_by=ended.user,
            authorised_at=now,
            valid_until=today - dt.timedelta(days=1),
        )
        Agent.objects.create(
            enterprise=ended, person=citizen, authorised_by=ended.user, authorised_at=now, revoked_at=now
        )

        assert accounts.acting_accounts(citizen.user) == [citizen, enterprise, other]
        assert accounts.may_act_for(citizen.user, enterprise)
        assert not accounts.may_act_for(citizen.user, ended)
        assert accounts.acting_accounts(enterprise.user) == [enterprise]
        assert accounts.acting_accounts(None) == []

    def test_an_unverified_citizen_acts_only_for_themselves(
        self, enterprise: Account, unverified_citizen: Account
    ) -> None:
        Agent.objects.create(
            enterprise=enterprise,
            person=unverified_citizen,
            authorised_by=enterprise.user,
            authorised_at=timezone.now(),
        )
        assert accounts.acting_accounts(unverified_citizen.user) == [unverified_citizen]

    def test_acting_accounts_takes_two_queries(
        self, citizen: Account, enterprise: Account, django_assert_num_queries: Any
    ) -> None:
        Agent.objects.create(
            enterprise=enterprise, person=citizen, authorised_by=enterprise.user, authorised_at=timezone.now()
        )
        user = get_user_model().objects.get(pk=citizen.user_id)
        with django_assert_num_queries(2):
            assert len(accounts.acting_accounts(user)) == 2

    def test_sign_in_name_resolves_a_unique_mobile(self, citizen: Account, enterprise: Account) -> None:
        assert accounts.sign_in_name("13800138000") == "zhangsan"
        assert accounts.sign_in_name(" zhangsan ") == "zhangsan"
        assert accounts.sign_in_name("13900000000") == "13900000000"
        Account.objects.filter(pk=enterprise.pk).update(mobile="13800138000")
        assert accounts.sign_in_name("13800138000") == "13800138000"  # two accounts: no guess

    def test_find_account_needs_the_full_number(self, citizen: Account, enterprise: Account) -> None:
        assert accounts.find_account(citizen.id_number.lower()) == citizen
        assert accounts.find_account(f" {enterprise.id_number.lower()} ") == enterprise
        assert accounts.find_account(citizen.id_number[:-1]) is None
        assert accounts.find_account("") is None


# --------------------------------------------------------------------------- verify on site


class TestVerifyOnSite:
    def test_window_staff_verify_an_individual(
        self, unverified_citizen: Account, window_operator: AbstractBaseUser, site_in_english: None
    ) -> None:
        at = timezone.now()
        account = accounts.verify_on_site(
            account=unverified_citizen,
            staff_user=window_operator,
            document_number=unverified_citizen.id_number.lower(),
            note="身份证原件",
            at=at,
        )

        account.refresh_from_db()
        assert account.is_verified and account.verified_at == at
        assert account.verified_by == window_operator
        assert account.verification_method == VerificationMethod.ON_SITE
        event = account.events.get(type=AccountEventType.VERIFIED)
        assert event.actor == window_operator
        assert event.detail == {
            "method": "on_site",
            "document": "resident_id",
            "staff": "孙窗口",
            "window": "12 市场监管综合窗口",
            "center": "邯山区政务服务中心",
            "department": "邯山区市场监督管理局",
            "region": "130402 邯山区",
            "note": "身份证原件",
        }
        assert Notification.objects.get(recipient=account.user).subject == "Your identity has been verified"

    def test_a_window_operator_of_another_region_may_verify_and_the_region_is_recorded(
        self, unverified_citizen: Account, far_window_operator: AbstractBaseUser
    ) -> None:
        accounts.verify_on_site(
            account=unverified_citizen,
            staff_user=far_window_operator,
            document_number=unverified_citizen.id_number,
        )
        event = unverified_citizen.events.get(type=AccountEventType.VERIFIED)
        assert event.detail["region"] == "130403 丛台区" and "window" not in event.detail

    @pytest.mark.parametrize("document", ["uscc", "legal_rep"])
    def test_an_enterprise_by_its_licence_or_its_representative(
        self, window_operator: AbstractBaseUser, document: str
    ) -> None:
        account = new_enterprise()
        number = NEW_USCC if document == "uscc" else REP_ID
        accounts.verify_on_site(account=account, staff_user=window_operator, document_number=number)
        event = account.events.get(type=AccountEventType.VERIFIED)
        assert event.detail["document"] == ("business_licence" if document == "uscc" else "legal_rep_id")

    def test_a_wrong_document_number_changes_nothing(
        self, unverified_citizen: Account, citizen: Account, window_operator: AbstractBaseUser
    ) -> None:
        for typed in (citizen.id_number, "", "nonsense", unverified_citizen.id_number[:-1]):
            refused(
                "document_mismatch",
                "document_number",
                lambda typed=typed: accounts.verify_on_site(
                    account=unverified_citizen, staff_user=window_operator, document_number=typed
                ),
            )

    def test_an_enterprise_is_not_verified_by_someone_elses_id(
        self, window_operator: AbstractBaseUser, citizen: Account
    ) -> None:
        account = new_enterprise()
        refused(
            "document_mismatch",
            "document_number",
            lambda: accounts.verify_on_site(
                account=account, staff_user=window_operator, document_number=citizen.id_number
            ),
        )

    def test_staff_who_are_not_window_operators_may_not_verify(
        self, unverified_citizen: Account, handler: Any, city_leader: Any, citizen: Account
    ) -> None:
        superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
        for user in (handler.user, city_leader.user, citizen.user, superuser):
            refused(
                "forbidden",
                None,
                lambda user=user: accounts.verify_on_site(
                    account=unverified_citizen, staff_user=user, document_number=unverified_citizen.id_number
                ),
            )

    def test_an_inactive_window_operator_may_not_verify(
        self, unverified_citizen: Account, window_operator: AbstractBaseUser
    ) -> None:
        window_operator.staff.is_active = False  # type: ignore[attr-defined]
        window_operator.staff.save()  # type: ignore[attr-defined]
        user = get_user_model().objects.get(pk=window_operator.pk)
        refused(
            "forbidden",
            None,
            lambda: accounts.verify_on_site(
                account=unverified_citizen, staff_user=user, document_number=unverified_citizen.id_number
            ),
        )

    def test_verifying_twice_is_refused(self, citizen: Account, window_operator: AbstractBaseUser) -> None:
        refused(
            "already_verified",
            None,
            lambda: accounts.verify_on_site(
                account=citizen, staff_user=window_operator, document_number=citizen.id_number
            ),
        )


# --------------------------------------------------------------------------- agents


class TestAgents:
    def test_the_enterprise_authorises_a_verified_person(
        self, enterprise: Account, person: Account, site_in_english: None
    ) -> None:
        until = timezone.localdate() + dt.timedelta(days=90)
        agent = accounts.authorise_agent(
            enterprise=enterprise,
            person_id_number=person.id_number.lower(),
            valid_until=until,
            by_user=enterprise.user,
        )

        assert agent.person == person and agent.valid_until == until and agent.revoked_at is None
        event = enterprise.events.get(type=AccountEventType.AGENT_AUTHORISED)
        assert event.detail == {
            "agent": agent.pk,
            "person": mask_resident_id(PERSON_ID),
            "valid_until": until.isoformat(),
        }
        assert (
            Notification.objects.get(recipient=person.user).subject
            == "You are now an agent of 邯郸市丛台食品有限公司"
        )
        assert accounts.acting_accounts(person.user) == [person, enterprise]

    def test_someone_else_may_not_authorise_for_the_enterprise(
        self, enterprise: Account, person: Account, unverified_citizen: Account
    ) -> None:
        for user in (person.user, unverified_citizen.user):
            refused(
                "forbidden",
                None,
                lambda user=user: accounts.authorise_agent(
                    enterprise=enterprise, person_id_number=person.id_number, by_user=user
                ),
            )

    def test_an_individual_account_cannot_have_agents(
        self, person: Account, unverified_citizen: Account
    ) -> None:
        refused(
            "not_enterprise",
            None,
            lambda: accounts.authorise_agent(
                enterprise=person, person_id_number=unverified_citizen.id_number, by_user=person.user
            ),
        )

    def test_an_unverified_enterprise_cannot_authorise(self, person: Account) -> None:
        company = new_enterprise()
        refused(
            "unverified",
            None,
            lambda: accounts.authorise_agent(
                enterprise=company, person_id_number=person.id_number, by_user=company.user
            ),
        )

    def test_an_unverified_or_unknown_person_cannot_be_an_agent(
        self, enterprise: Account, unverified_citizen: Account
    ) -> None:
        for number in (unverified_citizen.id_number, NEW_ID):
            error = refused(
                "agent_not_verified",
                "person_id_number",
                lambda number=number: accounts.authorise_agent(
                    enterprise=enterprise, person_id_number=number, by_user=enterprise.user
                ),
            )
        assert "李四" not in error.text

    def test_bad_number_and_past_date(self, enterprise: Account, person: Account) -> None:
        refused(
            "bad_id_number",
            "person_id_number",
            lambda: accounts.authorise_agent(
                enterprise=enterprise, person_id_number="1304", by_user=enterprise.user
            ),
        )
        refused(
            "bad_date",
            "valid_until",
            lambda: accounts.authorise_agent(
                enterprise=enterprise,
                person_id_number=person.id_number,
                valid_until=timezone.localdate() - dt.timedelta(days=1),
                by_user=enterprise.user,
            ),
        )

    def test_twice_is_refused_but_an_expired_authorisation_makes_room(
        self, enterprise: Account, person: Account
    ) -> None:
        first = accounts.authorise_agent(
            enterprise=enterprise, person_id_number=person.id_number, by_user=enterprise.user
        )
        refused(
            "agent_exists",
            "person_id_number",
            lambda: accounts.authorise_agent(
                enterprise=enterprise, person_id_number=person.id_number, by_user=enterprise.user
            ),
        )
        Agent.objects.filter(pk=first.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))

        second = accounts.authorise_agent(
            enterprise=enterprise, person_id_number=person.id_number, by_user=enterprise.user
        )
        first.refresh_from_db()
        assert first.revoked_at is not None and second.revoked_at is None

    def test_revoke(self, enterprise: Account, person: Account) -> None:
        agent = accounts.authorise_agent(
            enterprise=enterprise, person_id_number=person.id_number, by_user=enterprise.user
        )
        refused("forbidden", None, lambda: accounts.revoke_agent(agent=agent, by_user=person.user))

        accounts.revoke_agent(agent=agent, by_user=enterprise.user)

        agent.refresh_from_db()
        assert agent.revoked_at is not None
        assert enterprise.events.filter(type=AccountEventType.AGENT_REVOKED).count() == 1
        assert accounts.acting_accounts(person.user) == [person]
        refused("already_revoked", None, lambda: accounts.revoke_agent(agent=agent, by_user=enterprise.user))


# --------------------------------------------------------------------------- profile and code


class TestProfile:
    def test_second_factor_on_and_off(self, citizen: Account) -> None:
        accounts.set_second_factor(account=citizen, on=True)
        accounts.set_second_factor(account=citizen, on=True)  # no change, no event
        citizen.refresh_from_db()
        assert citizen.second_factor
        device = SmsDevice.objects.get(user=citizen.user)
        assert device.confirmed and device.number == "13800138000"

        accounts.set_second_factor(account=citizen, on=False)

        citizen.refresh_from_db()
        assert not citizen.second_factor and not SmsDevice.objects.get(user=citizen.user).confirmed
        types = list(citizen.events.values_list("type", flat=True).order_by("pk"))
        assert types[-2:] == [AccountEventType.SECOND_FACTOR_ON, AccountEventType.SECOND_FACTOR_OFF]

    def test_change_contact(self, citizen: Account) -> None:
        accounts.set_second_factor(account=citizen, on=True)
        accounts.change_contact(
            account=citizen, mobile="139 0000 1111", email="zs@example.com", by_user=citizen.user
        )

        citizen.refresh_from_db()
        assert (citizen.mobile, citizen.email) == ("13900001111", "zs@example.com")
        assert get_user_model().objects.get(pk=citizen.user_id).email == "zs@example.com"
        assert SmsDevice.objects.get(user=citizen.user).number == "13900001111"
        event = citizen.events.get(type=AccountEventType.PROFILE_CHANGED)
        assert event.detail == {"fields": ["mobile", "email"]}

        accounts.change_contact(
            account=citizen, mobile="13900001111", email="zs@example.com", by_user=citizen.user
        )
        assert citizen.events.filter(type=AccountEventType.PROFILE_CHANGED).count() == 1

    def test_bad_contact_details_change_nothing(self, citizen: Account, enterprise: Account) -> None:
        refused(
            "bad_mobile",
            "mobile",
            lambda: accounts.change_contact(account=citizen, mobile="110", email="", by_user=citizen.user),
        )
        refused(
            "bad_email",
            "email",
            lambda: accounts.change_contact(
                account=citizen, mobile="13800138000", email="x@", by_user=citizen.user
            ),
        )
        refused(
            "forbidden",
            None,
            lambda: accounts.change_contact(
                account=citizen, mobile="13800138001", email="", by_user=enterprise.user
            ),
        )

    def test_sign_in_code_is_queued_as_sms_and_used_once(
        self, citizen: Account, site_in_english: None
    ) -> None:
        device = accounts.send_sign_in_code(citizen)

        message = OutboundMessage.objects.get()
        assert message.channel == "sms" and message.address == "13800138000"
        assert device.token and device.token in message.body and len(device.token) == 6
        assert "valid for 5 minutes" in message.body
        assert (
            accounts.check_sign_in_code(citizen, "000000" if device.token != "000000" else "111111") is None
        )
        assert accounts.check_sign_in_code(citizen, "abc") is None
        assert accounts.check_sign_in_code(citizen, device.token) == device
        assert accounts.check_sign_in_code(citizen, device.token) is None  # used up

    def test_an_expired_code_is_refused(self, citizen: Account) -> None:
        device = accounts.send_sign_in_code(citizen)
        SmsDevice.objects.filter(pk=device.pk).update(valid_until=timezone.now() - dt.timedelta(seconds=1))
        assert accounts.check_sign_in_code(citizen, device.token or "") is None


class TestServiceCenters:
    def test_centers_in_region_order(
        self, county: Region, other_county: Region, window_operator: Any
    ) -> None:
        center(other_county, "丛台区政务服务中心", "丛台区中华北大街 2 号")
        names = [c.name for c in accounts.service_centers()]
        assert names == ["邯山区政务服务中心", "丛台区政务服务中心"]


class TestDemo:
    def test_seed_accounts_through_the_services_once(
        self, window_operator: AbstractBaseUser, site_in_english: None
    ) -> None:
        from yiwang.demo.accounts import seed_accounts

        assert seed_accounts(timezone.now()) == 4  # three accounts and one agent
        assert seed_accounts(timezone.now()) == 0

        zhangsan = Account.objects.get(user__username="zhangsan")
        congtai = Account.objects.get(user__username="congtai")
        lisi = Account.objects.get(user__username="lisi")
        assert zhangsan.is_verified and congtai.is_verified and not lisi.is_verified
        assert zhangsan.verified_by == window_operator
        assert zhangsan.verification_reference == "邯山区政务服务中心 12 市场监管综合窗口"
        assert zhangsan.id_number.startswith("1304") and zhangsan.mobile == "13800138000"
        assert congtai.is_enterprise and congtai.legal_rep_name == "王五"
        assert zhangsan.user.check_password(DEMO_PASSWORD)
        assert accounts.acting_accounts(zhangsan.user) == [zhangsan, congtai]

    def test_without_window_staff_the_factory_verifies(self, db: None) -> None:
        from yiwang.demo.accounts import seed_accounts

        assert seed_accounts() == 4
        assert Account.objects.filter(verified_at__isnull=False).count() == 2

    def test_existing_demo_accounts_are_left_alone(self, citizen: Account, enterprise: Account) -> None:
        from yiwang.demo.accounts import seed_accounts

        # zhangsan and congtai exist already: only lisi and the agency are added.
        assert seed_accounts() == 2
        assert Agent.objects.get().person == citizen
