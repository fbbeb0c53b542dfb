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

``seed_case_ratings`` rates the generated demo cases (``yiwang.demo.cases``) across the
city, so every department's satisfaction shows on the performance pages: the applicants
of a deterministic share of the rateable cases (``SHARE``, drawn from the demo's
``SEED``) have a verified account (``demo-citizen-0042`` for the case keyed
``yiwang-demo-0042``, registered and verified at the window when they applied) and rate
their case a little after it ended, about 70% 满意, 20% 基本满意, 5% 一般 and 5% 不满意.
The department answers most poor ratings within their deadline; the latest one or two
past their deadline are left overdue.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from yiwang.cases import services as cases
from yiwang.cases.models import ApplicantKind, Case, CaseEvent, CaseState, Channel, Decision
from yiwang.cases.workflow import Template
from yiwang.catalog.models import ItemVersion, Target
from yiwang.core import calendar
from yiwang.core.identifiers import build_resident_id
from yiwang.demo import cases as demo_cases
from yiwang.demo.accounts import window_operator
from yiwang.demo.cases import recorded_live
from yiwang.org.models import Role, RoleAssignment
from yiwang.org.permissions import can_act
from yiwang.portal import ratings
from yiwang.portal.errors import PortalError
from yiwang.portal.factories import DEMO_PASSWORD, citizen_account
from yiwang.portal.models import Account, Rating, RatingFollowUp, RatingLevel

logger = logging.getLogger("yiwang.demo")

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


# --------------------------------------------------------------------------- the generated cases

SHARE = 0.5  # of the generated rateable cases, those whose applicant rates them online
CITIZEN_PREFIX = "demo-citizen-"
# The four levels of the seeds' scale and how often each is given, in percent.
LEVEL_WEIGHTS: tuple[tuple[str, int], ...] = (
    (RatingLevel.SATISFIED, 70),
    (RatingLevel.BASICALLY_SATISFIED, 20),
    (RatingLevel.AVERAGE, 5),
    (RatingLevel.DISSATISFIED, 5),
)
# On the national five-level scale, which has no 一般, an average rating is 基本满意.
FIVE_LEVEL = {RatingLevel.AVERAGE: RatingLevel.BASICALLY_SATISFIED}
COMMENTS: dict[str, tuple[str, ...]] = {
    RatingLevel.SATISFIED: (
        "一次就办成了，窗口服务很热情。",
        "比承诺时限提前办好了，点赞！",
        "材料清单清楚，办得很顺利。",
    ),
    RatingLevel.BASICALLY_SATISFIED: ("整体不错，就是排队时间有点长。", "办得还行，希望进度能及时短信告知。"),
    RatingLevel.AVERAGE: ("办理时间比预想的长，中间没人告知进度。", "材料要求网上和窗口说法不一致。"),
    RatingLevel.DISSATISFIED: (
        "来回跑了好几趟，每次都说缺材料，没有一次性告知。",
        "超过承诺时限才办好，打电话问也没人说清楚。",
        "窗口人员态度生硬，问问题不耐烦。",
    ),
}
ANSWER = "您好！针对您反映的问题，我局已逐项核实，给您带来的不便深表歉意，并已按要求整改。"
RECTIFICATION = (
    "已对相关窗口和承办人员进行约谈和业务培训，完善一次性告知清单，并将办理进度通过短信及时告知申请人。"
)
OVERDUE_LEFT = 2  # at most this many poor ratings left unanswered past their deadline


@dataclass(frozen=True)
class CaseRating:
    """How the applicant of a generated demo case rates it."""

    case: Case
    username: str
    level: str
    comment: str
    registered_at: dt.datetime
    rated_at: dt.datetime
    answer_days: int  # working days after the rating the department answers a poor one
    legal_rep_name: str
    legal_rep_id_number: str


def _scale_level(level: str) -> str:
    scale = ratings.scale_in_force()
    if scale.level(level) is None:
        level = FIVE_LEVEL.get(RatingLevel(level), level)
    return level if scale.level(level) is not None else scale.levels[0].value


def plan_rating(case: Case, now: dt.datetime, *, seed: int = demo_cases.SEED) -> CaseRating | None:
    """Whether and how the applicant of the generated demo case ``case`` rates it, from
    its own seeded ``random.Random``; None for a case left unrated or not rateable."""
    key = (case.idempotency_key or "").split(":", 1)[-1]
    ended = case.completed_at or case.closed_at
    if not demo_cases.is_generated_key(key) or not ratings.is_rateable(case) or ended is None:
        return None
    rng = random.Random(f"{seed}:rating:{key}")  # noqa: S311 -- demo data, not a secret
    if rng.random() >= SHARE:
        return None
    level = rng.choices([lv for lv, _w in LEVEL_WEIGHTS], weights=[w for _lv, w in LEVEL_WEIGHTS])[0]
    comment = rng.choice(COMMENTS[level]) if level != RatingLevel.SATISFIED or rng.random() < 0.3 else ""
    # Rated a little after the service ended (from twenty minutes to a day and a half), in the past.
    rated = ended + dt.timedelta(minutes=rng.randint(20, 36 * 60))
    rated = max(ended, min(rated, now - dt.timedelta(minutes=1)))
    born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 40 * 365))
    enterprise = case.applicant_kind == ApplicantKind.ENTERPRISE
    return CaseRating(
        case=case,
        username=CITIZEN_PREFIX + key.removeprefix(demo_cases.KEY_PREFIX),
        level=_scale_level(level),
        comment=comment,
        registered_at=min(case.submitted_at or ended, ended),
        rated_at=rated,
        answer_days=rng.randint(1, 3),
        legal_rep_name=rng.choice(demo_cases.SURNAMES) + rng.choice(demo_cases.GIVEN) if enterprise else "",
        legal_rep_id_number=build_resident_id(rng.choice(demo_cases.BIRTH_REGIONS), born, rng.randint(1, 999))
        if enterprise
        else "",
    )


