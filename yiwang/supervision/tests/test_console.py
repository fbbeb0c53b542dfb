"""The supervision console through its pages: who may see what, the status lights and
their counts, the case page, the alerts inbox with explanations and conclusions, notices
as PDFs, findings, the big screen, and that supervisors change no case data.

The cases of these tests live in October 2025 around National Day (see test_sweep); a
ladder of case stages only (warning when 2 working days remain, yellow on the due date,
red the working day after) gives each light its own case when swept on Monday 20 October.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from yiwang.cases import services as cases
from yiwang.cases.models import Case, CaseEvent, Channel, EventType
from yiwang.cases.tests.conftest import APPLICANT_ID, at
from yiwang.cases.views import ACTION_NAMES
from yiwang.org.factories import DepartmentFactory, StaffFactory, UserFactory, grant
from yiwang.org.models import Role
from yiwang.supervision import services
from yiwang.supervision.models import Alert, AlertAction, AlertStatus, Irregularity, Notice, RuleSet
from yiwang.supervision.selectors import Light

pytestmark = pytest.mark.django_db

SWEEP_AT = at("2025-10-20", "09:00")
CASE_ONLY = [
    {"target": "case", "level": "warning", "anchor": "remaining", "workdays": 2},
    {"target": "case", "level": "yellow", "anchor": "overdue", "workdays": 0},
    {"target": "case", "level": "red", "anchor": "overdue", "workdays": 1},
]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ladder(db: None) -> RuleSet:
    """Only the case's own deadline is watched, so each case shows exactly one light."""
    rule_set = RuleSet.objects.create(code="case-only", name="承诺时限三段式")
    services.ruleset_new_version(rule_set=rule_set, stages=CASE_ONLY)
    services.ruleset_assign(rule_set=rule_set)
    return rule_set


@pytest.fixture
def supervisor(county_supervisor: Any) -> Any:
    return county_supervisor.user


@pytest.fixture
def neighbour_supervisor(other_county: Any) -> Any:
    room = DepartmentFactory(name="丛台区电子监察室", region=other_county, is_supervision_room=True)
    staff = StaffFactory(user=UserFactory(username="supervisor_ct"), name="钱监察", department=room)
    grant(staff, Role.SUPERVISOR, region=other_county)
    return staff.user


@pytest.fixture
def department_head(market_dept: Any) -> Any:
    staff = StaffFactory(user=UserFactory(username="head_hs"), name="陈局长", department=market_dept)
    grant(staff, Role.LEADER, department=market_dept)
    return staff.user


@pytest.fixture
def neighbour_clerk(other_market_dept: Any) -> Any:
    staff = StaffFactory(user=UserFactory(username="clerk_ct"), name="冯科员", department=other_market_dept)
    grant(staff, Role.HANDLER, department=other_market_dept)
    return staff.user


def as_user(user: Any, language: str = "en") -> Client:
    """A signed-in client, in English so that messages read as their msgids."""
    client = Client()
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def file_case(version: Any, window_user: Any, day: str, *, name: str = "刘芳") -> Case:
    return cases.case_file(
        version=version,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name=name,
        applicant_id_number=APPLICANT_ID,
        user=window_user,
        at=at(day),
    )


def accepted(version: Any, window_user: Any, day: str, **kwargs: Any) -> Case:
    case = file_case(version, window_user, day, **kwargs)
    cases.case_accept(case=case, user=window_user, at=at(day, "10:00"))
    return case


def completed(version: Any, people: dict[str, Any], accepted_on: str, completed_on: str) -> Case:
    case = accepted(version, people["window"], accepted_on)
    cases.case_pass_step(case=case, user=people["handler"], opinion="材料齐全", at=at(completed_on, "09:00"))
    cases.case_pass_step(case=case, user=people["reviewer"], opinion="同意", at=at(completed_on, "09:30"))
    cases.case_decide(case=case, user=people["approver"], decision="approved", at=at(completed_on, "10:00"))
    cases.case_complete(case=case, user=people["approver"], at=at(completed_on, "11:00"))
    return case


