"""Citizens and enterprises are reached by SMS on their portal account's mobile; staff on
their work mobile, as before. Finding the numbers costs one query per batch of users."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiwang.core import notify
from yiwang.core.identifiers import build_resident_id
from yiwang.core.models import Notification, OutboundMessage
from yiwang.core.notify import Message
from yiwang.org.factories import StaffFactory, UserFactory
from yiwang.org.models import Department
from yiwang.portal.factories import citizen_account
from yiwang.portal.models import Account

pytestmark = pytest.mark.django_db


def resident(n: int) -> str:
    return build_resident_id("130402", dt.date(1980, 1, 1) + dt.timedelta(days=n), 11)


def sms_to(user: Any) -> list[str]:
    return list(
        OutboundMessage.objects.filter(recipient=user, channel="sms").values_list("address", flat=True)
    )


def test_a_citizen_gets_the_sms_on_the_mobile_of_their_account(citizen: Any, enterprise: Any) -> None:
    notify.send(
        [
            Message(recipient=citizen.user, subject="您申请的“食品经营许可”已受理", body=""),
            Message(recipient=enterprise.user, subject="您申请的“印章刻制备案”已办结", body=""),
        ]
    )

    assert sms_to(citizen.user) == ["13800138000"]
    assert sms_to(enterprise.user) == ["13700137000"]
    assert OutboundMessage.objects.get(recipient=citizen.user).body == "您申请的“食品经营许可”已受理"
    assert Notification.objects.filter(recipient=citizen.user).count() == 1


def test_staff_keep_their_work_mobile_and_an_inactive_staff_row_gets_none(
    market_dept: Department,
) -> None:
    working = StaffFactory(
        user=UserFactory(username="w"), name="w", department=market_dept, mobile="13911112222"
    )
    # A staff member who also registered on the portal: the work mobile wins.
    Account.objects.create(
        user=working.user, kind="individual", name="王工作", id_number=resident(1), mobile="13822223333"
    )
    moved = StaffFactory(
        user=UserFactory(username="m"),
        name="m",
        department=market_dept,
        mobile="13933334444",
        is_active=False,
    )
    Account.objects.create(
        user=moved.user, kind="individual", name="莫调走", id_number=resident(2), mobile="13844445555"
    )

    notify.send([Message(recipient=u, subject="黄牌", body="") for u in (working.user, moved.user)])

    assert sms_to(working.user) == ["13911112222"]
    assert sms_to(moved.user) == []  # left the department: no SMS, as before


def test_a_citizen_without_a_valid_mobile_gets_inbox_and_email_only(db: None) -> None:
    account = citizen_account(
        username="typo", name="错号码", id_number=resident(3), mobile="1381234", email="typo@example.com"
    )
    no_account = UserFactory(username="plain", email="")

    notify.send([Message(recipient=u, subject="通知", body="正文") for u in (account.user, no_account)])

    assert sms_to(account.user) == []
    assert list(OutboundMessage.objects.filter(recipient=account.user).values_list("channel", flat=True)) == [
        "email"
    ]
    assert Notification.objects.filter(recipient=no_account).count() == 1
    assert not OutboundMessage.objects.filter(recipient=no_account).exists()


def test_finding_mobiles_is_one_query_per_batch_of_users(market_dept: Department) -> None:
    citizens = [
        citizen_account(
            username=f"c{i}",
            name=f"市民{i}",
            id_number=resident(10 + i),
            mobile=f"138{i:08d}",
        ).user
        for i in range(30)
    ]
    staff = [
        StaffFactory(
            user=UserFactory(username=f"s{i}"), name=f"s{i}", department=market_dept, mobile=f"139{i:08d}"
        ).user
        for i in range(30)
    ]

    def lookups(users: list[Any]) -> int:
        with CaptureQueriesContext(connection) as ctx:
            found = notify._mobiles_of({u.pk for u in users})
        assert len(found) == len(users)
        return len(ctx.captured_queries)

    assert lookups(citizens[:1]) == 1
    assert lookups(citizens + staff) == 1
    found = notify._mobiles_of({citizens[3].pk, staff[4].pk})
    assert found == {citizens[3].pk: "13800000003", staff[4].pk: "13900000004"}
