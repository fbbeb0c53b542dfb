"""POST /api/v1/cases/{number}/actions/{action}/: every action, and every refusal
leaving the case and its ledger exactly as they were."""

from __future__ import annotations

from typing import Any, cast

import pytest
from rest_framework.test import APIClient

from yiwang.api.actions import ACTIONS
from yiwang.api.tests.conftest import (
    CASES,
    action_url,
    application,
    assert_problem,
    client_for,
    ledger_state,
    pdf,
)
from yiwang.cases import selectors as workbench
from yiwang.cases import services
from yiwang.cases.models import Case, CaseEvent, CaseState, EventType
from yiwang.cases.workflow import Template, fold
from yiwang.org.factories import StaffFactory, UserFactory, grant
from yiwang.org.models import Role, Staff

pytestmark = pytest.mark.django_db


def file_via_api(client: APIClient) -> str:
    response = client.post(CASES, application(), format="json")
    assert response.status_code == 201, response.content
    return str(response.json()["number"])


def act(client: APIClient, number: str, action: str, body: dict[str, Any] | None = None, **kw: Any) -> Any:
    """Check the action is offered to the caller, take it, return the new detail."""
    offered = client.get(f"{CASES}{number}/").json()["actions"]
    assert action in offered, (action, offered)
    response = client.post(action_url(number, action), body or {}, **({"format": "json"} | kw))
    assert response.status_code == 200, response.content
    return response.json()


def test_a_case_walks_through_every_action(
    window: APIClient, handler_api: APIClient, reviewer: APIClient, approver: APIClient, materials
) -> None:
    number = file_via_api(window)

    # one-time notice and supplement, before acceptance
    detail = act(
        window,
        number,
        "supplement-request",
        {
            "items": [
                {"material": materials[1].pk, "problem": "未提交"},
                {"material": None, "name": "场所平面图", "problem": "缺少比例尺"},
            ]
        },
    )
    assert detail["state"] == CaseState.SUPPLEMENT
    assert detail["deadlines"]["clock_stopped"] is True
    body = {"note": "当场补齐", f"material_{materials[1].pk}": pdf("营业执照.pdf")}
    detail = act(window, number, "supplement-receive", body, format="multipart")
    assert detail["state"] == CaseState.SUBMITTED
    assert [f["name"] for f in detail["files"]] == ["营业执照.pdf"]

    detail = act(window, number, "accept", {"note": "材料齐全"})
    assert detail["state"] == CaseState.IN_PROGRESS
    assert (detail["step_index"], detail["step_name"]) == (0, "承办")
    assert detail["deadlines"]["due_date"] is not None
    assert [s["name"] for s in detail["steps"]] == ["承办", "审核", "决定"]

    detail = act(handler_api, number, "pass-step", {"opinion": "符合条件"})
    assert detail["step_name"] == "审核"
    detail = act(reviewer, number, "return", {"to_step": 0, "reason": "经营项目需核实"})
    assert detail["step_name"] == "承办"
    act(handler_api, number, "pass-step", {"opinion": "已核实"})

    detail = act(
        reviewer, number, "suspend", {"kind": "hearing", "reason": "利害关系人申请听证", "expected_days": 5}
    )
    assert detail["state"] == CaseState.SUSPENDED and detail["deadlines"]["clock_stopped"] is True
    detail = act(reviewer, number, "resume", {"result": "听证结束"})
    assert detail["state"] == CaseState.IN_PROGRESS

    due_before = detail["deadlines"]["due_date"]
    detail = act(approver, number, "extend", {"days": 5, "reason": "需实地核查"})
    assert detail["extension_days"] == 5
    assert detail["deadlines"]["limit"] == 15
    assert detail["deadlines"]["due_date"] > due_before

    act(reviewer, number, "pass-step", {"opinion": "同意"})
    detail = act(approver, number, "decide", {"decision": "approved"})
    assert detail["state"] == CaseState.DECIDED and detail["decision"] == "approved"
    detail = act(approver, number, "complete", {"fee_charged": "0.00", "result_number": "JY11304020001234"})
    assert detail["state"] == CaseState.COMPLETED
    detail = act(window, number, "deliver", {"method": "window"})
    assert detail["state"] == CaseState.DELIVERED
    assert detail["actions"] == []

    types = list(CaseEvent.objects.filter(case__number=number).order_by("seq").values_list("type", flat=True))
    assert types == [
        EventType.APPLY,
        EventType.SUPPLEMENT_REQUEST,
        EventType.SUPPLEMENT_RECEIVE,
        EventType.ACCEPT,
        EventType.STEP,
        EventType.RETURN,
        EventType.STEP,
        EventType.SUSPEND,
        EventType.RESUME,
        EventType.EXTEND,
        EventType.STEP,
        EventType.DECIDE,
        EventType.COMPLETE,
        EventType.DELIVER,
    ]


