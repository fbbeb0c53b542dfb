"""The consultation pages: asking on a phone (anonymously or signed in), the query link,
my consultations, and the department's queue and answer page with its publish and close
forms. Every refusal leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from yiwang.catalog.models import ItemVersion
from yiwang.core.models import OutboundMessage
from yiwang.org.factories import StaffFactory, UserFactory, grant
from yiwang.org.models import Department, Role, Staff
from yiwang.portal import consultations as svc
from yiwang.portal.models import Account, Consultation, ConsultationStatus

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
QUESTION = "请问食品经营许可需要现场核查吗？"
ASK_URL = "/consult/ask/HS-SCJG-001/"


def at(day: str, time: str = "10:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def clock() -> Any:
    cache.clear()
    with time_machine.travel(at("2025-09-29"), tick=False) as traveller:
        yield traveller
    cache.clear()


@pytest.fixture
def item(food_licence: ItemVersion) -> Any:
    return food_licence.item


@pytest.fixture
def other_handler(other_market_dept: Department) -> Any:
    staff = StaffFactory(user=UserFactory(username="handler_ct"), name="郑丛台", department=other_market_dept)
    grant(staff, Role.HANDLER, department=other_market_dept)
    return staff.user


def client_for(user: Any = None, language: str = "en") -> Client:
    client = Client()
    client.cookies["django_language"] = language
    if user is not None:
        client.force_login(get_user_model().objects.get(pk=user.pk))
    return client


def text_of(response: Any) -> str:
    return html.unescape(response.content.decode())


def rows() -> list[dict[str, Any]]:
    return list(Consultation.objects.order_by("pk").values())


def ask_post(**kw: str) -> dict[str, str]:
    return {
        "question": QUESTION,
        "contact_name": "王女士",
        "contact_mobile": "13912345678",
        "contact_email": "",
        "website": "",
        **kw,
    }


def ask(item: Any, **kw: Any) -> Consultation:
    fields = {"contact_name": "王女士", "contact_mobile": "13912345678", **kw}
    return svc.consult_ask(
        item=item, question=fields.pop("question", QUESTION), at=at("2025-09-29"), **fields
    )


# --------------------------------------------------------------------------- asking


def test_the_ask_form_labels_every_field_and_hides_the_honeypot(item: Any) -> None:
    response = client_for().get(ASK_URL)
    assert response.status_code == 200
    page = text_of(response)
    for name in ("question", "contact_name", "contact_mobile", "contact_email", "website"):
        assert f'<label for="id_{name}">' in page
    assert re.search(r'<div class="hp" aria-hidden="true">.*?name="website"', page, re.S)
    assert 'tabindex="-1"' in page
    assert 'type="tel"' in page and 'type="email"' in page
    assert "2025-10-10" in page or "Oct. 10, 2025" in page  # the answer's due date if asked today
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_a_signed_in_account_finds_its_contact_prefilled(item: Any, unverified_citizen: Account) -> None:
    page = text_of(client_for(unverified_citizen.user).get(ASK_URL))
    assert 'value="李四"' in page and 'value="13900139000"' in page
    assert "You are signed in as 李四" in page


def test_an_unknown_item_is_404(item: Any) -> None:
    assert client_for().get("/consult/ask/NO-SUCH-ITEM/").status_code == 404


def test_an_anonymous_question_leads_to_its_query_link(item: Any) -> None:
    client = client_for()
    response = client.post(ASK_URL, ask_post())
    c = Consultation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/consult/q/{c.query_token}/?sent=1"
    assert c.account is None and c.contact_mobile == "13912345678"
    page = client.get(response["Location"])
    text = text_of(page)
    assert page.status_code == 200
    assert "Your question has been sent." in text
    assert f"http://testserver/consult/q/{c.query_token}/" in text
    assert "139****5678" in text and "13912345678" not in text
    assert page["Referrer-Policy"] == "no-referrer" and "noindex" in page["X-Robots-Tag"]
    assert "no-store" in page["Cache-Control"]
    assert QUESTION in text and "Awaiting an answer" in text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"contact_mobile": ""}, "contact_mobile", "Give a mobile number or an email address"),
        ({"contact_mobile": "12345"}, "contact_mobile", "is not a mainland mobile number"),
        ({"contact_name": ""}, "contact_name", "Give your name"),
        ({"question": "多久"}, "question", "at least 5 characters"),
        ({"question": ""}, "question", "Write your question."),
        (
            {"contact_mobile": "", "contact_email": "not-an-address"},
            "contact_email",
            "is not an email address",
        ),
    ],
)
def test_a_bad_question_is_shown_on_its_field_and_nothing_is_created(
    item: Any, fields: dict[str, str], field: str, message: str
) -> None:
    response = client_for().post(ASK_URL, ask_post(**fields))
    assert response.status_code == 422
    page = text_of(response)
    assert message in page
    assert f'id="id_{field}-error"' in page
    assert re.search(rf'id="id_{field}"[^>]*aria-invalid="true"', page) or re.search(
        rf'aria-invalid="true"[^>]*id="id_{field}"', page
    )
    assert re.search(rf'aria-describedby="[^"]*id_{field}-error', page)
    assert rows() == [] and OutboundMessage.objects.count() == 0


def test_a_bot_filling_the_honeypot_is_refused(item: Any) -> None:
    response = client_for().post(ASK_URL, ask_post(website="http://spam.example"))
    assert response.status_code == 400
    assert "could not be sent" in text_of(response)
    assert rows() == [] and OutboundMessage.objects.count() == 0


def test_anonymous_asking_is_limited_politely_but_not_for_accounts(item: Any, citizen: Account) -> None:
    client = client_for()
    for n in range(svc.ASK_LIMIT):
        assert client.post(ASK_URL, ask_post(question=f"{QUESTION}（{n}）")).status_code == 302
    before = rows()
    response = client.post(ASK_URL, ask_post(question=f"{QUESTION}（再问）"))
    assert response.status_code == 429
    assert "Please wait an hour" in text_of(response)
    assert rows() == before
    # a signed-in account is not limited by the address
    assert client_for(citizen.user).post(ASK_URL, ask_post(question=f"{QUESTION}（账户）")).status_code == 302


def test_a_signed_in_question_is_listed_under_my_consultations(
    item: Any, citizen: Account, unverified_citizen: Account
) -> None:
    client = client_for(citizen.user)
    response = client.post(ASK_URL, ask_post(contact_name="张三", contact_mobile="13800138000"))
    assert response.status_code == 302
    mine = Consultation.objects.get()
    assert mine.account == citizen
    ask(item, account=unverified_citizen, question="李四的问题：需要带什么材料？")
    page = text_of(client.get("/consult/mine/"))
    assert QUESTION in page and f"/consult/q/{mine.query_token}/" in page
    assert "李四的问题" not in page


def test_my_consultations_needs_sign_in(item: Any) -> None:
    response = client_for().get("/consult/mine/")
    assert response.status_code == 302 and "next=%2Fconsult%2Fmine%2F" in response["Location"]


def test_my_consultations_costs_a_fixed_number_of_queries(
    item: Any, citizen: Account, django_assert_max_num_queries: Any
) -> None:
    client = client_for(citizen.user)
    for n in range(3):
        ask(item, account=citizen, question=f"{QUESTION}（{n}）")
    client.get("/consult/mine/")  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert client.get("/consult/mine/").status_code == 200
    for n in range(12):
        ask(item, account=citizen, question=f"{QUESTION}（又{n}）")
    with django_assert_max_num_queries(len(few)):
        page = text_of(client.get("/consult/mine/"))
    assert page.count('class="consult-card"') == 15
    assert len(few) <= 12


def test_the_query_page_shows_the_answer_and_an_unknown_token_is_404(
    item: Any, handler: Staff, clock: Any
) -> None:
    c = ask(item)
    assert client_for().get("/consult/q/not-a-token/").status_code == 404
    svc.consult_answer(
        consultation=c, user=handler.user, answer="需要现场核查，7个工作日内办结。", at=at("2025-09-30")
    )
    page = text_of(client_for().get(f"/consult/q/{c.query_token}/"))
    assert "需要现场核查，7个工作日内办结。" in page and "Answered" in page
    assert "13912345678" not in page and "王女士" not in page


def test_an_overdue_question_says_so(item: Any, clock: Any) -> None:
    c = ask(item)
    clock.move_to(at("2025-10-13"))
    page = text_of(client_for().get(f"/consult/q/{c.query_token}/"))
    assert "Answer overdue" in page and 'id="overdue"' in page


# --------------------------------------------------------------------------- the department's pages


def test_the_queue_lists_overdue_first_and_costs_fixed_queries(
    item: Any, handler: Staff, clock: Any, django_assert_max_num_queries: Any
) -> None:
    late = ask(item, question="很早以前的问题：多久办结？")  # due 10 October
    clock.move_to(at("2025-10-13"))
    fresh = svc.consult_ask(
        item=item, question="今天的问题：要带公章吗？", contact_name="刘", contact_mobile="13700000000"
    )
    client = client_for(handler.user)
    page = text_of(client.get("/work/consultations/"))
    assert page.index("很早以前的问题") < page.index("今天的问题")
    assert f"/work/consultations/{late.pk}/" in page and f"/work/consultations/{fresh.pk}/" in page
    assert "row--late" in page
    with CaptureQueriesContext(connection) as few:
        assert client.get("/work/consultations/?show=all").status_code == 200
    for n in range(10):
        ask(item, question=f"批量问题{n}：要多久？")
    with django_assert_max_num_queries(len(few)):
        assert client.get("/work/consultations/?show=all").status_code == 200
    assert len(few) <= 12


def test_staff_of_another_department_cannot_see_or_answer(item: Any, other_handler: Any) -> None:
    c = ask(item)
    client = client_for(other_handler)
    assert "请问食品经营许可" not in text_of(client.get("/work/consultations/"))
    assert client.get(f"/work/consultations/{c.pk}/").status_code == 404
    before = rows()
    assert client.post(f"/work/consultations/{c.pk}/", {"answer": "越权答复"}).status_code == 404
    assert rows() == before


def test_a_supervisor_reads_but_may_not_answer(item: Any, county_supervisor: Staff) -> None:
    c = ask(item)
    client = client_for(county_supervisor.user)
    page = text_of(client.get(f"/work/consultations/{c.pk}/"))
    assert QUESTION in page and "its department's staff answer it" in page
    before = rows()
    assert client.post(f"/work/consultations/{c.pk}/", {"answer": "监察员答复"}).status_code == 403
    assert client.post(f"/work/consultations/{c.pk}/close/", {"reason": "关闭"}).status_code == 403
    assert rows() == before


def test_citizens_do_not_reach_the_workbench(item: Any, citizen: Account) -> None:
    assert client_for(citizen.user).get("/work/consultations/").status_code == 403


def test_the_department_answers_and_publishes_in_one_go(item: Any, handler: Staff) -> None:
    c = ask(item, question="我是王女士，请问食品经营许可需要现场核查吗？")
    client = client_for(handler.user)
    page = text_of(client.get(f"/work/consultations/{c.pk}/"))
    assert "王**" in page or "王*" in page  # the asker's name masked
    assert "139****5678" in page and "13912345678" not in page
    assert f'action="/work/consultations/{c.pk}/"' in page
    # the published question still names the asker: nothing is kept, not even the answer
    refused = client.post(
        f"/work/consultations/{c.pk}/",
        {"answer": "需要现场核查。", "publish": "on", "published_question": "我是王女士，请问要现场核查吗？"},
    )
    assert refused.status_code == 422
    assert "still carries personal details" in text_of(refused)
    c.refresh_from_db()
    assert c.status == ConsultationStatus.OPEN and c.answer == "" and c.published_at is None
    done = client.post(
        f"/work/consultations/{c.pk}/",
        {"answer": "需要现场核查。", "publish": "on", "published_question": "食品经营许可需要现场核查吗？"},
    )
    assert done.status_code == 302
    c.refresh_from_db()
    assert c.status == ConsultationStatus.ANSWERED and c.published_question == "食品经营许可需要现场核查吗？"
    page = text_of(client.get(f"/work/consultations/{c.pk}/"))
    assert f'action="/work/consultations/{c.pk}/unpublish/"' in page
    assert client.post(f"/work/consultations/{c.pk}/unpublish/").status_code == 302
    c.refresh_from_db()
    assert c.published_at is None
    again = client.post(f"/work/consultations/{c.pk}/", {"answer": "再答一次。"})
    assert again.status_code == 422 and "already been answered" in text_of(again)


def test_publishing_an_unanswered_question_is_refused_on_the_page(item: Any, handler: Staff) -> None:
    c = ask(item)
    before = rows()
    response = client_for(handler.user).post(
        f"/work/consultations/{c.pk}/publish/", {"published_question": "食品经营许可需要现场核查吗？"}
    )
    assert response.status_code == 422
    assert "Only an answered question can be published" in text_of(response)
    assert rows() == before


def test_closing_a_question_on_the_page(item: Any, handler: Staff) -> None:
    c = ask(item)
    client = client_for(handler.user)
    empty = client.post(f"/work/consultations/{c.pk}/close/", {"reason": ""})
    assert empty.status_code == 422 and "Say why" in text_of(empty)
    assert client.post(f"/work/consultations/{c.pk}/close/", {"reason": "重复提问"}).status_code == 302
    c.refresh_from_db()
    assert c.status == ConsultationStatus.CLOSED
    page = text_of(client_for().get(f"/consult/q/{c.query_token}/"))
    assert "重复提问" in page and "closed this question without an answer" in page


def test_the_published_answers_include_renders_questions_and_answers(item: Any, handler: Staff) -> None:
    c = ask(item)
    svc.consult_answer(consultation=c, user=handler.user, answer="需要。\n请提前预约。", at=at("2025-09-30"))
    svc.consult_publish(consultation=c, user=handler.user, question_as_published="需要现场核查吗？")
    with translation.override("en"):
        out = render_to_string(
            "portal/items/_published_answers.html", {"published_answers": svc.published_answers(item)}
        )
    assert "<details" in out and "<summary>需要现场核查吗？</summary>" in out
    assert "请提前预约" in out and "邯山区市场监督管理局" in out
    assert "王女士" not in out and "13912345678" not in out