@pytest.fixture
def people(window_user: Any, handler_user: Any, reviewer_user: Any, approver_user: Any) -> dict[str, Any]:
    return {
        "window": window_user,
        "handler": handler_user,
        "reviewer": reviewer_user,
        "approver": approver_user,
    }


@pytest.fixture
def lights(ladder: Any, food_licence: Any, people: dict[str, Any]) -> dict[str, Case]:
    """One case per light, swept on Monday 20 October 2025."""
    window = people["window"]
    made = {
        # accepted 26 September: due 16 October, red from the 17th
        Light.RED: accepted(food_licence, window, "2025-09-26", name="红一"),
        # accepted 29 September: due 20 October, yellow on the day
        Light.YELLOW: accepted(food_licence, window, "2025-09-29", name="黄一"),
        # accepted 30 September: due 21 October, warned on the 20th (two working days remain)
        Light.WARNING: accepted(food_licence, window, "2025-09-30", name="预一"),
        Light.NORMAL: accepted(food_licence, window, "2025-10-17", name="常一"),
        Light.SUSPENDED: accepted(food_licence, window, "2025-10-16", name="停一"),
        Light.ON_TIME: completed(food_licence, people, "2025-10-09", "2025-10-10"),
        Light.LATE: completed(food_licence, people, "2025-09-26", "2025-10-17"),
        Light.ENDED: file_case(food_licence, window, "2025-10-17", name="拒一"),
    }
    cases.case_suspend(
        case=made[Light.SUSPENDED],
        user=people["handler"],
        kind="hearing",
        reason="申请人要求听证",
        expected_days=5,
        at=at("2025-10-17", "15:00"),
    )
    cases.case_refuse(
        case=made[Light.ENDED],
        user=window,
        reason="不属于本机关职权范围",
        legal_basis="《行政许可法》第三十二条",
        at=at("2025-10-17", "11:00"),
    )
    services.sweep(SWEEP_AT, notify=False)
    return {light.value: Case.objects.get(pk=case.pk) for light, case in made.items()}


def snapshot(case: Case) -> tuple[Any, ...]:
    """What supervisors must never change."""
    case = Case.objects.get(pk=case.pk)
    return (
        case.state,
        case.step_index,
        case.due_date,
        case.clock_stopped,
        case.last_seq,
        case.last_hash,
        CaseEvent.objects.filter(case=case).count(),
    )


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured.captured_queries)


def shown_lights(html: str) -> dict[str, str]:
    """Case number → light of each row of the console."""
    rows = re.findall(r'data-light="(\w+)">\s*<th[^>]*>.*?class="case-number">([^<]+)</a>', html, re.S)
    return {number: light for light, number in rows}


def light_counts(html: str) -> dict[str, int]:
    found = re.findall(r'data-light="(\w+)">\s*<span class="lights__count">(\d+)</span>', html)
    return {light: int(n) for light, n in found}


# --------------------------------------------------------------------------- access