def test_the_window_refuses_with_reason_and_legal_basis(window: APIClient, food_licence) -> None:
    number = file_via_api(window)

    detail = act(
        window,
        number,
        "refuse",
        {"reason": "不属于本机关职权范围", "legal_basis": "《行政许可法》第三十二条"},
    )

    assert detail["state"] == CaseState.REFUSED and detail["closed_at"]
    event = CaseEvent.objects.get(case__number=number, type=EventType.REFUSE)
    assert event.payload["legal_basis"] == "《行政许可法》第三十二条"


def test_the_window_transfers_to_the_competent_department(
    window: APIClient, food_licence, other_market_dept
) -> None:
    number = file_via_api(window)

    detail = act(
        window, number, "transfer", {"to_department": other_market_dept.pk, "reason": "经营场所在丛台区"}
    )

    assert detail["state"] == CaseState.TRANSFERRED
    event = CaseEvent.objects.get(case__number=number, type=EventType.TRANSFER)
    assert event.payload["to_department_name"] == other_market_dept.name


def test_the_applicant_withdraws_their_own_case(citizen: APIClient, food_licence) -> None:
    response = citizen.post(CASES, application(), format="json")
    number = response.json()["number"]

    detail = act(citizen, number, "withdraw", {"reason": "暂不经营"})

    assert detail["state"] == CaseState.WITHDRAWN
    assert CaseEvent.objects.get(case__number=number, type=EventType.WITHDRAW).role == "applicant"


# --------------------------------------------------------------------------- refusals


@pytest.fixture
def submitted(window: APIClient, food_licence) -> Case:
    return Case.objects.get(number=file_via_api(window))


@pytest.fixture
def at_review(submitted: Case, window: APIClient, handler_api: APIClient) -> Case:
    act(window, submitted.number, "accept")
    act(handler_api, submitted.number, "pass-step", {"opinion": "符合条件"})
    return submitted


def test_approving_before_acceptance_is_refused(approver: APIClient, submitted: Case) -> None:
    before = ledger_state(submitted)

    response = approver.post(action_url(submitted.number, "decide"), {"decision": "approved"}, format="json")

    assert_problem(response, 409, "illegal_in_state")
    assert ledger_state(submitted) == before


def test_a_role_that_may_not_act_is_refused(handler_api: APIClient, submitted: Case) -> None:
    before = ledger_state(submitted)

    response = handler_api.post(action_url(submitted.number, "accept"), {}, format="json")

    problem = assert_problem(response, 403, "forbidden")
    assert submitted.number in problem["detail"]
    assert ledger_state(submitted) == before


def test_a_supervisor_sees_the_case_but_may_not_act(county_supervisor, submitted: Case) -> None:
    supervisor = client_for(county_supervisor.user)
    before = ledger_state(submitted)

    detail = supervisor.get(f"{CASES}{submitted.number}/")
    response = supervisor.post(action_url(submitted.number, "accept"), {}, format="json")

    assert detail.status_code == 200 and detail.json()["actions"] == []
    assert_problem(response, 403, "forbidden")
    assert ledger_state(submitted) == before


@pytest.mark.parametrize("path", ["", "events/", "actions/accept/", "actions/no-such-action/"])
def test_another_countys_case_is_not_found(neighbour: APIClient, submitted: Case, path: str) -> None:
    before = ledger_state(submitted)
    url = f"{CASES}{submitted.number}/{path}"

    response = neighbour.post(url, {}, format="json") if "actions" in path else neighbour.get(url)

    problem = assert_problem(response, 404, "not_found")
    assert "邯山" not in problem["detail"]
    assert ledger_state(submitted) == before


def test_an_unknown_action_is_not_found(window: APIClient, submitted: Case) -> None:
    response = window.post(action_url(submitted.number, "approve"), {}, format="json")

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([], "items"),
        (None, "items"),
        ([{"material": None, "name": "", "problem": "缺少"}], "items"),
        ([{"name": "营业执照", "problem": ""}], "items"),
    ],
    ids=["empty list", "no items", "nothing named", "no problem stated"],
)
def test_a_supplement_request_must_name_materials(
    window: APIClient, submitted: Case, items: list[dict[str, Any]] | None, field: str
) -> None:
    before = ledger_state(submitted)

    body = {} if items is None else {"items": items}
    response = window.post(action_url(submitted.number, "supplement-request"), body, format="json")

    assert_problem(response, 400, "no_material_named", field)
    assert ledger_state(submitted) == before


