"""Irregularity detectors: each fires on exactly its situation and never on a normal case.

Cases that the services accept are built through the services, with the clock set to
each event's moment (``act``) so that they are entered when they happen, as at a real
desk; what the services refuse (cases imported raw from a department's own system) is
built from hand-made events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AbstractBaseUser
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from yiwang.cases import services
from yiwang.cases.models import Case, Channel
from yiwang.cases.tests.conftest import APPLICANT_ID, STEPS, at
from yiwang.cases.workflow import Step, Template
from yiwang.catalog.factories import published_item
from yiwang.catalog.models import ItemVersion
from yiwang.org.factories import grant
from yiwang.org.models import Department, Role
from yiwang.org.permissions import forget_scope
from yiwang.supervision.detectors import (
    DEFAULT_PARAMS,
    CaseFacts,
    DetectorCode,
    Finding,
    ParamsError,
    Severity,
    detect,
    merge_params,
)

# --------------------------------------------------------------------------- cases through the services


def act(
    action: Callable[..., Case], when: dt.datetime, *, entered: dt.datetime | None = None, **kw: Any
) -> Case:
    """Record ``action`` as happened at ``when``, entered at ``entered`` (default: then)."""
    with time_machine.travel(entered or when, tick=False):
        return action(at=when, **kw)


@dataclass
class Desk:
    window: AbstractBaseUser
    handler: AbstractBaseUser
    reviewer: AbstractBaseUser
    approver: AbstractBaseUser

    def file(self, version: ItemVersion, when: dt.datetime, **kw: Any) -> Case:
        return act(
            services.case_file,
            when,
            version=version,
            channel=Channel.WINDOW,
            applicant_kind="individual",
            applicant_name="刘芳",
            applicant_id_number=APPLICANT_ID,
            user=self.window,
            **kw,
        )

    def accept(self, case: Case, when: dt.datetime, **kw: Any) -> None:
        act(services.case_accept, when, case=case, user=self.window, **kw)

    def handle(self, case: Case, when: dt.datetime, **kw: Any) -> None:
        act(services.case_pass_step, when, case=case, user=self.handler, opinion="材料齐全,同意", **kw)

    def review(self, case: Case, when: dt.datetime, **kw: Any) -> None:
        act(services.case_pass_step, when, case=case, user=self.reviewer, opinion="同意", **kw)

    def decide(self, case: Case, when: dt.datetime, decision: str = "approved", **kw: Any) -> None:
        act(services.case_decide, when, case=case, user=self.approver, decision=decision, **kw)

    def complete(self, case: Case, when: dt.datetime, fee: str = "0", **kw: Any) -> None:
        act(services.case_complete, when, case=case, user=self.approver, fee_charged=fee, **kw)

    def deliver(self, case: Case, when: dt.datetime) -> None:
        act(services.case_deliver, when, case=case, user=self.window, method="window")

    def extend(self, case: Case, when: dt.datetime, days: int) -> None:
        act(services.case_extend, when, case=case, user=self.approver, days=days, reason="需现场核查经营场所")

    def ask_supplement(self, case: Case, when: dt.datetime) -> None:
        items = [{"material": None, "name": "营业执照复印件", "problem": "复印件不清晰"}]
        act(services.case_request_supplement, when, case=case, user=self.window, items=items)

    def receive_supplement(self, case: Case, when: dt.datetime) -> None:
        act(services.case_receive_supplement, when, case=case, user=self.window, note="已补交清晰复印件")


@pytest.fixture
def desk(window_user, handler_user, reviewer_user, approver_user) -> Desk:
    return Desk(window_user, handler_user, reviewer_user, approver_user)


@pytest.fixture
def licence_with_fee(market_dept: Department) -> ItemVersion:
    return published_item(
        code="HS-YPLS-002",
        name="药品零售企业许可",
        department=market_dept,
        promised_limit=10,
        steps=STEPS,
        fees=[{"name": "工本费", "standard_amount": Decimal("20.00"), "basis": "冀价行费〔2018〕1号"}],
        effective_from=dt.date(2024, 1, 1),
    )


def facts_of(
    case: Case, *, cap: int | None = None, separation: Sequence[tuple[str, str]] | None = None
) -> CaseFacts:
    version = case.item_version
    fees = [fee.standard_amount for fee in version.fees.all()]
    return CaseFacts(
        events=list(case.events.order_by("seq")),
        template=services.template_of(case),
        fee_standard=sum(fees, Decimal(0)) if fees else None,
        extension_cap=services.extension_cap(version) if cap is None else cap,
        separation=services._separation_rules() if separation is None else separation,
    )


def handled(desk: Desk, version: ItemVersion, *, complete_on: str = "2025-10-14", fee: str = "0") -> Case:
    """A case filed on Thursday 9 October 2025 (due 22 October), handled in order."""
    case = desk.file(version, at("2025-10-09", "09:00"))
    desk.accept(case, at("2025-10-09", "09:30"))
    desk.handle(case, at("2025-10-10", "10:00"))
    desk.review(case, at("2025-10-13", "10:00"))
    desk.decide(case, at("2025-10-14", "15:00"))
    desk.complete(case, at(complete_on, "16:00"), fee=fee)
    return case


def english(facts: CaseFacts, params: Any = None, **kw: Any) -> list[Finding]:
    with translation.override("en"):
        return detect(facts, params, **kw)


def only(findings: list[Finding], code: str) -> Finding:
    matching = [f for f in findings if f.code == code]
    assert len(matching) == 1, findings
    return matching[0]


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


# --------------------------------------------------------------------------- hand-made events

WINDOW = (101, "孙窗口", "window_operator")
HANDLER = (102, "李承办", "handler")
REVIEWER = (103, "周审核", "reviewer")
APPROVER = (104, "吴批准", "approver")

TEMPLATE = Template(
    promised_limit=10,
    unit="working",
    item_type="01",
    parallel_approval=False,
    accept_role="window_operator",
    middle=(
        Step("承办", "handle", "handler", 3),
        Step("审核", "review", "reviewer", 2),
        Step("决定", "decide", "approver", 2),
    ),
    complete_role="approver",
    deliver_role="window_operator",
    decide_role="approver",
)


@dataclass(frozen=True)
class Ev:
    seq: int
    type: str
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    payload: dict[str, Any] = field(default_factory=dict)
    actor_id: int | None = None
    actor_name: str = ""
    role: str = ""


def ev(
    type: str,
    when: dt.datetime,
    who: tuple[int | None, str, str] = WINDOW,
    *,
    entered: dt.datetime | None = None,
    **payload: Any,
) -> Ev:
    return Ev(0, type, when, entered or when, payload, *who)


def numbered(*events: Ev) -> list[Ev]:
    return [Ev(n, e.type, e.occurred_at, e.recorded_at, e.payload, e.actor_id, e.actor_name, e.role)
            for n, e in enumerate(events, start=1)]  # fmt: skip


def raw(*events: Ev, cap: int = 10, fee: Decimal | None = None) -> CaseFacts:
    return CaseFacts(numbered(*events), TEMPLATE, fee, cap, [("accept", "decide")])


def in_order() -> list[Ev]:
    """An imported case handled in order, over a week."""
    return [
        ev("apply", at("2025-10-09", "09:00")),
        ev("accept", at("2025-10-09", "09:30")),
        ev("step", at("2025-10-10", "10:00"), HANDLER),
        ev("step", at("2025-10-13", "10:00"), REVIEWER),
        ev("decide", at("2025-10-14", "15:00"), APPROVER, decision="approved"),
        ev("complete", at("2025-10-14", "16:00"), APPROVER, fee_charged="0.00"),
        ev("deliver", at("2025-10-15", "10:00")),
    ]


# --------------------------------------------------------------------------- normal cases


@pytest.mark.django_db
def test_a_case_handled_in_order_has_no_finding_at_any_event(food_licence, desk) -> None:
    case = handled(desk, food_licence)
    desk.deliver(case, at("2025-10-15", "10:00"))
    facts = facts_of(case)
    assert len(facts.events) == 7
    assert detect(facts) == []
    for k in range(1, 8):
        prefix = CaseFacts(facts.events[:k], facts.template, None, facts.extension_cap, facts.separation)
        assert detect(prefix, only_last=True) == []


@pytest.mark.django_db
def test_a_busy_but_lawful_case_has_no_finding(food_licence, desk) -> None:
    # one supplement before acceptance (restarting the acceptance clock), a site
    # inspection, an extension within the cap, a reasoned denial, completion in time
    case = desk.file(food_licence, at("2025-10-09", "09:00"))
    desk.ask_supplement(case, at("2025-10-10", "09:00"))
    desk.receive_supplement(case, at("2025-10-16", "10:00"))
    desk.accept(case, at("2025-10-22", "09:00"))  # due 23 Oct, counted from the supplement
    desk.handle(case, at("2025-10-23", "10:00"))
    act(
        services.case_suspend,
        at("2025-10-24", "09:00"),
        case=case,
        user=desk.reviewer,
        kind="site_inspection",
        reason="核查经营场所",
        expected_days=3,
    )
    act(services.case_resume, at("2025-10-29", "09:00"), case=case, user=desk.reviewer, result="场所符合要求")
    desk.extend(case, at("2025-10-30", "09:00"), days=5)
    desk.review(case, at("2025-10-31", "10:00"))
    desk.decide(
        case,
        at("2025-11-05", "10:00"),
        decision="denied",
        reason="贮存场所不符合要求",
        legal_basis="《食品经营许可管理办法》第十一条",
    )
    desk.complete(case, at("2025-11-05", "16:00"))
    desk.deliver(case, at("2025-11-06", "10:00"))
    assert detect(facts_of(case)) == []


@pytest.mark.django_db
def test_a_reasoned_refusal_in_time_has_no_finding(food_licence, desk) -> None:
    case = desk.file(food_licence, at("2025-10-09", "09:00"))
    act(
        services.case_refuse,
        at("2025-10-15", "16:00"),
        case=case,
        user=desk.window,
        reason="不属于本部门职权范围",
        legal_basis="《行政许可法》第三十二条",
    )
    assert detect(facts_of(case)) == []


def test_an_imported_case_handled_in_order_has_no_finding() -> None:
    assert detect(raw(*in_order())) == []


# --------------------------------------------------------------------------- FEE_MISMATCH


@pytest.mark.django_db
def test_charging_more_than_the_standard_fee_is_found(licence_with_fee, desk) -> None:
    case = handled(desk, licence_with_fee, fee="50")
    finding = only(english(facts_of(case)), DetectorCode.FEE_MISMATCH)
    assert (finding.key, finding.event_seqs, finding.severity) == ("6", (6,), Severity.HIGH)
    assert "¥50.00" in finding.explanation
    assert "¥20.00" in finding.explanation
    assert "2025-10-14" in finding.explanation
    assert "吴批准" in finding.explanation


@pytest.mark.django_db
def test_charging_exactly_the_standard_fee_is_not_a_mismatch(licence_with_fee, desk) -> None:
    case = handled(desk, licence_with_fee, fee="20")  # recorded as "20.00"
    assert detect(facts_of(case)) == []


@pytest.mark.django_db
def test_charging_for_an_item_that_lists_no_fee_is_found(food_licence, desk) -> None:
    case = handled(desk, food_licence, fee="10")
    finding = only(english(facts_of(case)), DetectorCode.FEE_MISMATCH)
    assert finding.key == "6"
    assert "¥10.00" in finding.explanation
    assert "lists no fee" in finding.explanation


def test_charging_less_than_the_standard_is_found() -> None:
    events = in_order()
    events[5] = ev("complete", at("2025-10-14", "16:00"), APPROVER, fee_charged="5.00")
    finding = only(english(raw(*events, fee=Decimal("20"))), DetectorCode.FEE_MISMATCH)
    assert "less than" in finding.explanation
    assert "¥20.00" in finding.explanation


# --------------------------------------------------------------------------- STEP_OUT_OF_ORDER


def test_a_decision_skipping_steps_is_out_of_order() -> None:
    events = [
        ev("apply", at("2025-10-09", "09:00")),
        ev("accept", at("2025-10-09", "09:30")),
        ev("decide", at("2025-10-13", "15:00"), APPROVER, decision="approved"),
    ]
    finding = only(english(raw(*events)), DetectorCode.STEP_OUT_OF_ORDER)
    assert (finding.key, finding.event_seqs, finding.severity) == ("3", (3,), Severity.HIGH)
    assert "step 1 of 3" in finding.explanation
    assert "“承办”" in finding.explanation
    assert "“审核”" in finding.explanation
    assert "2025-10-13" in finding.explanation


def test_the_replay_goes_on_from_the_view_before_a_refused_event() -> None:
    # the premature decision is refused; the steps and the real decision after it are in order
    events = in_order()
    events.insert(2, ev("decide", at("2025-10-09", "10:00"), APPROVER, decision="approved"))
    findings = english(raw(*events))
    assert [(f.code, f.key) for f in findings] == [(DetectorCode.STEP_OUT_OF_ORDER, "3")]


def test_completing_without_a_decision_is_out_of_order() -> None:
    events = [e for e in in_order() if e.type != "decide"]
    findings = english(raw(*events))
    first = findings[0]
    assert (first.code, first.key, first.event_seqs) == (DetectorCode.STEP_OUT_OF_ORDER, "5", (5,))
    assert "without a recorded decision" in first.explanation
    # the delivery of a case never completed is out of order too
    assert [(f.code, f.key) for f in findings] == [
        (DetectorCode.STEP_OUT_OF_ORDER, "5"),
        (DetectorCode.STEP_OUT_OF_ORDER, "6"),
    ]


def test_an_event_after_the_case_closed_is_out_of_order() -> None:
    events = [
        ev("apply", at("2025-10-09", "09:00")),
        ev("refuse", at("2025-10-10", "09:00"), reason="材料不全", legal_basis="《行政许可法》第三十二条"),
        ev("step", at("2025-10-13", "10:00"), HANDLER),
    ]
    finding = only(english(raw(*events)), DetectorCode.STEP_OUT_OF_ORDER)
    assert finding.key == "3"
    assert "after the case had closed" in finding.explanation
    assert "2025-10-10" in finding.explanation
    assert "李承办" in finding.explanation


def test_a_step_beyond_the_last_one_is_out_of_order() -> None:
    events = in_order()
    events.insert(4, ev("step", at("2025-10-14", "09:00"), REVIEWER))  # a third step: 决定 is the decision
    finding = only(english(raw(*events)), DetectorCode.STEP_OUT_OF_ORDER)
    assert (finding.key, finding.event_seqs) == ("5", (5,))
    assert "after every step" in finding.explanation
    assert "周审核" in finding.explanation


def test_a_return_to_a_later_step_is_out_of_order() -> None:
    events = in_order()
    events.insert(3, ev("return", at("2025-10-10", "11:00"), HANDLER, to_step=2, reason="重新审查"))
    finding = only(english(raw(*events)), DetectorCode.STEP_OUT_OF_ORDER)
    assert finding.key == "4"
    assert "returned to an earlier step" in finding.explanation


def test_an_event_dated_before_the_previous_one_is_out_of_order() -> None:
    events = in_order()
    events[3] = ev("step", at("2025-10-09", "15:00"), REVIEWER)  # review dated before handling
    finding = only(english(raw(*events)), DetectorCode.STEP_OUT_OF_ORDER)
    assert (finding.key, finding.event_seqs) == ("4", (4,))
    assert "2025-10-09 15:00" in finding.explanation
    assert "2025-10-10 10:00" in finding.explanation


# --------------------------------------------------------------------------- SAME_PERSON


@pytest.mark.django_db
def test_accepting_and_deciding_one_case_is_found(
    settings, food_licence, desk, window_user, market_dept
) -> None:
    settings.CASE_SEPARATION_OF_DUTIES = []  # a desk whose configuration let it through
    grant(window_user.staff, Role.APPROVER, department=market_dept)
    forget_scope(window_user)
    desk.approver = window_user
    case = handled(desk, food_licence)
    finding = only(english(facts_of(case, separation=[("accept", "decide")])), DetectorCode.SAME_PERSON)
    assert (finding.key, finding.event_seqs, finding.severity) == ("5:accept", (2, 5), Severity.HIGH)
    assert "孙窗口" in finding.explanation
    assert "2025-10-09" in finding.explanation
    assert "2025-10-14" in finding.explanation


def test_an_imported_case_compares_people_by_name() -> None:
    events = in_order()
    events[4] = ev("decide", at("2025-10-14", "15:00"), (None, "孙窗口", "approver"), decision="approved")
    events[1] = ev("accept", at("2025-10-09", "09:30"), (None, "孙窗口", "window_operator"))
    finding = only(english(raw(*events)), DetectorCode.SAME_PERSON)
    assert finding.event_seqs == (2, 5)


def test_only_the_configured_pairs_are_forbidden() -> None:
    events = in_order()
    events[4] = ev("decide", at("2025-10-14", "15:00"), WINDOW, decision="approved")
    facts = raw(*events)
    assert codes(detect(facts)) == [DetectorCode.SAME_PERSON]
    allowed = CaseFacts(facts.events, TEMPLATE, None, 10, [("step", "decide")])
    assert detect(allowed) == []


# --------------------------------------------------------------------------- BACKFILLED


@pytest.mark.django_db
def test_a_decision_entered_three_days_late_is_backfilled(food_licence, desk) -> None:
    case = desk.file(food_licence, at("2025-10-09", "09:00"))
    desk.accept(case, at("2025-10-09", "09:30"))
    desk.handle(case, at("2025-10-10", "10:00"))
    desk.review(case, at("2025-10-13", "10:00"))
    desk.decide(case, at("2025-10-14", "15:00"), entered=at("2025-10-17", "11:00"))
    facts = facts_of(case)
    finding = only(english(facts), DetectorCode.BACKFILLED)
    assert (finding.key, finding.event_seqs, finding.severity) == ("5", (5,), Severity.HIGH)
    assert "2025-10-14 15:00" in finding.explanation
    assert "2025-10-17 11:00" in finding.explanation
    assert "2 days" in finding.explanation
    assert "吴批准" in finding.explanation
    # a looser threshold (68 hours late) or the detector switched off: nothing
    assert detect(facts, {DetectorCode.BACKFILLED: {"hours": 72}}) == []
    assert detect(facts, {DetectorCode.BACKFILLED: {"enabled": False}}) == []


@pytest.mark.django_db
def test_an_event_entered_the_same_afternoon_is_not_backfilled(food_licence, desk) -> None:
    case = desk.file(food_licence, at("2025-10-09", "09:00"), entered=at("2025-10-09", "17:30"))
    assert detect(facts_of(case)) == []
    finding = only(english(facts_of(case), {DetectorCode.BACKFILLED: {"hours": 4}}), DetectorCode.BACKFILLED)
    assert "8 hours" in finding.explanation


# --------------------------------------------------------------------------- OFF_SYSTEM


def test_a_case_entered_at_acceptance_was_handled_off_system() -> None:
    events = in_order()[1:]
    findings = english(raw(*events))
    finding = only(findings, DetectorCode.OFF_SYSTEM)
    assert (finding.key, finding.event_seqs, finding.severity) == ("no_apply", (1,), Severity.HIGH)
    assert "2025-10-09" in finding.explanation
    assert "never recorded" in finding.explanation
    # the rest of the case is replayed from an assumed application: nothing else is wrong
    assert codes(findings) == [DetectorCode.OFF_SYSTEM]


@pytest.mark.django_db
def test_a_whole_case_entered_in_one_sitting_was_handled_off_system(food_licence, desk) -> None:
    sitting = at("2025-10-20", "14:00")
    minute = dt.timedelta(minutes=1)
    case = desk.file(food_licence, at("2025-10-09", "09:00"), entered=sitting)
    desk.accept(case, at("2025-10-10", "09:30"), entered=sitting + minute)
    desk.handle(case, at("2025-10-13", "10:00"), entered=sitting + 2 * minute)
    desk.review(case, at("2025-10-14", "10:00"), entered=sitting + 3 * minute)
    findings = english(facts_of(case))
    finding = only(findings, DetectorCode.OFF_SYSTEM)
    assert (finding.key, finding.event_seqs) == ("batch", (1, 2, 3))
    assert "2025-10-09" in finding.explanation
    assert "2025-10-13" in finding.explanation
    assert "2025-10-20" in finding.explanation
    assert "2 minutes" in finding.explanation
    # each event is also backfilled (entered days after it happened)
    assert [f.key for f in findings if f.code == DetectorCode.BACKFILLED] == ["1", "2", "3", "4"]


def test_a_window_that_files_and_accepts_at_once_is_not_off_system() -> None:
    events = in_order()
    events[1] = ev("accept", at("2025-10-09", "09:01"))  # entered together, dated together
    assert detect(raw(*events)) == []


@pytest.mark.django_db
def test_three_steps_done_in_six_minutes_were_handled_off_system(food_licence, desk) -> None:
    case = desk.file(food_licence, at("2025-10-09", "09:00"))
    desk.accept(case, at("2025-10-09", "09:30"))
    desk.handle(case, at("2025-10-09", "09:32"))
    desk.review(case, at("2025-10-09", "09:34"))
    desk.decide(case, at("2025-10-09", "09:36"))
    facts = facts_of(case)
    finding = only(english(facts), DetectorCode.OFF_SYSTEM)
    assert (finding.key, finding.event_seqs) == ("fast", (2, 3, 4, 5))
    assert "2025-10-09 09:30" in finding.explanation
    assert "2025-10-09 09:36" in finding.explanation
    assert "6 minutes" in finding.explanation
    # thresholds: a shorter window, or items of at least four steps only
    assert detect(facts, {DetectorCode.OFF_SYSTEM: {"minutes": 5}}) == []
    assert detect(facts, {DetectorCode.OFF_SYSTEM: {"min_steps": 4}}) == []


def test_an_item_of_one_step_may_be_decided_at_once() -> None:
    one_step = Template(10, "working", "01", False, "window_operator", (Step("决定", "decide", "approver", 1),),
                        "approver", "window_operator", "approver")  # fmt: skip
    events = numbered(
        ev("apply", at("2025-10-09", "09:00")),
        ev("accept", at("2025-10-09", "09:01")),
        ev("decide", at("2025-10-09", "09:03"), APPROVER, decision="approved"),
        ev("complete", at("2025-10-09", "09:04"), APPROVER, fee_charged="0"),
    )
    assert detect(CaseFacts(events, one_step, None, 10, [("accept", "decide")])) == []


# --------------------------------------------------------------------------- REPEATED_SUPPLEMENT


@pytest.mark.django_db
def test_a_second_supplement_notice_is_found(food_licence, desk) -> None:
    case = desk.file(food_licence, at("2025-10-09", "09:00"))
    desk.ask_supplement(case, at("2025-10-10", "09:00"))
    desk.receive_supplement(case, at("2025-10-13", "10:00"))
    desk.ask_supplement(case, at("2025-10-14", "09:00"))
    desk.receive_supplement(case, at("2025-10-15", "10:00"))
    desk.ask_supplement(case, at("2025-10-16", "09:00"))
    findings = [f for f in english(facts_of(case)) if f.code == DetectorCode.REPEATED_SUPPLEMENT]
    assert [(f.key, f.event_seqs) for f in findings] == [("4", (2, 4)), ("6", (2, 6))]
    assert findings[0].severity == Severity.MEDIUM
    assert "no. 2" in findings[0].explanation
    assert "2025-10-10" in findings[0].explanation
    assert "2025-10-14" in findings[0].explanation
    assert "no. 3" in findings[1].explanation


# --------------------------------------------------------------------------- NO_REASON


def test_a_refusal_without_legal_basis_is_found() -> None:
    events = [
        ev("apply", at("2025-10-09", "09:00")),
        ev("refuse", at("2025-10-10", "09:00"), reason="材料不全", legal_basis=" "),
    ]
    finding = only(english(raw(*events)), DetectorCode.NO_REASON)
    assert (finding.key, finding.event_seqs) == ("2", (2,))
    assert "cites no legal basis" in finding.explanation
    assert "states no reason" not in finding.explanation
    assert "2025-10-10" in finding.explanation


def test_a_denial_without_reason_or_legal_basis_is_found() -> None:
    events = in_order()
    events[4] = ev("decide", at("2025-10-14", "15:00"), APPROVER, decision="denied")
    finding = only(english(raw(*events)), DetectorCode.NO_REASON)
    assert (finding.key, finding.event_seqs) == ("5", (5,))
    assert "states no reason and cites no legal basis" in finding.explanation
    assert "吴批准" in finding.explanation


def test_an_approval_needs_no_reason() -> None:
    events = in_order()  # decide approved with no reason or legal basis in its payload
    assert "reason" not in events[4].payload
    assert detect(raw(*events)) == []


# --------------------------------------------------------------------------- LATE_ACCEPTANCE


@pytest.mark.django_db
def test_accepting_after_five_working_days_is_late(food_licence, desk) -> None:
    case = desk.file(food_licence, at("2025-10-09", "09:00"))
    desk.accept(case, at("2025-10-20", "09:00"))
    finding = only(english(facts_of(case)), DetectorCode.LATE_ACCEPTANCE)
    assert (finding.key, finding.event_seqs, finding.severity) == ("2", (1, 2), Severity.MEDIUM)
    assert "due on 2025-10-15" in finding.explanation
    assert "2025-10-20" in finding.explanation
    assert "2025-10-09" in finding.explanation


@pytest.mark.django_db
def test_a_late_refusal_is_a_late_acceptance_decision(food_licence, desk) -> None:
    case = desk.file(food_licence, at("2025-10-09", "09:00"))
    act(
        services.case_refuse,
        at("2025-10-16", "09:00"),
        case=case,
        user=desk.window,
        reason="不属于本部门职权范围",
        legal_basis="《行政许可法》第三十二条",
    )
    finding = only(english(facts_of(case)), DetectorCode.LATE_ACCEPTANCE)
    assert finding.key == "2"
    assert "2025-10-16" in finding.explanation


@pytest.mark.django_db
def test_acceptance_after_a_late_supplement_is_counted_from_the_supplement(food_licence, desk) -> None:
    case = desk.file(food_licence, at("2025-10-09", "09:00"))
    desk.ask_supplement(case, at("2025-10-10", "09:00"))
    desk.receive_supplement(case, at("2025-10-16", "10:00"))
    desk.accept(case, at("2025-10-24", "09:00"))  # due 23 October, 5 working days after the 16th
    finding = only(english(facts_of(case)), DetectorCode.LATE_ACCEPTANCE)
    assert (finding.key, finding.event_seqs) == ("4", (1, 3, 4))
    assert "due on 2025-10-23" in finding.explanation
    assert "supplement received on 2025-10-16" in finding.explanation


# --------------------------------------------------------------------------- LATE_COMPLETION


@pytest.mark.django_db
def test_completing_after_the_due_date_is_late(food_licence, desk) -> None:
    case = handled(desk, food_licence, complete_on="2025-10-23")
    finding = only(english(facts_of(case)), DetectorCode.LATE_COMPLETION)
    assert (finding.key, finding.event_seqs, finding.severity) == ("6", (2, 6), Severity.MEDIUM)
    assert "due date of 2025-10-22" in finding.explanation
    assert "2025-10-23" in finding.explanation
    assert "no extension" in finding.explanation


@pytest.mark.django_db
def test_completing_after_even_the_extended_due_date_is_late(food_licence, desk) -> None:
    case = desk.file(food_licence, at("2025-10-09", "09:00"))
    desk.accept(case, at("2025-10-09", "09:30"))
    desk.extend(case, at("2025-10-15", "09:00"), days=2)  # due 24 October
    desk.handle(case, at("2025-10-20", "10:00"))
    desk.review(case, at("2025-10-21", "10:00"))
    desk.decide(case, at("2025-10-24", "15:00"))
    desk.complete(case, at("2025-10-27", "10:00"))
    finding = only(english(facts_of(case)), DetectorCode.LATE_COMPLETION)
    assert (finding.key, finding.event_seqs) == ("7", (2, 3, 7))
    assert "due date of 2025-10-24" in finding.explanation
    assert "2 days of extension" in finding.explanation


@pytest.mark.django_db
def test_completing_within_the_extended_due_date_is_in_time(food_licence, desk) -> None:
    case = desk.file(food_licence, at("2025-10-09", "09:00"))
    desk.accept(case, at("2025-10-09", "09:30"))
    desk.extend(case, at("2025-10-15", "09:00"), days=5)  # due 29 October
    desk.handle(case, at("2025-10-20", "10:00"))
    desk.review(case, at("2025-10-21", "10:00"))
    desk.decide(case, at("2025-10-24", "15:00"))
    desk.complete(case, at("2025-10-27", "10:00"))
    assert detect(facts_of(case)) == []


# --------------------------------------------------------------------------- EXTENSION_OVER_CAP


@pytest.mark.django_db
def test_extensions_beyond_the_cap_are_found(food_licence, desk) -> None:
    case = desk.file(food_licence, at("2025-10-09", "09:00"))
    desk.accept(case, at("2025-10-09", "09:30"))
    desk.extend(case, at("2025-10-15", "09:00"), days=6)
    desk.extend(case, at("2025-10-21", "09:00"), days=4)
    assert detect(facts_of(case)) == []  # 10 days: the item's cap
    # a stricter cap (e.g. an imported case of an item type allowed fewer days)
    finding = only(english(facts_of(case, cap=8)), DetectorCode.EXTENSION_OVER_CAP)
    assert (finding.key, finding.event_seqs, finding.severity) == ("4", (3, 4), Severity.HIGH)
    assert "to 10 days" in finding.explanation
    assert "the 8 days allowed" in finding.explanation
    assert "2025-10-21" in finding.explanation


def test_each_extension_beyond_the_cap_is_its_own_finding() -> None:
    events = in_order()[:3]
    events += [
        ev("extend", at("2025-10-13", "09:00"), APPROVER, days=8),
        ev("extend", at("2025-10-14", "09:00"), APPROVER, days=4),
        ev("extend", at("2025-10-15", "09:00"), APPROVER, days=3),
    ]
    findings = english(raw(*events))
    assert [(f.code, f.key, f.event_seqs) for f in findings] == [
        (DetectorCode.EXTENSION_OVER_CAP, "5", (4, 5)),
        (DetectorCode.EXTENSION_OVER_CAP, "6", (4, 5, 6)),
    ]
    assert "to 15 days" in findings[1].explanation


# --------------------------------------------------------------------------- only_last, params, determinism


def bad_case() -> list[Ev]:
    """An imported case with something wrong at almost every event."""
    return [
        ev("apply", at("2025-10-09", "09:00")),
        ev("supplement_request", at("2025-10-09", "10:00"), items=[]),
        ev("supplement_receive", at("2025-10-10", "10:00")),
        ev("supplement_request", at("2025-10-10", "11:00"), items=[]),
        ev("supplement_receive", at("2025-10-13", "10:00")),
        ev("accept", at("2025-10-21", "09:30")),
        ev("decide", at("2025-10-21", "09:35"), APPROVER, decision="approved"),
        ev("step", at("2025-10-22", "10:00"), HANDLER, entered=at("2025-10-24", "10:00")),
        ev("extend", at("2025-10-23", "10:00"), APPROVER, days=12),
        ev("step", at("2025-10-23", "11:00"), REVIEWER),
        ev("decide", at("2025-11-21", "15:00"), WINDOW, decision="denied", reason="不符合条件"),
        ev("complete", at("2025-11-21", "16:00"), APPROVER, fee_charged="35.00"),  # due 20 November
        ev("step", at("2025-11-24", "09:00"), HANDLER),
    ]


def test_the_bad_case_is_found_out_by_every_detector() -> None:
    findings = english(raw(*bad_case(), fee=Decimal("30")))
    assert [(f.code, f.key) for f in findings] == [
        (DetectorCode.REPEATED_SUPPLEMENT, "4"),
        (DetectorCode.LATE_ACCEPTANCE, "6"),
        (DetectorCode.STEP_OUT_OF_ORDER, "7"),
        (DetectorCode.BACKFILLED, "8"),
        (DetectorCode.EXTENSION_OVER_CAP, "9"),
        (DetectorCode.SAME_PERSON, "11:accept"),
        (DetectorCode.NO_REASON, "11"),
        (DetectorCode.FEE_MISMATCH, "12"),
        (DetectorCode.LATE_COMPLETION, "12"),
        (DetectorCode.STEP_OUT_OF_ORDER, "13"),
    ]


def test_findings_on_each_new_event_add_up_to_the_full_run() -> None:
    facts = raw(*bad_case(), fee=Decimal("30"))
    full = detect(facts)
    collected: list[Finding] = []
    for k, event in enumerate(facts.events, start=1):
        prefix = CaseFacts(facts.events[:k], TEMPLATE, facts.fee_standard, 10, facts.separation)
        new = detect(prefix, only_last=True)
        assert new == [f for f in detect(prefix) if event.seq in f.event_seqs]
        assert new == [f for f in full if max(f.event_seqs) == event.seq]
        collected += new
    assert collected == full


def test_params_change_severity_and_switch_detectors_off() -> None:
    facts = raw(*bad_case(), fee=Decimal("30"))
    findings = detect(
        facts,
        {
            DetectorCode.FEE_MISMATCH: {"severity": Severity.LOW},
            DetectorCode.STEP_OUT_OF_ORDER: {"enabled": False},
        },
    )
    assert DetectorCode.STEP_OUT_OF_ORDER not in codes(findings)
    assert only(findings, DetectorCode.FEE_MISMATCH).severity == Severity.LOW
    assert only(findings, DetectorCode.BACKFILLED).severity == Severity.HIGH
    # the defaults themselves are untouched
    assert DEFAULT_PARAMS[DetectorCode.FEE_MISMATCH]["severity"] == Severity.HIGH
    assert DEFAULT_PARAMS[DetectorCode.STEP_OUT_OF_ORDER]["enabled"] is True


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"speeding": {"enabled": False}}, "There is no detector “speeding”."),
        ({"backfilled": {"hour": 2}}, "The detector “backfilled” has no setting “hour”."),
        ({"backfilled": {"hours": -1}}, "The setting “hours” of the detector “backfilled” cannot be -1."),
        ({"backfilled": {"hours": "24"}}, "cannot be '24'"),
        ({"backfilled": {"hours": float("inf")}}, "cannot be inf"),
        ({"off_system": {"enabled": "no"}}, "cannot be 'no'"),
        ({"fee_mismatch": {"severity": "urgent"}}, "cannot be 'urgent'"),
    ],
)
def test_bad_params_are_refused_with_a_clear_error(params: Any, message: str) -> None:
    with translation.override("en"), pytest.raises(ParamsError) as raised:
        detect(raw(*in_order()), params)
    assert message in raised.value.message


def test_every_code_has_defaults_and_a_label() -> None:
    assert set(merge_params()) == set(DetectorCode.values)
    for code in DetectorCode:
        assert merge_params()[code]["enabled"] is True
        assert merge_params()[code]["severity"] in Severity.values
        assert str(code.label)


def test_detection_is_deterministic() -> None:
    facts = raw(*bad_case(), fee=Decimal("30"))
    assert english(facts) == english(raw(*bad_case(), fee=Decimal("30")))
    assert all(type(f.code) is str and type(f.severity) is str for f in detect(facts))


# --------------------------------------------------------------------------- any sequence at all

_TYPES = ["apply", "accept", "refuse", "supplement_request", "supplement_receive", "step", "return",
          "decide", "complete", "deliver", "suspend", "resume", "extend", "withdraw", "transfer"]  # fmt: skip
_PEOPLE = [WINDOW, HANDLER, REVIEWER, APPROVER, (None, "", "")]


@st.composite
def sequences(draw: st.DrawFn) -> list[Ev]:
    n = draw(st.integers(min_value=1, max_value=14))
    moment = at("2025-10-09", "09:00")
    events = []
    for _ in range(n):
        moment += dt.timedelta(minutes=draw(st.sampled_from([-90, 0, 3, 60, 60 * 24, 60 * 24 * 6])))
        lag = dt.timedelta(hours=draw(st.sampled_from([0, 0, 2, 30])))
        payload = draw(
            st.sampled_from(
                [
                    {},
                    {"decision": "approved"},
                    {"decision": "denied", "reason": "不符合", "legal_basis": "第三十八条"},
                    {"decision": "denied"},
                    {"days": 4},
                    {"days": 9},
                    {"to_step": 0},
                    {"fee_charged": "12.50"},
                    {"reason": "材料不全"},
                ]
            )
        )
        who = draw(st.sampled_from(_PEOPLE))
        events.append(ev(draw(st.sampled_from(_TYPES)), moment, who, entered=moment + lag, **payload))
    return numbered(*events)


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequences())
def test_any_sequence_of_events_gives_findings_that_add_up_event_by_event(events: list[Ev]) -> None:
    def facts(upto: int) -> CaseFacts:
        return CaseFacts(
            events[:upto], TEMPLATE, Decimal("12.50"), 10, [("accept", "decide"), ("step", "step")]
        )

    full = detect(facts(len(events)))
    assert full == detect(facts(len(events)))
    assert len({(f.code, f.key) for f in full}) == len(full)
    collected: list[Finding] = []
    for k in range(1, len(events) + 1):
        collected += detect(facts(k), only_last=True)
    assert collected == full
