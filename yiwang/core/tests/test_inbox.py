"""The staff inbox at /work/inbox/: sign-in, own messages only, unread first, marking read
with and without htmx, and the unread count for the navigation."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template import engines
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from yiwang.core import notify
from yiwang.core.models import Notification
from yiwang.core.notify import Message
from yiwang.org.factories import UserFactory
from yiwang.org.models import Staff

pytestmark = pytest.mark.django_db

INBOX = "/work/inbox/"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def as_user(user: Any, language: str = "en") -> Client:
    client = Client()
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def deliver(user: Any, subject: str, *, minutes: int = 0, link: str = "") -> Notification:
    notify.send(
        [Message(recipient=user, subject=subject, body=f"{subject}的说明", link=link, channels=("inbox",))],
        at=T0 + dt.timedelta(minutes=minutes),
    )
    return Notification.objects.get(recipient=user, subject=subject)


def subjects_in(html: str, candidates: list[str]) -> list[str]:
    """The candidates in the order they appear on the page."""
    found = [(html.index(s), s) for s in candidates if s in html]
    return [s for _, s in sorted(found)]


def test_the_inbox_needs_a_signed_in_staff_member(handler: Staff) -> None:
    anonymous = Client().get(INBOX)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")
    citizen = UserFactory(username="citizen", is_staff=False)
    assert as_user(citizen).get(INBOX).status_code == 403


def test_the_inbox_lists_my_messages_unread_first_newest_first(
    handler: Staff, county_supervisor: Staff
) -> None:
    old_read = deliver(handler.user, "旧的已读消息", minutes=0)
    new_read = deliver(handler.user, "新的已读消息", minutes=30)
    deliver(handler.user, "旧的未读消息", minutes=10)
    deliver(handler.user, "新的未读消息", minutes=20)
    Notification.objects.filter(pk__in=[old_read.pk, new_read.pk]).update(read_at=T0 + dt.timedelta(hours=1))
    deliver(county_supervisor.user, "别人的消息")

    response = as_user(handler.user).get(INBOX)

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    assert subjects_in(
        html, ["旧的已读消息", "新的已读消息", "旧的未读消息", "新的未读消息", "别人的消息"]
    ) == [
        "新的未读消息",
        "旧的未读消息",
        "新的已读消息",
        "旧的已读消息",
    ]
    assert "2 unread" in html
    assert "4 messages" in html


def test_the_inbox_is_paginated_with_a_constant_number_of_queries(handler: Staff) -> None:
    notify.send(
        [
            Message(recipient=handler.user, subject=f"消息{i:02d}", body="", channels=("inbox",))
            for i in range(25)
        ],
        at=T0,
    )
    client = as_user(handler.user)
    with CaptureQueriesContext(connection) as first:
        page_one = client.get(INBOX).content.decode()
    with CaptureQueriesContext(connection) as second:
        page_two = client.get(INBOX, {"page": 2}, headers={"HX-Request": "true", "HX-Target": "results"})

    assert page_one.count('class="panel inbox-item') == 20
    html = page_two.content.decode()
    assert html.count('class="panel inbox-item') == 5
    assert "<html" not in html  # the list only, for htmx
    assert 'id="inbox-unread"' in html and 'hx-swap-oob="true"' in html
    assert len(second.captured_queries) <= len(first.captured_queries)


def test_mark_read_marks_only_that_message(handler: Staff) -> None:
    first = deliver(handler.user, "第一条")
    second = deliver(handler.user, "第二条")

    response = as_user(handler.user).post(f"{INBOX}{first.pk}/read/", {"page": "1"})

    assert response.status_code == 302
    assert response["Location"] == f"{INBOX}?page=1"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None


def test_mark_read_with_htmx_swaps_the_row_and_the_count(handler: Staff) -> None:
    note = deliver(handler.user, "预警消息")
    deliver(handler.user, "另一条")

    response = as_user(handler.user).post(
        f"{INBOX}{note.pk}/read/", headers={"HX-Request": "true", "HX-Target": f"notification-{note.pk}"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="notification-{note.pk}"' in html
    assert "Mark read" not in html
    assert "inbox-item--unread" not in html
    assert 'id="inbox-unread"' in html and "1 unread" in html and 'hx-swap-oob="true"' in html


def test_anothers_message_is_not_found_and_stays_unread(handler: Staff, county_supervisor: Staff) -> None:
    theirs = deliver(county_supervisor.user, "别人的消息", link="/work/")
    client = as_user(handler.user)

    assert client.post(f"{INBOX}{theirs.pk}/read/").status_code == 404
    assert client.post(f"{INBOX}{theirs.pk}/open/").status_code == 404
    assert client.post(f"{INBOX}999999/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_needs_post(handler: Staff) -> None:
    note = deliver(handler.user, "预警消息")
    client = as_user(handler.user)
    assert client.get(f"{INBOX}{note.pk}/read/").status_code == 405
    assert client.get(f"{INBOX}read-all/").status_code == 405
    note.refresh_from_db()
    assert note.read_at is None


def test_open_marks_read_and_goes_to_the_link(handler: Staff) -> None:
    note = deliver(handler.user, "黄牌", link="/work/cases/HS-1/")
    response = as_user(handler.user).post(f"{INBOX}{note.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/work/cases/HS-1/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_open_never_leaves_the_site(handler: Staff) -> None:
    note = deliver(handler.user, "黄牌", link="/work/")
    Notification.objects.filter(pk=note.pk).update(link="//evil.example.com/")  # written around send()
    response = as_user(handler.user).post(f"{INBOX}{note.pk}/open/")
    assert response["Location"] == INBOX


def test_mark_all_read_marks_only_mine(handler: Staff, county_supervisor: Staff) -> None:
    deliver(handler.user, "一")
    deliver(handler.user, "二")
    theirs = deliver(county_supervisor.user, "别人的")
    client = as_user(handler.user)

    response = client.post(f"{INBOX}read-all/", follow=True)

    assert response.status_code == 200
    assert "All messages are marked read." in response.content.decode()
    assert not Notification.objects.filter(recipient=handler.user, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None

    deliver(handler.user, "三")
    htmx = client.post(f"{INBOX}read-all/", headers={"HX-Request": "true", "HX-Target": "results"})
    html = htmx.content.decode()
    assert 'id="results"' in html and "<html" not in html
    assert "inbox-item--unread" not in html
    assert 'id="inbox-unread" class="badge" hidden' in html


def test_the_inbox_reads_in_chinese(handler: Staff) -> None:
    deliver(handler.user, "预警：办件 HS-9 临近办理时限", link="/work/")
    html = as_user(handler.user, "zh-hans").get(INBOX).content.decode()
    assert "<title>消息" in html
    assert "1 条未读" in html
    assert "全部标为已读" in html
    assert "标为已读" in html
    assert "共 1 条消息" in html


def test_unread_count_tag(handler: Staff, county_supervisor: Staff) -> None:
    deliver(handler.user, "一")
    deliver(handler.user, "二")
    deliver(county_supervisor.user, "别人的")
    template = engines["django"].from_string("{% load notify_tags %}[{% unread_count %}]")
    request = RequestFactory().get("/")
    request.user = handler.user
    assert template.render({}, request) == "[2]"
    from django.contrib.auth.models import AnonymousUser

    anonymous = RequestFactory().get("/")
    anonymous.user = AnonymousUser()
    assert template.render({}, anonymous) == "[0]"
