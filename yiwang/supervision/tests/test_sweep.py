"""The clock moves through a case's life across National Day 2025; each warning and card
appears at its exact moment under each shipped ladder, once.

The case: 食品经营许可 (promised 10 working days; steps 承办 3, 审核 2, 决定 2), filed on
Thursday 25 September 2025 and accepted on Friday 26 September. The holiday runs from
1 to 8 October, with Sunday 28 September and Saturday 11 October as make-up working
days, so the 10 working days end on Thursday 16 October.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from yiwang.cases import services as cases
from yiwang.cases.models import Case, Channel
from yiwang.cases.tests.conftest import APPLICANT_ID, at
from yiwang.supervision import services
from yiwang.supervision.models import Alert, Level, RuleSet, Watch
from yiwang.supervision.presets import ROOM, THREE_STAGE


def use(code: str) -> None:
    services.ruleset_assign(rule_set=RuleSet.objects.get(code=code))


def file_case(version: Any, window_user: Any, day: str = "2025-09-25") -> Case:
    return cases.case_file(
        version=version,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name="刘芳",
        applicant_id_number=APPLICANT_ID,
        user=window_user,
        at=at(day),
    )


def days(start: str, end: str) -> list[dt.date]:
    d, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    out = []
    while d <= last:
        out.append(d)
        d += dt.timedelta(days=1)
    return out


def raised() -> list[tuple[str, str, str]]:
    """(moment raised, subject, level) of every alert, in order."""
    return [
        (
            a.raised_at.astimezone(at("2025-01-01").tzinfo).strftime("%m-%d %H:%M"),
            a.subject_key.split(":")[0],
            a.level,
        )
        for a in Alert.objects.order_by("raised_at", "pk")
    ]


def sweep_every(moments: list[dt.datetime]) -> None:
    for moment in moments:
        services.sweep(moment, notify=False)
        services.sweep(moment, notify=False)  # a second sweep at the same moment is a no-op


def midnights(start: str, end: str) -> list[dt.datetime]:
    return [at(d.isoformat(), "00:00") for d in days(start, end)]


@pytest.mark.django_db
def test_room_preset_yellow_one_working_day_after_the_limit_then_red_three_later(food_licence, window_user):
    use(ROOM)
    case = file_case(food_licence, window_user)
    cases.case_accept(case=case, user=window_user, at=at("2025-09-26", "10:00"))
    case.refresh_from_db()
    assert case.due_date == dt.date(2025, 10, 16)
    watch = Watch.objects.get(case=case)
    assert watch.next_at == at("2025-10-17", "00:00")

    sweep_every(midnights("2025-09-26", "2025-10-16"))
    assert raised() == []
    sweep_every(midnights("2025-10-17", "2025-10-25"))
    # Yellow: the first working day after the limit (Friday 17 October); red: three
    # working days after the yellow card (Wednesday 22 October).
    assert raised() == [("10-17 00:00", "case", "yellow"), ("10-22 00:00", "case", "red")]
    kinds = sorted(Alert.objects.values_list("level", "notices__kind"))
    assert kinds == [("red", "accountability"), ("yellow", "inquiry")]


@pytest.mark.django_db
def test_three_stage_preset_through_the_holiday(food_licence, window_user, handler_user, reviewer_user):
    use(THREE_STAGE)
    case = file_case(food_licence, window_user)
    # Acceptance is due on 9 October (5 working days from 25 September across the holiday);
    # accepted the next day, so nothing fires for it.
    sweep_every(midnights("2025-09-25", "2025-09-26"))
    cases.case_accept(case=case, user=window_user, at=at("2025-09-26", "10:00"))
    # 承办 (3 days from 26 Sep: due Tue 30 Sep, with Sunday 28 a working day): warned on
    # Monday 29 (two working days remain), handled that morning.
    sweep_every(midnights("2025-09-27", "2025-09-29"))
    cases.case_pass_step(case=case, user=handler_user, opinion="材料齐全", at=at("2025-09-29", "10:00"))
    # 审核 (2 days from 29 Sep: due Thu 9 Oct after the holiday): warned on Tuesday 30.
    sweep_every(midnights("2025-09-30", "2025-09-30"))
    cases.case_pass_step(case=case, user=reviewer_user, opinion="同意", at=at("2025-09-30", "10:00"))
    # 决定 (2 days from 30 Sep: due Fri 10 Oct) is left undone: warned on Thursday 9, yellow
    # on Friday 10, red on Saturday 11 — a make-up working day. The case (due 16 Oct):
    # warning on Wednesday 15 (20 % of 10 = 2 days remain), yellow on the 16th, red on the 17th.
    sweep_every(midnights("2025-10-01", "2025-10-20"))
    assert raised() == [
        ("09-29 00:00", "step", "warning"),
        ("09-30 00:00", "step", "warning"),
        ("10-09 00:00", "step", "warning"),
        ("10-10 00:00", "step", "yellow"),
        ("10-11 00:00", "step", "red"),
        ("10-15 00:00", "case", "warning"),
        ("10-16 00:00", "case", "yellow"),
        ("10-17 00:00", "case", "red"),
    ]
    assert Watch.objects.get(case=case).next_at is None  # every rung has fired


@pytest.mark.django_db
def test_a_special_procedure_stops_the_clock_and_the_cards(food_licence, window_user, handler_user):
    use(ROOM)
    case = file_case(food_licence, window_user)
    cases.case_accept(case=case, user=window_user, at=at("2025-09-26", "10:00"))
    cases.case_suspend(
        case=case,
        user=handler_user,
        kind="hearing",
        reason="申请人要求听证",
        expected_days=5,
        at=at("2025-10-14", "15:00"),
    )
    assert Watch.objects.get(case=case).next_at is None
    sweep_every(midnights("2025-10-15", "2025-10-27"))
    assert raised() == []  # the limit would have passed: no card while the clock is stopped
    cases.case_resume(case=case, user=handler_user, result="听证结束", at=at("2025-10-27", "09:00"))
    case.refresh_from_db()
    # Stopped from 14 to 27 October: 9 working days (15–17, 20–24, 27) are added.
    assert case.due_date == dt.date(2025, 10, 29)
    assert Watch.objects.get(case=case).next_at == at("2025-10-30", "00:00")
    sweep_every(midnights("2025-10-28", "2025-10-30"))
    assert raised() == [("10-30 00:00", "case", "yellow")]


@pytest.mark.django_db
def test_completion_ends_the_watch_but_the_card_stays_on_record(
    food_licence, window_user, handler_user, reviewer_user, approver_user
):
    use(ROOM)
    case = file_case(food_licence, window_user)
    cases.case_accept(case=case, user=window_user, at=at("2025-09-26", "10:00"))
    sweep_every(midnights("2025-10-17", "2025-10-17"))
    assert raised() == [("10-17 00:00", "case", "yellow")]
    cases.case_pass_step(case=case, user=handler_user, opinion="ok", at=at("2025-10-17", "09:00"))
    cases.case_pass_step(case=case, user=reviewer_user, opinion="ok", at=at("2025-10-17", "10:00"))
    cases.case_decide(case=case, user=approver_user, decision="approved", at=at("2025-10-17", "11:00"))
    cases.case_complete(case=case, user=approver_user, at=at("2025-10-17", "12:00"))
    assert Watch.objects.get(case=case).next_at is None
    sweep_every(midnights("2025-10-18", "2025-10-30"))
    assert raised() == [("10-17 00:00", "case", "yellow")]


@pytest.mark.django_db
def test_a_sweep_that_was_down_raises_what_it_missed_once(food_licence, window_user):
    use(ROOM)
    case = file_case(food_licence, window_user)
    cases.case_accept(case=case, user=window_user, at=at("2025-09-26", "10:00"))
    report = services.sweep(at("2025-10-27", "09:00"), notify=False)
    assert report.alerts == 2
    assert sorted(Alert.objects.values_list("level", flat=True)) == ["red", "yellow"]
    assert services.sweep(at("2025-10-27", "09:00"), notify=False).alerts == 0


@pytest.mark.django_db
def test_acceptance_decision_is_watched(food_licence, window_user):
    use(ROOM)
    file_case(food_licence, window_user)
    # Acceptance due Thursday 9 October; yellow on Friday 10, red three working days later
    # (Saturday 11 is a make-up working day: 11, 13, 14 → Tuesday 14).
    sweep_every(midnights("2025-09-26", "2025-10-20"))
    assert raised() == [("10-10 00:00", "acceptance", "yellow"), ("10-14 00:00", "acceptance", "red")]


@pytest.mark.django_db
def test_the_most_specific_rule_set_wins(
    food_licence, window_user, market_dept, county, django_capture_on_commit_callbacks
):
    use(ROOM)
    services.ruleset_assign(rule_set=RuleSet.objects.get(code=THREE_STAGE), region=county)
    case = file_case(food_licence, window_user)
    assert Watch.objects.get(case=case).rule_version.rule_set.code == THREE_STAGE
    with django_capture_on_commit_callbacks(execute=True):
        services.ruleset_assign(rule_set=RuleSet.objects.get(code=ROOM), item=food_licence.item)
    # An assignment re-watches the open cases it covers.
    assert Watch.objects.get(case=case).rule_version.rule_set.code == ROOM


@pytest.mark.django_db
def test_replay_reports_what_the_sweeps_raised_and_what_other_rules_would_have(
    food_licence, window_user, handler_user, reviewer_user
):
    use(THREE_STAGE)
    case = file_case(food_licence, window_user)
    cases.case_accept(case=case, user=window_user, at=at("2025-09-26", "10:00"))
    sweep_every(midnights("2025-09-27", "2025-09-29"))
    cases.case_pass_step(case=case, user=handler_user, opinion="ok", at=at("2025-09-29", "10:00"))
    sweep_every(midnights("2025-09-30", "2025-09-30"))
    cases.case_pass_step(case=case, user=reviewer_user, opinion="ok", at=at("2025-09-30", "10:00"))
    sweep_every(midnights("2025-10-01", "2025-10-20"))
    live = raised()
    assert len(live) == 8

    def replayed(code: str) -> list[tuple[str, str, str]]:
        hits = services.replay(rule_set=code, start=at("2025-09-01", "00:00"), end=at("2025-10-20", "00:00"))
        tz = at("2025-01-01").tzinfo
        return [(h.moment.astimezone(tz).strftime("%m-%d %H:%M"), str(h.target), h.level) for h in hits]

    before = Alert.objects.count()
    assert replayed(THREE_STAGE) == live
    # What if the supervision room's ladder had applied? Only two cards, later.
    assert replayed(ROOM) == [("10-17 00:00", "case", "yellow")]  # its red would come on 22 October
    assert Alert.objects.count() == before  # a replay writes nothing


@pytest.mark.django_db
def test_replay_command_refuses_a_reversed_period_and_unknown_rules(capsys):
    with pytest.raises(CommandError, match="after its end"), translation.override("en"):
        call_command("supervise", "--replay", "--from", "2025-10-01", "--to", "2025-09-01", "--rules", ROOM)
    with pytest.raises(CommandError, match="no rule set"), translation.override("en"):
        call_command("supervise", "--replay", "--from", "2025-09-01", "--to", "2025-10-01", "--rules", "nope")
    with pytest.raises(CommandError, match="not a date"):
        call_command("supervise", "--at", "yesterday")


@pytest.mark.django_db
def test_supervise_command_sweeps_as_of_a_moment(food_licence, window_user, capsys):
    use(ROOM)
    case = file_case(food_licence, window_user)
    cases.case_accept(case=case, user=window_user, at=at("2025-09-26", "10:00"))
    call_command("supervise", "--at", "2025-10-17T09:00")
    out = capsys.readouterr().out
    assert "1" in out and Alert.objects.get().level == Level.YELLOW
    call_command("supervise", "--at", "2025-10-17T09:00")
    assert Alert.objects.count() == 1


@pytest.mark.django_db
def test_backfill_records_past_cards_at_their_moments_once(
    food_licence, window_user, handler_user, reviewer_user
):
    use(THREE_STAGE)
    case = file_case(food_licence, window_user)
    cases.case_accept(case=case, user=window_user, at=at("2025-09-26", "10:00"))
    cases.case_pass_step(case=case, user=handler_user, opinion="ok", at=at("2025-09-29", "10:00"))
    cases.case_pass_step(case=case, user=reviewer_user, opinion="ok", at=at("2025-09-30", "10:00"))
    # No sweep ran meanwhile: supervision is switched on afterwards, over this history.
    call_command("supervise", "--backfill", "--from", "2025-09-01", "--to", "2025-10-19")
    assert [(m, s, lv) for m, s, lv in raised()] == [
        ("09-29 00:00", "step", "warning"),
        ("09-30 00:00", "step", "warning"),
        ("10-09 00:00", "step", "warning"),
        ("10-10 00:00", "step", "yellow"),
        ("10-11 00:00", "step", "red"),
        ("10-15 00:00", "case", "warning"),
        ("10-16 00:00", "case", "yellow"),
        ("10-17 00:00", "case", "red"),
    ]
    assert services.backfill(start=at("2025-09-01", "00:00"), end=at("2025-10-20", "00:00")) == 0
    # The sweep carries on from there without raising any of them again.
    assert services.sweep(at("2025-10-20", "09:00"), notify=False).alerts == 0


@pytest.mark.django_db
def test_backfill_refuses_a_reversed_period_and_writes_nothing():
    with pytest.raises(CommandError, match="after its end"), translation.override("en"):
        call_command("supervise", "--backfill", "--from", "2025-10-01", "--to", "2025-09-01")
    assert Alert.objects.count() == 0
