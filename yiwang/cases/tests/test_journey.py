"""A licensing case end to end across the 2025 National Day holiday (Oct 1–8 off, Sep 28
and Oct 11 worked), with a supplement before acceptance, a hearing and an extension; the
due date is checked at each point against dates worked out by hand from the State
Council's schedule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yiwang.cases import services
from yiwang.cases.models import CaseEvent, CaseState, Channel, EventType
from yiwang.cases.services import Upload
from yiwang.cases.tests.conftest import APPLICANT_ID, at
from yiwang.cases.workflow import Template, deadlines, fold

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "申请书.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.mark.django_db
def test_licensing_case_with_supplement_hearing_and_extension(
    food_licence, materials, window_user, handler_user, reviewer_user, approver_user
) -> None:
    # Given an application at the window on Monday 22 September 2025
    case = services.case_file(
        version=food_licence,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name="张晓梅",
        applicant_id_number=APPLICANT_ID,
        applicant_mobile="13831012345",
        uploads=[Upload(pdf(), materials[0])],
        user=window_user,
        at=at("2025-09-22"),
    )
    assert case.state == CaseState.SUBMITTED
    assert case.number.startswith("13040220250922")
    # acceptance is due 5 working days later; Sunday 28 September is a make-up working day
    assert case.acceptance_due == dt.date(2025, 9, 28)

    # When the window asks, once, for the two missing materials
    services.case_request_supplement(
        case=case,
        user=window_user,
        items=[
            {"material": materials[1].pk, "problem": "未提交"},
            {"material": materials[2].pk, "problem": "缺少食品安全管理员签字"},
        ],
        at=at("2025-09-23", "10:00"),
    )
    case.refresh_from_db()
    assert case.state == CaseState.SUPPLEMENT
    # and the applicant supplies them on Friday 26 September
    services.case_receive_supplement(
        case=case,
        user=window_user,
        uploads=[Upload(pdf("营业执照.pdf"), materials[1])],
        at=at("2025-09-26", "15:00"),
    )
    case.refresh_from_db()
    # then the 5 acceptance days restart: 28, 29, 30 Sep, (holiday), 9 and 10 Oct
    assert case.state == CaseState.SUBMITTED
    assert case.acceptance_due == dt.date(2025, 10, 10)

    # When it is accepted on Monday 29 September
    services.case_accept(case=case, user=window_user, at=at("2025-09-29"))
    case.refresh_from_db()
    # then 10 working days: 30 Sep, 9, 10, 11 (Saturday worked), 13–17, 20 Oct
    assert case.due_date == dt.date(2025, 10, 20)
    assert case.step_index == 0
    assert case.step_due_date == dt.date(2025, 10, 10)  # 承办: 3 working days

    services.case_pass_step(case=case, user=handler_user, opinion="材料齐全，符合条件", at=at("2025-09-30"))
    case.refresh_from_db()
    assert case.step_index == 1

    # When a hearing runs from Friday 10 October to Thursday 16 October
    services.case_suspend(
        case=case,
        user=reviewer_user,
        kind="hearing",
        reason="利害关系人申请听证",
        expected_days=5,
        at=at("2025-10-10", "11:00"),
    )
    case.refresh_from_db()
    assert case.state == CaseState.SUSPENDED and case.clock_stopped
    template = Template.from_version(food_licence)
    view = fold(case.events.order_by("seq"), template)
    # while it runs, the due date moves with it: as of 14 Oct, 11, 13, 14 Oct are stopped
    assert deadlines(view, template, at=dt.date(2025, 10, 14)).due_date == dt.date(2025, 10, 23)
    services.case_resume(
        case=case, user=reviewer_user, result="听证结束，维持原申请", at=at("2025-10-16", "16:00")
    )
    case.refresh_from_db()
    # then the 5 stopped working days (11, 13, 14, 15, 16 Oct) push the due date to 27 Oct
    assert case.state == CaseState.IN_PROGRESS and not case.clock_stopped
    assert case.due_date == dt.date(2025, 10, 27)

    # When the head approves a 10-working-day extension
    services.case_extend(
        case=case, user=approver_user, days=10, reason="需实地核查经营场所", at=at("2025-10-17")
    )
    case.refresh_from_db()
    # then 28–31 Oct and 3–7, 10 Nov
    assert case.due_date == dt.date(2025, 11, 10)
    assert case.extension_days == 10

    services.case_pass_step(case=case, user=reviewer_user, opinion="同意", at=at("2025-10-17", "10:00"))
    services.case_decide(case=case, user=approver_user, decision="approved", at=at("2025-10-20"))
    services.case_complete(
        case=case, user=approver_user, fee_charged=0, result_number="JY11304020001234", at=at("2025-10-21")
    )
    services.case_deliver(case=case, user=window_user, method="window", at=at("2025-10-22"))
    case.refresh_from_db()
    assert case.state == CaseState.DELIVERED
    assert case.decision == "approved"

    view = fold(case.events.order_by("seq"), template)
    final = deadlines(view, template)
    # 11 working days from acceptance to completion, 5 of them stopped by the hearing
    assert (final.used, final.stopped_days, final.left) == (6, 5, 14)

    types = list(case.events.order_by("seq").values_list("type", flat=True))
    assert types == [
        EventType.APPLY,
        EventType.SUPPLEMENT_REQUEST,
        EventType.SUPPLEMENT_RECEIVE,
        EventType.ACCEPT,
        EventType.STEP,
        EventType.SUSPEND,
        EventType.RESUME,
        EventType.EXTEND,
        EventType.STEP,
        EventType.DECIDE,
        EventType.COMPLETE,
        EventType.DELIVER,
    ]
    apply_event = CaseEvent.objects.get(case=case, seq=1)
    stored = case.files.get(material=materials[0])
    assert apply_event.payload["files"][0]["sha256"] == stored.sha256
    assert apply_event.role == "window_operator" and apply_event.actor_name == "孙窗口"


@pytest.mark.django_db
def test_a_supplement_after_acceptance_stops_the_case_clock(
    food_licence, materials, window_user, handler_user
) -> None:
    case = services.case_file(
        version=food_licence,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name="王强",
        applicant_id_number=APPLICANT_ID,
        user=window_user,
        at=at("2025-03-03"),
    )
    services.case_accept(case=case, user=window_user, at=at("2025-03-03", "10:00"))
    case.refresh_from_db()
    assert case.due_date == dt.date(2025, 3, 17)
    services.case_request_supplement(
        case=case,
        user=handler_user,
        items=[{"material": materials[2].pk, "problem": "制度文本未盖章"}],
        at=at("2025-03-05"),
    )
    services.case_receive_supplement(case=case, user=window_user, note="已当场补正盖章", at=at("2025-03-10"))
    case.refresh_from_db()
    # 6, 7, 10 March were stopped
    assert case.due_date == dt.date(2025, 3, 20)
    assert case.supplement_requests == 1
