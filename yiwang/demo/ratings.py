"""Demo ratings (好差评), given through ``yiwang.portal.ratings`` by the demo accounts.

The demo's own cases were filed at windows for applicants without an account, who cannot
rate online. So the ratings are those of the demo accounts:

- every completed (or delivered, or refused) case that ``zhangsan`` or ``congtai`` applied
  for online and has not rated yet (e.g. 丛台食品's property registration of the payments
  demo) is rated satisfied;
- four cases 张三 applies for online at 邯山区市场监督管理局 (个体工商户登记, else the first
  individual item whose department has demo staff for every step), served and rated at
  moments counted back in working days from today: one satisfied, one basically
  satisfied with a comment, one poor whose follow-up the department answered in time
  (awaiting the supervisor's revisit), and one poor left unanswered past its due date, of
  which the department and the supervisors have been told.

Events are recorded with the clock held at their moment (``recorded_live``), as the
demo's cases are, so supervision does not flag them as backfilled. The scripted cases
carry idempotency keys of their own; running the seeder again creates nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from yiwang.cases import services as cases
from yiwang.cases.models import Case, CaseState, Channel, Decision
from yiwang.cases.workflow import Template
from yiwang.catalog.models import ItemVersion, Target
from yiwang.core import calendar
from yiwang.demo.cases import recorded_live
from yiwang.org.models import Role, RoleAssignment
from yiwang.org.permissions import can_act
from yiwang.portal import ratings
from yiwang.portal.errors import PortalError
from yiwang.portal.models import Account, Rating, RatingFollowUp

KEY_PREFIX = "yiwang-demo-rate-"
PREFERRED_ITEM = "个体工商户登记"
PREFERRED_REGION = "130402"  # 邯山区


@dataclass(frozen=True)
class Script:
    key: str
    filed_ago: int  # working days before today
    rated_ago: int
    level: str  # "best", "second" or "poor" on the scale in force
    comment: str = ""
    answered_ago: int | None = None  # the department's answer, for a poor rating


SCRIPTS = (
    Script("1", 14, 13, "best", "网上申请很方便，当天就办好了。"),
    Script("2", 13, 12, "second", "办得挺快，就是材料清单不太好找。"),
    Script(
        "3",
        12,
        11,
        "poor",
        "窗口让我补了两次材料，没有一次性告知。",
        answered_ago=9,
    ),
    Script("4", 9, 8, "poor", "等了很久也没人告诉我进度。"),
)


def _account(username: str) -> Account | None:
    user = get_user_model().objects.filter(username=username).select_related("account").first()
    return getattr(user, "account", None) if user is not None else None


def _moment(today: dt.date, workdays_ago: int, hour: int, minute: int = 0) -> dt.datetime:
    day = calendar.add_workdays(today, -workdays_ago) if workdays_ago else today
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _level(kind: str) -> str:
    scale = ratings.scale_in_force()
    if kind == "best":
        return scale.levels[0].value
    if kind == "second":
        return scale.levels[1].value
    return next(level.value for level in scale.levels if level.poor)


def _staff(case: Case, role: str, exclude: set[Any]) -> Any:
    """A demo staff member who may act in ``role`` on ``case`` (not one of ``exclude``)."""
    rows = (
        RoleAssignment.objects.filter(role=role, staff__is_active=True, staff__user__is_active=True)
        .filter(Q(department_id=case.department_id) | Q(department__isnull=True))
        .select_related("staff__user")
        .order_by("pk")
    )
    for row in rows:
        user = row.staff.user
        if user.pk not in exclude and can_act(user, case, Role(role)):
            return user
    return None


def _roles(version: ItemVersion) -> list[str]:
    template = Template.from_version(version)
    return [
        template.accept_role,
        *(step.role for step in template.middle),
        template.decide_role,
        template.complete_role,
    ]


def _staffed(version: ItemVersion) -> bool:
    probe = Case(department_id=version.item.department_id, region_id=version.item.region_id)
    return all(_staff(probe, role, set()) is not None for role in _roles(version))


def _version(today: dt.date, earliest: dt.date) -> ItemVersion | None:
    """The item 张三 applies for: in force over the whole story, for individuals, with demo
    staff for every step; 邯山区's 个体工商户登记 first."""
    candidates = (
        ItemVersion.objects.in_force(today)
        .filter(target__in=(Target.INDIVIDUAL, Target.BOTH), effective_from__lte=earliest)
        .select_related("item", "item__department", "item__region")
        .order_by("item__region__path", "pk")
    )
    ordered = sorted(
        candidates,
        key=lambda v: (v.name != PREFERRED_ITEM, v.item.region.code != PREFERRED_REGION),
    )
    return next((v for v in ordered if _staffed(v)), None)


