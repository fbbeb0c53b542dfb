"""An alert's life: raised and notified, explained by the department, concluded by the
supervisor; the notices a card brings, numbered, rendered and recorded in the ledger."""

from __future__ import annotations

import io

import pypdf
import pytest
from django.utils import translation

from yiwang.cases import services as cases
from yiwang.cases.ledger import verify_events
from yiwang.cases.models import Case, CaseEvent
from yiwang.cases.tests.conftest import _staff, at
from yiwang.core.models import Notification, OutboundMessage
from yiwang.org.models import Role
from yiwang.supervision import services
from yiwang.supervision.models import Alert, AlertAction, AlertStatus, Notice, RuleSet
from yiwang.supervision.presets import ROOM
from yiwang.supervision.tests.test_sweep import file_case


@pytest.fixture
def yellow(food_licence, window_user, handler_user, county_supervisor) -> Alert:
    services.ruleset_assign(rule_set=RuleSet.objects.get(code=ROOM))
    case = file_case(food_licence, window_user)
    cases.case_accept(case=case, user=window_user, at=at("2025-09-26", "10:00"))
    cases.case_pass_step(case=case, user=handler_user, opinion="材料齐全", at=at("2025-09-29", "10:00"))
    services.sweep(at("2025-10-17", "08:00"))
    return Alert.objects.get()


@pytest.fixture
def department_head(market_dept):
    return _staff("head_hs", "钱局长", market_dept, Role.LEADER, department=market_dept)


def _snapshot(alert: Alert) -> tuple:
    alert.refresh_from_db()
    return (
        alert.status,
        alert.explanation,
        alert.resolution,
        AlertAction.objects.filter(alert=alert).count(),
    )


def _refused(alert: Alert, action, message: str) -> None:
    before = _snapshot(alert)
    with pytest.raises(services.SupervisionError) as raised, translation.override("en"):
        action()
    assert message in raised.value.text
    assert _snapshot(alert) == before


@pytest.mark.django_db
def test_a_card_notifies_the_handler_the_head_and_the_supervisor(
    food_licence, window_user, handler_user, county_supervisor, department_head, neighbour_approver
):
    services.ruleset_assign(rule_set=RuleSet.objects.get(code=ROOM))
    case = file_case(food_licence, window_user)
    cases.case_accept(case=case, user=window_user, at=at("2025-09-26", "10:00"))
    cases.case_pass_step(case=case, user=handler_user, opinion="材料齐全", at=at("2025-09-29", "10:00"))
    report = services.sweep(at("2025-10-17", "08:00"))
    assert report.alerts == 1 and report.notices == 1
    notified = set(Notification.objects.values_list("recipient__username", flat=True))
    # The last to act on the case (the handler), the department's head and the county's
    # supervisor; not the neighbouring county's staff.
    assert notified == {"handler_case", "head_hs", "supervisor_hs"}
    note = Notification.objects.get(recipient=handler_user)
    assert case.number in note.subject and note.link == f"/supervision/alerts/{Alert.objects.get().pk}/"
    people = [handler_user, department_head, county_supervisor.user]
    assert OutboundMessage.objects.filter(channel="email").count() == len([u for u in people if u.email])
    assert services.sweep(at("2025-10-17", "08:00")).messages == 0  # nothing twice


@pytest.mark.django_db
def test_the_department_explains_and_the_supervisor_accepts(yellow, handler_user, county_supervisor):
    services.alert_explain(alert=yellow, user=handler_user, text="申请人补充材料延误，已于当日办结。")
    services.alert_conclude(alert=yellow, user=county_supervisor.user, verdict="accept", note="情况属实")
    yellow.refresh_from_db()
    assert yellow.status == AlertStatus.ACCEPTED
    assert list(yellow.actions.values_list("action", flat=True)) == [
        "raised",
        "notified",
        "explained",
        "accept",
    ]


@pytest.mark.django_db
def test_a_rejected_explanation_can_be_explained_again(yellow, handler_user, county_supervisor):
    services.alert_explain(alert=yellow, user=handler_user, text="系统故障")
    _refused(
        yellow,
        lambda: services.alert_conclude(alert=yellow, user=county_supervisor.user, verdict="reject"),
        "Say why",
    )
    services.alert_conclude(
        alert=yellow, user=county_supervisor.user, verdict="reject", note="未提供故障记录"
    )
    services.alert_explain(alert=yellow, user=handler_user, text="附系统故障工单编号 2025-1017-03")
    yellow.refresh_from_db()
    assert yellow.status == AlertStatus.EXPLAINED


