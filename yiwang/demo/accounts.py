"""Demo citizen and enterprise accounts of the portal, made through the account services:
``zhangsan`` (张三, an individual verified at the window), ``congtai`` (邯郸市丛台食品有限公司,
an enterprise verified by its business licence, legal representative 王五) with 张三 as its
agent (经办人), and ``lisi`` (李四), registered but not yet verified. Password
``Yiwang-demo-2026`` for all three. An account that already exists is left as it is.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from yiwang.core.identifiers import build_resident_id, build_uscc
from yiwang.org.models import Role, RoleAssignment
from yiwang.portal import accounts
from yiwang.portal.errors import PortalError
from yiwang.portal.factories import DEMO_PASSWORD, citizen_account
from yiwang.portal.models import Account, Agent

logger = logging.getLogger("yiwang.demo")

ZHANGSAN_ID = build_resident_id("130402", dt.date(1990, 3, 7), 123)  # 邯山区
LISI_ID = build_resident_id("130402", dt.date(1992, 5, 17), 35)
WANGWU_ID = build_resident_id("130403", dt.date(1975, 8, 20), 57)  # 丛台区
CONGTAI_USCC = build_uscc("9", "1", "130403", "MA0A1B2C3")


def window_operator() -> AbstractBaseUser | None:
    """The demo's window operator (``window``), else any window operator."""
    users = get_user_model().objects.filter(
        staff__is_active=True,
        staff__pk__in=RoleAssignment.objects.filter(role=Role.WINDOW_OPERATOR).values("staff_id"),
    )
    return users.filter(username="window").first() or users.order_by("pk").first()


def seed_accounts(now: dt.datetime | None = None) -> int:
    """Create the demo accounts that are missing; returns how many rows it created
    (accounts and agents)."""
    now = now or timezone.now()
    existing = set(
        get_user_model()
        .objects.filter(username__in=("zhangsan", "congtai", "lisi"))
        .values_list("username", flat=True)
    )
    operator = window_operator()
    created = 0
    registered = now - dt.timedelta(days=30)
    verified = now - dt.timedelta(days=29)

    def make(username: str, register: Callable[[], Account], document: str, verify: bool) -> None:
        nonlocal created
        if username in existing:
            return
        account = register()
        created += 1
        if verify and operator is not None:
            accounts.verify_on_site(
                account=account, staff_user=operator, document_number=document, note="演示数据", at=verified
            )

    if operator is None:
        # No window staff to check documents: the factory records the accounts as verified.
        created += _without_window_staff(existing, registered)
    else:
        make(
            "zhangsan",
            lambda: accounts.register_individual(
                username="zhangsan",
                password=DEMO_PASSWORD,
                name="张三",
                id_number=ZHANGSAN_ID,
                mobile="13800138000",
                email="zhangsan@example.com",
                at=registered,
            ),
            ZHANGSAN_ID,
            True,
        )
        make(
            "congtai",
            lambda: accounts.register_enterprise(
                username="congtai",
                password=DEMO_PASSWORD,
                name="邯郸市丛台食品有限公司",
                uscc=CONGTAI_USCC,
                legal_rep_name="王五",
                legal_rep_id_number=WANGWU_ID,
                mobile="13700137000",
                at=registered,
            ),
            CONGTAI_USCC,
            True,
        )
        make(
            "lisi",
            lambda: accounts.register_individual(
                username="lisi",
                password=DEMO_PASSWORD,
                name="李四",
                id_number=LISI_ID,
                mobile="13900139000",
                at=now - dt.timedelta(days=2),
            ),
            LISI_ID,
            False,
        )
    created += _agent(now - dt.timedelta(days=20))
    return created


def _without_window_staff(existing: set[str], at: dt.datetime) -> int:
    created = 0
    specs = (
        {"username": "zhangsan", "name": "张三", "id_number": ZHANGSAN_ID, "mobile": "13800138000"},
        {
            "username": "congtai",
            "name": "邯郸市丛台食品有限公司",
            "id_number": CONGTAI_USCC,
            "mobile": "13700137000",
            "kind": "enterprise",
            "legal_rep_name": "王五",
            "legal_rep_id_number": WANGWU_ID,
        },
        {
            "username": "lisi",
            "name": "李四",
            "id_number": LISI_ID,
            "mobile": "13900139000",
            "verified": False,
        },
    )
    for spec in specs:
        if spec["username"] not in existing:
            citizen_account(at=at, **spec)  # type: ignore[arg-type]
            created += 1
    return created


def _agent(at: dt.datetime) -> int:
    """张三 acts for 丛台食品 (authorised by the enterprise's own account)."""
    person = Account.objects.filter(user__username="zhangsan").first()
    company = Account.objects.filter(user__username="congtai").select_related("user").first()
    if person is None or company is None:
        return 0
    if Agent.objects.filter(enterprise=company, person=person, revoked_at__isnull=True).exists():
        return 0
    try:
        accounts.authorise_agent(
            enterprise=company, person_id_number=person.id_number, by_user=company.user, at=at
        )
    except PortalError as exc:
        logger.warning("demo: 张三 not made an agent of 丛台食品: %s", exc.text)
        return 0
    return 1
