"""The workbench's reads: who has what in their queue, done, search, urgency, and the
actions a user is offered on a case."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiwang.cases import selectors, services
from yiwang.cases.models import Case, CaseState, Channel
from yiwang.cases.tests.conftest import APPLICANT_ID, _staff, at
from yiwang.core.identifiers import build_resident_id
from yiwang.org.models import Role

pytestmark = pytest.mark.django_db


def file(
    version: Any, user: Any, *, name: str = "张晓梅", id_number: str = APPLICANT_ID, when: Any = None
) -> Case:
    return services.case_file(
        version=version,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name=name,
        applicant_id_number=id_number,
        user=user,
        at=when,
    )


def numbers(queryset: Any) -> list[str]:
    return [c.number for c in queryset]


def test_each_role_sees_a_case_in_its_queue_exactly_when_it_must_act(
    food_licence, window_user, handler_user, reviewer_user, approver_user
) -> None:
    people = {
        "window": window_user,
        "handler": handler_user,
        "reviewer": reviewer_user,
        "approver": approver_user,
    }

    def holders(case: Case) -> set[str]:
        return {who for who, user in people.items() if case.number in numbers(selectors.queue(user))}

    # given a case just filed at the window
    case = file(food_licence, window_user)
    # then only the window has it to accept
    assert holders(case) == {"window"}
    services.case_accept(case=case, user=window_user)
    assert holders(case) == {"handler"}  # 承办
    services.case_pass_step(case=case, user=handler_user, opinion="符合条件")
    assert holders(case) == {"reviewer"}  # 审核
    services.case_pass_step(case=case, user=reviewer_user, opinion="同意")
    assert holders(case) == {"approver"}  # 决定
    services.case_decide(case=case, user=approver_user, decision="approved")
    assert holders(case) == {"approver"}  # 办结
    services.case_complete(case=case, user=approver_user, result_number="JY1")
    assert holders(case) == {"window"}  # 送达
    services.case_deliver(case=case, user=window_user, method="window")
    # when delivered it leaves every queue
    assert holders(case) == set()


def test_queue_shows_the_current_step_name(food_licence, window_user, handler_user) -> None:
    case = file(food_licence, window_user)
    services.case_accept(case=case, user=window_user)
    [row] = list(selectors.queue(handler_user))
    assert row.step_name == "承办"
    assert row.needed_role == Role.HANDLER


def test_a_neighbouring_county_never_sees_our_cases(food_licence, window_user, neighbour_approver) -> None:
    case = file(food_licence, window_user)
    services.case_accept(case=case, user=window_user)
    assert numbers(selectors.queue(neighbour_approver)) == []
    assert numbers(selectors.search(neighbour_approver, selectors.CaseQuery(number=case.number))) == []
    assert selectors.case_for(neighbour_approver, case.number) is None


def test_a_user_with_two_roles_gets_both_kinds_of_work(
    food_licence, market_dept, county, window_user, handler_user
) -> None:
    # given someone who is both window operator and handler
    both = _staff("both_roles", "钱多岗", market_dept, Role.WINDOW_OPERATOR, region=county)
    from yiwang.org.factories import grant

    grant(both.staff, Role.HANDLER, department=market_dept)
    waiting = file(food_licence, window_user, name="甲")
    handled = file(food_licence, window_user, name="乙")
    services.case_accept(case=handled, user=window_user)
    # then both the case to accept and the one to handle are in the queue, once each
    assert sorted(numbers(selectors.queue(both))) == sorted([waiting.number, handled.number])


def test_supervisors_and_citizens_have_no_queue(food_licence, window_user, county_supervisor) -> None:
    file(food_licence, window_user)
    assert numbers(selectors.queue(county_supervisor.user)) == []
    # but a supervisor can find the case
    assert (
        len(numbers(selectors.search(county_supervisor.user, selectors.CaseQuery(applicant_name="张")))) == 1
    )


def test_queue_is_sorted_by_due_date_and_coloured_by_urgency(food_licence, window_user, handler_user) -> None:
    # given four cases accepted on different days (all 10 working days)
    old = file(food_licence, window_user, name="最早", when=at("2025-09-01"))
    services.case_accept(case=old, user=window_user, at=at("2025-09-01", "09:30"))
    soon = file(food_licence, window_user, name="临近", when=at("2025-09-09"))
    services.case_accept(case=soon, user=window_user, at=at("2025-09-09", "09:30"))
    fresh = file(food_licence, window_user, name="新近", when=at("2025-09-19"))
    services.case_accept(case=fresh, user=window_user, at=at("2025-09-19", "09:30"))
    paused = file(food_licence, window_user, name="补正", when=at("2025-09-19", "10:00"))
    services.case_accept(case=paused, user=window_user, at=at("2025-09-19", "10:30"))
    services.case_request_supplement(
        case=paused,
        user=handler_user,
        items=[{"material": None, "name": "场所平面图", "problem": "未提交"}],
        at=at("2025-09-19", "11:00"),
    )
    # when the handler looks on Monday 22 September 2025
    today = dt.date(2025, 9, 22)
    rows = list(selectors.queue(handler_user))
    # then the earliest due comes first
    assert [r.applicant_name for r in rows[:3]] == ["最早", "临近", "新近"]
    assert old.__class__.objects.get(pk=old.pk).due_date == dt.date(2025, 9, 15)
    colours = {r.applicant_name: selectors.urgency(r, today) for r in rows}
    # 15 Sep has passed; 9 Sep + 10 working days = 23 Sep is 1 working day away;
    # 19 Sep + 10 = 10 Oct (National Day) is far; the supplement stops the clock
    assert colours == {"最早": "overdue", "临近": "soon", "新近": "normal", "补正": "paused"}


def test_urgency_of_a_case_awaiting_acceptance_uses_the_acceptance_due_date(
    food_licence, window_user
) -> None:
    case = file(food_licence, window_user, when=at("2025-09-22"))
    case.refresh_from_db()
    assert case.acceptance_due == dt.date(2025, 9, 28)  # Sunday 28 Sep is worked
    assert selectors.urgency(case, dt.date(2025, 9, 22)) == "normal"
    assert selectors.urgency(case, dt.date(2025, 9, 26)) == "soon"
    assert selectors.urgency(case, dt.date(2025, 9, 29)) == "overdue"


def _queries(fn: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


def test_queue_done_and_search_take_as_many_queries_for_30_cases_as_for_3(
    food_licence, window_user, handler_user
) -> None:
    def read(user: Any) -> Any:
        # a fresh user object each time: the scope is computed once per request
        from django.contrib.auth import get_user_model

        fresh = get_user_model().objects.get(pk=user.pk)
        return lambda: [
            [(c.number, c.item_version.name, c.department.name, c.region.name) for c in qs]
            for qs in (
                selectors.queue(fresh),
                selectors.done(fresh),
                selectors.search(fresh, selectors.CaseQuery(item="食品")),
            )
        ]

    for i in range(3):
        file(food_licence, window_user, name=f"甲{i}")
    small = _queries(read(window_user))
    for i in range(27):
        file(food_licence, window_user, name=f"乙{i}")
    assert len(selectors.queue(window_user)) == 30
    assert _queries(read(window_user)) == small


def test_done_lists_cases_the_user_acted_on_latest_first(
    food_licence, window_user, handler_user, reviewer_user
) -> None:
    first = file(food_licence, window_user, name="甲")
    second = file(food_licence, window_user, name="乙")
    services.case_accept(case=second, user=window_user)
    services.case_accept(case=first, user=window_user)
    services.case_pass_step(case=first, user=handler_user, opinion="同意")
    assert numbers(selectors.done(handler_user)) == [first.number]
    assert numbers(selectors.done(window_user)) == [first.number, second.number]
    assert numbers(selectors.done(reviewer_user)) == []


def test_search_by_each_criterion(food_licence, window_user, market_dept, other_market_dept) -> None:
    other_id = build_resident_id("130402", dt.date(1990, 1, 2), 15)
    a = file(food_licence, window_user, name="张晓梅")
    b = file(food_licence, window_user, name="李华", id_number=other_id)
    services.case_accept(case=b, user=window_user)

    def find(**criteria: Any) -> list[str]:
        return sorted(numbers(selectors.search(window_user, selectors.CaseQuery(**criteria))))

    assert find(number=a.number) == [a.number]
    assert find(number=a.number[:14]) == sorted([a.number, b.number])  # region + date prefix
    assert find(applicant_name="晓梅") == [a.number]
    assert find(applicant_id_number=other_id.lower()) == [b.number]
    assert find(applicant_id_number=other_id[:17]) == []  # exact only
    assert find(item="食品经营") == sorted([a.number, b.number])
    assert find(item="HS-SPJY-001") == sorted([a.number, b.number])
    assert find(state=CaseState.IN_PROGRESS) == [b.number]
    assert find(department_id=market_dept.pk, applicant_name="李") == [b.number]
    assert find(department_id=other_market_dept.pk) == []


def test_actions_offered_follow_state_role_and_separation_of_duties(
    food_licence, market_dept, county, window_user, handler_user, approver_user
) -> None:
    case = file(food_licence, window_user)

    def offered(user: Any) -> list[str]:
        detail = selectors.case_detail(user, Case.objects.get(pk=case.pk))
        return detail.actions

    assert offered(window_user) == ["accept", "supplement", "refuse", "transfer", "withdraw"]
    assert offered(handler_user) == []
    assert offered(approver_user) == []
    services.case_accept(case=case, user=window_user)
    assert offered(window_user) == ["withdraw"]
    assert offered(handler_user) == ["pass_step", "supplement", "suspend"]
    assert offered(approver_user) == ["extend"]

    # given the window operator also holds the approver role; they accepted the case
    from yiwang.org.factories import grant

    grant(window_user.staff, Role.APPROVER, department=market_dept)
    services.case_pass_step(case=case, user=handler_user, opinion="同意")
    reviewer = _staff("rev2", "冯审核", market_dept, Role.REVIEWER, department=market_dept)
    services.case_pass_step(case=case, user=reviewer, opinion="同意")
    fresh = type(window_user).objects.get(pk=window_user.pk)
    detail = selectors.case_detail(fresh, Case.objects.get(pk=case.pk))
    # then deciding is not offered to them, and the page says why
    assert "decide" not in detail.actions
    assert [b.action for b in detail.blocked] == ["decide"]
    assert "decide" in offered(approver_user)
    assert "return" in offered(approver_user)


def test_the_extension_is_not_offered_beyond_the_cap(food_licence, window_user, approver_user) -> None:
    case = file(food_licence, window_user)
    services.case_accept(case=case, user=window_user)
    services.case_extend(case=case, user=approver_user, days=10, reason="需实地核查")
    detail = selectors.case_detail(approver_user, Case.objects.get(pk=case.pk))
    assert "extend" not in detail.actions


def test_event_details_speak_plainly(food_licence, window_user, handler_user) -> None:
    case = file(food_licence, window_user)
    services.case_accept(case=case, user=window_user)
    services.case_suspend(
        case=case, user=handler_user, kind="hearing", reason="利害关系人申请", expected_days=7
    )
    detail = selectors.case_detail(handler_user, Case.objects.get(pk=case.pk))
    suspend = detail.events[-1]
    texts = [text for _label, text in selectors.event_details(suspend, detail.template)]
    assert "利害关系人申请" in texts
    assert any("7" in text for text in texts)  # the expected length
    assert detail.case.state == CaseState.SUSPENDED
    assert detail.actions == ["resume"]
