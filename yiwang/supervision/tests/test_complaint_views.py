"""The pages of the efficiency complaints (效能投诉, seed 004 part 1): the list, the
registration form, one complaint with the forms of what the viewer may do, and the
statistics.

王监察 of 邯山区电子监察室 handles complaints about 邯山区市场监督管理局, whose head is
陈局长; 赵领导 (a leader of 邯郸市) is the head who approves the room's handling. A
transferred complaint goes to 邯山区住房和城乡建设局, where 郑承办 works. The complainant,
张投诉, must stay unknown to all but the supervision room. Dates fall around National Day
2025 (1–8 October off, Sunday 28 September and Saturday 11 October worked).
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from yiwang.core.models import Notification
from yiwang.org.factories import DepartmentFactory, StaffFactory, UserFactory, grant
from yiwang.org.models import Department, Role, Staff
from yiwang.supervision import complaints
from yiwang.supervision.models import (
    Complaint,
    ComplaintDocument,
    ComplaintEvent,
    ComplaintMeasure,
    ComplaintStatus,
)
from yiwang.supervision.tests.conftest import at

pytestmark = pytest.mark.django_db

NAME = "张投诉"
MOBILE = "13912345678"
ADDRESS = "邯山区陵园路8号"


@pytest.fixture(autouse=True)
def clock() -> Any:
    """Pages run at a fixed moment; a client made before the clock moves on has an expired
    session (30 minutes idle), so tests make a new one after moving it."""
    with time_machine.travel(at("2025-09-26", "10:00"), tick=False) as traveller:
        yield traveller


# --------------------------------------------------------------------------- people


@pytest.fixture
def supervisor(county_supervisor: Staff) -> Any:
    return county_supervisor.user


@pytest.fixture
def approver(city_leader: Staff) -> Any:
    """赵领导: a leader over the city, the head who approves the room's handling."""
    return city_leader.user


@pytest.fixture
def dept_head(market_dept: Department) -> Any:
    staff = StaffFactory(user=UserFactory(username="head_hs"), name="陈局长", department=market_dept)
    grant(staff, Role.LEADER, department=market_dept)
    return staff.user


@pytest.fixture
def bureau(county: Any) -> Department:
    return DepartmentFactory(name="邯山区住房和城乡建设局", short_name="区住建局", region=county)


@pytest.fixture
def unit_user(bureau: Department) -> Any:
    staff = StaffFactory(user=UserFactory(username="unit_hs"), name="郑承办", department=bureau)
    grant(staff, Role.HANDLER, department=bureau)
    return staff.user


@pytest.fixture
def agent(county: Any) -> Any:
    centre = DepartmentFactory(name="邯山区12345热线", region=county)
    staff = StaffFactory(user=UserFactory(username="agent_hs"), name="吴话务", department=centre)
    grant(staff, Role.HOTLINE_AGENT, region=county)
    return staff.user


@pytest.fixture
def neighbour_supervisor(other_county: Any) -> Any:
    room = DepartmentFactory(name="丛台区电子监察室", region=other_county, is_supervision_room=True)
    staff = StaffFactory(user=UserFactory(username="supervisor_ct"), name="钱监察", department=room)
    grant(staff, Role.SUPERVISOR, region=other_county)
    return staff.user


def as_user(user: Any, language: str = "en") -> Client:
    client = Client()
    client.cookies["django_language"] = language
    client.force_login(get_user_model().objects.get(pk=user.pk))
    return client


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content.decode()[:2000]
    return html.unescape(response.content.decode())


def pdf(name: str = "letter.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% a scanned letter\n%%EOF\n", content_type="application/pdf")


def register(
    user: Any, department: Department, day: str, *, category: str = "attitude", time: str = "09:00", **kw: Any
) -> Complaint:
    return complaints.complaint_register(
        user=user,
        channel=kw.pop("channel", "phone"),
        category=category,
        department=department,
        content=kw.pop("content", "窗口人员态度恶劣，拒绝解释。"),
        complainant_name=NAME,
        complainant_mobile=MOBILE,
        complainant_address=ADDRESS,
        received_at=at(day, time),
        at=at(day, time),
        **kw,
    )