def test_the_console_needs_a_login(client: Client) -> None:
    for url in ("/supervision/", "/supervision/alerts/", "/supervision/screen/data.json"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=/supervision/")


def test_a_handler_without_a_supervisor_role_is_refused(lights: Any, handler: Any) -> None:
    client = as_user(handler.user)
    case = lights[Light.RED]
    for url in (
        "/supervision/",
        f"/supervision/cases/{case.number}/",
        "/supervision/irregularities/",
        "/supervision/screen/",
        "/supervision/screen/data.json",
    ):
        assert client.get(url).status_code == 403, url
    # a citizen without a staff record is refused the alerts too
    citizen = UserFactory(username="citizen", is_staff=False)
    assert as_user(citizen).get("/supervision/alerts/").status_code == 403


def test_a_neighbouring_countys_supervisor_sees_nothing_of_this_county(
    lights: Any, supervisor: Any, neighbour_supervisor: Any
) -> None:
    case = lights[Light.RED]
    alert = Alert.objects.filter(case=case).first()
    services.alert_conclude(alert=alert, user=supervisor, verdict="escalate", note="逾期未办")
    notice = Notice.objects.get(case=case)
    client = as_user(neighbour_supervisor)

    console = client.get("/supervision/").content.decode()
    assert case.number not in console
    assert all(n == 0 for n in light_counts(console).values())
    assert client.get(f"/supervision/cases/{case.number}/").status_code == 404
    assert client.get(f"/supervision/alerts/{alert.pk}/").status_code == 404
    assert case.number not in client.get("/supervision/alerts/").content.decode()
    assert client.get(f"/supervision/notices/{notice.pk}.pdf").status_code == 404
    assert case.number not in client.get("/supervision/irregularities/").content.decode()
    data = client.get("/supervision/screen/data.json").json()
    assert data["running"] == 0 and all(light["count"] == 0 for light in data["lights"])
    # posting to what cannot be seen changes nothing
    before = (Alert.objects.get(pk=alert.pk).status, AlertAction.objects.count())
    assert (
        client.post(f"/supervision/alerts/{alert.pk}/conclude/", {"conclude-verdict": "accept"}).status_code
        == 404
    )
    assert client.post(f"/supervision/cases/{case.number}/notices/", {"notice-facts": "x"}).status_code == 404
    assert (Alert.objects.get(pk=alert.pk).status, AlertAction.objects.count()) == before
    assert Notice.objects.count() == 1


def test_the_city_leader_watches_the_county(lights: Any, city_leader: Any) -> None:
    html = as_user(city_leader.user).get("/supervision/").content.decode()
    assert shown_lights(html)[lights[Light.RED].number] == Light.RED


# --------------------------------------------------------------------------- the console


def test_each_case_shows_its_light_and_the_counts_are_on_top(lights: Any, supervisor: Any) -> None:
    response = as_user(supervisor).get("/supervision/")
    assert response.status_code == 200
    html = response.content.decode()
    assert shown_lights(html) == {case.number: light for light, case in lights.items()}
    assert light_counts(html) == {light.value: 1 for light in Light}
    # the most serious first
    numbers = list(shown_lights(html))
    assert numbers[0] == lights[Light.RED].number
    assert numbers[1] == lights[Light.YELLOW].number
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_console_filters_by_light_department_region_item_number_and_period(
    lights: Any, supervisor: Any, county: Any, market_dept: Any, other_market_dept: Any, window_user: Any
) -> None:
    client = as_user(supervisor)

    def numbers(query: str) -> set[str]:
        response = client.get("/supervision/?" + query)
        assert response.status_code == 200, response.content.decode()[:2000]
        return set(shown_lights(response.content.decode()))

    everything = {case.number for case in lights.values()}
    red = lights[Light.RED].number
    assert numbers("light=red") == {red}
    # the counts ignore the chosen light, so that the others can be chosen next
    html = client.get("/supervision/?light=red").content.decode()
    assert light_counts(html)[Light.YELLOW] == 1
    assert numbers(f"department={market_dept.pk}") == everything
    assert numbers(f"region={county.code}") == everything
    assert numbers("item=食品经营") == everything
    assert numbers("item=HS-SPJY-001") == everything
    assert numbers("item=建设工程") == set()
    assert numbers(f"number={red}") == {red}
    assert numbers("number=20250929") == {lights[Light.YELLOW].number}
    assert numbers("submitted_from=2025-09-29&submitted_to=2025-09-30") == {
        lights[Light.YELLOW].number,
        lights[Light.WARNING].number,
    }
    assert numbers("submitted_from=2025-10-17&submitted_to=2025-10-17") == {
        lights[Light.NORMAL].number,
        lights[Light.ENDED].number,
    }

    # a department of another county cannot be chosen: an error, and no list
    refused = client.get(f"/supervision/?department={other_market_dept.pk}")
    assert refused.status_code == 400
    assert "Select a valid choice" in refused.content.decode()
    assert shown_lights(refused.content.decode()) == {}
    reversed_period = client.get("/supervision/?submitted_from=2025-10-20&submitted_to=2025-10-01")
    assert reversed_period.status_code == 400
    assert "The end of the period is before its start." in reversed_period.content.decode()
    assert client.get("/supervision/?light=purple").status_code == 400


def test_the_console_is_paginated_and_answers_htmx_with_the_results_only(
    ladder: Any, food_licence: Any, window_user: Any, supervisor: Any
) -> None:
    for i in range(21):
        file_case(food_licence, window_user, "2025-10-17", name=f"甲{i}")
    client = as_user(supervisor)
    first = client.get("/supervision/").content.decode()
    assert len(shown_lights(first)) == 20
    assert "page=2" in first
    second = client.get("/supervision/?page=2").content.decode()
    assert len(shown_lights(second)) == 1
    partial = client.get("/supervision/?page=2", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    body = partial.content.decode()
    assert body.startswith('<section id="results"') and "<html" not in body
    assert "HX-Target" in partial["Vary"]


def test_the_console_takes_constant_queries(
    ladder: Any, food_licence: Any, people: Any, supervisor: Any
) -> None:
    def make(n: int, start: int) -> None:
        for i in range(n):
            case = accepted(food_licence, people["window"], "2025-09-26", name=f"乙{start + i}")
            if i % 3 == 0:
                cases.case_suspend(
                    case=case,
                    user=people["handler"],
                    kind="hearing",
                    reason="听证",
                    expected_days=5,
                    at=at("2025-10-17", "15:00"),
                )
        services.sweep(SWEEP_AT, notify=False)

    def measure() -> list[int]:
        client = as_user(get_user_model().objects.get(pk=supervisor.pk))
        return [
            count_queries(client, "/supervision/"),
            count_queries(client, "/supervision/?light=red&department=&item=食品"),
            count_queries(client, "/supervision/alerts/"),
            count_queries(client, "/supervision/irregularities/"),
            count_queries(client, "/supervision/screen/data.json"),
        ]

    make(5, 0)
    small = measure()
    make(25, 5)
    assert Case.objects.count() == 30
    assert measure() == small


# --------------------------------------------------------------------------- one case


def test_the_case_page_shows_the_ledger_deadlines_alerts_findings_and_notices(
    lights: Any, supervisor: Any
) -> None:
    case = lights[Light.RED]
    alert = Alert.objects.get(case=case, level="red")
    services.alert_conclude(alert=alert, user=supervisor, verdict="escalate", note="逾期未办")
    notice = services.issue_pdf(Notice.objects.get(case=case))
    finding = Irregularity.objects.filter(case=case).first()
    assert finding is not None  # the events were recorded long after they happened

    response = as_user(supervisor).get(f"/supervision/cases/{case.number}/")
    assert response.status_code == 200
    html = response.content.decode()
    # the ledger, with the notice's own event, read in order
    events = list(CaseEvent.objects.filter(case=case).order_by("seq"))
    assert events[-1].type == EventType.NOTICE
    for event in events:
        assert f'id="event-{event.seq}"' in html
    assert notice.number in html
    assert f"/supervision/notices/{notice.pk}.pdf" in html
    # deadlines
    assert 'id="due-date">2025-10-16<' in html
    # the alerts with their status, linked to their page
    for a in Alert.objects.filter(case=case):
        assert f'href="/supervision/alerts/{a.pk}/"' in html
    assert "escalated" in html
    # findings, and the events that prove them marked in the timeline
    assert f'id="finding-{finding.pk}"' in html
    for seq in finding.event_seqs:
        assert f'href="#event-{seq}"' in html
        assert re.search(rf'timeline__event--flagged" id="event-{seq}"', html)
    # a supervisor may issue a notice from here
    assert 'action="/supervision/cases/' + case.number + '/notices/"' in html


def test_a_supervisor_issues_a_notice_which_only_appends_its_event(lights: Any, supervisor: Any) -> None:
    case = lights[Light.YELLOW]
    before = snapshot(case)
    client = as_user(supervisor)
    response = client.post(
        f"/supervision/cases/{case.number}/notices/",
        {"notice-kind": "urging", "notice-facts": "该办件已到期未办结。", "notice-requirement": ""},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/supervision/cases/{case.number}/#notices"
    notice = Notice.objects.get(case=case, kind="urging")
    assert notice.sha256 and notice.pdf.name.endswith(".pdf")
    after = Case.objects.get(pk=case.pk)
    assert (after.state, after.step_index, after.due_date, after.clock_stopped) == before[:4]
    added = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert added.seq == before[4] + 1 and added.type == EventType.NOTICE
    assert added.payload["number"] == notice.number
    page = client.get(response["Location"]).content.decode()
    assert f"Notice {notice.number} issued." in page


def test_a_bad_notice_is_refused_with_its_reason_and_changes_nothing(
    lights: Any, supervisor: Any, city_leader: Any
) -> None:
    case = lights[Light.YELLOW]
    before = snapshot(case)
    url = f"/supervision/cases/{case.number}/notices/"
    empty = as_user(supervisor).post(url, {"notice-kind": "urging", "notice-facts": "  "})
    assert empty.status_code == 400
    assert "State the facts the notice is about." in empty.content.decode()
    past = as_user(supervisor).post(
        url, {"notice-kind": "urging", "notice-facts": "逾期", "notice-reply_by": "2020-01-01"}
    )
    assert past.status_code == 400
    assert "The reply date cannot be in the past." in past.content.decode()
    unknown = as_user(supervisor).post(url, {"notice-kind": "decision", "notice-facts": "逾期"})
    assert unknown.status_code == 400
    # a leader watches but does not issue notices: no form, and a post is refused
    leader = as_user(city_leader.user)
    assert 'id="issue-notice"' not in leader.get(f"/supervision/cases/{case.number}/").content.decode()
    refused = leader.post(url, {"notice-kind": "urging", "notice-facts": "逾期"})
    assert refused.status_code == 400
    assert "Only a supervisor whose scope covers case" in refused.content.decode()
    assert Notice.objects.filter(case=case).count() == 0
    assert snapshot(case) == before


def test_a_case_outside_the_scope_is_not_found(lights: Any, neighbour_supervisor: Any) -> None:
    assert as_user(neighbour_supervisor).get("/supervision/cases/nope/").status_code == 404


# --------------------------------------------------------------------------- alerts


def test_the_alerts_inbox_is_newest_first_and_filters(lights: Any, supervisor: Any, market_dept: Any) -> None:
    client = as_user(supervisor)
    html = client.get("/supervision/alerts/").content.decode()
    shown = [int(pk) for pk in re.findall(r'href="/supervision/alerts/(\d+)/" class="alert-link"', html)]
    expected = list(Alert.objects.order_by("-raised_at", "-pk").values_list("pk", flat=True))
    # the red case: warning, yellow and red; the yellow case: warning and yellow; one warning
    assert shown == expected and len(shown) == 6
    reds = client.get("/supervision/alerts/?level=red").content.decode()
    assert re.findall(r'href="/supervision/alerts/(\d+)/" class="alert-link"', reds) == [
        str(Alert.objects.get(level="red").pk)
    ]
    assert "alert-link" not in client.get("/supervision/alerts/?status=accepted").content.decode()
    assert client.get(f"/supervision/alerts/?department={market_dept.pk}&status=raised").status_code == 200
    assert client.get("/supervision/alerts/?level=orange").status_code == 400


def test_the_department_explains_and_the_supervisor_concludes(
    lights: Any, supervisor: Any, handler: Any
) -> None:
    alert = Alert.objects.get(case=lights[Light.YELLOW], level="yellow")
    staff = as_user(handler.user)  # a handler of the department, no supervisor role
    inbox = staff.get("/supervision/alerts/").content.decode()
    assert f"/supervision/alerts/{alert.pk}/" in inbox
    page = staff.get(f"/supervision/alerts/{alert.pk}/").content.decode()
    assert 'id="explain"' in page and 'id="conclude"' not in page
    # the case links to the workbench for them (they do not watch the console)
    assert f'href="/work/cases/{alert.case.number}/"' in page

    response = staff.post(
        f"/supervision/alerts/{alert.pk}/explain/", {"explain-text": "申请人补充材料延误，已于当日办结。"}
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.EXPLAINED and alert.explained_by == handler.user

    sup = as_user(supervisor)
    page = sup.get(f"/supervision/alerts/{alert.pk}/").content.decode()
    assert 'id="conclude"' in page and 'value="accept"' in page and 'id="explain"' not in page
    assert "申请人补充材料延误" in page
    assert f'href="/supervision/cases/{alert.case.number}/"' in page
    response = sup.post(f"/supervision/alerts/{alert.pk}/conclude/", {"conclude-verdict": "accept"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACCEPTED
    history = sup.get(f"/supervision/alerts/{alert.pk}/").content.decode()
    for label in ("raised", "explanation submitted", "explanation accepted"):
        assert label in history
    assert "李承办" in history and "王监察" in history


def test_escalation_issues_an_urging_notice(lights: Any, supervisor: Any) -> None:
    alert = Alert.objects.get(case=lights[Light.RED], level="red")
    before = snapshot(alert.case)
    response = as_user(supervisor).post(
        f"/supervision/alerts/{alert.pk}/conclude/",
        {"conclude-verdict": "escalate", "conclude-note": "红牌后仍未办结"},
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ESCALATED and alert.resolution == "红牌后仍未办结"
    notice = Notice.objects.get(alert=alert)
    assert notice.kind == "urging"
    page = as_user(supervisor).get(f"/supervision/alerts/{alert.pk}/").content.decode()
    assert notice.number in page and 'id="conclude"' not in page
    assert snapshot(alert.case) == before  # the PDF and its ledger event come with the first download


@pytest.mark.parametrize(
    ("who", "url", "data", "message"),
    [
        ("handler", "explain", {"explain-text": "   "}, "Write the explanation."),
        (
            "supervisor",
            "explain",
            {"explain-text": "情况说明"},
            "Only staff of 邯山区市场监督管理局 may explain",
        ),
        (
            "supervisor",
            "conclude",
            {"conclude-verdict": "reject", "conclude-note": ""},
            "There is no explanation",
        ),
        (
            "supervisor",
            "conclude",
            {"conclude-verdict": "escalate", "conclude-note": ""},
            "Say why the alert is escalated.",
        ),
        ("supervisor", "conclude", {"conclude-verdict": "pardon"}, "Accept, reject or escalate."),
        (
            "handler",
            "conclude",
            {"conclude-verdict": "escalate", "conclude-note": "x"},
            "Only a supervisor whose scope",
        ),
    ],
)
def test_refused_alert_posts_say_why_and_change_nothing(
    lights: Any, supervisor: Any, handler: Any, who: str, url: str, data: dict[str, str], message: str
) -> None:
    alert = Alert.objects.get(case=lights[Light.YELLOW], level="yellow")
    user = {"handler": handler.user, "supervisor": supervisor}[who]
    before = (
        Alert.objects.filter(pk=alert.pk).values().get(),
        AlertAction.objects.count(),
        Notice.objects.count(),
    )
    response = as_user(user).post(f"/supervision/alerts/{alert.pk}/{url}/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    after = (
        Alert.objects.filter(pk=alert.pk).values().get(),
        AlertAction.objects.count(),
        Notice.objects.count(),
    )
    assert after == before


def test_a_rejection_needs_a_reason(lights: Any, supervisor: Any, handler: Any) -> None:
    alert = Alert.objects.get(case=lights[Light.YELLOW], level="yellow")
    services.alert_explain(alert=alert, user=handler.user, text="已办理")
    response = as_user(supervisor).post(
        f"/supervision/alerts/{alert.pk}/conclude/", {"conclude-verdict": "reject"}
    )
    assert response.status_code == 400
    assert "Say why the explanation is rejected." in response.content.decode()
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.EXPLAINED


def test_staff_of_another_department_cannot_reach_the_alert(lights: Any, neighbour_clerk: Any) -> None:
    alert = Alert.objects.get(case=lights[Light.YELLOW], level="yellow")
    client = as_user(neighbour_clerk)
    assert "alert-link" not in client.get("/supervision/alerts/").content.decode()
    assert client.get(f"/supervision/alerts/{alert.pk}/").status_code == 404
    assert client.post(f"/supervision/alerts/{alert.pk}/explain/", {"explain-text": "x"}).status_code == 404
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.RAISED


def test_the_department_head_may_explain(lights: Any, department_head: Any) -> None:
    alert = Alert.objects.get(case=lights[Light.YELLOW], level="yellow")
    response = as_user(department_head).post(
        f"/supervision/alerts/{alert.pk}/explain/", {"explain-text": "已督促"}
    )
    assert response.status_code == 302
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.EXPLAINED


# --------------------------------------------------------------------------- notices


def test_a_notice_pdf_is_made_on_the_first_download_and_recorded_once(
    lights: Any, supervisor: Any, handler: Any
) -> None:
    alert = Alert.objects.get(case=lights[Light.RED], level="red")
    services.alert_conclude(alert=alert, user=supervisor, verdict="escalate", note="逾期")
    notice = Notice.objects.get(alert=alert)
    assert not notice.sha256
    events = CaseEvent.objects.filter(case=alert.case).count()

    response = as_user(supervisor).get(f"/supervision/notices/{notice.pk}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    notice.refresh_from_db()
    assert len(notice.sha256) == 64
    assert CaseEvent.objects.filter(case=alert.case).count() == events + 1

    # the addressee department reads it too; nothing is recorded again
    again = as_user(handler.user).get(f"/supervision/notices/{notice.pk}.pdf")
    assert again.status_code == 200
    assert CaseEvent.objects.filter(case=alert.case).count() == events + 1
    assert as_user(supervisor).get("/supervision/notices/999999.pdf").status_code == 404


# --------------------------------------------------------------------------- findings


def test_the_findings_list_filters(lights: Any, supervisor: Any) -> None:
    client = as_user(supervisor)
    html = client.get("/supervision/irregularities/").content.decode()
    total = Irregularity.objects.count()
    assert total > 0
    assert html.count('class="finding-row ') == min(total, 20)
    code = Irregularity.objects.values_list("code", flat=True).first()
    only = client.get(f"/supervision/irregularities/?code={code}").content.decode()
    assert only.count('class="finding-row ') == min(Irregularity.objects.filter(code=code).count(), 20)
    assert client.get("/supervision/irregularities/?severity=low&code=fee_mismatch").status_code == 200
    assert (
        "finding-row"
        not in client.get("/supervision/irregularities/?detected_to=2000-01-01").content.decode()
    )
    assert client.get("/supervision/irregularities/?code=nonsense").status_code == 400


# --------------------------------------------------------------------------- the big screen


def test_the_big_screen_loads_echarts_from_this_site(supervisor: Any) -> None:
    from django.contrib.staticfiles import finders

    html = as_user(supervisor).get("/supervision/screen/").content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert "/static/supervision/vendor/echarts.min.js" in scripts
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert finders.find("supervision/vendor/echarts.min.js")
    assert finders.find("supervision/vendor/echarts.LICENSE")
    assert 'data-url="/supervision/screen/data.json"' in html


def test_the_big_screen_figures(lights: Any, supervisor: Any, food_licence: Any, window_user: Any) -> None:
    with time_machine.travel(at("2025-10-17", "16:00"), tick=False):
        today = file_case(food_licence, window_user, "2025-10-17", name="今日")
        data = as_user(supervisor).get("/supervision/screen/data.json").json()
    counts = {light["key"]: light["count"] for light in data["lights"]}
    assert counts == {
        "red": 1,
        "yellow": 1,
        "warning": 1,
        "suspended": 1,
        "normal": 2,  # the case filed this afternoon is running too
        "late": 1,
        "on_time": 1,
    }
    assert data["running"] == 6
    assert data["today"] == {"intake": 3, "completed": 1}  # filed on 17 October: 常一, 拒一, 今日
    (department,) = data["departments"]["names"]
    assert department == "区市场监管局"
    by_light = {s["key"]: s["data"] for s in data["departments"]["series"]}
    assert by_light["red"] == [1] and by_light["normal"] == [2]
    trend = data["trend"]
    assert trend["days"][-1] == "10-17" and len(trend["days"]) == 30
    series = {s["key"]: s["data"] for s in trend["series"]}
    assert series["intake"][-1] == 3 and series["completed"][-1] == 1
    assert sum(series["red"]) == 0  # the cards came on the 20th
    assert today.number


# --------------------------------------------------------------------------- supervisors read only


ACTION_DATA: dict[str, dict[str, str]] = {
    "accept": {"note": "受理"},
    "refuse": {"reason": "不符合条件", "legal_basis": "《行政许可法》第三十二条"},
    "supplement": {"other_name_0": "平面图", "other_problem_0": "未提交"},
    "receive_supplement": {"note": "已补正"},
    "pass_step": {"opinion": "同意"},
    "return": {"to_step": "0", "reason": "重新审查"},
    "decide": {"decision": "approved"},
    "suspend": {"kind": "hearing", "reason": "听证", "expected_days": "5"},
    "resume": {"result": "听证结束"},
    "extend": {"days": "5", "reason": "情况复杂"},
    "complete": {"fee_charged": "0", "result_number": "JY1"},
    "deliver": {"method": "window"},
    "transfer": {"reason": "不属于本部门"},
    "withdraw": {"reason": "申请人撤回"},
}


def test_a_supervisor_can_take_no_action_on_a_case(lights: Any, supervisor: Any, city_leader: Any) -> None:
    assert set(ACTION_DATA) == set(ACTION_NAMES)
    client = as_user(supervisor)
    for case in lights.values():
        before = snapshot(case)
        page = client.get(f"/work/cases/{case.number}/").content.decode()
        assert "/actions/" not in page  # the workbench offers them nothing
        for action, data in ACTION_DATA.items():
            posted = {f"{action}-{k}": v for k, v in data.items()}
            response = client.post(f"/work/cases/{case.number}/actions/{action}/", posted)
            assert response.status_code in (403, 404, 422), (action, response.status_code)
        assert snapshot(case) == before
    intake = client.post("/work/intake/", {"version": str(lights[Light.RED].item_version_id)})
    assert intake.status_code in (403, 422)
    assert Case.objects.count() == len(lights)


def _writes_to_cases(queries: list[dict[str, str]]) -> list[str]:
    writes = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?cases_', re.I)
    return [q["sql"] for q in queries if writes.search(q["sql"])]


def test_the_console_writes_nothing_to_cases(lights: Any, supervisor: Any, handler: Any) -> None:
    alert = Alert.objects.get(case=lights[Light.YELLOW], level="yellow")
    red = Alert.objects.get(case=lights[Light.RED], level="red")
    sup, staff = as_user(supervisor), as_user(handler.user)
    with CaptureQueriesContext(connection) as captured:
        for case in lights.values():
            assert sup.get(f"/supervision/cases/{case.number}/").status_code == 200
        for url in (
            "/supervision/",
            "/supervision/?light=red",
            "/supervision/alerts/",
            f"/supervision/alerts/{alert.pk}/",
            "/supervision/irregularities/",
            "/supervision/screen/",
            "/supervision/screen/data.json",
        ):
            assert sup.get(url).status_code == 200, url
        assert (
            staff.post(f"/supervision/alerts/{alert.pk}/explain/", {"explain-text": "说明"}).status_code
            == 302
        )
        assert (
            sup.post(f"/supervision/alerts/{alert.pk}/conclude/", {"conclude-verdict": "accept"}).status_code
            == 302
        )
        escalated = sup.post(
            f"/supervision/alerts/{red.pk}/conclude/",
            {"conclude-verdict": "escalate", "conclude-note": "督办"},
        )
        assert escalated.status_code == 302
    assert _writes_to_cases(captured.captured_queries) == []


def test_issuing_a_notice_writes_only_its_ledger_event(lights: Any, supervisor: Any) -> None:
    case = lights[Light.YELLOW]
    client = as_user(supervisor)
    with CaptureQueriesContext(connection) as captured:
        issued = client.post(
            f"/supervision/cases/{case.number}/notices/",
            {"notice-kind": "recommendation", "notice-facts": "多次超期，建议整改。"},
        )
        assert issued.status_code == 302
    writes = _writes_to_cases(captured.captured_queries)
    assert len(writes) == 2
    assert re.match(r'\s*INSERT INTO "cases_caseevent"', writes[0])
    # the case row only moves its ledger head on
    assert re.match(
        r'\s*UPDATE "cases_case" SET "last_seq" = .*, "last_hash" = .*, "updated_at" = .* WHERE', writes[1]
    )