def _verifiers(cases: Sequence[Case]) -> dict[int, Any]:
    """For each case, the window operator who received it (who verified the applicant's
    account on site); cases without one are left out."""
    events = (
        CaseEvent.objects.filter(case__in=cases, role=Role.WINDOW_OPERATOR, actor__isnull=False)
        .select_related("actor")
        .order_by("case_id", "seq")
    )
    found: dict[int, Any] = {}
    for event in events:
        found.setdefault(event.case_id, event.actor)
    return found


def _rater(
    plan: CaseRating, verifier: Any, existing: dict[str, Account], taken: set[str], password_hash: str
) -> Account | None:
    case = plan.case
    account = existing.get(case.applicant_id_number)
    if account is not None:
        return account if account.is_verified else None
    if plan.username in taken:
        return None  # someone else's username: leave the case unrated
    with recorded_live(plan.registered_at):
        account = citizen_account(
            username=plan.username,
            name=case.applicant_name,
            id_number=case.applicant_id_number,
            mobile=case.applicant_mobile,
            kind=case.applicant_kind,
            legal_rep_name=plan.legal_rep_name,
            legal_rep_id_number=plan.legal_rep_id_number,
            verified_by=verifier,
            at=plan.registered_at,
            password_hash=password_hash,
        )
    existing[account.id_number] = account
    taken.add(plan.username)
    return account


def _answer_moment(follow_up: RatingFollowUp, plan: CaseRating) -> dt.datetime:
    day = calendar.add_workdays(timezone.localdate(plan.rated_at), plan.answer_days)
    day = min(day, follow_up.due_date)
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(15, 30)))
    return max(moment, follow_up.opened_at + dt.timedelta(minutes=30))


def _follow_up(poor: list[tuple[RatingFollowUp, CaseRating]], now: dt.datetime) -> int:
    """The department answers each poor rating within its deadline, but for the latest
    one or two already past it (left overdue); a rating whose answer would fall after
    ``now`` is still open, not yet due. Returns how many were answered."""
    today = timezone.localdate(now)
    due = sorted((p for p in poor if p[0].due_date < today), key=lambda p: p[1].rated_at)
    left = {f.pk for f, _plan in due[-min(OVERDUE_LEFT, max(1, len(due) // 3)) :]} if due else set()
    answered = 0
    for follow_up, plan in poor:
        moment = _answer_moment(follow_up, plan)
        if follow_up.pk in left or moment >= now:
            continue
        answerer = _answerer(follow_up)
        if answerer is None:
            continue
        with recorded_live(moment):
            ratings.followup_answer(
                follow_up=follow_up, user=answerer, answer=ANSWER, rectification=RECTIFICATION, at=moment
            )
        answered += 1
    return answered


@transaction.atomic
def seed_case_ratings(now: dt.datetime | None = None, *, seed: int = demo_cases.SEED) -> int:
    """Rate the share of the generated demo cases whose applicants rate them (making their
    accounts first) that is not rated yet; returns how many ratings were created."""
    now = now or timezone.now()
    candidates = (
        demo_cases.generated_leads()
        .filter(parent__isnull=True, state__in=ratings.RATEABLE_STATES, rating__isnull=True)
        .order_by("pk")
    )
    plans = [plan for case in candidates if (plan := plan_rating(case, now, seed=seed)) is not None]
    if not plans:
        return 0
    existing = {
        a.id_number: a
        for a in Account.objects.filter(
            id_number__in=[p.case.applicant_id_number for p in plans]
        ).select_related("user")
    }
    taken = set(
        get_user_model()
        .objects.filter(username__in=[p.username for p in plans])
        .values_list("username", flat=True)
    )
    verifiers = _verifiers([p.case for p in plans])
    fallback = window_operator()
    # Every demo citizen has the public demo password; Argon2 takes a quarter of a second
    # a hash, on purpose, so it is hashed once (as for the demo staff, seed._DemoUsers).
    shared = make_password(DEMO_PASSWORD)
    poor: list[tuple[RatingFollowUp, CaseRating]] = []
    rated = 0
    for plan in plans:
        account = _rater(plan, verifiers.get(plan.case.pk, fallback), existing, taken, shared)
        if account is None:
            continue
        try:
            with recorded_live(plan.rated_at):
                rating = ratings.rate_case(
                    case=plan.case,
                    user=account.user,
                    level=plan.level,
                    comment=plan.comment,
                    at=plan.rated_at,
                )
        except PortalError as exc:
            logger.warning("demo: case %s not rated: %s", plan.case.number, exc.text)
            continue
        rated += 1
        follow_up = RatingFollowUp.objects.filter(rating=rating).first()
        if follow_up is not None:
            poor.append((follow_up, plan))
    _follow_up(poor, now)
    ratings.tell_overdue(now=now)
    return rated
