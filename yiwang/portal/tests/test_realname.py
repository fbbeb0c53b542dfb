"""The real-name provider adapter against a real HTTP server on 127.0.0.1, and the
verification service and page on top of it."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import translation

from yiwang.core.identifiers import build_resident_id
from yiwang.portal import accounts, realname
from yiwang.portal.errors import PortalError
from yiwang.portal.factories import citizen_account
from yiwang.portal.models import Account, AccountEvent, AccountEventType, VerificationMethod

pytestmark = pytest.mark.django_db

SECRET = "provider-test-secret"
LISI_ID = build_resident_id("130402", dt.date(1992, 5, 17), 35)  # the unverified_citizen fixture


@dataclass
class Provider:
    """A real-name provider: checks the request's signature, answers from ``people``."""

    url: str = ""
    # ok | unsigned | forged | other_nonce | http500 | slow | not_json | no_matched
    mode: str = "ok"
    people: dict[str, str] = field(default_factory=dict)  # id number → name
    received: list[dict[str, Any]] = field(default_factory=list)
    signatures_ok: list[bool] = field(default_factory=list)


@pytest.fixture
def provider(settings: Any) -> Iterator[Provider]:
    state = Provider()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            state.signatures_ok.append(hmac.compare_digest(self.headers.get("X-Signature", ""), expected))
            request = json.loads(body)
            state.received.append(request)
            if state.mode == "slow":
                time.sleep(1.0)
            matched = state.signatures_ok[-1] and state.people.get(request["id_number"]) == request["name"]
            reply: dict[str, Any] = {
                "matched": matched,
                "reference": f"RN-{len(state.received):04d}",
                "reason": "" if matched else "姓名与号码不一致",
                "nonce": "0" * 32 if state.mode == "other_nonce" else request["nonce"],
            }
            if state.mode == "no_matched":
                del reply["matched"]
            data = b"<html>busy</html>" if state.mode == "not_json" else json.dumps(reply).encode()
            signature = hmac.new(SECRET.encode(), data, hashlib.sha256).hexdigest()
            if state.mode == "forged":
                signature = hmac.new(b"someone else", data, hashlib.sha256).hexdigest()
            self.send_response(500 if state.mode == "http500" else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if state.mode != "unsigned":
                self.send_header("X-Signature", signature)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/realname/check"
    settings.PORTAL_REALNAME_BACKEND = "yiwang.portal.realname.HttpRealNameBackend"
    settings.PORTAL_REALNAME_URL = state.url
    settings.PORTAL_REALNAME_SECRET = SECRET
    settings.PORTAL_REALNAME_TIMEOUT = 0.3
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def state_of(account: Account) -> tuple[Any, ...]:
    account.refresh_from_db()
    return (
        account.verified_at,
        account.verification_method,
        account.verification_reference,
        list(AccountEvent.objects.order_by("pk").values_list("type", flat=True)),
    )


# --------------------------------------------------------------------------- the adapter


class TestHttpBackend:
    def test_a_signed_match(self, provider: Provider) -> None:
        provider.people[LISI_ID] = "李四"
        backend = realname.get_backend()
        assert isinstance(backend, realname.HttpRealNameBackend)

        result = backend.check("李四", LISI_ID, "13900139000")

        assert result == realname.RealNameResult(matched=True, reference="RN-0001", reason="")
        assert provider.signatures_ok == [True]
        [sent] = provider.received
        assert set(sent) == {
            "kind",
            "name",
            "id_number",
            "mobile",
            "legal_rep_name",
            "legal_rep_id_number",
            "timestamp",
            "nonce",
        }
        assert (sent["kind"], sent["name"], sent["id_number"], sent["mobile"]) == (
            "individual",
            "李四",
            LISI_ID,
            "13900139000",
        )
        assert abs(sent["timestamp"] - time.time()) < 5 and len(sent["nonce"]) == 32

    def test_a_signed_mismatch_carries_the_reason(self, provider: Provider) -> None:
        result = realname.HttpRealNameBackend().check("王五", LISI_ID, "13900139000")
        assert not result.matched and result.reason == "姓名与号码不一致" and result.reference == "RN-0001"

    @pytest.mark.parametrize(
        ("mode", "error"),
        [
            ("unsigned", "not signed"),
            ("forged", "wrong signature"),
            ("other_nonce", "another check"),
            ("not_json", "not JSON"),
            ("no_matched", "no 'matched'"),
            ("http500", "HTTP 500"),
            ("slow", "did not answer within 0.3 s"),
        ],
    )
    def test_untrustworthy_answers_are_refused(self, provider: Provider, mode: str, error: str) -> None:
        provider.mode = mode
        provider.people[LISI_ID] = "李四"
        with pytest.raises(realname.RealNameError, match=error):
            realname.HttpRealNameBackend().check("李四", LISI_ID, "13900139000")

    def test_an_unreachable_provider(self) -> None:
        backend = realname.HttpRealNameBackend(url="http://127.0.0.1:9/", secret=SECRET, timeout=1)
        with pytest.raises(realname.RealNameError, match=r"unreachable|connection failed"):
            backend.check("李四", LISI_ID, "13900139000")

    def test_configuration(self, settings: Any) -> None:
        settings.PORTAL_REALNAME_BACKEND = ""
        assert realname.get_backend() is None and not realname.is_available()
        with pytest.raises(ImproperlyConfigured):
            realname.HttpRealNameBackend(url="ftp://x", secret=SECRET)
        with pytest.raises(ImproperlyConfigured):
            realname.HttpRealNameBackend(url="https://provider.example/", secret="")
        settings.PORTAL_REALNAME_BACKEND = "yiwang.portal.nothing.Here"
        with pytest.raises(ImproperlyConfigured):
            realname.get_backend()
        settings.PORTAL_REALNAME_BACKEND = "yiwang.core.sms.LogBackend"
        with pytest.raises(ImproperlyConfigured):
            realname.get_backend()


# --------------------------------------------------------------------------- the service


class TestVerifyByProvider:
    def test_a_match_verifies_the_account(self, provider: Provider, unverified_citizen: Account) -> None:
        provider.people[LISI_ID] = "李四"

        accounts.verify_by_provider(account=unverified_citizen)

        unverified_citizen.refresh_from_db()
        assert unverified_citizen.is_verified and unverified_citizen.verified_by is None
        assert unverified_citizen.verification_method == VerificationMethod.PROVIDER
        assert unverified_citizen.verification_reference == "RN-0001"
        event = unverified_citizen.events.get(type=AccountEventType.VERIFIED)
        assert event.detail == {"method": "provider", "reference": "RN-0001"}
        assert event.actor == unverified_citizen.user

    def test_an_enterprise_is_checked_with_its_legal_representative(self, provider: Provider) -> None:
        company = citizen_account(
            username="hs_food",
            name="邯郸市邯山食品有限公司",
            id_number="91130402MA0A1B2C3D",
            mobile="13512345678",
            kind="enterprise",
            legal_rep_name="赵六",
            legal_rep_id_number=LISI_ID,
            verified=False,
        )
        provider.people["91130402MA0A1B2C3D"] = "邯郸市邯山食品有限公司"

        accounts.verify_by_provider(account=company)

        [sent] = provider.received
        assert sent["kind"] == "enterprise" and sent["legal_rep_name"] == "赵六"
        assert sent["legal_rep_id_number"] == LISI_ID
        company.refresh_from_db()
        assert company.is_verified

    def test_a_mismatch_is_recorded_and_refused(
        self, provider: Provider, unverified_citizen: Account
    ) -> None:
        with translation.override("en"), pytest.raises(PortalError) as caught:
            accounts.verify_by_provider(account=unverified_citizen)
        assert caught.value.error_code == "realname_mismatch" and "姓名与号码不一致" in caught.value.text
        unverified_citizen.refresh_from_db()
        assert not unverified_citizen.is_verified
        failed = unverified_citizen.events.get(type=AccountEventType.VERIFICATION_FAILED)
        assert failed.detail == {"method": "provider", "reference": "RN-0001", "reason": "姓名与号码不一致"}

    def test_three_mismatches_a_day_then_only_the_window(
        self, provider: Provider, unverified_citizen: Account
    ) -> None:
        for _ in range(accounts.REALNAME_DAILY_ATTEMPTS):
            with pytest.raises(PortalError):
                accounts.verify_by_provider(account=unverified_citizen)
        provider.people[LISI_ID] = "李四"
        before = state_of(unverified_citizen)

        with pytest.raises(PortalError) as caught:
            accounts.verify_by_provider(account=unverified_citizen)

        assert caught.value.error_code == "realname_attempts"
        assert len(provider.received) == accounts.REALNAME_DAILY_ATTEMPTS  # not asked again
        assert state_of(unverified_citizen) == before

    @pytest.mark.parametrize("mode", ["forged", "unsigned", "slow"])
    def test_an_untrustworthy_answer_changes_nothing(
        self, provider: Provider, unverified_citizen: Account, mode: str
    ) -> None:
        provider.people[LISI_ID] = "李四"
        provider.mode = mode
        before = state_of(unverified_citizen)
        with pytest.raises(PortalError) as caught:
            accounts.verify_by_provider(account=unverified_citizen)
        assert caught.value.error_code == "realname_unavailable"
        assert state_of(unverified_citizen) == before

    def test_without_a_provider(self, settings: Any, unverified_citizen: Account) -> None:
        settings.PORTAL_REALNAME_BACKEND = ""
        before = state_of(unverified_citizen)
        with pytest.raises(PortalError) as caught:
            accounts.verify_by_provider(account=unverified_citizen)
        assert caught.value.error_code == "realname_none"
        assert state_of(unverified_citizen) == before

    def test_already_verified(self, provider: Provider, citizen: Account) -> None:
        with pytest.raises(PortalError) as caught:
            accounts.verify_by_provider(account=citizen)
        assert caught.value.error_code == "already_verified" and provider.received == []


# --------------------------------------------------------------------------- the page


class TestPage:
    def test_the_account_page_offers_the_online_check_only_with_a_provider(
        self, client: Client, settings: Any, unverified_citizen: Account
    ) -> None:
        client.force_login(unverified_citizen.user)
        settings.PORTAL_REALNAME_BACKEND = ""
        assert 'action="/account/real-name/"' not in client.get("/account/").content.decode()
        settings.PORTAL_REALNAME_BACKEND = "yiwang.portal.realname.HttpRealNameBackend"
        assert 'action="/account/real-name/"' in client.get("/account/").content.decode()

    def test_check_online_from_the_account_page(
        self, client: Client, provider: Provider, unverified_citizen: Account
    ) -> None:
        client.force_login(unverified_citizen.user)
        with translation.override("en"):
            refused = client.post("/account/real-name/", HTTP_ACCEPT_LANGUAGE="en")
        assert refused.status_code == 422
        assert "姓名与号码不一致" in refused.content.decode()

        provider.people[LISI_ID] = "李四"
        response = client.post("/account/real-name/", follow=True)

        assert response.redirect_chain == [("/account/", 302)]
        unverified_citizen.refresh_from_db()
        assert unverified_citizen.is_verified
