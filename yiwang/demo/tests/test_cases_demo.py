"""The demo cases: ``seed_demo`` run twice (once per module, in a transaction rolled back
at the end), then checked the way a reviewer of the demo, or a supervisor reading its
ledger, would check it."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Max, Min, Model, QuerySet
from django.forms.models import model_to_dict
from django.test import override_settings
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.cases.models import (
    ApplicantKind,
    Case,
    CaseEvent,
    CaseFile,
    CaseState,
    Channel,
    Decision,
    EventType,
    SuspensionKind,
)
from yiwang.cases.uploads import inspect_upload
from yiwang.core.identifiers import is_valid_resident_id, is_valid_uscc
from yiwang.demo import cases as demo
from yiwang.demo import ratings as demo_ratings
from yiwang.demo.data import ACCOUNTS
from yiwang.hall.models import Appointment
from yiwang.licenses.models import License
from yiwang.org.models import Department, Region, Role, Staff
from yiwang.payments.models import FeeOrder
from yiwang.portal import ratings
from yiwang.portal.accounts import can_verify
from yiwang.portal.factories import DEMO_PASSWORD
from yiwang.portal.models import (
    Account,
    AccountEvent,
    Consultation,
    Draft,
    FollowUpStatus,
    Rating,
    RatingFollowUp,
    RatingLevel,
)
from yiwang.supervision import scoring
from yiwang.supervision.public_views import board, last_complete_month

# The portal's demo citizens (``yiwang.demo.accounts``).
PORTAL_CITIZENS = ("zhangsan", "congtai", "lisi")


# What the demo creates, counted after each run of ``seed_demo``: its cases and their
# events, and what the portal's demo adds (accounts, ratings, fee orders, licences,
# consultations, appointments, drafts).
COUNTED: tuple[type[Model], ...] = (
    Case,
    CaseEvent,
    CaseFile,
    get_user_model(),
    Account,
    AccountEvent,
    Rating,
    RatingFollowUp,
    FeeOrder,
    License,
    Consultation,
    Appointment,
    Draft,
)


def counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in COUNTED}


@dataclass(frozen=True)
class Seeded:
    after_first: dict[str, int]
    after_second: dict[str, int]
    first_output: str
    second_output: str


@pytest.fixture(scope="module")
def seeded(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    """``seed_demo`` twice for the whole module, files in a temporary media directory."""
    media = tmp_path_factory.mktemp("media")
    with (
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], MEDIA_ROOT=str(media)
        ),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        first, second = StringIO(), StringIO()
        call_command("seed_demo", stdout=first)
        after_first = counts()
        call_command("seed_demo", stdout=second)
        yield Seeded(after_first, counts(), first.getvalue(), second.getvalue())
        transaction.set_rollback(True)


@pytest.fixture
def demo_cases(seeded: Seeded, db: None) -> Seeded:
    return seeded


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


def generated() -> QuerySet[Case]:
    """The generated demo cases (``yiwang.demo.cases``), not the portal demo's online ones."""
    return demo.generated_cases()


def portal_cases() -> QuerySet[Case]:
    """The online cases the portal's demo files for its citizen accounts."""
    return Case.objects.exclude(pk__in=demo.generated_cases().values("pk"))


def completed_late(case: Case) -> bool:
    return (
        case.completed_at is not None
        and case.due_date is not None
        and local_date(case.completed_at) > case.due_date
    )


# -- idempotency -------------------------------------------------------------


def test_given_the_demo_seeded_when_seeded_again_then_nothing_is_added(demo_cases: Seeded) -> None:
    assert demo.generated_leads().count() == demo.DEMO_CASES + demo.DEMO_CASES // demo.PARALLEL_EVERY
    # the portal's demo made something of every kind the second run must not repeat
    assert all(demo_cases.after_first.values()), demo_cases.after_first
    assert portal_cases().exists()
    assert Rating.objects.filter(account__user__username__startswith=demo_ratings.CITIZEN_PREFIX).exists()

    assert demo_cases.after_second == demo_cases.after_first
    assert _("The demo data was already loaded; nothing was added.") in demo_cases.second_output


