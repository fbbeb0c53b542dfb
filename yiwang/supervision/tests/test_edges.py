"""Edges a real province runs into: counties of one name, online applicants, leaders of a
region rather than a department, natural-day items, rules changed by another process."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from yiwang.cases import services as cases
from yiwang.cases.models import Channel
from yiwang.cases.tests.conftest import APPLICANT_ID, STEPS, _staff, at
from yiwang.catalog.factories import published_item
from yiwang.org.factories import DepartmentFactory, StaffFactory, UserFactory, grant, region
from yiwang.org.models import RegionLevel, Role
from yiwang.supervision import rules, services
from yiwang.supervision.models import Alert, Notice, RuleAssignment, RuleSet, Watch
from yiwang.supervision.presets import ROOM, THREE_STAGE
from yiwang.supervision.rules import StageRule
from yiwang.supervision.tests.test_sweep import file_case


@pytest.mark.django_db
def test_two_counties_of_one_name_each_number_their_own_notices(province):
    """河北省 has a 桥西区 in 石家庄 and in 张家口: their notices may print the same number,
    and neither county's cards may stop the other's."""
    services.ruleset_assign(rule_set=RuleSet.objects.get(code=ROOM))
    made = []
    for city_code, city_name, county_code in (
        ("130100", "石家庄市", "130104"),
        ("130700", "张家口市", "130703"),
    ):
        city = region(city_code, city_name, RegionLevel.CITY, province)
        county = region(county_code, "桥西区", RegionLevel.COUNTY, city)
        dept = DepartmentFactory(name=f"{city_name}桥西区市场监督管理局", region=county)
        version = published_item(
            code=f"QX-{county_code}", name="食品经营许可", department=dept, promised_limit=10, steps=STEPS
        )
        window = StaffFactory(
            user=UserFactory(username=f"window_{county_code}"), name="窗口", department=dept
        )
        grant(window, Role.WINDOW_OPERATOR, region=county)
        case = file_case(version, window.user)
        cases.case_accept(case=case, user=window.user, at=at("2025-09-26", "10:00"))
        made.append(case)
    report = services.sweep(at("2025-10-17", "08:00"), notify=False)
    assert report.alerts == 2
    assert sorted(Notice.objects.values_list("number", flat=True)) == [
        "桥西效问〔2025〕1号",
        "桥西效问〔2025〕1号",
    ]
    assert Notice.objects.values("region").distinct().count() == 2


@pytest.mark.django_db
def test_the_applicant_is_never_told_as_the_handler(food_licence, window_user, county_supervisor):
    services.ruleset_assign(rule_set=RuleSet.objects.get(code=ROOM))
    citizen = UserFactory(username="citizen_liu")
    case = cases.case_file(
        version=food_licence,
        channel=Channel.ONLINE,
        applicant_kind="individual",
        applicant_name="刘芳",
        applicant_id_number=APPLICANT_ID,
        user=citizen,
        applicant_user=citizen,
        at=at("2025-09-25"),
    )
    assert Watch.objects.get(case=case).handler_id is None
    cases.case_accept(case=case, user=window_user, at=at("2025-09-26", "10:00"))
    assert Watch.objects.get(case=case).handler_id == window_user.pk
    services.sweep(at("2025-10-17", "08:00"))
    from yiwang.core.models import Notification

    told = set(
        Notification.objects.exclude(kind__startswith="case.").values_list("recipient__username", flat=True)
    )
    assert "citizen_liu" not in told and {"window_hs", "supervisor_hs"} <= told


@pytest.mark.django_db
def test_a_leader_of_the_region_is_not_of_the_department(food_licence, window_user, market_dept, city_leader):
    services.ruleset_assign(rule_set=RuleSet.objects.get(code=ROOM))
    case = file_case(food_licence, window_user)
    cases.case_accept(case=case, user=window_user, at=at("2025-09-26", "10:00"))
    services.sweep(at("2025-10-17", "08:00"), notify=False)
    alert = Alert.objects.get()
    with pytest.raises(services.SupervisionError), translation.override("en"):
        services.alert_explain(alert=alert, user=city_leader.user, text="情况说明")
    head = _staff("head_hs", "钱局长", market_dept, Role.LEADER, department=market_dept)
    services.alert_explain(alert=alert, user=head, text="承办人病休，已调整人员。")
    alert.refresh_from_db()
    assert alert.explained_by == head


def test_a_percentage_of_a_natural_day_limit_counts_natural_days():
    subject = rules.Subject("case", "case", "", dt.date(2025, 10, 10), 30, "natural")
    warning = rules.fire_day(StageRule("case", "warning", "remaining", 2, 20), subject, None)
    assert warning == dt.date(2025, 10, 5)  # 20 % of 30 days: the last 6 days, 5 to 10 October


def test_a_percentage_rung_that_overtakes_for_long_limits_is_refused():
    # For a 180-day limit, "1 day or 20 %" (36 days) fires before "30 days".
    errors = rules.ladder_errors(
        [StageRule("case", "warning", "remaining", 30), StageRule("case", "yellow", "remaining", 1, 20)]
    )
    assert errors


@pytest.mark.django_db
def test_a_rule_attached_by_another_process_is_seen_at_the_next_event(food_licence, window_user, market_dept):
    services.ruleset_assign(rule_set=RuleSet.objects.get(code=ROOM))
    case = file_case(food_licence, window_user)
    assert Watch.objects.get(case=case).rule_version.rule_set.code == ROOM
    # Another process attaches three-stage to the department: no signal reaches this one.
    RuleAssignment.objects.bulk_create(
        [RuleAssignment(rule_set=RuleSet.objects.get(code=THREE_STAGE), department=market_dept)]
    )
    cases.case_accept(case=case, user=window_user, at=at("2025-09-26", "10:00"))
    assert Watch.objects.get(case=case).rule_version.rule_set.code == THREE_STAGE
