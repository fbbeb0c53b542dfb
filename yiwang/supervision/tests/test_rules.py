"""Rule sets are data: validated, versioned, immutable once published."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from yiwang.supervision import rules, services
from yiwang.supervision.models import ImmutableError, RuleAssignment, RuleSet, RuleSetVersion, Stage
from yiwang.supervision.presets import PRESETS, ROOM, THREE_STAGE
from yiwang.supervision.rules import StageRule


def errors(*stages: StageRule) -> str:
    with translation.override("en"):
        return " ".join(rules.ladder_errors(stages))


def test_the_shipped_presets_are_valid_ladders():
    for spec in PRESETS.values():
        assert rules.ladder_errors(spec.stages) == []


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        (
            (StageRule("case", "yellow", "overdue", 3), StageRule("case", "red", "overdue", 1)),
            "order warning, yellow card, red card",
        ),
        (
            (StageRule("case", "warning", "overdue", 1), StageRule("case", "yellow", "overdue", 1)),
            "no later than",
        ),
        ((StageRule("case", "yellow", "overdue", -1),), "cannot be negative"),
        ((StageRule("case", "warning", "remaining", 2, 120),), "between 1 and 100"),
        ((StageRule("case", "yellow", "overdue", 1, 20),), "only goes with"),
        ((StageRule("case", "red", "after_previous", 3),), "first stage"),
        ((StageRule("case", "warning", "remaining", 0),), "never comes"),
        ((StageRule("case", "yellow", "overdue", 1), StageRule("case", "yellow", "overdue", 2)), "twice"),
        ((StageRule("case", "purple", "overdue", 1),), "Unknown"),
    ],
)
def test_bad_ladders_are_refused_with_a_reason(stages, message):
    assert message in errors(*stages)


def test_a_percentage_that_overtakes_the_yellow_card_for_long_limits_is_caught():
    # 60 % of a 10-day limit is 6 days before the due date: still before yellow, fine;
    # but "remaining 1" for warning with yellow "overdue 0" fires on the same day.
    assert (
        errors(StageRule("case", "warning", "remaining", 2, 60), StageRule("case", "yellow", "overdue", 0))
        == ""
    )
    assert "no later than" in errors(
        StageRule("case", "warning", "remaining", 1), StageRule("case", "yellow", "overdue", 0)
    )


def test_fire_days_follow_the_working_day_calendar():
    subject = rules.Subject("case", "case", "", dt.date(2025, 10, 9), 10)  # Thursday after National Day
    warning = rules.fire_day(StageRule("case", "warning", "remaining", 2), subject, None)
    assert warning == dt.date(2025, 9, 30)  # two working days remain: 30 September and 9 October
    yellow = rules.fire_day(StageRule("case", "yellow", "overdue", 1), subject, None)
    assert yellow == dt.date(2025, 10, 10)
    red = rules.fire_day(StageRule("case", "red", "after_previous", 3), subject, yellow)
    assert red == dt.date(2025, 10, 14)  # Saturday 11 October is a make-up working day


@pytest.mark.django_db
def test_a_bad_version_is_refused_and_nothing_is_saved():
    rule_set = RuleSet.objects.create(code="county", name="县级规则")
    with pytest.raises(services.SupervisionError) as raised, translation.override("en"):
        services.ruleset_new_version(
            rule_set=rule_set,
            stages=[
                {"target": "case", "level": "red", "anchor": "overdue", "workdays": 1},
                {"target": "case", "level": "yellow", "anchor": "overdue", "workdays": 2},
            ],
        )
    assert "order warning, yellow card, red card" in raised.value.text
    assert not RuleSetVersion.objects.filter(rule_set=rule_set).exists()
    with pytest.raises(services.SupervisionError, match="whole numbers"), translation.override("en"):
        services.ruleset_new_version(
            rule_set=rule_set,
            stages=[{"target": "case", "level": "red", "anchor": "overdue", "workdays": "x"}],
        )
    with pytest.raises(services.SupervisionError):
        services.ruleset_new_version(rule_set=rule_set, stages=[])
    assert not Stage.objects.filter(version__rule_set=rule_set).exists()


@pytest.mark.django_db
def test_versions_are_numbered_and_published_ones_never_change():
    rule_set = RuleSet.objects.create(code="county", name="县级规则")
    v1 = services.ruleset_new_version(rule_set=rule_set, stages=[StageRule("case", "yellow", "overdue", 1)])
    v2 = services.ruleset_new_version(rule_set=rule_set, stages=[StageRule("case", "yellow", "overdue", 2)])
    assert (v1.number, v2.number) == (1, 2) and v1.is_published and v2.is_published
    with pytest.raises(ImmutableError):
        v1.note = "改"
        v1.save()
    stage = v1.stages.get()
    with pytest.raises(ImmutableError):
        stage.workdays = 5
        stage.save()
    with pytest.raises(ImmutableError):
        stage.delete()
    with pytest.raises(services.SupervisionError):
        services.ruleset_publish(version=v1)
    assert services.ladder_of_rule_set("county").version_id == v2.pk


@pytest.mark.django_db
def test_a_draft_can_change_until_it_is_published():
    rule_set = RuleSet.objects.create(code="county", name="县级规则")
    draft = services.ruleset_new_version(
        rule_set=rule_set, stages=[StageRule("case", "yellow", "overdue", 1)], publish=False
    )
    stage = draft.stages.get()
    stage.workdays = 2
    stage.save()
    services.ruleset_publish(version=draft)
    draft.refresh_from_db()
    assert draft.is_published


@pytest.mark.django_db
def test_the_presets_are_installed_once_and_room_applies_everywhere(market_dept, county):
    assert set(RuleSet.objects.values_list("code", flat=True)) >= {ROOM, THREE_STAGE}
    services.install_presets()
    services.install_presets()
    assert RuleSetVersion.objects.filter(rule_set__code=ROOM).count() == 1
    assert RuleAssignment.objects.filter(region=None, department=None, item=None).count() == 1
    room = RuleSetVersion.objects.get(rule_set__code=ROOM)
    assert services.version_for(item_id=0, department_id=market_dept.pk, region_path=county.path) == room.pk


@pytest.mark.django_db
def test_an_assignment_needs_one_scope_and_a_published_version(county, market_dept):
    three = RuleSet.objects.get(code=THREE_STAGE)
    with pytest.raises(services.SupervisionError):
        services.ruleset_assign(rule_set=three, region=county, department=market_dept)
    empty = RuleSet.objects.create(code="empty", name="空")
    with pytest.raises(services.SupervisionError, match="no published version"), translation.override("en"):
        services.ruleset_assign(rule_set=empty, region=county)
    services.ruleset_assign(rule_set=three, region=county)
    services.ruleset_assign(rule_set=RuleSet.objects.get(code=ROOM), region=county)
    assert RuleAssignment.objects.get(region=county).rule_set.code == ROOM


@pytest.mark.django_db
def test_an_empty_draft_cannot_be_published():
    rule_set = RuleSet.objects.create(code="county", name="县级规则")
    draft = RuleSetVersion.objects.create(rule_set=rule_set, number=1)
    with pytest.raises(services.SupervisionError), translation.override("en"):
        services.ruleset_publish(version=draft)
    draft.refresh_from_db()
    assert not draft.is_published
