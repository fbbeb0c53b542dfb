"""Demo fee orders: online applications of the demo's charged items that have demo staff
(普通护照签发, 不动产转移登记) by the demo accounts ``zhangsan`` and ``congtai``, approved by
the departments' demo staff, then charged through ``yiwang.payments.services``: 张三's
passport fee paid (the case waits for completion), his property registration fee waiting
for payment, and 丛台食品's registration fee paid and the case completed with it. Payments
go through the sandbox gateway exactly as a payer's would (the cashier's "pay" books the
trade and its signed notification goes through the callback view).

The demo's own cases were filed at windows for applicants without an online account, who
could not pay online; these cases are filed online for that reason. Each is filed under
an idempotency key of its own, so running the seeder again creates nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from yiwang.cases import services as cases
from yiwang.cases.models import Case, CaseState, Channel, Decision
from yiwang.cases.workflow import Template
from yiwang.catalog.models import ItemVersion
from yiwang.core import calendar
from yiwang.demo.cases import recorded_live
from yiwang.org.models import Role, RoleAssignment
from yiwang.org.permissions import can_act
from yiwang.payments import services
from yiwang.payments.gateways import SandboxGateway, configured_gateway

KEY_PREFIX = "yiwang-demo-pay-"


@dataclass(frozen=True)
class Script:
    key: str
    username: str
    item_name: str
    fee_name: str = ""  # the one fee charged ("" = every fee of the item)
    pay: bool = False
    complete: bool = False


ESTATE = "国有建设用地使用权及房屋所有权转移登记"
SCRIPTS = (
    Script("1", "zhangsan", "普通护照签发", pay=True),
    Script("2", "zhangsan", ESTATE, "不动产登记费（住宅类）"),
    Script("3", "congtai", ESTATE, "不动产登记费（非住宅类）", pay=True, complete=True),
)


def _account(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).select_related("account").first()
    return getattr(user, "account", None) if user is not None else None


def _version(name: str, today: dt.date) -> ItemVersion | None:
    return (
        ItemVersion.objects.in_force(today)
        .filter(name=name, fees__standard_amount__gt=0)
        .select_related("item", "item__department", "item__region")
        .prefetch_related("steps", "fees")
        .order_by("item__region__path")
        .first()
    )


def _staff(case: Case, role: str, exclude: set[Any]) -> Any:
    assignments = RoleAssignment.objects.filter(role=role, staff__is_active=True).filter(
        Q(department_id=case.department_id) | Q(department__isnull=True)
    )
    for assignment in assignments.select_related("staff__user").order_by("pk"):
        user = assignment.staff.user
        if user.pk not in exclude and can_act(user, case, Role(role)):
            return user
    return None


def _decide(case: Case, start: dt.datetime) -> bool:
    """Accept and take the case through its steps to an approval; False if the demo lacks
    someone for a step."""
    template = Template.from_version(case.item_version)
    moment = start
    acceptor = _staff(case, template.accept_role, set())
    if acceptor is None:
        return False
    moment += dt.timedelta(minutes=20)
    with recorded_live(moment):
        cases.case_accept(case=case, user=acceptor, at=moment)
    while True:
        case.refresh_from_db()
        if case.state != CaseState.IN_PROGRESS:
            return case.state == CaseState.DECIDED
        last = case.step_index is None or case.step_index == len(template.middle) - 1
        role = template.middle[case.step_index].role if case.step_index is not None else template.decide_role
        user = _staff(case, role, {acceptor.pk} if last else set())
        if user is None:
            return False
        moment += dt.timedelta(minutes=25)
        with recorded_live(moment):
            if last:
                cases.case_decide(case=case, user=user, decision=Decision.APPROVED, at=moment)
            else:
                cases.case_pass_step(case=case, user=user, opinion="材料齐全，符合规定。", at=moment)


def _pay_in_sandbox(order: Any, payer: Any, moment: dt.datetime) -> bool:
    gateway = configured_gateway()
    if not isinstance(gateway, SandboxGateway):
        return False
    with recorded_live(moment):
        cashier = services.payment_start(order=order, user=payer, at=moment)
        fields = gateway.check_request(dict(parse_qsl(urlsplit(cashier).query)), moment)
        if fields is None:
            return False
        gateway.pay(fields, moment)  # the payer presses "pay": the notification goes to the callback
    order.refresh_from_db()
    return bool(order.is_paid)


def _morning_before(now: dt.datetime) -> dt.datetime:
    """9 o'clock on the last working day before today: the day these cases were handled,
    like every demo event (in the past, in office hours)."""
    day = calendar.add_workdays(timezone.localdate(now), -1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


def _run(script: Script, now: dt.datetime) -> bool:
    account = _account(script.username)
    version = _version(script.item_name, timezone.localdate(now))
    if account is None or version is None:
        return False
    start = _morning_before(now)
    with recorded_live(start):
        case = cases.case_file(
            version=version,
            channel=Channel.ONLINE,
            applicant_kind=account.kind,
            applicant_name=account.name,
            applicant_id_number=account.id_number,
            applicant_mobile=account.mobile,
            user=account.user,
            applicant_user=account.user,
            idempotency_key=KEY_PREFIX + script.key,
            at=start,
        )
    if case.events.count() > 1 or not _decide(case, start):
        return False
    fees = [fee for fee in version.fees.all() if not script.fee_name or fee.name == script.fee_name]
    issuer = _staff(case, Template.from_version(version).decide_role, set())
    issued = start + dt.timedelta(hours=2)
    with recorded_live(issued):
        order = services.order_issue(
            case=case, user=issuer, lines=[services.LineInput(fee=fee.pk) for fee in fees], at=issued
        )
    paid = start + dt.timedelta(hours=5)  # paid online in the afternoon
    if script.pay and _pay_in_sandbox(order, account.user, paid) and script.complete:
        completer = _staff(case, Template.from_version(version).complete_role, set())
        completed = paid + dt.timedelta(hours=1)
        with recorded_live(completed):
            cases.case_complete(
                case=case,
                user=completer,
                result_number=f"冀{timezone.localdate(completed):%Y}不动产权第0000{script.key}号",
                at=completed,
            )
    return True


def seed_payments(now: dt.datetime | None = None) -> int:
    """Create the demo fee orders unless they exist; returns how many orders were created.
    Does nothing when the demo accounts are absent."""
    now = now or timezone.now()
    return sum(1 for script in SCRIPTS if _run(script, now))
