"""Who may call the API: a token or a session; anyone else gets a 401 problem."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from yiwang.api.tests.conftest import CASES, action_url, application, assert_problem
from yiwang.cases.models import Case

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
PASSWORD = "Yiwang-demo-2026"  # the factories' password


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", CASES),
        ("post", CASES),
        ("get", f"{CASES}13040220250922000001/"),
        ("get", f"{CASES}13040220250922000001/events/"),
        ("post", action_url("13040220250922000001", "accept")),
        ("get", "/api/v1/items/"),
        ("get", "/api/v1/items/HS-SPJY-001/"),
    ],
)
def test_anonymous_requests_are_unauthorised(method: str, url: str) -> None:
    response = (
        getattr(APIClient(), method)(url, {}, format="json") if method == "post" else APIClient().get(url)
    )

    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_a_token_authenticates(window, window_user, food_licence) -> None:
    # (the window client of conftest sends "Authorization: Token <key>")
    response = window.post(CASES, application(), format="json")

    assert response.status_code == 201
    assert Case.objects.get().events.get().actor_id == window_user.pk


def test_a_wrong_token_is_refused(food_licence) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    assert_problem(client.get(CASES), 401, "authentication_failed")


def test_an_inactive_users_token_is_refused(window_user, food_licence) -> None:
    token = Token.objects.create(user=window_user)
    window_user.is_active = False
    window_user.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert_problem(client.get(CASES), 401, "authentication_failed")


def test_a_session_authenticates_and_needs_its_csrf_token(window_user, food_licence) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(window_user)

    assert client.get(CASES).status_code == 200
    # without the CSRF token a write is refused and nothing is filed
    assert_problem(client.post(CASES, application(), format="json"), 403, "permission_denied")
    assert not Case.objects.exists()


def test_a_token_is_issued_for_a_username_and_password(window_user, food_licence) -> None:
    response = APIClient().post(TOKEN_URL, {"username": "window_hs", "password": PASSWORD}, format="json")

    assert response.status_code == 200, response.content
    key = response.json()["token"]
    assert key == Token.objects.get(user=window_user).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(CASES).status_code == 200


def test_a_wrong_password_gets_no_token(window_user) -> None:
    response = APIClient().post(TOKEN_URL, {"username": "window_hs", "password": "guess"}, format="json")

    assert_problem(response, 400, "bad_input")
    assert not Token.objects.exists()


def test_repeated_wrong_passwords_lock_the_account(window_user, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    client = APIClient()
    for _ in range(3):
        client.post(TOKEN_URL, {"username": "window_hs", "password": "guess"}, format="json")

    response = client.post(TOKEN_URL, {"username": "window_hs", "password": PASSWORD}, format="json")

    assert_problem(response, 403, "account_locked")
    assert not Token.objects.exists()
