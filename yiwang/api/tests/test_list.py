"""GET /api/v1/cases/ (filters, scope, pagination, query counts) and the case's events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import pairwise

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from yiwang.api.tests.conftest import CASES, assert_problem
from yiwang.cases import services
from yiwang.cases.ledger import GENESIS
from yiwang.cases.models import NATIONAL_MESSAGE_CODE, Case, CaseState
from yiwang.cases.tests.conftest import STEPS, at
from yiwang.catalog.factories import published_item
from yiwang.org.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def numbers(response: object) -> set[str]:
    assert response.status_code == 200, response.content  # type: ignore[attr-defined]
    return {row["number"] for row in response.json()["results"]}  # type: ignore[attr-defined]


@pytest.fixture
def health_licence(county):
    dept = DepartmentFactory(name="邯山区卫生健康局", short_name="区卫健局", region=county)
    return published_item(
        code="HS-WS-001",
        name="公共场所卫生许可",
        department=dept,
        steps=STEPS,
        effective_from=dt.date(2024, 1, 1),
    )


@pytest.fixture
def cases(
    file_case: Callable[..., Case],
    health_licence,
    other_market_dept,
    window_user,
    handler_user,
    reviewer_user,
    approver_user,
) -> dict[str, Case]:
    """Cases in every situation a filter tells apart, filed and handled in 2025."""
    waiting = file_case(at=at("2025-09-01"))  # acceptance was due 8 September: late
    late = file_case(at=at("2025-09-01"))
    services.case_accept(case=late, user=window_user, at=at("2025-09-01", "10:00"))  # due 15 September
    suspended = file_case(at=at("2025-09-01"))
    services.case_accept(case=suspended, user=window_user, at=at("2025-09-01", "10:00"))
    services.case_suspend(
        case=suspended,
        user=handler_user,
        kind="site_inspection",
        reason="现场核查",
        expected_days=5,
        at=at("2025-09-02"),
    )
    done = file_case(at=at("2025-09-01"))
    services.case_accept(case=done, user=window_user, at=at("2025-09-01", "10:00"))
    services.case_pass_step(case=done, user=handler_user, opinion="符合", at=at("2025-09-02"))
    services.case_pass_step(case=done, user=reviewer_user, opinion="同意", at=at("2025-09-03"))
    services.case_decide(case=done, user=approver_user, decision="approved", at=at("2025-09-04"))
    services.case_complete(case=done, user=approver_user, at=at("2025-09-04", "11:00"))
    services.case_deliver(case=done, user=window_user, method="post", at=at("2025-09-05"))
    fresh = file_case()
    health = file_case(version=health_licence)
    return {
        name: Case.objects.get(pk=case.pk)
        for name, case in {
            "waiting": waiting,
            "late": late,
            "suspended": suspended,
            "done": done,
            "fresh": fresh,
            "health": health,
        }.items()
    }


def test_the_list_shows_the_cases_in_scope_newest_first(
    window: APIClient, neighbour: APIClient, cases: dict[str, Case]
) -> None:
    response = window.get(CASES)

    body = response.json()
    assert body["count"] == 6
    listed = [row["number"] for row in body["results"]]
    assert listed == sorted(listed, reverse=True)
    row = next(r for r in body["results"] if r["number"] == cases["fresh"].number)
    assert row["applicant_id_number"].count("*") == 8  # masked in lists
    assert row["applicant_name"] == "张**"
    # a neighbouring county's staff see none of them
    assert neighbour.get(CASES).json()["count"] == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=submitted", {"waiting", "fresh", "health"}),
        ("state=submitted&state=suspended", {"waiting", "fresh", "health", "suspended"}),
        ("state=delivered", {"done"}),
        ("item=HS-WS-001", {"health"}),
        ("overdue=true", {"waiting", "late"}),
        ("overdue=false", {"suspended", "done", "fresh", "health"}),
        ("due_before=2025-12-31", {"late", "suspended", "done"}),
        ("due_before=2025-09-01", set()),
        ("state=in_progress&overdue=true", {"late"}),
    ],
)
def test_filters(window: APIClient, cases: dict[str, Case], query: str, expected: set[str]) -> None:
    assert numbers(window.get(f"{CASES}?{query}")) == {cases[name].number for name in expected}


def test_the_overdue_flag_of_each_row_agrees_with_the_filter(
    window: APIClient, cases: dict[str, Case]
) -> None:
    rows = window.get(CASES).json()["results"]

    assert {r["number"] for r in rows if r["overdue"]} == numbers(window.get(f"{CASES}?overdue=true"))


def test_filter_by_department(window: APIClient, cases: dict[str, Case]) -> None:
    health_dept = cases["health"].department_id
    market = cases["fresh"].department_id

    assert numbers(window.get(f"{CASES}?department={health_dept}")) == {cases["health"].number}
    assert len(numbers(window.get(f"{CASES}?department={market}"))) == 5


def test_pages(window: APIClient, cases: dict[str, Case]) -> None:
    first = window.get(f"{CASES}?page_size=4").json()
    second = window.get(f"{CASES}?page_size=4&page=2").json()

    assert first["count"] == 6 and len(first["results"]) == 4 and first["next"]
    assert len(second["results"]) == 2 and second["next"] is None
    assert_problem(window.get(f"{CASES}?page=9"), 404, "not_found")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=lost", "state"),
        ("due_before=next-week", "due_before"),
        ("overdue=perhaps", "overdue"),
        ("department=market", "department"),
    ],
)
def test_bad_filters_are_refused(window: APIClient, food_licence, query: str, field: str) -> None:
    assert_problem(window.get(f"{CASES}?{query}"), 400, "bad_input", field)


def test_the_list_costs_the_same_queries_for_3_or_30_cases(
    window: APIClient, file_case: Callable[..., Case], window_user, food_licence
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert window.get(CASES).status_code == 200
        return len(captured)

    for _ in range(3):
        services.case_accept(case=file_case(), user=window_user)
    three = queries()
    for _ in range(27):
        file_case()

    assert queries() == three
    assert three <= 6


def test_the_events_are_the_hash_chained_ledger(
    window: APIClient, cases: dict[str, Case], neighbour: APIClient
) -> None:
    case = cases["done"]

    response = window.get(f"{CASES}{case.number}/events/")

    assert response.status_code == 200
    events = response.json()
    assert [e["seq"] for e in events] == list(range(1, 8))
    assert [e["type"] for e in events] == ["apply", "accept", "step", "step", "decide", "complete", "deliver"]
    assert events[0]["prev_hash"] == GENESIS
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in pairwise(events))
    assert events[-1]["hash"] == case.last_hash
    assert [e["national_code"] for e in events] == [NATIONAL_MESSAGE_CODE[e["type"]] for e in events]
    decide = events[4]
    assert decide["actor_name"] == "吴批准" and decide["role"] == "approver"
    assert decide["department"]["name"] == "邯山区市场监督管理局"
    assert decide["payload"]["decision"] == "approved"
    assert decide["occurred_at"].startswith("2025-09-04T09:00:00")
    assert decide["recorded_at"] > decide["occurred_at"]


def test_the_detail_gives_deadlines_as_of_today(window: APIClient, cases: dict[str, Case]) -> None:
    late = window.get(f"{CASES}{cases['late'].number}/").json()
    suspended = window.get(f"{CASES}{cases['suspended'].number}/").json()

    assert late["deadlines"]["due_date"] == "2025-09-15"
    assert late["deadlines"]["left"] < 0
    assert suspended["state"] == CaseState.SUSPENDED
    assert suspended["deadlines"]["clock_stopped"] is True
    # while stopped, the due date is the one it would be if the clock restarted today
    assert suspended["deadlines"]["due_date"] > late["deadlines"]["due_date"]