def test_a_supplement_request_naming_a_material_of_another_item_is_refused(
    window: APIClient, submitted: Case
) -> None:
    before = ledger_state(submitted)

    response = window.post(
        action_url(submitted.number, "supplement-request"),
        {"items": [{"material": 999999, "problem": "缺少"}]},
        format="json",
    )

    assert_problem(response, 400, "bad_input", "items")
    assert ledger_state(submitted) == before


def test_a_supplement_of_text_renamed_pdf_is_refused(window: APIClient, submitted: Case, materials) -> None:
    window.post(
        action_url(submitted.number, "supplement-request"),
        {"items": [{"material": materials[1].pk, "problem": "未提交"}]},
        format="json",
    )
    before = ledger_state(submitted)

    response = window.post(
        action_url(submitted.number, "supplement-receive"),
        {f"material_{materials[1].pk}": pdf("营业执照.pdf", b"plain text pretending")},
        format="multipart",
    )

    assert_problem(response, 400, "file_type", "files")
    assert ledger_state(submitted) == before


def test_an_extension_beyond_the_cap_is_refused(approver: APIClient, at_review: Case) -> None:
    # Given 6 of the 10 days a licensing case may be extended by are granted
    act(approver, at_review.number, "extend", {"days": 6, "reason": "需实地核查"})
    before = ledger_state(at_review)

    # When 5 more are asked for
    response = approver.post(
        action_url(at_review.number, "extend"), {"days": 5, "reason": "再次核查"}, format="json"
    )

    # Then it is refused naming the cap, and 4 more are still possible
    problem = assert_problem(response, 400, "extension_cap", "days")
    assert "10" in problem["detail"]
    assert ledger_state(at_review) == before
    act(approver, at_review.number, "extend", {"days": 4, "reason": "再次核查"})
    assert "extend" not in approver.get(f"{CASES}{at_review.number}/").json()["actions"]


@pytest.mark.parametrize(
    ("action", "body", "status", "code", "field"),
    [
        ("refuse", {"legal_basis": "《行政许可法》"}, 400, "reason_required", "reason"),
        ("refuse", {"reason": "不属于本机关职权"}, 400, "legal_basis_required", "legal_basis"),
        ("transfer", {"to_department": 999999, "reason": "x"}, 400, "bad_input", "to_department"),
        ("transfer", {"reason": "x"}, 400, "bad_input", "to_department"),
        ("accept", "not an object", 400, "bad_input", None),
    ],
)
def test_bad_input_at_acceptance_is_refused(
    window: APIClient, submitted: Case, action: str, body: Any, status: int, code: str, field: str | None
) -> None:
    before = ledger_state(submitted)

    response = window.post(action_url(submitted.number, action), body, format="json")

    assert_problem(response, status, code, field)
    assert ledger_state(submitted) == before


def test_transfer_to_the_same_department_is_refused(window: APIClient, submitted: Case) -> None:
    before = ledger_state(submitted)

    response = window.post(
        action_url(submitted.number, "transfer"),
        {"to_department": submitted.department_id, "reason": "x"},
        format="json",
    )

    assert_problem(response, 400, "bad_input", "to_department")
    assert ledger_state(submitted) == before


@pytest.mark.parametrize(
    ("who", "action", "body", "status", "code", "field"),
    [
        ("reviewer", "pass-step", {}, 400, "reason_required", "opinion"),
        ("reviewer", "return", {"to_step": -1, "reason": "x"}, 400, "bad_input", "to_step"),
        ("reviewer", "return", {"to_step": 1, "reason": "x"}, 409, "illegal_in_state", None),
        (
            "reviewer",
            "suspend",
            {"kind": "picnic", "reason": "x", "expected_days": 3},
            400,
            "bad_input",
            "kind",
        ),
        (
            "reviewer",
            "suspend",
            {"kind": "hearing", "reason": "x", "expected_days": 0},
            400,
            "bad_input",
            "expected_days",
        ),
        ("reviewer", "resume", {"result": "x"}, 409, "illegal_in_state", None),
        ("approver", "decide", {"decision": "maybe"}, 400, "bad_input", "decision"),
        ("approver", "decide", {"decision": "approved"}, 409, "illegal_in_state", None),
        ("approver", "extend", {"days": "many", "reason": "x"}, 400, "bad_input", "days"),
        ("approver", "extend", {"days": 0, "reason": "x"}, 400, "bad_input", "days"),
        ("approver", "extend", {"days": 3}, 400, "reason_required", "reason"),
        ("approver", "complete", {}, 409, "illegal_in_state", None),
        ("window", "deliver", {"method": "carrier pigeon"}, 400, "bad_input", "method"),
        ("window", "accept", {}, 409, "illegal_in_state", None),
        ("handler", "pass-step", {"opinion": "x"}, 403, "forbidden", None),
    ],
)
def test_bad_input_while_handled_is_refused(
    request: pytest.FixtureRequest,
    at_review: Case,
    who: str,
    action: str,
    body: dict[str, Any],
    status: int,
    code: str,
    field: str | None,
) -> None:
    client: APIClient = request.getfixturevalue({"handler": "handler_api"}.get(who, who))
    before = ledger_state(at_review)

    response = client.post(action_url(at_review.number, action), body, format="json")

    assert_problem(response, status, code, field)
    assert ledger_state(at_review) == before