def accept_self(supervisor: Any, c: Complaint, day: str) -> Complaint:
    return complaints.complaint_accept(complaint=c, user=supervisor, mode="self", at=at(day, "10:00"))


def transfer(supervisor: Any, c: Complaint, unit: Department, day: str) -> Complaint:
    return complaints.complaint_accept(
        complaint=c,
        user=supervisor,
        mode="transfer",
        handling_unit=unit,
        instruction="请区住建局核查处理。",
        at=at(day, "10:00"),
    )


def state() -> tuple[Any, ...]:
    """Everything a refused action must leave as it was."""
    return (
        list(
            Complaint.objects.order_by("pk").values_list(
                "pk", "status", "handling_limit", "handling_due", "feedback_at", "substantiated"
            )
        ),
        ComplaintEvent.objects.count(),
        ComplaintDocument.objects.count(),
        ComplaintMeasure.objects.count(),
        Notification.objects.count(),
    )


def shown(text: str, complaints_: list[Complaint]) -> list[int]:
    """The complaints listed, in the order shown."""
    order = [int(pk) for pk in re.findall(r'data-complaint="(\d+)"', text)]
    return [pk for pk in order if pk in {c.pk for c in complaints_}]


# --------------------------------------------------------------------------- the list


def test_the_list_puts_retaliation_first_and_shows_the_complainant_only_to_the_room(
    supervisor: Any, market_dept: Department, bureau: Department, dept_head: Any, unit_user: Any
) -> None:
    plain = register(supervisor, market_dept, "2025-09-26", time="11:00")
    retaliation = register(supervisor, market_dept, "2025-09-25", category="retaliation")
    other = register(supervisor, bureau, "2025-09-26", category="efficiency")
    transfer(supervisor, other, bureau, "2025-09-26")

    text = page(as_user(supervisor), "/supervision/complaints/")
    assert shown(text, [plain, retaliation, other]) == [retaliation.pk, plain.pk, other.pk]
    assert plain.number in text and "2025-09-26 11:00" in text
    assert "bad attitude" in text and "区市场监管局" in text and "registered" in text
    assert NAME in text  # the room sees who complained
    assert 'href="/supervision/complaints/" aria-current="page"' in text  # the console's tab

    head_text = page(as_user(dept_head), "/supervision/complaints/")
    assert shown(head_text, [plain, retaliation, other]) == [retaliation.pk, plain.pk]  # about the bureau
    unit_text = page(as_user(unit_user), "/supervision/complaints/")
    assert shown(unit_text, [plain, retaliation, other]) == [other.pk]  # transferred to the unit
    for text in (head_text, unit_text):
        assert NAME not in text and MOBILE not in text and ADDRESS not in text