def _serve(case: Case, start: dt.datetime) -> Case | None:
    """Accept the case, take it through its steps, approve and complete it, each a few
    minutes after the last; None if the demo lacks someone for a step."""
    template = Template.from_version(case.item_version)
    moment = start
    acceptor = _staff(case, template.accept_role, set())
    if acceptor is None:
        return None
    moment += dt.timedelta(minutes=20)
    with recorded_live(moment):
        cases.case_accept(case=case, user=acceptor, at=moment)
    deciders: set[Any] = {acceptor.pk}
    while True:
        case.refresh_from_db()
        if case.state == CaseState.DECIDED:
            break
        if case.state != CaseState.IN_PROGRESS:
            return None
        # The decision is taken at the last middle step (or, without steps, by the decider).
        last = case.step_index is None or case.step_index == len(template.middle) - 1
        role = template.middle[case.step_index].role if case.step_index is not None else template.decide_role
        user = _staff(case, role, deciders if last else set())
        if user is None:
            return None
        moment += dt.timedelta(minutes=25)
        with recorded_live(moment):
            if last:
                cases.case_decide(case=case, user=user, decision=Decision.APPROVED, at=moment)
            else:
                cases.case_pass_step(case=case, user=user, opinion="材料齐全，符合规定。", at=moment)
        deciders.add(user.pk)
    completer = _staff(case, template.complete_role, set())
    if completer is None:
        return None
    moment += dt.timedelta(minutes=30)
    with recorded_live(moment):
        cases.case_complete(case=case, user=completer, at=moment)
    case.refresh_from_db()
    return case


def _answerer(follow_up: RatingFollowUp) -> Any:
    rows = (
        RoleAssignment.objects.filter(
            role__in=ratings.DEPARTMENT_ROLES, staff__is_active=True, department_id=follow_up.department_id
        )
        .select_related("staff__user")
        .order_by("pk")
    )
    return next((row.staff.user for row in rows if ratings.may_answer(row.staff.user, follow_up)), None)


def _rate_existing(now: dt.datetime) -> int:
    """Rate, satisfied, what the demo accounts applied for and had served."""
    made = 0
    users = get_user_model().objects.filter(username__in=("zhangsan", "congtai"))
    served = (
        Case.objects.filter(applicant_user__in=users, state__in=ratings.RATEABLE_STATES, rating__isnull=True)
        .exclude(idempotency_key__contains=KEY_PREFIX)
        .select_related("applicant_user")
        .order_by("pk")
    )
    level = _level("best")
    for case in served:
        ended = case.completed_at or case.closed_at or now
        moment = min(max(ended + dt.timedelta(hours=2), ended), now)
        try:
            with recorded_live(moment):
                ratings.rate_case(case=case, user=case.applicant_user, level=level, at=moment)
        except PortalError:
            continue
        made += 1
    return made


def seed_ratings(now: dt.datetime | None = None) -> int:
    """Create the demo ratings that are missing; returns how many ratings were created."""
    zhangsan = _account("zhangsan")
    if zhangsan is None:
        return 0
    now = now or timezone.now()
    today = timezone.localdate(now)
    made = _rate_existing(now)
    earliest = calendar.add_workdays(today, -max(s.filed_ago for s in SCRIPTS))
    version = _version(today, earliest)
    if version is None:
        return made
    for script in SCRIPTS:
        filed = _moment(today, script.filed_ago, 9, 30)
        with recorded_live(filed):
            case = cases.case_file(
                version=version,
                channel=Channel.ONLINE,
                applicant_kind=zhangsan.kind,
                applicant_name=zhangsan.name,
                applicant_id_number=zhangsan.id_number,
                applicant_mobile=zhangsan.mobile,
                form_data={"联系地址": "邯郸市邯山区滏东南大街1号"},
                user=zhangsan.user,
                applicant_user=zhangsan.user,
                idempotency_key=KEY_PREFIX + script.key,
                at=filed,
            )
        if Rating.objects.filter(case=case).exists():
            continue
        if case.state == CaseState.SUBMITTED and case.events.count() == 1:
            served = _serve(case, filed)
            if served is None:
                continue
            case = served
        if case.state not in ratings.RATEABLE_STATES:
            continue
        rated = _moment(today, script.rated_ago, 10, 15)
        with recorded_live(rated):
            rating = ratings.rate_case(
                case=case, user=zhangsan.user, level=_level(script.level), comment=script.comment, at=rated
            )
        made += 1
        follow_up = RatingFollowUp.objects.filter(rating=rating).first()
        if follow_up is not None and script.answered_ago is not None:
            answerer = _answerer(follow_up)
            answered = _moment(today, script.answered_ago, 16, 0)
            if answerer is not None:
                with recorded_live(answered):
                    ratings.followup_answer(
                        follow_up=follow_up,
                        user=answerer,
                        answer="您好！经核实，受理窗口未能一次性告知所需材料，给您带来不便，我们深表歉意。",
                        rectification="已对窗口人员进行业务培训，并在窗口和网上公布完整的材料清单。",
                        at=answered,
                    )
    ratings.tell_overdue(now=now)
    return made
