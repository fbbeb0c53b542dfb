# ruff: noqa: F811  (the cases app's fixtures are imported here and requested by name)
"""My cases (/my/cases/) and one case's page: whose cases they are, what the applicant
must do now, the timeline with its dates, the files handed in, and the query count."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from yiwang.cases import services
from yiwang.cases.models import Case, CaseFile, Channel
from yiwang.cases.services import Upload
from yiwang.cases.tests.conftest import (  # noqa: F401  (fixtures, used by name)
    approver_user,
    at,
    food_licence,
    handler_user,
    materials,
    reviewer_user,
    window_user,
)
from yiwang.core.identifiers import build_resident_id
from yiwang.portal import tracking
from yiwang.portal.factories import citizen_account
from yiwang.portal.models import Account, Agent, Rating

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "申请书.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def travel(day: str, time: str = "12:00") -> Any:
    return time_machine.travel(at(day, time), tick=False)


def signed_in(account: Account) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(account.user)
    return client


def apply_online(account: Account, version: Any, materials: Any, day: str = "2025-09-22") -> Case:
    return services.case_file(
        version=version,
        channel=Channel.ONLINE,
        applicant_kind=account.kind,
        applicant_name=account.name,
        applicant_id_number=account.id_number,
        applicant_mobile=account.mobile,
        form_data={"shop_name": "张记小吃"},
        uploads=[Upload(pdf(), materials[0])],
        user=account.user,
        applicant_user=account.user,
        at=at(day),
    )


def file_at_window(window: Any, version: Any, *, name: str, id_number: str, kind: str = "individual") -> Case:
    return services.case_file(
        version=version,
        channel=Channel.WINDOW,
        applicant_kind=kind,
        applicant_name=name,
        applicant_id_number=id_number,
        user=window,
        at=at("2025-09-23"),
    )


def numbers(response: Any) -> list[str]:
    return [row.case.number for row in response.context["rows"]]


def url_or_empty(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# The shared ``citizen`` fixture's ID number (yiwang/conftest.py CITIZEN_ID) fails its
# check digit, so a case cannot be filed under it; this one is 张三 with a valid number.
CITIZEN_ID = "13040219900307123X"


@pytest.fixture
def citizen(db: None) -> Account:
    return citizen_account(username="zhangsan", name="张三", id_number=CITIZEN_ID, mobile="13800138000")


@pytest.fixture
def staff(window_user: Any, handler_user: Any, reviewer_user: Any, approver_user: Any) -> dict[str, Any]:
    return {
        "window": window_user,
        "handler": handler_user,
        "reviewer": reviewer_user,
        "approver": approver_user,
    }


def complete(case: Case, staff: dict[str, Any], *, result_number: str = "JY11304020009999") -> Case:
    services.case_accept(case=case, user=staff["window"], at=at("2025-09-29"))
    services.case_pass_step(case=case, user=staff["handler"], opinion="材料齐全", at=at("2025-09-30"))
    services.case_pass_step(case=case, user=staff["reviewer"], opinion="同意", at=at("2025-10-09"))
    services.case_decide(case=case, user=staff["approver"], decision="approved", at=at("2025-10-10"))
    services.case_complete(
        case=case, user=staff["approver"], result_number=result_number, at=at("2025-10-11")
    )
    case.refresh_from_db()
    return case


# --------------------------------------------------------------------------- sign-in


@pytest.mark.parametrize("path", ["/my/cases/", "/my/cases/13040220250922000001/", "/my/cases/1/files/1/"])
def test_the_pages_send_a_visitor_to_sign_in_and_back(db: None, path: str) -> None:
    response = Client().get(path)

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert "next=" in location.query
    assert parse_qs(location.query)["next"] == [path]
    login = url_or_empty("portal:login")
    if login:
        assert location.path == login


# --------------------------------------------------------------------------- whose cases


def test_my_cases_are_those_i_filed_and_those_filed_under_the_ids_i_act_for(
    citizen: Account,
    enterprise: Account,
    unverified_citizen: Account,
    food_licence: Any,
    materials: Any,
    staff: Any,
) -> None:
    mine_online = apply_online(citizen, food_licence, materials)
    mine_at_window = file_at_window(
        staff["window"], food_licence, name=citizen.name, id_number=citizen.id_number
    )
    firm_case = file_at_window(
        staff["window"], food_licence, name=enterprise.name, id_number=enterprise.id_number, kind="enterprise"
    )
    # Someone else's case, and one filed under the unverified account's ID number: anyone
    # could have registered with that number, so the account sees it only once verified.
    stranger = file_at_window(
        staff["window"],
        food_licence,
        name="陌生人",
        id_number=build_resident_id("130402", dt.date(1970, 1, 1), 13),
    )
    unverified_ids = file_at_window(
        staff["window"], food_licence, name=unverified_citizen.name, id_number=unverified_citizen.id_number
    )

    # Not yet an agent of the enterprise: only their own.
    response = signed_in(citizen).get("/my/cases/")
    assert response.status_code == 200
    assert numbers(response) == [mine_at_window.number, mine_online.number]
    assert "no-cache" in response["Cache-Control"]

    agent = Agent.objects.create(
        enterprise=enterprise, person=citizen, authorised_by=enterprise.user, authorised_at=timezone.now()
    )
    assert set(numbers(signed_in(citizen).get("/my/cases/"))) == {
        mine_online.number,
        mine_at_window.number,
        firm_case.number,
    }
    # The enterprise's own account sees its case, not its agent's.
    assert numbers(signed_in(enterprise).get("/my/cases/")) == [firm_case.number]
    assert numbers(signed_in(unverified_citizen).get("/my/cases/")) == []
    assert stranger.number not in numbers(signed_in(citizen).get("/my/cases/"))

    # A revoked or lapsed authorisation no longer counts.
    Agent.objects.filter(pk=agent.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    assert firm_case.number not in numbers(signed_in(citizen).get("/my/cases/"))
    Agent.objects.filter(pk=agent.pk).update(valid_until=timezone.localdate())
    assert firm_case.number in numbers(signed_in(citizen).get("/my/cases/"))
    Agent.objects.filter(pk=agent.pk).update(revoked_at=timezone.now())
    assert firm_case.number not in numbers(signed_in(citizen).get("/my/cases/"))

    # Once verified, the unverified account's own ID number counts.
    Account.objects.filter(pk=unverified_citizen.pk).update(verified_at=timezone.now())
    assert numbers(signed_in(unverified_citizen).get("/my/cases/")) == [unverified_ids.number]


def test_someone_elses_case_its_files_and_a_made_up_number_answer_404(
    citizen: Account,
    enterprise: Account,
    food_licence: Any,
    materials: Any,
) -> None:
    theirs = apply_online(enterprise, food_licence, materials)
    stored = CaseFile.objects.get(case=theirs)
    client = signed_in(citizen)

    assert client.get(f"/my/cases/{theirs.number}/").status_code == 404
    assert client.get(f"/my/cases/{theirs.number}/files/{stored.pk}/").status_code == 404
    assert client.get("/my/cases/13040220990101000001/").status_code == 404
    assert signed_in(enterprise).get(f"/my/cases/{theirs.number}/").status_code == 200


def test_a_file_is_served_to_its_applicant_only_through_the_checked_view(
    citizen: Account,
    enterprise: Account,
    food_licence: Any,
    materials: Any,
) -> None:
    mine = apply_online(citizen, food_licence, materials)
    theirs = apply_online(enterprise, food_licence, materials)
    my_file = CaseFile.objects.get(case=mine)
    their_file = CaseFile.objects.get(case=theirs)
    client = signed_in(citizen)

    response = client.get(f"/my/cases/{mine.number}/files/{my_file.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-cache" in response["Cache-Control"]
    # Another case's file under my case's number is not mine either.
    assert client.get(f"/my/cases/{mine.number}/files/{their_file.pk}/").status_code == 404

    page = unescape(client.get(f"/my/cases/{mine.number}/").content.decode())
    assert f"/my/cases/{mine.number}/files/{my_file.pk}/" in page
    assert my_file.file.url not in page and "/media/" not in page

    # A file gone from storage is not found, not a server error.
    my_file.file.storage.delete(my_file.file.name)
    assert client.get(f"/my/cases/{mine.number}/files/{my_file.pk}/").status_code == 404


# --------------------------------------------------------------------------- the list


def test_the_list_filters_by_state_and_says_what_to_do_now(
    citizen: Account,
    food_licence: Any,
    materials: Any,
    staff: Any,
) -> None:
    waiting = apply_online(citizen, food_licence, materials, day="2025-09-22")
    services.case_request_supplement(
        case=waiting,
        user=staff["window"],
        items=[{"material": materials[1].pk, "problem": "缺少营业执照复印件"}],
        at=at("2025-09-23"),
    )
    done = complete(apply_online(citizen, food_licence, materials, day="2025-09-23"), staff)
    rated = complete(
        apply_online(citizen, food_licence, materials, day="2025-09-24"), staff, result_number="R2"
    )
    Rating.objects.create(
        case=rated,
        account=citizen,
        department=rated.department,
        region=rated.region,
        scale=4,
        level="satisfied",
        is_poor=False,
        is_satisfied=True,
        rated_at=timezone.now(),
    )
    running = apply_online(citizen, food_licence, materials, day="2025-09-25")
    client = signed_in(citizen)

    with travel("2025-10-13"):
        everything = client.get("/my/cases/")
        active = client.get("/my/cases/", {"show": "active"})
        finished = client.get("/my/cases/", {"show": "finished"})
        nonsense = client.get("/my/cases/", {"show": "<script>"})

    assert numbers(everything) == [running.number, rated.number, done.number, waiting.number]
    assert numbers(active) == [running.number, waiting.number]
    assert numbers(finished) == [rated.number, done.number]
    assert numbers(nonsense) == numbers(everything)
    rows = {row.case.number: row for row in everything.context["rows"]}
    assert (rows[waiting.number].needs_supplement, rows[waiting.number].can_rate) == (True, False)
    assert rows[waiting.number].paused and rows[waiting.number].due_date is None
    assert (rows[done.number].needs_supplement, rows[done.number].can_rate) == (False, True)
    assert rows[rated.number].can_rate is False and rows[rated.number].has_todo is False
    assert rows[done.number].finished_on == dt.date(2025, 10, 11)
    # Filed Thu 25 Sep, not yet accepted: the acceptance decision is due 5 working days
    # later: 26, 28 (a make-up Sunday), 29, 30 Sep, then after the National Day holidays 9 Oct.
    assert rows[running.number].due_date == dt.date(2025, 10, 9)

    html = unescape(everything.content.decode())
    with translation.override("en"):
        assert "Supplement the materials" in html or url_or_empty("portal:supplement", waiting.number) == ""
        assert "Being handled" not in html
        assert "Materials need supplementing" in html and "Completed" in html
    for name, number in (("portal:supplement", waiting.number), ("portal:rate", done.number)):
        url = url_or_empty(name, number)
        if url:
            assert url in html
    rate_rated = url_or_empty("portal:rate", rated.number)
    if rate_rated:
        assert rate_rated not in html
    assert "食品经营许可" in html and "邯山区市场监督管理局" in html and "2025-10-09" in html


def test_the_list_is_paginated(citizen: Account, food_licence: Any, materials: Any) -> None:
    cases = [apply_online(citizen, food_licence, materials) for _ in range(12)]
    client = signed_in(citizen)

    first = client.get("/my/cases/")
    second = client.get("/my/cases/", {"page": 2})
    partial = client.get("/my/cases/", {"page": 2}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")

    assert len(numbers(first)) == 10 and len(numbers(second)) == 2
    assert set(numbers(first)) | set(numbers(second)) == {c.number for c in cases}
    assert "Page 1 of 2" in first.content.decode()
    assert partial.content.decode().lstrip().startswith('<div id="results"')
    assert numbers(partial) == numbers(second)


def test_the_list_costs_the_same_queries_however_many_cases(
    citizen: Account,
    enterprise: Account,
    food_licence: Any,
    materials: Any,
    staff: Any,
) -> None:
    Agent.objects.create(
        enterprise=enterprise, person=citizen, authorised_by=enterprise.user, authorised_at=timezone.now()
    )

    def cost() -> int:
        client = signed_in(citizen)
        client.get("/my/cases/")  # the session is warm
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/my/cases/")
        assert response.status_code == 200
        return len(ctx.captured_queries)

    complete(apply_online(citizen, food_licence, materials), staff)
    few = cost()
    for n in range(4):
        case = apply_online(citizen if n % 2 else enterprise, food_licence, materials)
        if n == 0:
            complete(case, staff, result_number=f"R{n}")
        if n == 1:
            services.case_request_supplement(
                case=case, user=staff["window"], items=[{"material": None, "name": "照片", "problem": "模糊"}]
            )
    file_at_window(
        staff["window"], food_licence, name=enterprise.name, id_number=enterprise.id_number, kind="enterprise"
    )
    many = cost()

    assert len(tracking.my_cases(citizen.user)) == 6
    assert many == few
    # session, user, accounts acted for (2), count, page, unread badge, session save (+ savepoint)
    assert many <= 10


# --------------------------------------------------------------------------- one case


def test_the_case_page_tracks_every_step_with_department_time_and_dates(
    citizen: Account,
    food_licence: Any,
    materials: Any,
    staff: Any,
) -> None:
    case = apply_online(citizen, food_licence, materials)
    services.case_request_supplement(
        case=case,
        user=staff["window"],
        items=[
            {"material": materials[1].pk, "problem": "复印件不清晰"},
            {"material": None, "name": "场所平面图", "problem": "未提交"},
        ],
        at=at("2025-09-23"),
    )
    with travel("2025-09-24"):
        waiting = unescape(signed_in(citizen).get(f"/my/cases/{case.number}/").content.decode())
    assert "营业执照复印件" in waiting and "复印件不清晰" in waiting and "场所平面图" in waiting
    assert 'id="todo"' in waiting and 'id="clock-stopped"' in waiting

    services.case_receive_supplement(
        case=case, user=citizen.user, uploads=[Upload(pdf("营业执照.pdf"), materials[1])], at=at("2025-09-24")
    )
    services.case_accept(case=case, user=staff["window"], at=at("2025-09-25"))
    services.case_pass_step(
        case=case, user=staff["handler"], opinion="内部意见：材料齐全", at=at("2025-09-26")
    )
    services.case_suspend(
        case=case,
        user=staff["reviewer"],
        kind="hearing",
        reason="利害关系人申请听证",
        expected_days=5,
        at=at("2025-09-29"),
    )
    services.case_resume(case=case, user=staff["reviewer"], result="听证结束", at=at("2025-10-09"))
    services.case_extend(case=case, user=staff["approver"], days=5, reason="需实地核查", at=at("2025-10-10"))

    with travel("2025-10-13"), translation.override("en"):
        response = signed_in(citizen).get(f"/my/cases/{case.number}/")
        html = unescape(response.content.decode())
        detail = tracking.track(Case.objects.get(pk=case.pk))

    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin"
    texts = [step.text for step in detail.steps]
    assert texts[0].startswith("Time limit extended by 5 working days")
    assert [step.type for step in detail.steps] == [
        "extend",
        "resume",
        "suspend",
        "step",
        "accept",
        "supplement_receive",
        "supplement_request",
        "apply",
    ]
    assert all(step.department == "邯山区市场监督管理局" for step in detail.steps)
    for wanted in (
        "Accepted",
        "Supplementary materials received",
        "承办 step completed",
        "Hearing under way",
        "Expected to take about 5 days.",
        "利害关系人申请听证",
        "需实地核查",
        "听证结束",
        "Application submitted online",
        "营业执照.pdf",
        "2025-09-25 09:00",
    ):
        assert wanted in html, wanted
    assert "内部意见" not in html  # a step's internal opinion is for staff
    # Accepted Thu 25 Sep: 10 working days + 5 extended + the 2 working days the hearing
    # stopped the clock (30 Sep, 9 Oct) = 17, counting the make-up Saturday 11 Oct → Fri 24 Oct;
    # on Mon 13 Oct 6 of the 15 are used.
    assert detail.timing.phase == "handling"
    assert detail.timing.deadlines.due_date == dt.date(2025, 10, 24)
    assert '<time datetime="2025-10-24">2025-10-24</time>' in html
    assert re.search(r'id="time-left">\s*9 working days left', html)
    # Acceptance was due 5 working days after the supplement of Wed 24 Sep: 25, 26, 28 (worked), 29, 30 Sep.
    assert detail.timing.deadlines.acceptance_due == dt.date(2025, 9, 30)

    assert reverse("progress:qr", args=[case.query_token]) in html
    assert reverse("progress:detail", args=[case.query_token]) in html
    complain = url_or_empty("portal:complain")
    if complain:
        assert f"{complain}?case={case.number}" in html


def test_the_case_page_before_acceptance_counts_down_to_the_acceptance_decision(
    citizen: Account,
    food_licence: Any,
    materials: Any,
) -> None:
    case = apply_online(citizen, food_licence, materials)  # Mon 22 Sep → acceptance due Sun 28 Sep (worked)

    with travel("2025-09-24"), translation.override("en"):
        html = unescape(signed_in(citizen).get(f"/my/cases/{case.number}/").content.decode())

    assert '<time datetime="2025-09-28">2025-09-28</time>' in html
    assert re.search(r'id="time-left">\s*3 working days left', html)


def test_a_completed_case_shows_its_result_number_and_offers_rating(
    citizen: Account,
    food_licence: Any,
    materials: Any,
    staff: Any,
) -> None:
    case = complete(apply_online(citizen, food_licence, materials), staff, result_number="JY11304020001234")
    client = signed_in(citizen)

    detail = tracking.track(case)
    html = unescape(client.get(f"/my/cases/{case.number}/").content.decode())

    assert detail.can_rate and not detail.needs_supplement
    assert "JY11304020001234" in html
    rate = url_or_empty("portal:rate", case.number)
    if rate:
        assert rate in html
    Rating.objects.create(
        case=case,
        account=citizen,
        department=case.department,
        region=case.region,
        scale=4,
        level="satisfied",
        is_poor=False,
        is_satisfied=True,
        rated_at=timezone.now(),
    )
    assert tracking.track(case).can_rate is False


def test_the_case_page_costs_a_fixed_number_of_queries(
    citizen: Account,
    food_licence: Any,
    materials: Any,
    staff: Any,
) -> None:
    short = apply_online(citizen, food_licence, materials)
    long = complete(apply_online(citizen, food_licence, materials), staff)
    for n in range(3):
        CaseFile.objects.create(
            case=long,
            name=f"附件{n}.pdf",
            file=CaseFile.objects.get(case=short).file.name,
            sha256="0" * 64,
            size=len(PDF),
            content_type="application/pdf",
            uploaded_at=timezone.now(),
        )
    client = signed_in(citizen)
    client.get(f"/my/cases/{short.number}/")

    def cost(case: Case) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/my/cases/{case.number}/").status_code == 200
        return len(ctx.captured_queries)

    assert cost(long) <= cost(short) + 1  # + the rating look-up of a completed case
    assert cost(long) <= 12


def test_case_numbers_in_the_path_are_only_ever_case_numbers(citizen: Account) -> None:
    client = signed_in(citizen)
    for bad in ("..%2F..%2Fetc", "13040220250922000001%00", "x" * 40):
        assert client.get(f"/my/cases/{bad}/").status_code == 404
    assert urlsplit(reverse("portal:my_case", args=["13040220250922000001"])).path.startswith("/my/cases/")


def test_a_fee_order_awaiting_payment_asks_the_applicant_to_pay(
    citizen: Account, company_seal: Any, staff: dict[str, Any]
) -> None:
    from yiwang.payments import services as payments
    from yiwang.payments.models import FeeOrder, OrderStatus

    case = services.case_file(
        version=company_seal,
        channel=Channel.ONLINE,
        applicant_kind=citizen.kind,
        applicant_name=citizen.name,
        applicant_id_number=citizen.id_number,
        user=citizen.user,
        applicant_user=citizen.user,
        at=at("2025-09-22"),
    )
    services.case_accept(case=case, user=staff["window"], at=at("2025-09-23"))
    services.case_decide(case=case, user=staff["approver"], decision="approved", at=at("2025-09-24"))
    fee = company_seal.fees.get()
    order = payments.order_issue(case=case, user=staff["approver"], lines=[payments.LineInput(fee=fee.pk)])
    client = signed_in(citizen)
    pay = reverse("payments:case_orders", args=[case.number])

    listed = client.get("/my/cases/")
    page = client.get(f"/my/cases/{case.number}/")

    assert listed.context["rows"][0].needs_payment is True
    assert pay in listed.content.decode() and pay in page.content.decode()
    assert page.context["track"].needs_payment is True

    FeeOrder.objects.filter(pk=order.pk).update(status=OrderStatus.PAID, paid_at=timezone.now())
    assert signed_in(citizen).get("/my/cases/").context["rows"][0].needs_payment is False
    assert pay not in signed_in(citizen).get(f"/my/cases/{case.number}/").content.decode()
