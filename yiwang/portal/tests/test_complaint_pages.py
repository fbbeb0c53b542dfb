"""Online efficiency complaints (在线投诉): 张三 (account ``zhangsan``) complains about
邯山区市场监督管理局, a case of theirs or 李承办 who works there; 邯山区电子监察室 (王监察)
takes it up, 赵领导 approves. The complainant follows it under "My complaints", and no
one at the department complained about ever learns who complained.

Filed on Friday 26 September 2025: the room tells the complainant by 30 September
(Sunday 28 September is a make-up working day).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from typing import Any
from zoneinfo import ZoneInfo

import pypdf
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.formats import date_format

from yiwang.cases import services as case_services
from yiwang.cases.models import Case, Channel
from yiwang.cases.tests.conftest import APPLICANT_ID, food_licence, window_user  # noqa: F401
from yiwang.catalog.models import ItemVersion
from yiwang.core.models import Notification
from yiwang.org.factories import StaffFactory, UserFactory, grant
from yiwang.org.models import Department, Role, Staff
from yiwang.portal.models import Account
from yiwang.supervision import complaints as room_service
from yiwang.supervision.models import Complaint, ComplaintEvent

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONTENT = "窗口人员态度恶劣，拒绝解释缺少的材料。"


def at(day: str, time: str = "10:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def clock() -> Any:
    with time_machine.travel(at("2025-09-26"), tick=False) as traveller:
        yield traveller


@pytest.fixture
def room(county_supervisor: Staff) -> Any:
    """王监察 of 邯山区电子监察室 (the fixture also records the room)."""
    return county_supervisor.user


@pytest.fixture
def dept_head(market_dept: Department) -> Any:
    staff = StaffFactory(user=UserFactory(username="head_hs"), name="陈局长", department=market_dept)
    grant(staff, Role.LEADER, department=market_dept)
    return staff.user


def client_for(user: Any = None) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    if user is not None:
        client.force_login(get_user_model().objects.get(pk=user.pk))
    return client


def text_of(response: Any) -> str:
    return html.unescape(response.content.decode())


def state() -> tuple[Any, ...]:
    return (
        list(Complaint.objects.order_by("pk").values()),
        ComplaintEvent.objects.count(),
        Notification.objects.count(),
    )


def online_case(account: Account, version: ItemVersion) -> Case:
    return case_services.case_file(
        version=version,
        channel=Channel.ONLINE,
        applicant_kind="individual",
        applicant_name=account.name,
        applicant_id_number=account.id_number,
        applicant_mobile=account.mobile,
        applicant_user=account.user,
        user=account.user,
        at=at("2025-09-22"),
    )


def window_case(version: ItemVersion, clerk: Any, name: str, id_number: str) -> Case:
    return case_services.case_file(
        version=version,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name=name,
        applicant_id_number=id_number,
        user=clerk,
        at=at("2025-09-23"),
    )


def post(**kw: Any) -> dict[str, Any]:
    return {
        "case": "",
        "department": "",
        "staff": "",
        "category": "attitude",
        "content": CONTENT,
        "request": "",
        **kw,
    }


def day(value: dt.date) -> str:
    with translation.override("en"):
        return date_format(value, "DATE_FORMAT")


# --------------------------------------------------------------------------- filing


def test_an_anonymous_visitor_is_told_to_sign_in_and_nothing_is_filed(
    market_dept: Department, room: Any
) -> None:
    client = client_for()
    page = text_of(client.get("/complaints/"))
    assert 'id="sign-in-needed"' in page and "must be able to reach you" in page
    assert "/account/login/?next=/complaints/" in page
    response = client.post("/complaints/", post(department=market_dept.pk))
    assert response.status_code == 302 and "/account/login/" in response["Location"]
    assert Complaint.objects.count() == 0


def test_the_form_offers_own_cases_and_departments_by_region(
    citizen: Account,
    food_licence: ItemVersion,  # noqa: F811
    window_user: Any,  # noqa: F811
    market_dept: Department,
    other_market_dept: Department,
    room: Any,
) -> None:
    mine = online_case(citizen, food_licence)
    at_window = window_case(food_licence, window_user, "张三", citizen.id_number)
    others = window_case(food_licence, window_user, "赵六", APPLICANT_ID)
    page = text_of(client_for(citizen.user).get("/complaints/"))
    for name in ("case", "department", "staff", "category", "content", "request"):
        assert f'<label for="id_{name}">' in page
    assert f'value="{mine.number}"' in page and f'value="{at_window.number}"' in page
    assert f'value="{others.number}"' not in page
    assert re.search(r'<optgroup label="邯山区">\s*<option value="\d+">邯山区市场监督管理局</option>', page)
    assert '<optgroup label="丛台区">' in page and "丛台区市场监督管理局" in page
    assert "邯山区电子监察室" not in page  # a supervision room is not complained about here
    assert "You complain as 张三" in page and "the department you complain about does not" in page


def test_a_case_in_the_link_is_chosen_only_if_it_is_ones_own(
    citizen: Account,
    food_licence: ItemVersion,  # noqa: F811
    window_user: Any,  # noqa: F811
    room: Any,
) -> None:
    mine = online_case(citizen, food_licence)
    others = window_case(food_licence, window_user, "赵六", APPLICANT_ID)
    client = client_for(citizen.user)
    page = text_of(client.get(f"/complaints/?case={mine.number}"))
    assert f'<option value="{mine.number}" selected>' in page
    assert f'<option value="{mine.department_id}" selected>' in page
    page = text_of(client.get(f"/complaints/?case={others.number}"))
    assert 'id="case-notice"' in page and "not one of yours" in page
    assert "selected>" + others.number not in page


def test_a_complaint_about_ones_case_is_filed_for_the_room(
    citizen: Account,
    food_licence: ItemVersion,  # noqa: F811
    market_dept: Department,
    handler: Staff,
    room: Any,
) -> None:
    case = online_case(citizen, food_licence)
    client = client_for(citizen.user)
    response = client.post(
        "/complaints/", post(case=case.number, staff="李承办", request="请督促窗口一次性告知。")
    )
    c = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/complaints/mine/{c.pk}/?filed=1"
    assert (c.channel, c.complainant_user, c.complainant_name, c.complainant_mobile) == (
        "portal",
        citizen.user,
        "张三",
        "13800138000",
    )
    assert (c.case, c.department, c.staff, c.category) == (case, market_dept, handler, "attitude")
    assert c.content == CONTENT and c.request == "请督促窗口一次性告知。"
    assert c.ack_due == dt.date(2025, 9, 30)
    page = text_of(client.get(response["Location"]))
    assert 'id="filed"' in page and f"Your complaint has been filed as {c.number}." in page
    assert day(c.ack_due) in page and "Received" in page
    assert "within 7 working days (at most 15 if extended)" in page and "within 15 working days" in page
    # the complainant is told in their inbox, the room is told too
    assert Notification.objects.filter(recipient=citizen.user, kind="complaint.reply").count() == 1
    assert Notification.objects.filter(recipient=room, kind="complaint.registered").count() == 1


def test_a_staff_member_is_found_by_employee_number(
    citizen: Account, market_dept: Department, room: Any
) -> None:
    staff = StaffFactory(
        user=UserFactory(username="window_no7"),
        name="孙窗口",
        department=market_dept,
        employee_number="HS0007",
    )
    client = client_for(citizen.user)
    assert client.post("/complaints/", post(department=market_dept.pk, staff="HS0007")).status_code == 302
    assert Complaint.objects.get().staff == staff


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"content": "  "}, "content", "Say what happened: a complaint needs its content."),
        ({"department": ""}, "department", "Say which department the complaint is about."),
        ({"category": ""}, "category", "Choose what kind of problem it is."),
        ({"staff": "王五"}, "staff", "No one called or numbered “王五” works at 邯山区市场监督管理局"),
    ],
)
def test_a_bad_complaint_is_refused_on_the_page_and_nothing_is_filed(
    citizen: Account,
    market_dept: Department,
    handler: Staff,
    room: Any,
    fields: dict[str, Any],
    field: str | None,
    message: str,
) -> None:
    data = post(department=market_dept.pk)
    data.update(fields)
    before = state()
    response = client_for(citizen.user).post("/complaints/", data)
    assert response.status_code == 422
    page = text_of(response)
    assert message in page
    if field is not None:
        assert f'id="id_{field}-error"' in page
        assert re.search(rf'aria-describedby="[^"]*id_{field}-error', page)
    assert state() == before


def test_every_missing_answer_is_marked_at_once(citizen: Account, room: Any) -> None:
    before = state()
    response = client_for(citizen.user).post("/complaints/", post(category="", content=""))
    assert response.status_code == 422
    page = text_of(response)
    for field in ("category", "department", "content"):
        assert f'id="id_{field}-error"' in page
    assert state() == before


def test_complaining_about_someone_elses_case_is_refused(
    citizen: Account,
    food_licence: ItemVersion,  # noqa: F811
    window_user: Any,  # noqa: F811
    market_dept: Department,
    room: Any,
) -> None:
    others = window_case(food_licence, window_user, "赵六", APPLICANT_ID)
    before = state()
    response = client_for(citizen.user).post(
        "/complaints/", post(case=others.number, department=market_dept.pk)
    )
    assert response.status_code == 422
    assert "You can name only a case of your own." in text_of(response)
    assert state() == before


def test_a_window_case_under_ones_id_is_linked_to_the_complaint(
    citizen: Account,
    unverified_citizen: Account,
    food_licence: ItemVersion,  # noqa: F811
    window_user: Any,  # noqa: F811
    room: Any,
) -> None:
    at_window = window_case(food_licence, window_user, "张三", citizen.id_number)
    response = client_for(citizen.user).post("/complaints/", post(case=at_window.number))
    assert response.status_code == 302
    c = Complaint.objects.get()
    assert c.department_id == at_window.department_id and c.case == at_window
    # an unverified account has not proven the ID number: its window cases are not offered
    theirs = window_case(food_licence, window_user, "李四", unverified_citizen.id_number)
    before = state()
    refused = client_for(unverified_citizen.user).post("/complaints/", post(case=theirs.number))
    assert refused.status_code == 422 and state() == before


def test_an_agent_may_name_the_enterprises_case_while_authorised(
    citizen: Account,
    enterprise: Account,
    food_licence: ItemVersion,  # noqa: F811
    window_user: Any,  # noqa: F811
    room: Any,
) -> None:
    from yiwang.portal.models import Agent

    firm = case_services.case_file(
        version=food_licence,
        channel=Channel.WINDOW,
        applicant_kind="enterprise",
        applicant_name=enterprise.name,
        applicant_id_number=enterprise.id_number,
        user=window_user,
        at=at("2025-09-23"),
    )
    agency = Agent.objects.create(
        enterprise=enterprise, person=citizen, authorised_by=enterprise.user, authorised_at=at("2025-09-01")
    )
    page = text_of(client_for(citizen.user).get(f"/complaints/?case={firm.number}"))
    assert f'<option value="{firm.number}" selected>' in page
    # Revoked: no longer offered, and refused if sent anyway.
    Agent.objects.filter(pk=agency.pk).update(revoked_at=at("2025-09-25"))
    page = text_of(client_for(citizen.user).get("/complaints/"))
    assert f'value="{firm.number}"' not in page
    before = state()
    refused = client_for(citizen.user).post("/complaints/", post(case=firm.number))
    assert refused.status_code == 422 and state() == before
    Agent.objects.filter(pk=agency.pk).update(revoked_at=None)
    response = client_for(citizen.user).post("/complaints/", post(case=firm.number))
    assert response.status_code == 302
    assert Complaint.objects.get().case == firm


def test_staff_without_an_account_cannot_file_here(handler: Staff) -> None:
    assert client_for(handler.user).get("/complaints/").status_code == 403


# --------------------------------------------------------------------------- tracking


def file_one(citizen: Account, department: Department, content: str = CONTENT) -> Complaint:
    return room_service.complaint_register(
        user=citizen.user,
        channel="portal",
        category="attitude",
        department=department,
        content=content,
        complainant_name=citizen.name,
        complainant_mobile=citizen.mobile,
        at=at("2025-09-26"),
    )


def test_my_complaints_follow_the_rooms_work_without_its_internal_notes(
    citizen: Account, market_dept: Department, room: Any, city_leader: Staff, clock: Any
) -> None:
    c = file_one(citizen, market_dept)
    client = client_for(citizen.user)
    page = text_of(client.get("/complaints/mine/"))
    assert c.number in page and "Received" in page and day(dt.date(2025, 9, 30)) in page

    room_service.complaint_accept(
        complaint=c, user=room, mode="self", note="内部备注：先约谈", at=at("2025-09-29")
    )
    room_service.complaint_investigate(
        complaint=c,
        user=room,
        kind="talk",
        held_on=dt.date(2025, 9, 29),
        record="内部调查记录",
        at=at("2025-09-29", "15:00"),
    )
    room_service.complaint_propose(
        complaint=c,
        user=room,
        substantiated=True,
        findings="内部调查结论",
        proposal="内部处理意见",
        measures=[room_service.MeasureSpec("criticism")],
        at=at("2025-09-30"),
    )
    clock.move_to(at("2025-09-30", "11:00"))
    client = client_for(citizen.user)
    page = text_of(client.get(f"/complaints/mine/{c.pk}/"))
    assert "Being handled" in page and "You will hear the result by" in page
    assert "proposal awaiting approval" not in page  # the room's internal stage
    room_service.complaint_approve(complaint=c, user=city_leader.user, at=at("2025-09-30", "11:00"))
    room_service.complaint_feedback(
        complaint=c, user=room, text="经查属实，已通报批评并整改。", at=at("2025-09-30", "11:30")
    )
    clock.move_to(at("2025-09-30", "12:00"))
    client = client_for(citizen.user)
    for url in ("/complaints/mine/", f"/complaints/mine/{c.pk}/"):
        page = text_of(client.get(url))
        assert "经查属实，已通报批评并整改。" in page and "Handled" in page
        for internal in ("内部备注", "内部调查记录", "内部调查结论", "内部处理意见", "notice of criticism"):
            assert internal not in page


def test_an_answer_at_intake_is_shown(citizen: Account, market_dept: Department, room: Any) -> None:
    c = file_one(citizen, market_dept)
    room_service.complaint_answer(
        complaint=c,
        user=room,
        answer="不属于效能投诉范围，请向市场监管部门举报。",
        outside_remit=True,
        at=at("2025-09-26", "15:00"),
    )
    page = text_of(client_for(citizen.user).get(f"/complaints/mine/{c.pk}/"))
    assert "不属于效能投诉范围" in page and "Answered" in page


def test_one_sees_only_ones_own_complaints(
    citizen: Account,
    enterprise: Account,
    market_dept: Department,
    room: Any,
    django_assert_max_num_queries: Any,
) -> None:
    mine = file_one(citizen, market_dept)
    theirs = file_one(enterprise, market_dept, content="企业的投诉内容。")
    client = client_for(citizen.user)
    assert client.get(f"/complaints/mine/{theirs.pk}/").status_code == 404
    page = text_of(client.get("/complaints/mine/"))
    assert mine.number in page and "企业的投诉内容" not in page
    assert client_for().get("/complaints/mine/").status_code == 302
    with CaptureQueriesContext(connection) as few:
        client.get("/complaints/mine/")
    for n in range(8):
        file_one(citizen, market_dept, content=f"第{n}次投诉。")
    with django_assert_max_num_queries(len(few)):
        page = text_of(client.get("/complaints/mine/"))
    assert page.count('class="consult-card"') == 9


# --------------------------------------------------------------------------- identity


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def test_the_department_complained_about_never_learns_who_complained(
    citizen: Account,
    food_licence: ItemVersion,  # noqa: F811
    market_dept: Department,
    handler: Staff,
    dept_head: Any,
    room: Any,
) -> None:
    case = online_case(citizen, food_licence)
    client_for(citizen.user).post("/complaints/", post(case=case.number, staff="李承办"))
    c = Complaint.objects.get()
    # the room transfers it to the department itself, whose staff then handle it
    room_service.complaint_accept(
        complaint=c,
        user=room,
        mode="transfer",
        handling_unit=market_dept,
        instruction="请该局自查。",
        at=at("2025-09-26", "14:00"),
    )
    secrets = ("张三", "zhangsan", "13800138000", citizen.id_number)
    room_page = text_of(client_for(room).get(f"/supervision/complaints/{c.pk}/"))
    assert "张三" in room_page and "13800138000" in room_page  # the room sees who complained
    for user in (dept_head, handler.user):
        client = client_for(user)
        detail = client.get(f"/supervision/complaints/{c.pk}/")
        assert detail.status_code == 200
        reachable = [
            text_of(detail),
            text_of(client.get("/supervision/complaints/")),
            text_of(client.get("/supervision/alerts/")),
            text_of(client.get("/work/inbox/")),
        ]
        assert c.number in reachable[0] and "The complainant's identity is protected" in reachable[0]
        if user == dept_head:  # the same PDF for both (slow to render): read once
            pdf = client.get(f"/supervision/complaints/{c.pk}/registration.pdf")
            assert pdf.status_code == 200
            form = pdf_text(pdf.content)
            assert "邯山区市场监督管理局" in form and "窗口人员态度恶劣" in form
            reachable.append(form)
        for text in reachable:
            for secret in secrets:
                assert secret not in text, (user.username, secret)
