# ruff: noqa: F811  (the cases app's fixtures are imported here and requested by name)
"""Who acts for whom, the one rule every part of the portal asks
(``yiwang.portal.accounts``): ``may_act_for_case`` for one case and ``acting_cases`` for
lists agree, and so do the parts built on them (my cases, payments, ratings,
complaints, e-licenses)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from yiwang.cases import services
from yiwang.cases.models import Case, Channel
from yiwang.cases.tests.conftest import at, food_licence, window_user  # noqa: F401
from yiwang.catalog.models import ItemVersion
from yiwang.core.identifiers import build_resident_id, build_uscc
from yiwang.licenses.selectors import holder_ids_of
from yiwang.payments.selectors import may_pay
from yiwang.portal import accounts, complaint_pages, ratings, tracking
from yiwang.portal.factories import citizen_account
from yiwang.portal.models import Account, Agent

pytestmark = pytest.mark.django_db

STRANGER_ID = build_resident_id("130402", dt.date(1970, 1, 1), 13)
UNVERIFIED_USCC = build_uscc("9", "1", "130402", "MA0C3D4E5")


def at_window(window: Any, version: ItemVersion, id_number: str, *, kind: str = "individual") -> Case:
    return services.case_file(
        version=version,
        channel=Channel.WINDOW,
        applicant_kind=kind,
        applicant_name="窗口申请人",
        applicant_id_number=id_number,
        user=window,
        at=at("2025-09-23"),
    )


def online(account: Account, version: ItemVersion, id_number: str, *, kind: str = "individual") -> Case:
    """Filed from ``account``'s sign-in under ``id_number`` (its own, or an enterprise's)."""
    return services.case_file(
        version=version,
        channel=Channel.ONLINE,
        applicant_kind=kind,
        applicant_name=account.name,
        applicant_id_number=id_number,
        applicant_mobile=account.mobile,
        user=account.user,
        applicant_user=account.user,
        at=at("2025-09-22"),
    )


@pytest.fixture
def world(
    citizen: Account,
    unverified_citizen: Account,
    enterprise: Account,
    food_licence: ItemVersion,
    window_user: Any,
) -> dict[str, Any]:
    """张三 (verified) is the agent of 丛台食品 (verified) and of an unverified enterprise;
    李四 (unverified) holds an agency row of 丛台食品 too (only the admin could make one)."""
    unverified_firm = citizen_account(
        username="unverified_co",
        name="邯郸市未核验公司",
        id_number=UNVERIFIED_USCC,
        mobile="13512345679",
        kind="enterprise",
        verified=False,
    )
    now = timezone.now()
    agency = Agent.objects.create(
        enterprise=enterprise, person=citizen, authorised_by=enterprise.user, authorised_at=now
    )
    Agent.objects.create(
        enterprise=unverified_firm, person=citizen, authorised_by=unverified_firm.user, authorised_at=now
    )
    Agent.objects.create(
        enterprise=enterprise, person=unverified_citizen, authorised_by=enterprise.user, authorised_at=now
    )
    return {
        "agency": agency,
        "citizen_window": at_window(window_user, food_licence, citizen.id_number),
        "firm_window": at_window(window_user, food_licence, enterprise.id_number, kind="enterprise"),
        "firm_by_agent": online(citizen, food_licence, enterprise.id_number, kind="enterprise"),
        "unverified_firm_window": at_window(window_user, food_licence, UNVERIFIED_USCC, kind="enterprise"),
        "lisi_window": at_window(window_user, food_licence, unverified_citizen.id_number),
        "lisi_online": online(unverified_citizen, food_licence, unverified_citizen.id_number),
        "stranger": at_window(window_user, food_licence, STRANGER_ID),
    }


def fresh(user: Any) -> Any:
    """The user as a new request would load it (no cached account)."""
    return get_user_model().objects.get(pk=user.pk)


def allowed(user: Any, world: dict[str, Any]) -> set[str]:
    """The names of the world's cases the user may act for, by each of the two forms of
    the rule; they must agree."""
    cases = {name: case for name, case in world.items() if isinstance(case, Case)}
    one_by_one = {name for name, case in cases.items() if accounts.may_act_for_case(user, case)}
    listed = set(accounts.acting_cases(user).values_list("pk", flat=True))
    assert {name for name, case in cases.items() if case.pk in listed} == one_by_one
    return one_by_one


def test_whose_cases(
    world: dict[str, Any],
    citizen: Account,
    unverified_citizen: Account,
    enterprise: Account,
    window_user: Any,
) -> None:
    # Own identity, the verified enterprise's (filed at a window or by the agent): not the
    # unverified enterprise's, nor 李四's, nor a stranger's.
    assert allowed(citizen.user, world) == {"citizen_window", "firm_window", "firm_by_agent"}
    # The enterprise itself sees what its agent filed for it.
    assert allowed(enterprise.user, world) == {"firm_window", "firm_by_agent"}
    # An unverified account: only what it filed itself, whatever agency rows say.
    assert allowed(unverified_citizen.user, world) == {"lisi_online"}
    # Staff and anonymous visitors: nothing.
    assert allowed(window_user, world) == set()
    assert allowed(AnonymousUser(), world) == set()
    assert not accounts.may_act_for_case(None, world["citizen_window"])
    assert accounts.acting_id_numbers(citizen.user) == {citizen.id_number, enterprise.id_number}
    assert accounts.acting_id_numbers(unverified_citizen.user) == set()


def test_a_lapsed_or_revoked_agency_no_longer_counts(
    world: dict[str, Any], citizen: Account, enterprise: Account
) -> None:
    agency: Agent = world["agency"]
    today = timezone.localdate()
    Agent.objects.filter(pk=agency.pk).update(valid_until=today)
    assert allowed(fresh(citizen.user), world) == {"citizen_window", "firm_window", "firm_by_agent"}
    Agent.objects.filter(pk=agency.pk).update(valid_until=today - dt.timedelta(days=1))
    # What the agent filed stays theirs (they typed it); the rest of the enterprise's does not.
    assert allowed(fresh(citizen.user), world) == {"citizen_window", "firm_by_agent"}
    assert enterprise.id_number in accounts.acting_id_numbers(citizen.user, on=today - dt.timedelta(days=1))
    Agent.objects.filter(pk=agency.pk).update(valid_until=None, revoked_at=timezone.now())
    assert allowed(fresh(citizen.user), world) == {"citizen_window", "firm_by_agent"}


def test_every_part_asks_the_same_rule(
    world: dict[str, Any], citizen: Account, unverified_citizen: Account, enterprise: Account
) -> None:
    cases = [case for case in world.values() if isinstance(case, Case)]
    for user in (citizen.user, unverified_citizen.user, enterprise.user, AnonymousUser()):
        expected = {case.pk for case in cases if accounts.may_act_for_case(user, case)}
        assert {case.pk for case in cases if may_pay(user, case)} == expected
        assert {case.pk for case in cases if ratings.rater_account(case, user) is not None} == expected
        assert set(tracking.my_cases(user).values_list("pk", flat=True)) == expected
        if user.is_authenticated:
            assert set(complaint_pages.own_cases(user).values_list("pk", flat=True)) == expected
    # The rating records the person who rates, also for an enterprise's case.
    assert ratings.rater_account(world["firm_window"], citizen.user) == citizen
    # E-licenses: verified identities only, the holder's own first.
    assert holder_ids_of(citizen.user) == [citizen.id_number, enterprise.id_number]
    assert holder_ids_of(unverified_citizen.user) == []
    assert holder_ids_of(None) == []


def test_the_rule_asks_few_queries(
    world: dict[str, Any], citizen: Account, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        assert accounts.may_act_for_case(citizen.user, world["firm_by_agent"])  # filed it
    user = fresh(citizen.user)
    with django_assert_num_queries(1):  # the account; the identity is its own
        assert accounts.may_act_for_case(user, world["citizen_window"])
    with django_assert_num_queries(1):  # the agency (the account is loaded now)
        assert accounts.may_act_for_case(user, world["firm_window"])
    with django_assert_num_queries(1):
        assert not accounts.may_act_for_case(user, world["unverified_firm_window"])
    user = fresh(citizen.user)
    with django_assert_num_queries(3):  # the account, the enterprises, the cases
        assert len(list(accounts.acting_cases(user))) == 3