@pytest.mark.django_db
def test_escalation_issues_an_urging_notice(yellow, county_supervisor):
    services.alert_conclude(
        alert=yellow, user=county_supervisor.user, verdict="escalate", note="逾期未说明情况"
    )
    yellow.refresh_from_db()
    assert yellow.status == AlertStatus.ESCALATED
    assert sorted(Notice.objects.filter(alert=yellow).values_list("kind", flat=True)) == ["inquiry", "urging"]


@pytest.mark.django_db
def test_bad_explanations_and_conclusions_change_nothing(
    yellow, handler_user, county_supervisor, neighbour_approver, city_leader
):
    _refused(
        yellow,
        lambda: services.alert_explain(alert=yellow, user=handler_user, text="  "),
        "Write the explanation",
    )
    # Someone outside the department may not explain for it.
    _refused(
        yellow,
        lambda: services.alert_explain(alert=yellow, user=neighbour_approver, text="与我无关"),
        "Only staff of",
    )
    # Nothing to accept before an explanation; the handler cannot conclude.
    _refused(
        yellow,
        lambda: services.alert_conclude(alert=yellow, user=county_supervisor.user, verdict="accept"),
        "no explanation",
    )
    services.alert_explain(alert=yellow, user=handler_user, text="已办结")
    _refused(
        yellow,
        lambda: services.alert_conclude(alert=yellow, user=handler_user, verdict="accept"),
        "Only a supervisor",
    )
    _refused(
        yellow,
        lambda: services.alert_conclude(alert=yellow, user=county_supervisor.user, verdict="forgive"),
        "Accept, reject or escalate",
    )
    _refused(
        yellow,
        lambda: services.alert_explain(alert=yellow, user=handler_user, text="再说明一次"),
        "not expected now",
    )


@pytest.mark.django_db
def test_a_card_notice_is_rendered_numbered_and_recorded_in_the_ledger(yellow):
    notice = Notice.objects.get()
    assert notice.number == "邯山效问〔2025〕1号"
    assert notice.sha256 == ""  # the sweep numbers it; the PDF comes after
    assert services.issue_pending_notices() == 1
    notice.refresh_from_db()
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(notice.pdf.read())).pages)
    compact = text.replace(" ", "").replace("\n", "")
    assert "效能问询通知书" in compact
    assert "邯山效问〔2025〕1号" in compact
    assert "邯山区市场监督管理局" in compact
    assert yellow.case.number in compact
    event = CaseEvent.objects.filter(case=yellow.case).order_by("-seq").first()
    assert event.type == "notice"
    assert event.payload == {"kind": "inquiry", "number": notice.number, "sha256": notice.sha256}
    case = Case.objects.get(pk=yellow.case_id)
    assert verify_events(case, case.events.order_by("seq")) == []
    assert services.issue_pending_notices() == 0  # rendered once


@pytest.mark.django_db
def test_a_supervisor_issues_a_notice_by_hand_only_in_scope(yellow, county_supervisor, neighbour_approver):
    case = yellow.case
    before = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(services.SupervisionError), translation.override("en"):
        services.notice_issue(user=neighbour_approver, kind="urging", case=case, facts="催办")
    with pytest.raises(services.SupervisionError), translation.override("en"):
        services.notice_issue(user=county_supervisor.user, kind="urging", case=case, facts=" ")
    with pytest.raises(services.SupervisionError), translation.override("en"):
        services.notice_issue(user=county_supervisor.user, kind="praise", case=case, facts="催办")
    assert CaseEvent.objects.filter(case=case).count() == before
    notice = services.notice_issue(
        user=county_supervisor.user,
        kind="recommendation",
        case=case,
        facts="该局多件办件超期，建议优化审批流程。",
    )
    assert notice.number.startswith("邯山监建〔") and notice.number.endswith("〕1号")
    assert notice.sha256 and CaseEvent.objects.filter(case=case).count() == before + 1


@pytest.mark.django_db
def test_many_alerts_in_one_sweep_reach_each_person_as_one_summary(
    food_licence, window_user, handler_user, county_supervisor, department_head
):
    services.ruleset_assign(rule_set=RuleSet.objects.get(code=ROOM))
    numbers = []
    for _ in range(5):
        case = file_case(food_licence, window_user)
        cases.case_accept(case=case, user=window_user, at=at("2025-09-26", "10:00"))
        numbers.append(case.number)
    services.sweep(at("2025-10-17", "08:00"))
    assert Alert.objects.count() == 5
    head = Notification.objects.get(recipient=department_head)
    assert head.kind == "alert.digest" and head.link == "/supervision/alerts/?status=raised"
    assert all(number in head.body for number in numbers)
    # The window operator accepted them all: the last to act, so told too, once.
    assert Notification.objects.filter(recipient=window_user).count() == 1
    assert Notification.objects.count() == 3