def test_the_second_run_counts_the_generated_cases_already_there_not_the_portal_ones(
    demo_cases: Seeded,
) -> None:
    existing = generated().count()
    assert existing == demo.existing_demo_cases()
    assert existing + portal_cases().count() == Case.objects.count()

    assert (
        _("The %(n)d demo cases were already there; none was added.") % {"n": existing}
        in demo_cases.second_output
    )
    filed = _(
        "%(n)d demo cases filed and handled through the case services in %(seconds).1f s "
        "(%(events)d ledger events, %(files)d files): %(states)s."
    )
    assert filed.split("%(seconds)")[0] % {"n": existing} in demo_cases.first_output  # all by the first run


def test_every_demo_case_but_a_branch_is_keyed_by_its_own_idempotency_key(demo_cases: Seeded) -> None:
    keys = demo.existing_demo_keys()
    ordinary = {demo.demo_key(i) for i in range(demo.DEMO_CASES)}
    assert ordinary <= keys
    assert keys - ordinary == {demo.parallel_key(i) for i in range(len(keys - ordinary))}
    assert not Case.objects.filter(idempotency_key__isnull=True, parent__isnull=True).exists()
    # the portal demo's online cases have keys of their own, not counted as generated ones
    portal_keys = {
        key.split(":", 1)[1] for key in portal_cases().values_list("idempotency_key", flat=True) if key
    }
    assert {"yiwang-demo-pay-1", "yiwang-demo-rate-1"} <= portal_keys
    assert not portal_keys & keys
    assert not any(demo.is_generated_key(key) for key in portal_keys)


