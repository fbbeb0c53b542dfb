"""A parallel approval through the API: the lead case shows its branches, each branch
its lead (the setting is the cases tests' 建设工程规划许可证核发 with three partners)."""

from __future__ import annotations

import pytest

from yiwang.api.tests.conftest import CASES, action_url, assert_problem, client_for, ledger_state
from yiwang.cases.models import CaseState
from yiwang.cases.tests import test_parallel as setting
from yiwang.cases.tests.test_parallel import Joint, accepted_lead, branch_of, decide_branch

pytestmark = pytest.mark.django_db

joint = setting.joint


def test_the_lead_case_lists_its_branches(joint: Joint) -> None:
    lead = accepted_lead(joint)
    window = client_for(joint.window)

    body = window.get(f"{CASES}{lead.number}/").json()

    assert body["lead_case"] is None
    assert {b["department"]["name"] for b in body["branches"]} == {p.dept.name for p in joint.partners}
    assert {b["state"] for b in body["branches"]} == {CaseState.IN_PROGRESS}
    # the window of the lead department does not see inside the partners' branches
    assert_problem(window.get(f"{CASES}{body['branches'][0]['number']}/"), 404, "not_found")


def test_a_branch_names_its_lead_and_is_handled_by_its_own_department(joint: Joint) -> None:
    lead = accepted_lead(joint)
    branch = branch_of(lead, joint.housing)
    reviewer = client_for(joint.housing.reviewer)

    body = reviewer.get(f"{CASES}{branch.number}/").json()

    assert body["lead_case"] == lead.number
    assert body["actions"] == ["supplement-request", "pass-step", "suspend"]
    assert reviewer.get(f"{CASES}?department={joint.housing.dept.pk}").json()["count"] == 1


def test_the_lead_is_decided_only_after_every_branch(joint: Joint) -> None:
    lead = accepted_lead(joint)
    reviewer, approver = client_for(joint.lead.reviewer), client_for(joint.lead.approver)
    assert reviewer.post(action_url(lead.number, "pass-step"), {"opinion": "符合规划条件"}).status_code == 200
    before = ledger_state(lead)

    # While the partners are still deciding, deciding is neither offered nor accepted
    assert "decide" not in approver.get(f"{CASES}{lead.number}/").json()["actions"]
    response = approver.post(action_url(lead.number, "decide"), {"decision": "approved"})

    problem = assert_problem(response, 409, "branches_pending")
    assert joint.housing.dept.name in problem["detail"]
    assert ledger_state(lead) == before

    # Once every branch has decided, the lead's approver may decide
    for partner in joint.partners:
        decide_branch(branch_of(lead, partner), partner)
    assert "decide" in approver.get(f"{CASES}{lead.number}/").json()["actions"]