def test_who_accepted_may_not_also_decide(market_dept, county, food_licence, handler_api, reviewer) -> None:
    # Given one person who holds both the window and the approver role
    staff = cast(
        Staff, StaffFactory(user=UserFactory(username="both_hats"), name="冯兼任", department=market_dept)
    )
    grant(staff, Role.WINDOW_OPERATOR, region=county)
    grant(staff, Role.APPROVER, department=market_dept)
    both = client_for(staff.user)
    number = file_via_api(both)
    act(both, number, "accept")
    act(handler_api, number, "pass-step", {"opinion": "符合条件"})
    act(reviewer, number, "pass-step", {"opinion": "同意"})
    case = Case.objects.get(number=number)
    before = ledger_state(case)

    # Then deciding is not offered to them, and refused when tried
    assert "decide" not in both.get(f"{CASES}{number}/").json()["actions"]
    response = both.post(action_url(number, "decide"), {"decision": "approved"}, format="json")

    assert_problem(response, 403, "separation_of_duties")
    assert ledger_state(case) == before


def test_the_applicant_may_not_act_for_the_department(citizen: APIClient, food_licence) -> None:
    number = citizen.post(CASES, application(), format="json").json()["number"]
    case = Case.objects.get(number=number)
    before = ledger_state(case)

    response = citizen.post(action_url(number, "accept"), {}, format="json")

    assert_problem(response, 403, "forbidden")
    assert ledger_state(case) == before


def test_an_applicant_does_not_see_other_peoples_cases(citizen: APIClient, submitted: Case) -> None:
    response = citizen.get(f"{CASES}{submitted.number}/")

    assert_problem(response, 404, "not_found")
    assert citizen.get(CASES).json()["count"] == 0


def test_the_offered_actions_agree_with_the_workbench(
    submitted: Case,
    materials,
    window_user,
    handler_user,
    reviewer_user,
    approver_user,
    neighbour_approver,
    county_supervisor,
) -> None:
    """The API and the staff workbench offer the same actions to the same staff (the API
    also serves applicants, which the workbench does not)."""
    staff = [
        window_user,
        handler_user,
        reviewer_user,
        approver_user,
        neighbour_approver,
        county_supervisor.user,
    ]
    clients = {user.pk: client_for(user) for user in staff}

    def compare(case: Case) -> None:
        case = Case.objects.select_related("item_version").get(pk=case.pk)
        template = Template.from_version(case.item_version)
        view = fold(case.events.order_by("seq"), template)
        for user in staff:
            response = clients[user.pk].get(f"{CASES}{case.number}/")
            ours = response.json()["actions"] if response.status_code == 200 else []
            theirs, _blocked = workbench.available_actions(user, case, view, template)
            assert {ACTIONS[a].event_type for a in ours} == {
                workbench.RULES_BY_NAME[a].event_type for a in theirs
            }, (case.state, user.username, ours, theirs)

    case = submitted
    compare(case)
    services.case_request_supplement(
        case=case, user=window_user, items=[{"material": materials[0].pk, "problem": "缺"}]
    )
    compare(case)
    services.case_receive_supplement(case=case, user=window_user, note="已补")
    services.case_accept(case=case, user=window_user)
    compare(case)
    services.case_pass_step(case=case, user=handler_user, opinion="符合")
    compare(case)
    services.case_suspend(case=case, user=reviewer_user, kind="hearing", reason="听证", expected_days=3)
    compare(case)
    services.case_resume(case=case, user=reviewer_user, result="结束")
    services.case_extend(case=case, user=approver_user, days=10, reason="核查")
    services.case_pass_step(case=case, user=reviewer_user, opinion="同意")
    compare(case)
    services.case_decide(case=case, user=approver_user, decision="approved")
    compare(case)
    services.case_complete(case=case, user=approver_user)
    compare(case)
    services.case_deliver(case=case, user=window_user, method="window")
    compare(case)