def test_the_list_filters_and_marks_what_is_overdue(
    clock: Any, supervisor: Any, market_dept: Department, bureau: Department, other_market_dept: Department
) -> None:
    late = register(supervisor, market_dept, "2025-09-22")  # to be told by 25 September
    fresh = register(supervisor, bureau, "2025-09-26", category="fees")
    accept_self(supervisor, fresh, "2025-09-26")
    clock.move_to(at("2025-09-29", "09:00"))
    client = as_user(supervisor)

    def listed(query: str) -> set[int]:
        response = client.get("/supervision/complaints/?" + query)
        assert response.status_code == 200, response.content.decode()[:1000]
        return set(shown(response.content.decode(), [late, fresh]))

    assert listed("") == {late.pk, fresh.pk}
    assert listed("status=handling") == {fresh.pk}
    assert listed("category=fees") == {fresh.pk}
    assert listed("mode=self") == {fresh.pk}
    assert listed(f"department={market_dept.pk}") == {late.pk}
    assert listed("received_from=2025-09-23") == {fresh.pk}
    assert listed("received_to=2025-09-22") == {late.pk}
    assert listed("overdue=on") == {late.pk}
    text = page(client, "/supervision/complaints/")
    assert re.search(rf'data-complaint="{late.pk}"[^>]*>', text)
    assert f'complaint-row--overdue" data-complaint="{late.pk}"' in text
    # bad filters: an error and an empty list, never a wider one
    reversed_ = client.get("/supervision/complaints/?received_from=2025-09-26&received_to=2025-09-01")
    assert reversed_.status_code == 400 and "before its start" in reversed_.content.decode()
    assert client.get(f"/supervision/complaints/?department={other_market_dept.pk}").status_code == 400
    partial = client.get("/supervision/complaints/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert partial.content.decode().startswith('<section id="results"')


# --------------------------------------------------------------------------- registering


def register_post(**changes: Any) -> dict[str, Any]:
    data = {
        "channel": "phone",
        "received_at": "2025-09-26T09:30",
        "category": "attitude",
        "complainant_name": NAME,
        "complainant_mobile": MOBILE,
        "complainant_address": ADDRESS,
        "content": "窗口人员态度恶劣。",
        "request": "要求道歉。",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_supervisor_registers_a_complaint_with_attachments(
    supervisor: Any, market_dept: Department, other_market_dept: Department, handler: Staff
) -> None:
    client = as_user(supervisor)
    text = page(client, "/supervision/complaints/new/")
    assert f'<option value="{market_dept.pk}"' in text
    assert f'<option value="{other_market_dept.pk}"' not in text  # outside the scope
    assert 'enctype="multipart/form-data"' in text
    # choosing the department narrows the staff members (htmx swaps the field)
    narrowed = page(client, f"/supervision/complaints/new/?department={market_dept.pk}")
    assert f'<option value="{handler.pk}"' in narrowed
    response = client.post(
        "/supervision/complaints/new/",
        register_post(
            department=market_dept.pk,
            staff=handler.pk,
            attachments=[pdf("letter.pdf"), pdf("receipt.pdf")],
        ),
    )
    c = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/supervision/complaints/{c.pk}/"
    assert c.received_at == at("2025-09-26", "09:30")
    assert (c.department, c.staff_id, c.complainant_name, c.request) == (
        market_dept,
        handler.pk,
        NAME,
        "要求道歉。",
    )
    assert sorted(c.documents.values_list("title", flat=True)) == ["letter.pdf", "receipt.pdf"]
    text = page(client, f"/supervision/complaints/{c.pk}/")
    assert c.number in text and "窗口人员态度恶劣" in text and "letter.pdf" in text


def test_a_bad_registration_shows_the_error_on_its_field_and_registers_nothing(
    supervisor: Any, market_dept: Department, food_licence: Any, window_user: Any
) -> None:
    from yiwang.supervision.tests.test_console import file_case

    client = as_user(supervisor)
    empty = client.post("/supervision/complaints/new/", register_post(department=market_dept.pk, content=" "))
    assert empty.status_code == 400
    assert re.search(
        r'id="id_content"[^>]*>[^<]*</textarea>\s*<p class="field__error"[^>]*>Say what happened',
        html.unescape(empty.content.decode()),
    )
    mobile = client.post(
        "/supervision/complaints/new/",
        register_post(department=market_dept.pk, complainant_mobile="12345"),
    )
    assert mobile.status_code == 400 and "is not a mainland mobile number" in html.unescape(
        mobile.content.decode()
    )
    no_case = client.post(
        "/supervision/complaints/new/", register_post(department=market_dept.pk, case="NO-SUCH")
    )
    assert no_case.status_code == 400 and "has no case numbered NO-SUCH" in no_case.content.decode()
    nobody = client.post("/supervision/complaints/new/", register_post(department=None))
    assert nobody.status_code == 400 and "Say which department" in nobody.content.decode()
    assert Complaint.objects.count() == 0 and ComplaintDocument.objects.count() == 0
    # a case of the department is found by its number
    case = file_case(food_licence, window_user, "2025-09-25")
    found = client.post(
        "/supervision/complaints/new/", register_post(department=market_dept.pk, case=case.number)
    )
    assert found.status_code == 302 and Complaint.objects.get().case == case


def test_hotline_agents_register_what_the_hotline_transfers_and_others_may_not(
    supervisor: Any, agent: Any, handler: Staff, market_dept: Department
) -> None:
    client = as_user(agent)
    text = page(client, "/supervision/complaints/new/")
    assert '<option value="hotline" selected>' in text
    by_phone = client.post("/supervision/complaints/new/", register_post(department=market_dept.pk))
    assert by_phone.status_code == 400 and "12345 hotline" in html.unescape(by_phone.content.decode())
    response = client.post(
        "/supervision/complaints/new/", register_post(department=market_dept.pk, channel="hotline")
    )
    assert response.status_code == 302 and Complaint.objects.get().channel == "hotline"
    assert as_user(handler.user).get("/supervision/complaints/new/").status_code == 403


# --------------------------------------------------------------------------- one complaint


def test_the_complainant_is_known_only_to_the_room(
    supervisor: Any,
    approver: Any,
    dept_head: Any,
    unit_user: Any,
    market_dept: Department,
    bureau: Department,
) -> None:
    c = register(supervisor, market_dept, "2025-09-26", attachments=[pdf()])
    transfer(supervisor, c, bureau, "2025-09-26")

    text = page(as_user(supervisor), f"/supervision/complaints/{c.pk}/")
    assert NAME in text and MOBILE in text and ADDRESS in text
    assert 'id="identity-protected"' not in text
    for user in (dept_head, unit_user, approver):
        text = page(as_user(user), f"/supervision/complaints/{c.pk}/")
        assert c.number in text and "窗口人员态度恶劣" in text
        assert "The complainant's identity is protected" in text
        assert NAME not in text and MOBILE not in text and ADDRESS not in text


def test_the_detail_shows_deadlines_documents_history_and_the_rooms_forms(
    supervisor: Any, market_dept: Department
) -> None:
    first = register(supervisor, market_dept, "2025-09-22")
    c = register(supervisor, market_dept, "2025-09-26", attachments=[pdf()])
    client = as_user(supervisor)
    text = page(client, f"/supervision/complaints/{c.pk}/")
    # told by the 3rd working day: 28 (Sunday, worked), 29, 30 September
    assert "2025-09-30" in text
    assert f'href="/supervision/complaints/{first.pk}/" id="repeat-of"' in text
    doc = c.documents.get()
    assert f'href="/supervision/complaint-documents/{doc.pk}/"' in text
    assert f'href="/supervision/complaints/{c.pk}/registration.pdf"' in text
    assert "registered" in text and "linked as a repeat complaint" in text  # the history
    for slug in ("accept", "answer", "attach"):
        assert f'action="/supervision/complaints/{c.pk}/{slug}/"' in text
    for slug in ("propose", "approve", "feedback", "archive"):
        assert f'action="/supervision/complaints/{c.pk}/{slug}/"' not in text
    text = page(client, f"/supervision/complaints/{first.pk}/")
    assert f'href="/supervision/complaints/{c.pk}/"' in text  # repeated by
    chinese = page(as_user(supervisor, "zh-hans"), f"/supervision/complaints/{c.pk}/")
    assert c.number in chinese and "窗口人员态度恶劣" in chinese  # the Chinese page renders


def test_a_self_handled_complaint_through_the_pages(
    clock: Any, supervisor: Any, approver: Any, market_dept: Department, handler: Staff
) -> None:
    c = register(supervisor, market_dept, "2025-09-26", staff=handler)
    room = as_user(supervisor)
    head = as_user(approver)
    response = room.post(
        f"/supervision/complaints/{c.pk}/accept/", {"accept-mode": "self", "accept-note": ""}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    c.refresh_from_db()
    assert c.status == ComplaintStatus.HANDLING and c.handling_limit == 7
    clock.move_to(at("2025-09-29", "15:00"))
    room, head = as_user(supervisor), as_user(approver)
    response = room.post(
        f"/supervision/complaints/{c.pk}/investigate/",
        {
            "investigate-kind": "talk",
            "investigate-held_on": "2025-09-29",
            "investigate-record": "当事人承认。",
        },
    )
    assert response.status_code == 302
    response = room.post(
        f"/supervision/complaints/{c.pk}/propose/",
        {
            "propose-substantiated": "yes",
            "propose-findings": "查明属实。",
            "propose-proposal": "通报批评，限期整改。",
            "propose-m1_kind": "criticism",
            "propose-m2_kind": "rectification",
            "propose-m2_rectify_workdays": "5",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    text = page(head, f"/supervision/complaints/{c.pk}/")
    assert "notice of criticism" in text and "within 5 working days" in text
    assert "[{" not in text  # the measures' data is not shown raw in the history
    assert f'action="/supervision/complaints/{c.pk}/approve/"' in text
    assert f'action="/supervision/complaints/{c.pk}/extend/"' in text
    response = head.post(f"/supervision/complaints/{c.pk}/approve/", {"approve-note": "同意。"})
    assert response.status_code == 302
    clock.move_to(at("2025-09-30", "09:00"))
    room = as_user(supervisor)
    response = room.post(f"/supervision/complaints/{c.pk}/feedback/", {"feedback-text": "经查属实，已处理。"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert (
        c.status == ComplaintStatus.HANDLED and c.substantiated and c.feedback_at == at("2025-09-30", "09:00")
    )
    assert sorted(c.measures.values_list("kind", flat=True)) == ["criticism", "rectification"]
    text = page(room, f"/supervision/complaints/{c.pk}/")
    assert "Substantiated" in text and "rectify by" in text and "经查属实，已处理。" in text
    assert f'action="/supervision/complaints/{c.pk}/reinvestigate/"' in text
    assert f'action="/supervision/complaints/{c.pk}/archive/"' in text


def test_a_transferred_complaint_is_handled_by_the_unit_with_the_rooms_consent(
    supervisor: Any, unit_user: Any, bureau: Department
) -> None:
    c = register(supervisor, bureau, "2025-09-26")
    room = as_user(supervisor)
    unit = as_user(unit_user)
    response = room.post(
        f"/supervision/complaints/{c.pk}/accept/",
        {"accept-mode": "transfer", "accept-handling_unit": bureau.pk, "accept-instruction": "请核查。"},
    )
    assert response.status_code == 302
    text = page(unit, f"/supervision/complaints/{c.pk}/")
    assert f'action="/supervision/complaints/{c.pk}/propose/"' in text
    assert f'action="/supervision/complaints/{c.pk}/accept/"' not in text
    response = unit.post(
        f"/supervision/complaints/{c.pk}/propose/",
        {
            "propose-substantiated": "no",
            "propose-findings": "系误会。",
            "propose-proposal": "向投诉人解释。",
        },
    )
    assert response.status_code == 302
    response = room.post(f"/supervision/complaints/{c.pk}/approve/", {"approve-note": ""})
    assert response.status_code == 302
    response = unit.post(
        f"/supervision/complaints/{c.pk}/result/",
        {"result-result": "已向投诉人当面解释。", "result-upload": pdf()},
    )
    assert response.status_code == 302
    response = unit.post(f"/supervision/complaints/{c.pk}/feedback/", {"feedback-text": "经核查系误会。"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == ComplaintStatus.HANDLED and c.substantiated is False and c.feedback_at is not None
    assert c.documents.filter(kind="report").count() == 1


def test_refused_actions_answer_400_with_the_message_and_change_nothing(
    supervisor: Any, approver: Any, dept_head: Any, market_dept: Department
) -> None:
    c = register(supervisor, market_dept, "2025-09-26")
    accept_self(supervisor, c, "2025-09-26")
    with time_machine.travel(at("2025-09-29", "10:00"), tick=False):
        before = state()
        too_long = as_user(approver).post(
            f"/supervision/complaints/{c.pk}/extend/",
            {"extend-workdays": "16", "extend-reason": "情况复杂。"},
        )
        assert too_long.status_code == 400
        text = html.unescape(too_long.content.decode())
        assert "at most 15 working days from acceptance" in text
        assert 'id="action-extend" open' in text  # the form is shown again, open
        by_the_head = as_user(dept_head).post(
            f"/supervision/complaints/{c.pk}/feedback/", {"feedback-text": "已处理。"}
        )
        assert by_the_head.status_code == 400
        assert "given by the supervision room" in by_the_head.content.decode()
        not_yet = as_user(supervisor).post(f"/supervision/complaints/{c.pk}/approve/", {"approve-note": ""})
        assert not_yet.status_code == 400 and "cannot be approved now" in html.unescape(
            not_yet.content.decode()
        )
        no_reason = as_user(supervisor).post(
            f"/supervision/complaints/{c.pk}/propose/",
            {"propose-substantiated": "yes", "propose-findings": ""},
        )
        assert no_reason.status_code == 400 and "Write down what the investigation found." in (
            no_reason.content.decode()
        )
        assert as_user(supervisor).post(f"/supervision/complaints/{c.pk}/dance/", {}).status_code == 404
        assert state() == before


def test_a_complaint_outside_the_scope_answers_404(
    supervisor: Any, neighbour_supervisor: Any, handler: Staff, market_dept: Department
) -> None:
    c = register(supervisor, market_dept, "2025-09-26", attachments=[pdf()])
    doc = c.documents.get()
    client = as_user(neighbour_supervisor)
    assert client.get(f"/supervision/complaints/{c.pk}/").status_code == 404
    assert c.number not in page(client, "/supervision/complaints/")
    assert client.get(f"/supervision/complaint-documents/{doc.pk}/").status_code == 404
    assert client.get(f"/supervision/complaints/{c.pk}/registration.pdf").status_code == 404
    before = state()
    for action, data in (("accept", {"accept-mode": "self"}), ("answer", {"answer-answer": "已答复。"})):
        assert client.post(f"/supervision/complaints/{c.pk}/{action}/", data).status_code == 404
    assert state() == before
    # a handler of the department is not the handling unit of an untransferred complaint
    assert as_user(handler.user).get(f"/supervision/complaints/{c.pk}/").status_code in (403, 404)


def test_documents_are_served_to_those_who_read_the_complaint(
    supervisor: Any, dept_head: Any, market_dept: Department
) -> None:
    c = register(supervisor, market_dept, "2025-09-26", attachments=[pdf("letter.pdf")])
    letter = c.documents.get()
    accept_self(supervisor, c, "2025-09-26")
    record = complaints.complaint_attach(
        complaint=c,
        user=supervisor,
        upload=pdf("inquiry.pdf"),
        kind="record",
        title="询问笔录",
        at=at("2025-09-29", "10:00"),
    )
    for user in (supervisor, dept_head):
        response = as_user(user).get(f"/supervision/complaint-documents/{record.pk}/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF-1.4")
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]
    # The complainant's own letter (signed, say) would tell who complained: the room only.
    assert as_user(supervisor).get(f"/supervision/complaint-documents/{letter.pk}/").status_code == 200
    assert as_user(dept_head).get(f"/supervision/complaint-documents/{letter.pk}/").status_code == 404
    page = as_user(dept_head).get(f"/supervision/complaints/{c.pk}/").content.decode()
    assert "询问笔录" in page and "letter.pdf" not in page
    assert as_user(supervisor).get(f"/supervision/complaints/{c.pk}/archive.zip").status_code == 404


def test_the_complaint_pages_need_a_login_and_a_role(client: Client, market_dept: Department) -> None:
    for url in (
        "/supervision/complaints/",
        "/supervision/complaints/new/",
        "/supervision/complaints/statistics/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    citizen = UserFactory(username="citizen", is_staff=False)
    assert as_user(citizen).get("/supervision/complaints/").status_code == 403


# --------------------------------------------------------------------------- statistics


def test_statistics_for_a_small_set(
    clock: Any, supervisor: Any, approver: Any, market_dept: Department, bureau: Department, unit_user: Any
) -> None:
    # A: about the market bureau, substantiated, a notice of criticism; handled and fed back.
    a = register(supervisor, market_dept, "2025-09-26")
    accept_self(supervisor, a, "2025-09-26")
    complaints.complaint_propose(
        complaint=a,
        user=supervisor,
        substantiated=True,
        findings="属实。",
        proposal="通报批评。",
        measures=[complaints.MeasureSpec("criticism")],
        at=at("2025-09-29", "10:00"),
    )
    complaints.complaint_approve(complaint=a, user=approver, at=at("2025-09-30", "09:00"))
    complaints.complaint_feedback(complaint=a, user=supervisor, text="已处理。", at=at("2025-09-30", "10:00"))
    # B: the same kind about the same bureau (a repeat), answered at once.
    b = register(supervisor, market_dept, "2025-09-29")
    complaints.complaint_answer(
        complaint=b, user=supervisor, answer="已当场解释。", outside_remit=False, at=at("2025-09-29", "11:00")
    )
    # C: about the housing bureau, transferred to it, still open.
    c = register(supervisor, bureau, "2025-09-29", category="efficiency")
    transfer(supervisor, c, bureau, "2025-09-29")
    # D: received in August, outside the period.
    register(supervisor, bureau, "2025-08-20", category="fees")
    assert Complaint.objects.get(pk=b.pk).repeat_of == a

    clock.move_to(at("2025-09-30", "15:00"))
    client = as_user(supervisor)
    text = page(client, "/supervision/complaints/statistics/")  # this month, so far
    response_en = client.get("/supervision/complaints/statistics/?start=2025-09-01&end=2025-09-30")
    text2 = html.unescape(response_en.content.decode())

    def figure(name: str, t: str = text) -> str:
        match = re.search(rf'id="stat-{name}">([^<]*)<', t)
        assert match, name
        return match.group(1)

    for t in (text, text2):
        assert figure("total", t) == "3" and figure("handled", t) == "1"
        # A: received Friday 26 September, handled Tuesday 30: 28 (worked), 29, 30 → 3
        assert figure("average", t) == "3.0" and figure("max", t) == "3"
        assert figure("handled-on-time", t) == "100.0%" and figure("feedback-on-time", t) == "100.0%"

    def cell(attr: str, key: str) -> str:
        match = re.search(rf'data-{attr}="{key}"><th scope="row">[^<]*</th><td class="num">(\d+)<', text)
        assert match, (attr, key)
        return match.group(1)

    assert [cell("outcome", k) for k in ("substantiated", "not_substantiated", "answered", "open")] == [
        "1",
        "0",
        "1",
        "1",
    ]
    assert cell("category", "attitude") == "2" and cell("category", "efficiency") == "1"
    assert 'data-category="fees"' not in text
    assert cell("mode", "self") == "1" and cell("mode", "transfer") == "1" and cell("mode", "none") == "1"
    assert cell("measure", "criticism") == "1"
    assert re.search(
        rf'class="recurring-row" data-department="{market_dept.pk}" data-category="attitude"', text
    )
    assert 'data-category="efficiency"' in text and not re.search(
        r'class="recurring-row" data-department="\d+" data-category="efficiency"', text
    )
    assert figure("total") and 'id="repeat-count">1<' in text and b.number in text
    assert 'id="department-chart"' in text and "department-chart-data" in text
    assert re.search(rf'<tr data-department="{market_dept.pk}">.*?<strong>2</strong>', text, re.S)
    assert 'id="stat-total">3<' in page(as_user(supervisor, "zh-hans"), "/supervision/complaints/statistics/")

    # the unit's staff see no statistics; a bad period is refused
    assert as_user(unit_user).get("/supervision/complaints/statistics/").status_code == 403
    future = client.get("/supervision/complaints/statistics/?start=2025-10-09&end=2025-10-31")
    assert future.status_code == 400 and "cannot start in the future" in future.content.decode()
    backwards = client.get("/supervision/complaints/statistics/?start=2025-09-20&end=2025-09-01")
    assert backwards.status_code == 400 and "before its start" in backwards.content.decode()
    assert 'id="stat-total"' not in backwards.content.decode()


# --------------------------------------------------------------------------- queries


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured.captured_queries)


def test_the_list_and_the_statistics_take_constant_queries(
    supervisor: Any, approver: Any, market_dept: Department, bureau: Department, county: Any
) -> None:
    def make(n: int, start: int) -> None:
        for i in range(n):
            department = DepartmentFactory(name=f"邯山区第{start + i}局", region=county)
            c = register(supervisor, department, "2025-09-26", category=("attitude", "fees")[i % 2])
            if i % 3 == 0:
                accept_self(supervisor, c, "2025-09-26")
                complaints.complaint_propose(
                    complaint=c,
                    user=supervisor,
                    substantiated=True,
                    findings="属实。",
                    proposal="批评。",
                    measures=[complaints.MeasureSpec("criticism")],
                    at=at("2025-09-29", "10:00"),
                )
                complaints.complaint_approve(complaint=c, user=approver, at=at("2025-09-29", "11:00"))
            elif i % 3 == 1:
                transfer(supervisor, c, bureau, "2025-09-26")

    def measure() -> list[int]:
        with time_machine.travel(at("2025-09-30", "15:00"), tick=False):
            client = as_user(supervisor)
            return [
                count_queries(client, "/supervision/complaints/"),
                count_queries(client, "/supervision/complaints/?overdue=on&category=attitude"),
                count_queries(client, "/supervision/complaints/statistics/"),
            ]

    make(3, 0)
    small = measure()
    make(12, 3)
    assert measure() == small


# --------------------------------------------------------------------------- documents


def handled_with_feedback(supervisor: Any, approver: Any, department: Department) -> Complaint:
    c = register(supervisor, department, "2025-09-22")
    accept_self(supervisor, c, "2025-09-22")
    complaints.complaint_propose(
        complaint=c,
        user=supervisor,
        substantiated=True,
        findings="属实。",
        proposal="通报批评。",
        measures=[complaints.MeasureSpec("criticism")],
        at=at("2025-09-23", "10:00"),
    )
    complaints.complaint_approve(complaint=c, user=approver, at=at("2025-09-24", "09:00"))
    complaints.complaint_feedback(complaint=c, user=supervisor, text="已处理。", at=at("2025-09-24", "10:00"))
    return c


def pdf_text(data: bytes) -> str:
    import io

    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def test_the_registration_form_pdf_names_the_complainant_only_for_the_room(
    supervisor: Any, dept_head: Any, market_dept: Department
) -> None:
    c = register(supervisor, market_dept, "2025-09-26")
    room = as_user(supervisor).get(f"/supervision/complaints/{c.pk}/registration.pdf")
    head = as_user(dept_head).get(f"/supervision/complaints/{c.pk}/registration.pdf")
    assert room.status_code == 200 == head.status_code and room["Content-Type"] == "application/pdf"
    assert NAME in pdf_text(room.content) and MOBILE in pdf_text(room.content)
    assert NAME not in pdf_text(head.content) and MOBILE not in pdf_text(head.content)


def test_the_room_issues_a_decision_and_archives_through_the_pages(
    supervisor: Any, approver: Any, market_dept: Department
) -> None:
    c = handled_with_feedback(supervisor, approver, market_dept)
    room = as_user(supervisor)
    text = page(room, f"/supervision/complaints/{c.pk}/")
    assert f'action="/supervision/complaints/{c.pk}/notice/"' in text
    assert f'action="/supervision/complaints/{c.pk}/archive/"' in text
    empty = room.post(
        f"/supervision/complaints/{c.pk}/notice/", {"notice-kind": "decision", "notice-facts": ""}
    )
    assert empty.status_code == 400 and "State the facts" in empty.content.decode()
    response = room.post(
        f"/supervision/complaints/{c.pk}/notice/",
        {"notice-kind": "decision", "notice-facts": "经查，投诉属实。", "notice-requirement": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    notice = c.notices.get()
    assert f'href="/supervision/notices/{notice.pk}.pdf"' in page(room, f"/supervision/complaints/{c.pk}/")

    response = room.post(f"/supervision/complaints/{c.pk}/archive/", {})
    assert response.status_code == 302, response.content.decode()[:2000]
    c.refresh_from_db()
    assert c.status == ComplaintStatus.ARCHIVED and c.archive
    text = page(room, f"/supervision/complaints/{c.pk}/")
    assert f'href="/supervision/complaints/{c.pk}/archive.zip"' in text
    assert f'action="/supervision/complaints/{c.pk}/archive/"' not in text
    archive = room.get(f"/supervision/complaints/{c.pk}/archive.zip")
    assert archive.status_code == 200 and b"".join(archive.streaming_content).startswith(b"PK")
    # the head reads the complaint but the archive is the room's
    assert as_user(approver).get(f"/supervision/complaints/{c.pk}/archive.zip").status_code == 403
    again = room.post(f"/supervision/complaints/{c.pk}/archive/", {})
    assert again.status_code == 400 and "cannot be archived again" in again.content.decode()
