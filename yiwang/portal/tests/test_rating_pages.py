# ruff: noqa: F811  (the fixtures imported from test_ratings are used as arguments)
"""The rating page (/rate/<case number>/) and the staff's follow-up pages
(/work/ratings/), in English."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from yiwang.core import calendar
from yiwang.core.identifiers import build_resident_id
from yiwang.org.models import Staff
from yiwang.portal import ratings
from yiwang.portal.factories import citizen_account
from yiwang.portal.models import Account
from yiwang.portal.models.ratings import FollowUpStatus, Rating, RatingFollowUp
from yiwang.portal.tests.test_ratings import (  # noqa: F401  (fixtures)
    at,
    citizen,
    completed_case,
    crew,
    file_online,
    hotline_agent,
    other_county_supervisor,
    poor,
    rated_item,
    snapshot,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def signed_in(user: AbstractBaseUser) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def url(case: Any) -> str:
    return reverse("portal:rate", args=[case.number])


@pytest.fixture
def done_case(rated_item: Any, citizen: Account, crew: dict[str, Any]) -> Any:
    return completed_case(rated_item, citizen, crew)


# --------------------------------------------------------------------------- the citizen's page


def test_signing_in_comes_first(done_case: Any) -> None:
    response = Client().get(url(done_case))
    assert response.status_code == 302
    assert "next=" in response["Location"]


def test_the_form_offers_the_levels_as_one_labelled_group(
    done_case: Any, citizen: Account, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(citizen.user)
    with django_assert_max_num_queries(10):
        response = client.get(url(done_case))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<fieldset" in html and "<legend" in html
    for value, label in (
        ("satisfied", "Satisfied"),
        ("basically_satisfied", "Basically satisfied"),
        ("average", "Average"),
        ("dissatisfied", "Dissatisfied"),
    ):
        assert f'id="level-{value}" value="{value}"' in html
        assert f'<label for="level-{value}">' in html and label in html
    assert "very_satisfied" not in html
    assert '<label for="id_comment">' in html and 'aria-describedby="comment-hint' in html
    assert done_case.number in html and "个体工商户登记" in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_five_level_scale(settings: Any, done_case: Any, citizen: Account) -> None:
    settings.PORTAL_RATING_SCALE = 5
    html = signed_in(citizen.user).get(url(done_case)).content.decode()
    assert html.count('type="radio" name="level"') == 5
    assert 'value="very_dissatisfied"' in html and 'value="average"' not in html


def test_a_satisfied_rating_then_thanks(done_case: Any, citizen: Account) -> None:
    client = signed_in(citizen.user)
    response = client.post(url(done_case), {"level": "satisfied", "comment": "很快"})
    assert response.status_code == 302 and response["Location"] == url(done_case)
    rating = Rating.objects.get(case=done_case)
    assert (rating.level, rating.comment, rating.account) == ("satisfied", "很快", citizen)
    page = client.get(url(done_case)).content.decode()
    assert "Thank you for your rating" in page and "“Satisfied”" in page and "很快" in page
    assert "What happens next" not in page


def test_a_poor_rating_says_what_happens_next_and_by_when(
    settings: Any, done_case: Any, citizen: Account, handler: Staff, django_assert_max_num_queries: Any
) -> None:
    settings.PORTAL_RATING_FOLLOWUP_WORKDAYS = 5
    client = signed_in(citizen.user)
    client.post(url(done_case), {"level": "dissatisfied", "comment": "等了很久"})
    due = calendar.add_workdays(timezone.localdate(), 5)
    assert RatingFollowUp.objects.get().due_date == due
    with django_assert_max_num_queries(10):
        response = client.get(url(done_case))
    page = response.content.decode()
    assert "What happens next" in page
    assert date_format(due, "DATE_FORMAT") in page
    assert "must find out what went wrong" in page
    # Once answered, the answer shows instead of the deadline.
    ratings.followup_answer(
        follow_up=RatingFollowUp.objects.get(), user=handler.user, answer="已向您致歉", rectification="已培训"
    )
    page = client.get(url(done_case)).content.decode()
    assert "已向您致歉" in page and "must find out" not in page


def test_other_peoples_cases_are_not_found(done_case: Any, crew: dict[str, Any]) -> None:
    stranger = citizen_account(
        username="wangwu",
        name="王五",
        id_number=build_resident_id("130402", dt.date(1985, 3, 2), 17),
        mobile="13600136000",
    )
    client = signed_in(stranger.user)
    before = snapshot()
    assert client.get(url(done_case)).status_code == 404
    response = client.post(url(done_case), {"level": "dissatisfied"})
    assert response.status_code == 404
    assert "We could not find this case among yours" in response.content.decode()
    assert snapshot() == before
    assert signed_in(stranger.user).get("/rate/NO-SUCH-CASE/").status_code == 404
    assert signed_in(crew["approver"]).get(url(done_case)).status_code == 404  # staff are not the applicant


def test_a_case_still_being_handled_is_politely_refused(rated_item: Any, citizen: Account) -> None:
    case = file_online(rated_item, citizen, at("2025-11-03", "08:30"))
    client = signed_in(citizen.user)
    before = snapshot()
    response = client.get(url(case))
    assert response.status_code == 409
    assert "This case cannot be rated yet" in response.content.decode()
    assert client.post(url(case), {"level": "satisfied"}).status_code == 409
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "message", "described"),
    [
        ({}, "Choose one of the levels shown", 'aria-describedby="level-error"'),
        ({"level": "superb"}, "Choose one of the levels shown", 'aria-describedby="level-error"'),
        (
            {"level": "satisfied", "comment": "长" * 501},
            "at most 500 fit",
            'aria-describedby="comment-hint comment-error"',
        ),
    ],
)
def test_bad_input_is_shown_on_the_form_and_changes_nothing(
    done_case: Any, citizen: Account, data: dict[str, str], message: str, described: str
) -> None:
    before = snapshot()
    response = signed_in(citizen.user).post(url(done_case), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html and described in html and 'aria-invalid="true"' in html
    assert snapshot() == before
    if "comment" in data:
        assert 'value="satisfied" checked' in html  # the choice is kept


def test_rating_twice_shows_the_first_rating(done_case: Any, citizen: Account) -> None:
    client = signed_in(citizen.user)
    client.post(url(done_case), {"level": "average"})
    before = snapshot()
    response = client.post(url(done_case), {"level": "satisfied"})
    assert response.status_code == 409
    assert "“Average”" in response.content.decode()
    assert snapshot() == before


# --------------------------------------------------------------------------- the staff pages


def test_the_follow_up_list_by_scope_overdue_first(
    poor: RatingFollowUp,
    rated_item: Any,
    citizen: Account,
    crew: dict[str, Any],
    handler: Staff,
    county_supervisor: Staff,
    other_county_supervisor: Staff,
    django_assert_max_num_queries: Any,
) -> None:
    # A later poor rating, not yet due: listed after the overdue one.
    case = completed_case(rated_item, citizen, crew, "2025-11-03")
    fresh = ratings.rate_case(case=case, user=citizen.user, level="dissatisfied").follow_up
    listing = reverse("rating_staff:list")
    for user in (handler.user, county_supervisor.user):
        client = signed_in(user)
        with django_assert_max_num_queries(12):
            response = client.get(listing)
        html = response.content.decode()
        assert response.status_code == 200
        assert html.index(poor.rating.case.number) < html.index(fresh.rating.case.number)
        assert "overdue" in html and "Dissatisfied" in html
    html = signed_in(other_county_supervisor.user).get(listing).content.decode()
    assert poor.rating.case.number not in html and "No follow-ups here." in html
    assert signed_in(citizen.user).get(listing).status_code == 403


def test_the_list_costs_the_same_for_many(
    rated_item: Any,
    citizen: Account,
    crew: dict[str, Any],
    handler: Staff,
    county_supervisor: Staff,
) -> None:
    def listed(n: int) -> int:
        for _ in range(n):
            case = completed_case(rated_item, citizen, crew, "2025-11-03")
            ratings.rate_case(case=case, user=citizen.user, level="dissatisfied")
        client = signed_in(county_supervisor.user)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("rating_staff:list") + "?show=all")
        assert response.content.decode().count('class="followup-row') == RatingFollowUp.objects.count()
        return len(queries)

    one, eight = listed(1), listed(7)
    assert one == eight <= 12


def test_the_department_answers_on_the_page(
    poor: RatingFollowUp, handler: Staff, county_supervisor: Staff, other_county_supervisor: Staff
) -> None:
    page = reverse("rating_staff:detail", args=[poor.pk])
    answer = reverse("rating_staff:answer", args=[poor.pk])
    assert signed_in(other_county_supervisor.user).get(page).status_code == 404
    html = signed_in(handler.user).get(page).content.decode()
    assert 'action="' + answer + '"' in html and "Record the revisit" not in html
    assert "张三" not in html and "138****8000" in html  # the department sees the rater masked
    before = snapshot()
    assert (
        signed_in(county_supervisor.user).post(answer, {"answer": "x", "rectification": "y"}).status_code
        == 403
    )
    assert (
        signed_in(other_county_supervisor.user)
        .post(answer, {"answer": "x", "rectification": "y"})
        .status_code
        == 404
    )
    response = signed_in(handler.user).post(answer, {"answer": "", "rectification": "已培训"})
    assert response.status_code == 422
    assert "Write the answer to the applicant." in response.content.decode()
    assert 'aria-describedby="id_answer-error"' in response.content.decode()
    assert snapshot() == before
    response = signed_in(handler.user).post(answer, {"answer": "已致歉", "rectification": "已培训"})
    assert response.status_code == 302
    poor.refresh_from_db()
    assert poor.status == FollowUpStatus.ANSWERED
    again = signed_in(handler.user).post(answer, {"answer": "再答", "rectification": "再改"})
    assert again.status_code == 409 and "already been answered" in again.content.decode()


def test_a_supervisor_revisits_on_the_page(
    poor: RatingFollowUp, handler: Staff, county_supervisor: Staff, hotline_agent: Staff
) -> None:
    page = reverse("rating_staff:detail", args=[poor.pk])
    revisit = reverse("rating_staff:revisit", args=[poor.pk])
    html = signed_in(county_supervisor.user).get(page).content.decode()
    assert "The applicant is revisited after the department" in html
    assert "张三" in html and "13800138000" in html  # who calls sees whom to call
    before = snapshot()
    early = signed_in(county_supervisor.user).post(revisit, {"result": "satisfied", "note": "满意"})
    assert early.status_code == 409
    assert snapshot() == before
    ratings.followup_answer(follow_up=poor, user=handler.user, answer="已致歉", rectification="已培训")
    before = snapshot()
    assert signed_in(handler.user).post(revisit, {"result": "satisfied", "note": "满意"}).status_code == 403
    bad = signed_in(hotline_agent.user).post(revisit, {"result": "maybe", "note": "?"})
    assert bad.status_code == 422 and "Choose what the rater said" in bad.content.decode()
    assert snapshot() == before
    html = signed_in(hotline_agent.user).get(page).content.decode()
    assert "<legend>What the applicant said</legend>" in html
    done = signed_in(hotline_agent.user).post(revisit, {"result": "satisfied", "note": "电话回访满意"})
    assert done.status_code == 302
    poor.refresh_from_db()
    assert poor.status == FollowUpStatus.REVISITED
    html = signed_in(county_supervisor.user).get(page).content.decode()
    assert "电话回访满意" in html and "冯话务" in html