def test_given_more_cases_asked_for_when_seeding_then_only_the_missing_ones_are_filed(
    demo_cases: Seeded, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    with transaction.atomic():
        before, portal = demo.existing_demo_cases(), portal_cases().count()
        result = demo.seed_cases(count=demo.DEMO_CASES + 3)
        assert (result.created, result.existing) == (3, before)
        assert (demo.existing_demo_cases(), portal_cases().count()) == (before + 3, portal)
        assert demo.demo_key(demo.DEMO_CASES + 2) in demo.existing_demo_keys()
        transaction.set_rollback(True)


def test_a_negative_number_of_cases_is_refused_and_changes_nothing(demo_cases: Seeded) -> None:
    before = (Case.objects.count(), CaseEvent.objects.count(), Staff.objects.count())

    with pytest.raises(CommandError) as raised:
        call_command("seed_demo", cases=-1, stdout=StringIO())

    assert str(raised.value) == _("The number of demo cases cannot be negative.")
    assert (Case.objects.count(), CaseEvent.objects.count(), Staff.objects.count()) == before


def test_the_cases_are_what_the_seed_says_they_are(demo_cases: Seeded) -> None:
    """Recomputing a case's random choices from the seed gives the stored item and applicant."""
    today = timezone.localdate()
    desks = demo._desks(today)
    by_key = {(c.idempotency_key or "").split(":", 1)[1]: c for c in demo.generated_leads()}
    for index in range(0, demo.DEMO_CASES, 7):
        rng = random.Random(f"{demo.SEED}:{index}")
        desk, version, _plan = demo._choose(rng, desks, index)
        applicant = demo.make_applicant(rng, version.target)
        case = by_key[demo.demo_key(index)]
        assert case.item_version_id == version.pk
        assert case.department_id == desk.department.pk
        assert (case.applicant_name, case.applicant_id_number) == (applicant.name, applicant.id_number)


# -- the ledger --------------------------------------------------------------


def test_every_demo_ledger_verifies(demo_cases: Seeded) -> None:
    out = StringIO()

    call_command("verify_ledger", stdout=out)  # exits non-zero (SystemExit) on a broken chain

    assert f"{Case.objects.count()} cases, every chain intact" in out.getvalue()


def test_rebuilding_the_projection_leaves_every_case_unchanged(demo_cases: Seeded) -> None:
    def snapshot() -> dict[int, dict[str, Any]]:
        return {c.pk: model_to_dict(c) | {"updated_at": c.updated_at} for c in Case.objects.all()}

    before = snapshot()
    out = StringIO()

    call_command("rebuild_cases", stdout=out)

    assert snapshot() == before
    assert f"rebuilt {len(before)} cases; 0 differed" in out.getvalue()


def test_events_are_in_order_and_all_in_the_past(demo_cases: Seeded) -> None:
    """Every case's events, the portal's online cases' too, follow one another and all
    happened before today."""
    today = timezone.localdate()
    last_seen: dict[int, tuple[int, dt.datetime]] = {}
    for case_id, seq, occurred_at in CaseEvent.objects.order_by("case_id", "seq").values_list(
        "case_id", "seq", "occurred_at"
    ):
        previous = last_seen.get(case_id)
        if previous is not None:
            assert seq == previous[0] + 1
            assert occurred_at >= previous[1], case_id
        else:
            assert seq == 1
        last_seen[case_id] = (seq, occurred_at)
        assert local_date(occurred_at) < today
    assert set(last_seen) == set(Case.objects.values_list("pk", flat=True))  # every case has its events
    span = generated().aggregate(first=Min("submitted_at"), last=Max("submitted_at"))
    assert local_date(span["first"]) >= today - dt.timedelta(days=220)
    assert (span["last"] - span["first"]).days >= 90  # spread over months, not bunched


def test_back_office_events_are_recorded_by_the_case_department_own_staff(demo_cases: Seeded) -> None:
    events = CaseEvent.objects.filter(case__in=generated()).select_related("case")
    roles = set(events.values_list("role", flat=True))
    assert {"window_operator", "handler", "reviewer", "approver"} <= roles
    assert roles - {"window_operator", "handler", "reviewer", "approver"} <= {"parallel"}
    for event in events:
        assert event.actor_id is not None and event.actor_name
        # a comprehensive window accepts for many departments; a joint approval's lead
        # files and accepts its branches in the partner departments
        if event.role not in ("window_operator", "parallel"):
            assert event.department_id == event.case.department_id


# -- every state and feature -------------------------------------------------


def test_every_state_is_present(demo_cases: Seeded) -> None:
    states = dict(generated().values_list("state").annotate(n=Count("pk")))
    assert set(states) == set(CaseState.values)
    assert states[CaseState.DELIVERED] > demo.DEMO_CASES / 4  # most cases are done


def test_open_cases_stand_at_various_steps(demo_cases: Seeded) -> None:
    steps = set(generated().filter(state=CaseState.IN_PROGRESS).values_list("step_index", flat=True))
    assert {0, 1, 2} <= steps


def test_some_cases_were_completed_late_and_some_open_ones_are_overdue(demo_cases: Seeded) -> None:
    today = timezone.localdate()
    done = generated().filter(completed_at__isnull=False)
    assert sum(completed_late(c) for c in done) >= 3
    assert sum(not completed_late(c) for c in done) > done.count() / 2
    assert (
        generated()
        .filter(state__in=[CaseState.IN_PROGRESS, CaseState.SUSPENDED], due_date__lt=today)
        .exists()
    )
    assert generated().filter(state=CaseState.SUBMITTED, acceptance_due__lt=today).exists()


def test_some_cases_were_extended_within_the_cap(demo_cases: Seeded) -> None:
    extended = Case.objects.filter(extension_days__gt=0).select_related("item_version")
    assert extended.count() >= 3
    for case in extended:
        assert case.extension_days <= demo.services.extension_cap(case.item_version)


def test_supplements_are_requested_before_and_after_acceptance(demo_cases: Seeded) -> None:
    requests = CaseEvent.objects.filter(type=EventType.SUPPLEMENT_REQUEST).select_related("case")
    before = after = 0
    for event in requests:
        accepted = event.case.accepted_at
        if accepted is None or event.occurred_at < accepted:
            before += 1
        else:
            after += 1
        assert event.payload["items"]
        assert all(item["name"] and item["problem"] for item in event.payload["items"])
    assert before >= 3 and after >= 3
    assert Case.objects.filter(state=CaseState.SUPPLEMENT, accepted_at__isnull=True).exists()
    assert Case.objects.filter(state=CaseState.SUPPLEMENT, accepted_at__isnull=False).exists()


def test_special_procedures_of_several_kinds_stop_the_clock(demo_cases: Seeded) -> None:
    kinds = set(CaseEvent.objects.filter(type=EventType.SUSPEND).values_list("payload__kind", flat=True))
    assert {SuspensionKind.HEARING, SuspensionKind.SITE_INSPECTION, SuspensionKind.EXPERT_REVIEW} <= kinds
    suspended = Case.objects.filter(state=CaseState.SUSPENDED)
    assert suspended.exists()
    assert all(c.clock_stopped for c in suspended)
    assert CaseEvent.objects.filter(type=EventType.RESUME).exists()


def test_refusals_give_reason_and_legal_basis(demo_cases: Seeded) -> None:
    refusals = CaseEvent.objects.filter(type=EventType.REFUSE)
    assert refusals.exists()
    for event in refusals:
        assert event.payload["reason"]
        assert event.payload["legal_basis"].startswith("《")


def test_denials_give_reason_and_legal_basis(demo_cases: Seeded) -> None:
    denials = CaseEvent.objects.filter(type=EventType.DECIDE, payload__decision=Decision.DENIED)
    assert denials.exists()
    for event in denials:
        assert event.payload["reason"] and event.payload["legal_basis"].startswith("《")


def test_transfers_go_to_another_department(demo_cases: Seeded) -> None:
    transfers = CaseEvent.objects.filter(type=EventType.TRANSFER).select_related("case")
    assert transfers.exists()
    for event in transfers:
        target = Department.objects.get(pk=event.payload["to_department"])
        assert target.pk != event.case.department_id
        assert target.name in event.payload["reason"]


def test_a_case_returned_to_an_earlier_step_went_on_to_a_decision(demo_cases: Seeded) -> None:
    returned = Case.objects.filter(events__type=EventType.RETURN).distinct()
    assert returned.exists()
    assert returned.filter(decided_at__isnull=False).exists()


def test_cases_spread_over_many_departments_and_both_levels(demo_cases: Seeded) -> None:
    departments = generated().filter(parent__isnull=True).values("department").distinct().count()
    assert departments == len(demo.TEAMS)
    regions = set(generated().values_list("region__code", flat=True))
    assert {"130400", "130402", "130403", "130404"} <= regions
    channels = set(generated().values_list("channel", flat=True))
    assert channels == {"1", "2", "3"}


# -- applicants and files ----------------------------------------------------


def test_applicants_have_valid_identifiers_chinese_names_and_mobiles(demo_cases: Seeded) -> None:
    kinds = set()
    for case in generated():
        kinds.add(case.applicant_kind)
        if case.applicant_kind == "individual":
            assert is_valid_resident_id(case.applicant_id_number)
            assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", case.applicant_name)
        else:
            assert is_valid_uscc(case.applicant_id_number)
            assert case.applicant_name.endswith("有限公司")
        assert re.fullmatch(r"138\d{8}", case.applicant_mobile)
    assert kinds == {"individual", "enterprise"}


def test_the_portal_demo_files_online_cases_for_its_citizen_accounts(demo_cases: Seeded) -> None:
    accounts = {a.user_id: a for a in Account.objects.filter(user__username__in=PORTAL_CITIZENS)}
    online = list(portal_cases().select_related("applicant_user"))
    assert len(online) >= 8  # 3 with fee orders, 4 rated, 1 submitted from a draft
    assert {case.applicant_user.username for case in online if case.applicant_user} == {"zhangsan", "congtai"}
    for case in online:
        assert case.channel == Channel.ONLINE
        assert case.parent_id is None
        assert case.applicant_user_id is not None
        account = accounts[case.applicant_user_id]
        assert account.is_verified
        assert (case.applicant_kind, case.applicant_name, case.applicant_id_number) == (
            account.kind,
            account.name,
            account.id_number,
        )
        first = case.events.order_by("seq").first()
        assert first is not None
        assert (first.type, first.role, first.actor_id) == (
            EventType.APPLY,
            "applicant",
            case.applicant_user_id,
        )
        # after the application, only the case department's staff (or a window) act
        for event in case.events.filter(seq__gt=1):
            assert event.role in Role.values
            assert event.role == Role.WINDOW_OPERATOR or event.department_id == case.department_id


def test_the_online_cases_were_recorded_live_so_supervision_flags_none_as_backfilled(
    demo_cases: Seeded,
) -> None:
    from yiwang.supervision.models import Irregularity

    assert not Irregularity.objects.filter(code="backfilled").exists()


# -- ratings of the generated cases ------------------------------------------


def test_about_half_the_rateable_generated_cases_are_rated_by_their_applicants_as_the_seed_says(
    demo_cases: Seeded,
) -> None:
    now = timezone.now()
    rateable = list(generated().filter(parent__isnull=True, state__in=ratings.RATEABLE_STATES))
    rated = {r.case_id: r for r in Rating.objects.filter(case__in=generated()).select_related("account")}
    assert 0.35 * len(rateable) <= len(rated) <= 0.65 * len(rateable)
    assert not Rating.objects.filter(case__parent__isnull=False).exists()  # branches are not services
    for case in rateable:
        plan = demo_ratings.plan_rating(case, now)
        rating = rated.get(case.pk)
        assert (plan is None) == (rating is None), case.number
        if rating is not None and plan is not None:
            assert (rating.level, rating.comment, rating.account.user.username) == (
                plan.level,
                plan.comment,
                plan.username,
            )
    levels = Counter(r.level for r in rated.values())
    assert set(levels) == {lv for lv, _weight in demo_ratings.LEVEL_WEIGHTS}
    assert levels[RatingLevel.SATISFIED] > len(rated) / 2
    assert (
        levels[RatingLevel.SATISFIED] > levels[RatingLevel.BASICALLY_SATISFIED] > levels[RatingLevel.AVERAGE]
    )
    assert len({r.department_id for r in rated.values()}) >= len(demo.TEAMS) // 2


def test_each_rating_comes_from_the_applicants_verified_account_shortly_after_the_service_ended(
    demo_cases: Seeded,
) -> None:
    now = timezone.now()
    rated = Rating.objects.filter(case__in=generated()).select_related(
        "case", "account__user", "account__verified_by"
    )
    usernames = set()
    for rating in rated:
        case, account = rating.case, rating.account
        assert case.applicant_user_id is None  # filed at a window: rated through the account holding the ID
        assert (account.kind, account.name, account.id_number, account.mobile) == (
            case.applicant_kind,
            case.applicant_name,
            case.applicant_id_number,
            case.applicant_mobile,
        )
        assert account.user.username.startswith(demo_ratings.CITIZEN_PREFIX)
        usernames.add(account.user.username)
        assert account.verified_at is not None and account.verified_at <= rating.rated_at
        assert can_verify(account.verified_by)  # verified on site by a window operator
        if account.kind == ApplicantKind.ENTERPRISE:
            assert account.legal_rep_name and is_valid_resident_id(account.legal_rep_id_number)
        ended = case.completed_at or case.closed_at
        assert ended is not None
        assert ended <= rating.rated_at <= ended + dt.timedelta(hours=36, minutes=1)
        assert rating.rated_at < now
        assert rating.department_id == case.department_id and rating.region_id == case.region_id
    assert len(usernames) == rated.count()  # one applicant, one account
    user = get_user_model().objects.get(username=min(usernames))
    assert user.check_password(DEMO_PASSWORD)
    assert AccountEvent.objects.filter(account__user=user).count() == 2  # registered, verified


def test_most_poor_ratings_were_answered_in_time_by_the_department_and_one_or_two_are_overdue(
    demo_cases: Seeded,
) -> None:
    today = timezone.localdate()
    follow_ups = list(
        RatingFollowUp.objects.filter(rating__case__in=generated()).select_related("rating", "answered_by")
    )
    assert all(f.rating.is_poor and f.department_id == f.rating.department_id for f in follow_ups)
    answered = [f for f in follow_ups if f.status != FollowUpStatus.OPEN]
    overdue = [f for f in follow_ups if f.status == FollowUpStatus.OPEN and f.due_date < today]
    assert len(answered) > len(follow_ups) / 2
    assert 1 <= len(overdue) <= demo_ratings.OVERDUE_LEFT
    for follow_up in answered:
        assert follow_up.answered_at is not None
        assert follow_up.opened_at < follow_up.answered_at < timezone.now()
        assert local_date(follow_up.answered_at) <= follow_up.due_date
        assert ratings.may_answer(follow_up.answered_by, follow_up)
        assert follow_up.answer and follow_up.rectification
    assert all(f.overdue_told_at is not None for f in overdue)  # the department and supervisors were told


def test_the_performance_page_shows_satisfaction_for_several_departments(demo_cases: Seeded) -> None:
    today = timezone.localdate()
    period = scoring.Period.parse(scoring.PeriodKind.MONTH, last_complete_month(today), today=today)
    lines = [line for top in Region.objects.filter(parent__isnull=True) for line in board(top, period).lines]
    with_satisfaction = [line for line in lines if line.satisfaction is not None]
    assert len(with_satisfaction) >= 3


def test_a_few_cases_carry_pdf_files_recorded_in_the_ledger(demo_cases: Seeded) -> None:
    files = list(CaseFile.objects.select_related("case"))
    ours = set(generated().values_list("pk", flat=True))
    assert 3 <= sum(f.case_id in ours for f in files) <= demo.DEMO_CASES / 5
    recorded = {
        f["sha256"]
        for payload in CaseEvent.objects.filter(
            type__in=[EventType.APPLY, EventType.SUPPLEMENT_RECEIVE]
        ).values_list("payload", flat=True)
        for f in payload.get("files", [])
    }
    for stored in files:
        with stored.file.open("rb") as handle:
            content = handle.read()
        assert content.startswith(b"%PDF-")
        assert hashlib.sha256(content).hexdigest() == stored.sha256
        assert stored.sha256 in recorded


def test_the_demo_pdf_is_a_well_formed_pdf_the_upload_check_accepts() -> None:
    content = demo.demo_pdf("食品经营许可申请书", ("申请人：张晓梅", "（一网通办演示材料）"))

    info = inspect_upload(SimpleUploadedFile("申请书.pdf", content))

    assert info.content_type == "application/pdf"
    # every object the cross-reference table points at is where it says
    xref_at = int(content.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    rows = content[xref_at:].split(b"\n")[3:10]
    for number, row in enumerate(rows, start=1):
        offset = int(row[:10])
        assert content[offset:].startswith(b"%d 0 obj" % number)
    assert "张晓梅".encode("utf-16-be").hex().upper().encode() in content


# -- staff and output --------------------------------------------------------


def test_the_case_staff_hold_roles_scoped_to_their_own_departments(demo_cases: Seeded) -> None:
    usernames = [spec.username for spec in demo.CASE_STAFF]
    staff = Staff.objects.filter(user__username__in=usernames).prefetch_related("roles")
    assert staff.count() == len(usernames)
    for member in staff:
        scopes = {r.department_id for r in member.roles.all()}
        assert member.department_id in scopes
        assert all(r.region_id is None for r in member.roles.all())


def test_the_output_reports_the_cases_and_keeps_the_login_table_to_the_listed_accounts(
    demo_cases: Seeded,
) -> None:
    out = demo_cases.first_output
    assert f"{CaseState.DELIVERED.label} " in out  # the cases by state
    lines = [line for line in out.splitlines() if line.startswith("  ")]
    assert len(lines) == len(ACCOUNTS) + 2  # header and the superuser
    assert not any(line.split()[0] in {s.username for s in demo.CASE_STAFF} for line in lines)
    assert "hs_market_handler" in out  # named once, as an example


# -- joint (parallel) approvals ----------------------------------------------


def test_joint_approvals_run_their_branches_in_the_partner_departments(demo_cases: Seeded) -> None:
    if not any(desk.leads for desk in demo._desks(timezone.localdate())):
        pytest.skip("the demo catalogue names no partner items: no joint approvals to seed")
    leads = list(Case.objects.filter(branches__isnull=False).distinct())
    assert len(leads) == demo.DEMO_CASES // demo.PARALLEL_EVERY
    for lead in leads:
        partners = {p.partner_id for p in lead.item_version.partners.all()}
        branches = list(lead.branches.all())
        assert {b.item_id for b in branches} == partners
        for branch in branches:
            assert branch.department_id != lead.department_id
            assert branch.applicant_id_number == lead.applicant_id_number
            first_two = list(branch.events.order_by("seq").values_list("type", "role")[:2])
            assert first_two == [(EventType.APPLY, "parallel"), (EventType.ACCEPT, "parallel")]
            assert branch.files.count() == lead.files.count() >= 1  # handed on from the lead
    assert {CaseState.DELIVERED, CaseState.IN_PROGRESS} <= {lead.state for lead in leads}
    for lead in leads:
        decided = lead.decided_at
        if decided is None:
            continue
        decisions = [b["decision"] for b in lead.events.get(type=EventType.DECIDE).payload["branches"]]
        assert len(decisions) == len(lead.branches.all())
        assert all(b.decided_at is not None and b.decided_at <= decided for b in lead.branches.all())
        if Decision.DENIED in decisions:
            assert lead.decision == Decision.DENIED
    waiting = [[b.decision for b in lead.branches.all()] for lead in leads if lead.decided_at is None]
    assert any(any(d) and not all(d) for d in waiting)  # some partners have decided, not all
    assert any(not any(d) for d in waiting)
