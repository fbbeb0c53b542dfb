"""Rating a case (好差评) and the follow-up of a poor rating, through the services.

邯山区市场监督管理局's 个体工商户登记 (accept, review, decide, complete) is applied for
online by 张三 (``zhangsan``); his cases are completed by 吴批准 and rated by him. The
2025 National Day holiday (1–8 October, Saturday 11 October a make-up working day) lies
inside a follow-up's five working days.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, connections
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yiwang.cases import services as cases
from yiwang.cases.models import Case, Channel
from yiwang.catalog.factories import published_item
from yiwang.catalog.models import ItemVersion, Target
from yiwang.conftest import ENTERPRISE_USCC
from yiwang.core.identifiers import build_resident_id
from yiwang.core.models import Notification
from yiwang.org.factories import DepartmentFactory, StaffFactory, UserFactory, grant
from yiwang.org.models import Department, Region, Role, Staff
from yiwang.portal import rating_tasks, ratings
from yiwang.portal.errors import PortalError
from yiwang.portal.factories import citizen_account
from yiwang.portal.models import Account, Agent
from yiwang.portal.models.ratings import FollowUpStatus, Rating, RatingFollowUp, RevisitResult
from yiwang.supervision.models import DailyFact

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date
E = ratings.RatingErrorCode
# The shared ``citizen`` fixture's ID number (yiwang/conftest.py CITIZEN_ID) fails its
# check digit, so no case can be filed under it; 张三 here holds the valid one.
CITIZEN_ID = "13040219900307123X"


def at(day: str, time: str = "09:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def citizen(db: None) -> Account:
    """张三, a verified individual account (username ``zhangsan``)."""
    return citizen_account(username="zhangsan", name="张三", id_number=CITIZEN_ID, mobile="13800138000")


@pytest.fixture
def rated_item(market_dept: Department, county: Region) -> ItemVersion:
    """个体工商户登记 at the county market regulator, in force since 2024."""
    return published_item(
        code="HS-SCJG-RATE",
        name="个体工商户登记",
        department=market_dept,
        region=county,
        statutory_limit=20,
        promised_limit=10,
        fields={"target": Target.INDIVIDUAL},
        effective_from=D(2024, 1, 1),
    )


def _staff(username: str, name: str, dept: Department, role: Role, **scope: Any) -> AbstractBaseUser:
    staff = StaffFactory(user=UserFactory(username=username), name=name, department=dept)
    grant(staff, role, **scope)
    return staff.user


@pytest.fixture
def crew(market_dept: Department, county: Region) -> dict[str, AbstractBaseUser]:
    """Who handles the item's cases: the window (region-scoped), the reviewer and the
    approver (department-scoped)."""
    return {
        "window": _staff("rate_window", "孙窗口", market_dept, Role.WINDOW_OPERATOR, region=county),
        "reviewer": _staff("rate_reviewer", "周审核", market_dept, Role.REVIEWER, department=market_dept),
        "approver": _staff("rate_approver", "吴批准", market_dept, Role.APPROVER, department=market_dept),
    }


def file_online(version: ItemVersion, account: Account, moment: dt.datetime) -> Case:
    return cases.case_file(
        version=version,
        channel=Channel.ONLINE,
        applicant_kind=account.kind,
        applicant_name=account.name,
        applicant_id_number=account.id_number,
        user=account.user,
        applicant_user=account.user,
        at=moment,
    )


def complete(case: Case, crew: dict[str, AbstractBaseUser], day: str) -> Case:
    cases.case_accept(case=case, user=crew["window"], at=at(day, "09:10"))
    cases.case_pass_step(case=case, user=crew["reviewer"], opinion="材料齐全", at=at(day, "10:00"))
    cases.case_decide(case=case, user=crew["approver"], decision="approved", at=at(day, "11:00"))
    cases.case_complete(case=case, user=crew["approver"], at=at(day, "14:00"))
    case.refresh_from_db()
    return case


def completed_case(
    version: ItemVersion, account: Account, crew: dict[str, AbstractBaseUser], day: str = "2025-11-03"
) -> Case:
    return complete(file_online(version, account, at(day, "08:30")), crew, day)


def refused_case(version: ItemVersion, account: Account, crew: dict[str, AbstractBaseUser], day: str) -> Case:
    case = file_online(version, account, at(day, "08:30"))
    cases.case_refuse(
        case=case,
        user=crew["window"],
        reason="不属于本机关职权范围",
        legal_basis="《中华人民共和国行政许可法》第三十二条",
        at=at(day, "09:30"),
    )
    case.refresh_from_db()
    return case


def snapshot() -> tuple[Any, ...]:
    """Everything a refused action must leave as it was."""
    facts = DailyFact.objects.aggregate(r=Sum("ratings"), s=Sum("ratings_satisfied"), p=Sum("ratings_poor"))
    return (
        list(Rating.objects.order_by("pk").values()),
        list(RatingFollowUp.objects.order_by("pk").values()),
        Notification.objects.filter(kind__startswith="rating.").count(),
        facts,
    )


def refused(call: Callable[[], Any], code: str, field: str | None = None) -> PortalError:
    before = snapshot()
    with pytest.raises(PortalError) as caught:
        call()
    assert caught.value.error_code == code
    assert caught.value.field == field
    assert snapshot() == before
    return caught.value


def told(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


@pytest.fixture
def other_county_supervisor(other_county: Region) -> Staff:
    room = DepartmentFactory(name="丛台区电子监察室", region=other_county, is_supervision_room=True)
    staff = StaffFactory(user=UserFactory(username="supervisor_ct"), name="钱监察", department=room)
    grant(staff, Role.SUPERVISOR, region=other_county)
    return staff


@pytest.fixture
def neighbour_handler(other_market_dept: Department) -> Staff:
    staff = StaffFactory(user=UserFactory(username="handler_ct"), name="郑承办", department=other_market_dept)
    grant(staff, Role.HANDLER, department=other_market_dept)
    return staff


@pytest.fixture
def hotline_agent(city: Region) -> Staff:
    centre = DepartmentFactory(name="邯郸市12345热线中心", region=city)
    staff = StaffFactory(user=UserFactory(username="hotline_city"), name="冯话务", department=centre)
    grant(staff, Role.HOTLINE_AGENT, region=city)
    return staff


@pytest.fixture
def poor(
    rated_item: ItemVersion,
    citizen: Account,
    crew: dict[str, AbstractBaseUser],
    handler: Staff,
    county_supervisor: Staff,
) -> RatingFollowUp:
    """张三 rated case A 不满意 on Monday 29 September 2025, just before National Day."""
    case = completed_case(rated_item, citizen, crew, "2025-09-29")
    rating = ratings.rate_case(
        case=case, user=citizen.user, level="dissatisfied", comment="跑了两趟", at=at("2025-09-29", "15:00")
    )
    return rating.follow_up


# --------------------------------------------------------------------------- the scales


def test_the_two_scales_and_what_counts_as_satisfied_or_poor() -> None:
    four, five = ratings.SCALES[4], ratings.SCALES[5]
    assert four.values == ("satisfied", "basically_satisfied", "average", "dissatisfied")
    assert [lv.value for lv in four.levels if lv.satisfied] == ["satisfied", "basically_satisfied"]
    assert [lv.value for lv in four.levels if lv.poor] == ["dissatisfied"]
    assert five.values == (
        "very_satisfied",
        "satisfied",
        "basically_satisfied",
        "dissatisfied",
        "very_dissatisfied",
    )
    assert [lv.value for lv in five.levels if lv.satisfied] == [
        "very_satisfied",
        "satisfied",
        "basically_satisfied",
    ]
    assert [lv.value for lv in five.levels if lv.poor] == ["dissatisfied", "very_dissatisfied"]


def test_four_levels_by_default(
    settings: Any, rated_item: ItemVersion, citizen: Account, crew: dict[str, AbstractBaseUser]
) -> None:
    settings.PORTAL_RATING_SCALE = 4
    assert ratings.scale_in_force().size == 4
    first = completed_case(rated_item, citizen, crew)
    second = completed_case(rated_item, citizen, crew)
    basically = ratings.rate_case(
        case=first, user=citizen.user, level="basically_satisfied", comment=" 还行 "
    )
    average = ratings.rate_case(case=second, user=citizen.user, level="average")
    assert (basically.scale, basically.is_satisfied, basically.is_poor, basically.comment) == (
        4,
        True,
        False,
        "还行",
    )
    assert (average.scale, average.is_satisfied, average.is_poor) == (4, False, False)
    assert basically.account == citizen and basically.department_id == first.department_id
    assert basically.region_id == first.region_id
    assert not RatingFollowUp.objects.exists()
    third = completed_case(rated_item, citizen, crew)
    refused(
        lambda: ratings.rate_case(case=third, user=citizen.user, level="very_satisfied"), E.BAD_LEVEL, "level"
    )


def test_the_national_five_levels(
    settings: Any, rated_item: ItemVersion, citizen: Account, crew: dict[str, AbstractBaseUser]
) -> None:
    settings.PORTAL_RATING_SCALE = 5
    a, b, c = (completed_case(rated_item, citizen, crew) for _ in range(3))
    refused(lambda: ratings.rate_case(case=a, user=citizen.user, level="average"), E.BAD_LEVEL, "level")
    very = ratings.rate_case(case=a, user=citizen.user, level="very_satisfied")
    basically = ratings.rate_case(case=b, user=citizen.user, level="basically_satisfied")
    worst = ratings.rate_case(case=c, user=citizen.user, level="very_dissatisfied")
    assert (very.scale, very.is_satisfied, very.is_poor) == (5, True, False)
    assert (basically.is_satisfied, basically.is_poor) == (True, False)
    assert (worst.is_satisfied, worst.is_poor) == (False, True)
    assert RatingFollowUp.objects.get().rating == worst
    # A later change of the setting changes no rating given.
    settings.PORTAL_RATING_SCALE = 4
    worst.refresh_from_db()
    assert (worst.scale, worst.is_poor) == (5, True)


# --------------------------------------------------------------------------- a poor rating


def test_a_poor_rating_opens_a_follow_up_due_five_working_days_later_across_national_day(
    settings: Any,
    poor: RatingFollowUp,
    crew: dict[str, AbstractBaseUser],
    city_leader: Staff,
    other_county_supervisor: Staff,
    neighbour_handler: Staff,
) -> None:
    settings.PORTAL_RATING_FOLLOWUP_WORKDAYS = 5
    assert poor.status == FollowUpStatus.OPEN
    assert poor.opened_at == at("2025-09-29", "15:00")
    # 30 Sep, 9 Oct, 10 Oct, Saturday 11 Oct (make-up working day), Monday 13 Oct.
    assert poor.due_date == D(2025, 10, 13)
    assert poor.department.name == "邯山区市场监督管理局"
    assert poor.rating.is_poor and poor.rating.comment == "跑了两趟"
    # The department's handler and the county's supervisor; not the window operator
    # (region-scoped), the reviewer or approver (they decide cases, the handlers and
    # administrators answer for the department), the city leader, or the neighbouring
    # county's people.
    assert told("rating.poor") == {"handler_hs", "supervisor_hs"}
    message = Notification.objects.filter(kind="rating.poor").first()
    assert message is not None
    assert message.link == f"/work/ratings/{poor.pk}/"
    assert poor.rating.case.number in message.subject and "2025-10-13" in message.subject


def test_the_follow_up_time_limit_is_a_setting(
    settings: Any, rated_item: ItemVersion, citizen: Account, crew: dict[str, AbstractBaseUser]
) -> None:
    settings.PORTAL_RATING_FOLLOWUP_WORKDAYS = 10
    case = completed_case(rated_item, citizen, crew, "2025-11-03")
    rating = ratings.rate_case(
        case=case, user=citizen.user, level="dissatisfied", at=at("2025-11-03", "16:00")
    )
    assert rating.follow_up.due_date == D(2025, 11, 17)


def test_a_refused_case_can_be_rated_a_withdrawn_one_cannot(
    rated_item: ItemVersion, citizen: Account, crew: dict[str, AbstractBaseUser]
) -> None:
    turned_away = refused_case(rated_item, citizen, crew, "2025-11-04")
    rating = ratings.rate_case(
        case=turned_away, user=citizen.user, level="satisfied", at=at("2025-11-04", "10:00")
    )
    assert rating.is_satisfied
    withdrawn = file_online(rated_item, citizen, at("2025-11-04", "08:40"))
    cases.case_withdraw(case=withdrawn, user=citizen.user, reason="不办了", at=at("2025-11-04", "09:00"))
    withdrawn.refresh_from_db()
    refused(lambda: ratings.rate_case(case=withdrawn, user=citizen.user, level="satisfied"), E.NOT_RATEABLE)


# --------------------------------------------------------------------------- refusals change nothing


def test_only_the_applicant_rates(
    rated_item: ItemVersion,
    citizen: Account,
    unverified_citizen: Account,
    crew: dict[str, AbstractBaseUser],
    handler: Staff,
) -> None:
    case = completed_case(rated_item, citizen, crew)
    stranger = citizen_account(
        username="wangwu",
        name="王五",
        id_number=build_resident_id("130402", D(1985, 3, 2), 17),
        mobile="13600136000",
    )
    for user in (stranger.user, unverified_citizen.user, handler.user, crew["approver"], None):
        refused(lambda u=user: ratings.rate_case(case=case, user=u, level="satisfied"), E.NOT_YOURS)
    assert ratings.case_for_rating(case.number, stranger.user) is None
    assert ratings.case_for_rating(case.number, citizen.user) == case


def test_not_before_the_service_ends(
    rated_item: ItemVersion, citizen: Account, crew: dict[str, AbstractBaseUser]
) -> None:
    case = file_online(rated_item, citizen, at("2025-11-03", "08:30"))
    refused(lambda: ratings.rate_case(case=case, user=citizen.user, level="satisfied"), E.NOT_RATEABLE)
    cases.case_accept(case=case, user=crew["window"], at=at("2025-11-03", "09:00"))
    case.refresh_from_db()
    refused(lambda: ratings.rate_case(case=case, user=citizen.user, level="satisfied"), E.NOT_RATEABLE)
    complete_case = completed_case(rated_item, citizen, crew, "2025-11-05")
    refused(
        lambda: ratings.rate_case(
            case=complete_case, user=citizen.user, level="satisfied", at=at("2025-11-05", "13:00")
        ),
        E.BAD_INPUT,
        "at",
    )


def test_once_per_case(rated_item: ItemVersion, citizen: Account, crew: dict[str, AbstractBaseUser]) -> None:
    case = completed_case(rated_item, citizen, crew)
    ratings.rate_case(case=case, user=citizen.user, level="dissatisfied")
    refused(lambda: ratings.rate_case(case=case, user=citizen.user, level="satisfied"), E.ALREADY_RATED)
    assert Rating.objects.get().level == "dissatisfied"


def test_bad_levels_and_a_long_comment(
    rated_item: ItemVersion, citizen: Account, crew: dict[str, AbstractBaseUser]
) -> None:
    case = completed_case(rated_item, citizen, crew)
    for level in ("", "excellent", "SATISFIED", " satisfied"):
        refused(
            lambda lv=level: ratings.rate_case(case=case, user=citizen.user, level=lv), E.BAD_LEVEL, "level"
        )
    too_long = "慢" * (ratings.COMMENT_MAX + 1)
    error = refused(
        lambda: ratings.rate_case(case=case, user=citizen.user, level="satisfied", comment=too_long),
        E.COMMENT_TOO_LONG,
        "comment",
    )
    assert "501" in error.text
    longest = ratings.rate_case(
        case=case, user=citizen.user, level="satisfied", comment="好" * ratings.COMMENT_MAX
    )
    assert len(longest.comment) == ratings.COMMENT_MAX


def test_acting_for_the_applicant(
    rated_item: ItemVersion,
    citizen: Account,
    enterprise: Account,
    unverified_citizen: Account,
    crew: dict[str, AbstractBaseUser],
) -> None:
    """A case filed at the window (no applicant account) is rated by the verified account
    holding the applicant's ID; an enterprise's case by its active agent too."""
    at_window = cases.case_file(
        version=rated_item,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name="张三",
        applicant_id_number=CITIZEN_ID,
        user=crew["window"],
        at=at("2025-11-03", "08:30"),
    )
    complete(at_window, crew, "2025-11-03")
    company_case = cases.case_file(
        version=rated_item,
        channel=Channel.WINDOW,
        applicant_kind="enterprise",
        applicant_name=enterprise.name,
        applicant_id_number=ENTERPRISE_USCC,
        user=crew["window"],
        at=at("2025-11-03", "08:40"),
    )
    complete(company_case, crew, "2025-11-03")
    refused(lambda: ratings.rate_case(case=company_case, user=citizen.user, level="satisfied"), E.NOT_YOURS)
    agency = Agent.objects.create(
        enterprise=enterprise, person=citizen, authorised_by=enterprise.user, authorised_at=at("2025-01-02")
    )
    mine = ratings.rate_case(case=at_window, user=citizen.user, level="satisfied")
    assert mine.account == citizen
    for_company = ratings.rate_case(case=company_case, user=citizen.user, level="basically_satisfied")
    assert for_company.account == citizen  # the person who rated, for the revisit
    # A revoked agent no longer acts for the enterprise.
    agency.revoked_at = at("2025-11-04")
    agency.save()
    other = cases.case_file(
        version=rated_item,
        channel=Channel.WINDOW,
        applicant_kind="enterprise",
        applicant_name=enterprise.name,
        applicant_id_number=ENTERPRISE_USCC,
        user=crew["window"],
        at=at("2025-11-05", "08:40"),
    )
    complete(other, crew, "2025-11-05")
    refused(lambda: ratings.rate_case(case=other, user=citizen.user, level="satisfied"), E.NOT_YOURS)
    ratings.rate_case(case=other, user=enterprise.user, level="satisfied")
    # An unverified account holding the ID proves nothing.
    someone = cases.case_file(
        version=rated_item,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name="李四",
        applicant_id_number=unverified_citizen.id_number,
        user=crew["window"],
        at=at("2025-11-05", "08:50"),
    )
    complete(someone, crew, "2025-11-05")
    refused(
        lambda: ratings.rate_case(case=someone, user=unverified_citizen.user, level="satisfied"), E.NOT_YOURS
    )


# --------------------------------------------------------------------------- answer and revisit


def test_the_department_answers_then_a_supervisor_revisits(
    poor: RatingFollowUp, handler: Staff, county_supervisor: Staff, citizen: Account
) -> None:
    answered = ratings.followup_answer(
        follow_up=poor,
        user=handler.user,
        answer="经核实，窗口一次性告知不到位，已向您致歉。",
        rectification="窗口人员重新培训，材料清单张贴上墙。",
        at=at("2025-10-09", "10:00"),
    )
    assert answered.status == FollowUpStatus.ANSWERED
    assert answered.answered_by == handler.user and answered.answered_at == at("2025-10-09", "10:00")
    assert told("rating.answered") == {"zhangsan"}
    assert Notification.objects.get(kind="rating.answered").link == f"/rate/{poor.rating.case.number}/"
    revisited = ratings.followup_revisit(
        follow_up=poor,
        user=county_supervisor.user,
        result=RevisitResult.SATISFIED,
        note="电话回访，群众表示满意。",
        at=at("2025-10-10", "15:00"),
    )
    assert revisited.status == FollowUpStatus.REVISITED
    assert (revisited.revisit_result, revisited.revisited_by) == ("satisfied", county_supervisor.user)


def test_a_hotline_agent_may_revisit(poor: RatingFollowUp, handler: Staff, hotline_agent: Staff) -> None:
    ratings.followup_answer(follow_up=poor, user=handler.user, answer="已整改", rectification="已培训")
    done = ratings.followup_revisit(
        follow_up=poor, user=hotline_agent.user, result=RevisitResult.UNREACHABLE, note="三次未接通"
    )
    assert done.status == FollowUpStatus.REVISITED


def test_follow_up_refusals_change_nothing(
    poor: RatingFollowUp,
    handler: Staff,
    county_supervisor: Staff,
    other_county_supervisor: Staff,
    neighbour_handler: Staff,
    market_dept: Department,
    crew: dict[str, AbstractBaseUser],
) -> None:
    # The department's own inspector, with a supervisor's role on it.
    inspector = StaffFactory(user=UserFactory(username="inspector_hs"), name="陈督查", department=market_dept)
    grant(inspector, Role.SUPERVISOR, department=market_dept)

    def answer(user: Any, text: str = "已整改", fix: str = "已培训") -> Callable[[], Any]:
        return lambda: ratings.followup_answer(follow_up=poor, user=user, answer=text, rectification=fix)

    def revisit(user: Any, result: str = "satisfied", note: str = "满意") -> Callable[[], Any]:
        return lambda: ratings.followup_revisit(follow_up=poor, user=user, result=result, note=note)

    refused(answer(county_supervisor.user), E.FORBIDDEN)
    refused(answer(neighbour_handler.user), E.FORBIDDEN)
    refused(answer(None), E.FORBIDDEN)
    refused(answer(handler.user, text="  "), E.REQUIRED, "answer")
    refused(answer(handler.user, fix=""), E.REQUIRED, "rectification")
    refused(answer(handler.user, text="长" * (ratings.TEXT_MAX + 1)), E.TOO_LONG, "answer")
    refused(revisit(county_supervisor.user), E.OUT_OF_ORDER)  # before the answer
    ratings.followup_answer(follow_up=poor, user=handler.user, answer="已整改", rectification="已培训")
    refused(answer(handler.user), E.OUT_OF_ORDER)  # twice
    refused(revisit(handler.user), E.OWN_DEPARTMENT)
    refused(revisit(crew["approver"]), E.OWN_DEPARTMENT)
    refused(revisit(inspector.user), E.OWN_DEPARTMENT)
    refused(revisit(other_county_supervisor.user), E.FORBIDDEN)
    refused(revisit(county_supervisor.user, result="happy"), E.BAD_INPUT, "result")
    refused(revisit(county_supervisor.user, note=""), E.REQUIRED, "note")
    ratings.followup_revisit(
        follow_up=poor, user=county_supervisor.user, result="unsatisfied", note="仍不满意"
    )
    refused(revisit(county_supervisor.user), E.OUT_OF_ORDER)  # twice


# --------------------------------------------------------------------------- overdue


def test_overdue_follow_ups_are_told_once(
    poor: RatingFollowUp,
    rated_item: ItemVersion,
    citizen: Account,
    crew: dict[str, AbstractBaseUser],
    handler: Staff,
) -> None:
    # A second poor rating answered in time, a third not yet due.
    answered_case = completed_case(rated_item, citizen, crew, "2025-09-29")
    answered = ratings.rate_case(
        case=answered_case, user=citizen.user, level="dissatisfied", at=at("2025-09-29", "16:00")
    ).follow_up
    ratings.followup_answer(follow_up=answered, user=handler.user, answer="已整改", rectification="已培训")
    later_case = completed_case(rated_item, citizen, crew, "2025-10-13")
    later = ratings.rate_case(
        case=later_case, user=citizen.user, level="dissatisfied", at=at("2025-10-13", "16:00")
    ).follow_up
    assert later.due_date == D(2025, 10, 20)

    assert list(ratings.overdue_follow_ups(D(2025, 10, 13))) == []  # due that day: not late yet
    assert list(ratings.overdue_follow_ups(D(2025, 10, 14))) == [poor]
    assert ratings.tell_overdue(now=at("2025-10-13", "18:00")) == 0
    assert ratings.tell_overdue(now=at("2025-10-14", "08:00")) == 1
    assert told("rating.overdue") == {"handler_hs", "supervisor_hs"}
    poor.refresh_from_db()
    assert poor.overdue_told_at == at("2025-10-14", "08:00")
    count = Notification.objects.filter(kind="rating.overdue").count()
    assert ratings.tell_overdue(now=at("2025-10-15", "08:00")) == 0  # once
    assert Notification.objects.filter(kind="rating.overdue").count() == count
    # The task (today is long after 2025): the third one now, still not the first again.
    assert rating_tasks.tell_overdue_followups() == 1
    later.refresh_from_db()
    assert later.overdue_told_at is not None
    assert rating_tasks.tell_overdue_followups() == 0


# --------------------------------------------------------------------------- query counts


def test_rating_costs_a_fixed_number_of_queries(
    django_assert_max_num_queries: Any,
    rated_item: ItemVersion,
    citizen: Account,
    crew: dict[str, AbstractBaseUser],
    handler: Staff,
    county_supervisor: Staff,
) -> None:
    good, bad = completed_case(rated_item, citizen, crew), completed_case(rated_item, citizen, crew)
    # Savepoints included: the rating's own (a race lost is refused cleanly) and notify's.
    with django_assert_max_num_queries(11):
        ratings.rate_case(case=good, user=citizen.user, level="satisfied")
    with django_assert_max_num_queries(20):
        ratings.rate_case(case=bad, user=citizen.user, level="dissatisfied")
    assert Notification.objects.filter(kind="rating.poor").count() == 2


def test_telling_the_overdue_does_not_grow_per_follow_up(
    rated_item: ItemVersion,
    citizen: Account,
    crew: dict[str, AbstractBaseUser],
    handler: Staff,
    county_supervisor: Staff,
) -> None:
    def go_overdue(n: int) -> int:
        for _ in range(n):
            case = completed_case(rated_item, citizen, crew, "2025-11-03")
            ratings.rate_case(
                case=case, user=citizen.user, level="dissatisfied", at=at("2025-11-03", "16:00")
            )
        with CaptureQueriesContext(connection) as queries:
            assert ratings.tell_overdue(now=at("2025-11-20", "08:00")) == n
        return len(queries)

    one, six = go_overdue(1), go_overdue(6)
    assert one == six <= 14
    assert Notification.objects.filter(kind="rating.overdue").count() == 7 * 2


# --------------------------------------------------------------------------- the demo


def test_the_demo_ratings(
    rated_item: ItemVersion,
    citizen: Account,
    crew: dict[str, AbstractBaseUser],
    handler: Staff,
    county_supervisor: Staff,
) -> None:
    from yiwang.demo.ratings import seed_ratings

    now = timezone.now()
    assert seed_ratings(now) == 4
    assert seed_ratings(now) == 0  # idempotent
    given = list(Rating.objects.order_by("rated_at").values_list("level", "is_poor"))
    assert given == [
        ("satisfied", False),
        ("basically_satisfied", False),
        ("dissatisfied", True),
        ("dissatisfied", True),
    ]
    answered, overdue = RatingFollowUp.objects.order_by("opened_at")
    assert answered.status == FollowUpStatus.ANSWERED and answered.answered_by == handler.user
    assert answered.answered_at is not None and answered.answered_at.date() <= answered.due_date
    assert overdue.status == FollowUpStatus.OPEN and overdue.due_date < timezone.localdate(now)
    assert overdue.overdue_told_at == now
    assert all(r.rated_at <= now for r in Rating.objects.all())


def test_the_demo_needs_zhangsan(rated_item: ItemVersion, crew: dict[str, AbstractBaseUser]) -> None:
    from yiwang.demo.ratings import seed_ratings

    assert seed_ratings(timezone.now()) == 0
    assert not Rating.objects.exists()


# --------------------------------------------------------------------------- a race (PostgreSQL)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises writers")
@pytest.mark.django_db(transaction=True)
def test_two_ratings_of_one_case_at_once_make_one(
    ledger_flushable: None,
    rated_item: ItemVersion,
    citizen: Account,
    crew: dict[str, AbstractBaseUser],
    handler: Staff,
    county_supervisor: Staff,
) -> None:
    case = completed_case(rated_item, citizen, crew)
    barrier = threading.Barrier(2)
    results: list[Any] = []
    errors: list[BaseException] = []

    def rate(level: str) -> None:
        try:
            barrier.wait()
            results.append(ratings.rate_case(case=case, user=citizen.user, level=level))
        except BaseException as exc:  # checked below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=rate, args=(level,)) for level in ("dissatisfied", "average")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], PortalError) and errors[0].error_code == E.ALREADY_RATED
    assert Rating.objects.count() == 1
    winner = Rating.objects.get()
    assert RatingFollowUp.objects.count() == (1 if winner.is_poor else 0)
    assert DailyFact.objects.aggregate(n=Sum("ratings"))["n"] == 1
