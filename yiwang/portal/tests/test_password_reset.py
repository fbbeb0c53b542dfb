"""Forgot password: a code by SMS to the account's mobile, then a new password. The first
page answers the same whatever is typed; codes and attempts are limited."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from yiwang.conftest import CITIZEN_ID, ENTERPRISE_USCC
from yiwang.core.models import OutboundMessage
from yiwang.org.factories import UserFactory
from yiwang.portal import accounts
from yiwang.portal.errors import PortalError
from yiwang.portal.factories import DEMO_PASSWORD
from yiwang.portal.models import Account, AccountEvent, AccountEventType

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Lanterns-over-Handan-7"
NEUTRAL = "If the details match an account, a 6-digit code has been sent"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.fixture
def en_client(client: Client) -> Client:
    return english(client)


def english(client: Client) -> Client:
    """Pages in English (the site's default is Chinese), chosen as a visitor would."""
    client.cookies["django_language"] = "en"
    return client


def codes() -> list[str]:
    """The codes in the SMS outbox, oldest first (read from the messages' text)."""
    found = []
    for body in OutboundMessage.objects.filter(channel="sms").order_by("pk").values_list("body", flat=True):
        match = re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", body)
        assert match, body
        found.append(match.group(1))
    return found


def ask(client: Client, who: str, number: str) -> str:
    response = client.post("/account/password/reset/", {"who": who, "id_number": number})
    assert response.status_code == 302 and response["Location"] == "/account/password/reset/confirm/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    return page.content.decode()


def confirm(client: Client, code: str, password: str = NEW_PASSWORD, again: str | None = None) -> object:
    return client.post(
        "/account/password/reset/confirm/",
        {"code": code, "password": password, "password2": password if again is None else again},
    )


def password_of(account: Account) -> str:
    return get_user_model().objects.get(pk=account.user_id).password


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_the_login_page_links_to_forgot_password(en_client: Client, db: None) -> None:
    content = en_client.get("/account/login/").content.decode()
    assert 'href="/account/password/reset/"' in content and "Forgot your password?" in content


def test_the_pages_have_labelled_fields(en_client: Client, citizen: Account) -> None:
    content = en_client.get("/account/password/reset/").content.decode()
    assert '<label for="id_who">' in content and '<label for="id_id_number">' in content
    ask(en_client, "zhangsan", CITIZEN_ID)
    content = en_client.get("/account/password/reset/confirm/").content.decode()
    for name in ("code", "password", "password2"):
        assert f'<label for="id_{name}">' in content
    assert 'autocomplete="new-password"' in content


def test_full_flow_by_username(en_client: Client, citizen: Account) -> None:
    page = ask(en_client, "zhangsan", CITIZEN_ID.lower())
    assert NEUTRAL in page
    [message] = OutboundMessage.objects.filter(channel="sms")
    assert message.address == citizen.mobile
    assert "13800138000" not in page  # the page shows no number
    [code] = codes()
    response = confirm(en_client, code)
    assert response.status_code == 302 and response["Location"] == "/account/login/"
    citizen.user.refresh_from_db()
    assert citizen.user.check_password(NEW_PASSWORD)
    assert AccountEvent.objects.filter(account=citizen, type=AccountEventType.PASSWORD_RESET).count() == 1
    assert "Your password has been changed" in en_client.get("/account/login/").content.decode()
    # The new password signs in; the old one does not.
    assert (
        en_client.post("/account/login/", {"username": "zhangsan", "password": DEMO_PASSWORD}).status_code
        == 422
    )
    assert (
        en_client.post("/account/login/", {"username": "zhangsan", "password": NEW_PASSWORD}).status_code
        == 302
    )
    # The code is used up.
    assert confirm(en_client, code).status_code == 302  # no pending reset any more
    assert get_user_model().objects.get(pk=citizen.user_id).check_password(NEW_PASSWORD)


def test_an_enterprise_by_mobile_and_uscc(en_client: Client, enterprise: Account) -> None:
    ask(en_client, "137 0013 7000", ENTERPRISE_USCC)
    [code] = codes()
    assert confirm(en_client, code).status_code == 302
    assert get_user_model().objects.get(pk=enterprise.user_id).check_password(NEW_PASSWORD)


def test_the_sign_in_code_is_not_a_reset_code(en_client: Client, citizen: Account) -> None:
    accounts.send_sign_in_code(citizen)
    [sign_in_code] = codes()
    ask(en_client, "zhangsan", CITIZEN_ID)
    before = password_of(citizen)
    if sign_in_code != codes()[1]:
        assert confirm(en_client, sign_in_code).status_code == 422
        assert password_of(citizen) == before


@pytest.mark.parametrize(
    ("who", "number"),
    [
        ("zhangsan", ENTERPRISE_USCC),  # another account's number
        ("nobody", CITIZEN_ID),  # no such username
        ("13900000000", CITIZEN_ID),  # another mobile
        ("zhangsan", "not a number at all"),
        ("staffer", CITIZEN_ID),  # a staff user, who has no account
    ],
)
def test_mismatched_details_get_the_same_answer_and_nothing_is_sent(
    en_client: Client, citizen: Account, enterprise: Account, who: str, number: str
) -> None:
    UserFactory(username="staffer", is_staff=True)
    before = password_of(citizen)
    page = ask(en_client, who, number)
    assert NEUTRAL in page
    assert not OutboundMessage.objects.exists()
    response = confirm(en_client, "123456")
    assert response.status_code == 422
    assert "This code is not right or has expired" in response.content.decode()
    assert password_of(citizen) == before
    assert not AccountEvent.objects.filter(type=AccountEventType.PASSWORD_RESET).exists()


def test_staff_never_match_even_with_an_account(citizen: Account) -> None:
    get_user_model().objects.filter(pk=citizen.user_id).update(is_staff=True)
    assert accounts.request_password_reset(who="zhangsan", id_number=CITIZEN_ID) is None
    assert not OutboundMessage.objects.exists()


def test_empty_fields_are_marked(en_client: Client, db: None) -> None:
    response = en_client.post("/account/password/reset/", {"who": "", "id_number": ""})
    assert response.status_code == 422
    assert 'id="id_who_error"' in response.content.decode()


def test_the_confirm_page_without_a_request(en_client: Client, db: None) -> None:
    response = en_client.get("/account/password/reset/confirm/")
    assert response.status_code == 302 and response["Location"] == "/account/password/reset/"


def test_a_wrong_code_is_refused_and_changes_nothing(en_client: Client, citizen: Account) -> None:
    ask(en_client, "zhangsan", CITIZEN_ID)
    [code] = codes()
    before = password_of(citizen)
    response = confirm(en_client, wrong(code))
    assert response.status_code == 422
    assert 'id="id_code_error"' in response.content.decode()
    assert password_of(citizen) == before
    assert not AccountEvent.objects.filter(type=AccountEventType.PASSWORD_RESET).exists()
    # The right code still works afterwards.
    assert confirm(en_client, code).status_code == 302
    assert get_user_model().objects.get(pk=citizen.user_id).check_password(NEW_PASSWORD)


def test_five_wrong_codes_drop_the_reset(en_client: Client, citizen: Account) -> None:
    ask(en_client, "zhangsan", CITIZEN_ID)
    [code] = codes()
    before = password_of(citizen)
    for _ in range(4):
        assert confirm(en_client, wrong(code)).status_code == 422
    response = confirm(en_client, wrong(code))
    assert response.status_code == 302 and response["Location"] == "/account/password/reset/"
    # Gone in this session, and the code itself is void for any other session too.
    assert confirm(en_client, code).status_code == 302
    with pytest.raises(PortalError) as refused:
        accounts.reset_password(account=citizen, code=code, password=NEW_PASSWORD)
    assert refused.value.error_code == "bad_code"
    assert password_of(citizen) == before


def test_wrong_codes_count_across_sessions(citizen: Account) -> None:
    accounts.request_password_reset(who="zhangsan", id_number=CITIZEN_ID)
    [code] = codes()
    for _ in range(accounts.RESET_CODE_TRIES):
        with pytest.raises(PortalError) as refused:
            accounts.reset_password(account=citizen, code=wrong(code), password=NEW_PASSWORD)
    assert refused.value.error_code == "code_attempts"
    with pytest.raises(PortalError) as refused:
        accounts.reset_password(account=citizen, code=code, password=NEW_PASSWORD)
    assert refused.value.error_code == "bad_code"
    assert get_user_model().objects.get(pk=citizen.user_id).check_password(DEMO_PASSWORD)


def test_an_expired_code_is_refused(en_client: Client, citizen: Account) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ask(en_client, "zhangsan", CITIZEN_ID)
    [code] = codes()
    before = password_of(citizen)
    with time_machine.travel(start + dt.timedelta(minutes=10, seconds=5), tick=False):
        response = confirm(en_client, code)
        assert response.status_code == 422
        assert "has expired" in response.content.decode()
    assert password_of(citizen) == before


def test_a_weak_password_is_refused_beside_its_field(en_client: Client, citizen: Account) -> None:
    ask(en_client, "zhangsan", CITIZEN_ID)
    [code] = codes()
    before = password_of(citizen)
    for weak in ("1234567890", "password", "zhangsan12"):
        response = confirm(en_client, code, weak)
        assert response.status_code == 422, weak
        assert 'id="id_password_error"' in response.content.decode()
    response = confirm(en_client, code, NEW_PASSWORD, "something-else-99")
    assert response.status_code == 422 and 'id="id_password2_error"' in response.content.decode()
    assert password_of(citizen) == before
    # The code was not used up by the refusals.
    assert confirm(en_client, code).status_code == 302


def test_the_service_judges_the_password_with_the_account_name(citizen: Account) -> None:
    accounts.request_password_reset(who="zhangsan", id_number=CITIZEN_ID)
    [code] = codes()
    with pytest.raises(PortalError) as refused:
        accounts.reset_password(account=citizen, code=code, password="zhangsan-2026")
    assert refused.value.error_code == "bad_password"
    assert get_user_model().objects.get(pk=citizen.user_id).check_password(DEMO_PASSWORD)


def test_at_most_three_codes_an_account_an_hour(en_client: Client, citizen: Account) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            assert NEUTRAL in ask(en_client, "zhangsan", CITIZEN_ID)
        assert OutboundMessage.objects.filter(channel="sms").count() == accounts.RESET_CODES_PER_HOUR
        # Another session, same account: still nothing more.
        assert NEUTRAL in ask(english(Client()), "13800138000", CITIZEN_ID)
        assert OutboundMessage.objects.filter(channel="sms").count() == accounts.RESET_CODES_PER_HOUR
    with time_machine.travel(start + dt.timedelta(minutes=61), tick=False):
        ask(en_client, "zhangsan", CITIZEN_ID)
        assert OutboundMessage.objects.filter(channel="sms").count() == accounts.RESET_CODES_PER_HOUR + 1


def test_at_most_ten_asks_a_session_an_hour(en_client: Client, citizen: Account) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(10):
            ask(en_client, f"nobody{n}", CITIZEN_ID)
        response = en_client.post("/account/password/reset/", {"who": "zhangsan", "id_number": CITIZEN_ID})
        assert response.status_code == 429
        assert "try again in an hour" in response.content.decode()
        assert not OutboundMessage.objects.exists()
    with time_machine.travel(start + dt.timedelta(minutes=61), tick=False):
        assert NEUTRAL in ask(en_client, "zhangsan", CITIZEN_ID)
        assert OutboundMessage.objects.count() == 1


def test_the_axes_lockout_is_cleared_and_other_sessions_end(en_client: Client, citizen: Account) -> None:
    elsewhere = Client()
    assert (
        elsewhere.post("/account/login/", {"username": "zhangsan", "password": DEMO_PASSWORD}).status_code
        == 302
    )
    assert elsewhere.get("/account/").status_code == 200
    for _ in range(5):
        en_client.post("/account/login/", {"username": "zhangsan", "password": "wrong-password-1"})
    assert AccessAttempt.objects.filter(username="zhangsan").exists()
    locked = en_client.post("/account/login/", {"username": "zhangsan", "password": DEMO_PASSWORD})
    assert locked.status_code == 429
    ask(en_client, "zhangsan", CITIZEN_ID)
    [code] = codes()
    assert confirm(en_client, code).status_code == 302
    assert not AccessAttempt.objects.filter(username="zhangsan").exists()
    response = en_client.post("/account/login/", {"username": "zhangsan", "password": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/account/"
    # The session signed in with the old password has ended.
    response = elsewhere.get("/account/")
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")
