"""Parallel approval (并联审批): 建设工程规划许可证核发 at 邯郸市自然资源和规划局 is decided
jointly with three items of three other city departments. November 2025 has no
holidays, so the working days from Monday 3 November are simply Monday to Friday."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import SimpleUploadedFile

from yiwang.cases import parallel, services
from yiwang.cases.ledger import verify_events
from yiwang.cases.models import Case, CaseEvent, CaseFile, CaseState, Channel, Decision, EventType
from yiwang.cases.services import CaseError, CaseErrorCode, Upload
from yiwang.cases.tests.conftest import at
from yiwang.catalog import services as catalog
from yiwang.catalog.factories import DEFAULT_STEPS, published_item
from yiwang.catalog.models import ItemType, ItemVersion, StepKind
from yiwang.core.identifiers import build_uscc
from yiwang.org.factories import DepartmentFactory, StaffFactory, UserFactory, grant
from yiwang.org.models import Department, Region, Role
from yiwang.org.permissions import visible

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
APPLICANT_USCC = build_uscc("9", "1", "130400", "MA0CXK7Q3")

LEAD_STEPS = (
    {"name": "受理", "kind": StepKind.ACCEPT, "role": Role.WINDOW_OPERATOR, "limit": 1},
    {"name": "审核", "kind": StepKind.REVIEW, "role": Role.REVIEWER, "limit": 10},
    {"name": "决定", "kind": StepKind.DECIDE, "role": Role.APPROVER, "limit": 5},
    {"name": "办结", "kind": StepKind.COMPLETE, "role": Role.APPROVER, "limit": 1},
    {"name": "送达", "kind": StepKind.DELIVER, "role": Role.WINDOW_OPERATOR, "limit": 1},
)


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@dataclass
class Dept:
    dept: Department
    version: ItemVersion
    reviewer: AbstractBaseUser
    approver: AbstractBaseUser


@dataclass
class Joint:
    lead: Dept
    housing: Dept
    civil_defence: Dept
    environment: Dept
    window: AbstractBaseUser

    @property
    def partners(self) -> list[Dept]:
        return [self.housing, self.civil_defence, self.environment]


def _people(dept: Department, key: str) -> tuple[AbstractBaseUser, AbstractBaseUser]:
    users = []
    for role, name in ((Role.REVIEWER, "审核"), (Role.APPROVER, "批准")):
        staff = StaffFactory(user=UserFactory(username=f"{key}_{role}"), name=f"{key}{name}", department=dept)
        grant(staff, role, department=dept)
        users.append(staff.user)
    return users[0], users[1]


def _partner(city: Region, key: str, dept_name: str, code: str, name: str, promised: int) -> Dept:
    dept = DepartmentFactory(name=dept_name, region=city)
    version = published_item(
        code=code,
        name=name,
        department=dept,
        statutory_limit=20,
        promised_limit=promised,
        steps=DEFAULT_STEPS,
        materials=({"name": "建设工程设计方案"},) if key == "housing" else ({"name": "申请表"},),
        effective_from=dt.date(2025, 1, 1),
    )
    reviewer, approver = _people(dept, key)
    return Dept(dept, version, reviewer, approver)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def joint(city: Region) -> Joint:
    housing = _partner(
        city, "housing", "邯郸市住房和城乡建设局", "130400-XK-ZJ-011", "建设工程消防设计审查", 10
    )
    civil_defence = _partner(
        city, "defence", "邯郸市人民防空办公室", "130400-XK-RF-003", "结合民用建筑修建防空地下室审批", 8
    )
    environment = _partner(
        city, "environment", "邯郸市生态环境局", "130400-XK-HB-007", "建设项目环境影响报告表审批", 15
    )
    resources = DepartmentFactory(name="邯郸市自然资源和规划局", region=city)
    entry = catalog.entry_upsert(
        code="E-107",
        name="建设工程规划许可证核发",
        item_type=ItemType.LICENSING,
        legal_basis="《中华人民共和国城乡规划法》第四十条",
        statutory_limit=45,
    )
    item = catalog.item_create(code="130400-XK-ZR-107", entry=entry, department=resources, region=city)
    draft = catalog.draft_create(
        item=item,
        fields={
            "name": "建设工程规划许可证核发",
            "legal_basis": "《中华人民共和国城乡规划法》第四十条；《中华人民共和国行政许可法》第二十六条",
            "statutory_limit": 45,
            "promised_limit": 30,
            "parallel_approval": True,
        },
        parts={
            "steps": LEAD_STEPS,
            "materials": [{"name": "建设工程规划许可申请表"}, {"name": "建设工程设计方案"}],
            "partners": [{"partner": p.version.item} for p in (housing, civil_defence, environment)],
        },
    )
    lead_version = catalog.version_publish(version=draft, effective_from=dt.date(2025, 1, 1))
    reviewer, approver = _people(resources, "resources")
    # The comprehensive window's operator works for 自然资源和规划局 only: the branches
    # are filed and accepted on the lead's behalf, not through their own scope.
    window = StaffFactory(user=UserFactory(username="window_zh"), name="孙综窗", department=resources)
    grant(window, Role.WINDOW_OPERATOR, department=resources)
    return Joint(
        Dept(resources, lead_version, reviewer, approver), housing, civil_defence, environment, window.user
    )


def file_lead(joint: Joint, **kwargs: Any) -> Case:
    materials = {m.name: m for m in joint.lead.version.materials.all()}
    values: dict[str, Any] = {
        "version": joint.lead.version,
        "channel": Channel.WINDOW,
        "applicant_kind": "enterprise",
        "applicant_name": "邯郸市丛台置业有限公司",
        "applicant_id_number": APPLICANT_USCC,
        "applicant_mobile": "13831012345",
        "form_data": {"project": "丛台花园三期", "floor_area_m2": 58200},
        "uploads": [
            Upload(pdf("申请表.pdf"), materials["建设工程规划许可申请表"]),
            Upload(pdf("设计方案.pdf"), materials["建设工程设计方案"]),
        ],
        "user": joint.window,
        "at": at("2025-11-03", "09:00"),
    }
    values.update(kwargs)
    return services.case_file(**values)


def accepted_lead(joint: Joint, **kwargs: Any) -> Case:
    lead = file_lead(joint, **kwargs)
    services.case_accept(case=lead, user=joint.window, at=at("2025-11-03", "10:00"))
    lead.refresh_from_db()
    return lead


def branch_of(lead: Case, dept: Dept) -> Case:
    return Case.objects.get(parent=lead, department=dept.dept)


def decide_branch(
    branch: Case, dept: Dept, decision: str = Decision.APPROVED, day: str = "2025-11-10"
) -> None:
    services.case_pass_step(case=branch, user=dept.reviewer, opinion="符合要求", at=at(day, "09:00"))
    extra = {"reason": "不符合要求", "legal_basis": "《建设项目环境保护管理条例》第十一条"}
    services.case_decide(
        case=branch,
        user=dept.approver,
        decision=decision,
        at=at(day, "15:00"),
        **(extra if decision == Decision.DENIED else {}),
    )


def ledger(case: Case) -> list[tuple[str, str]]:
    return list(case.events.order_by("seq").values_list("type", "role"))


# --------------------------------------------------------------------------- acceptance


@pytest.mark.django_db
def test_accepting_the_lead_files_and_accepts_a_branch_in_each_partner_department(joint: Joint) -> None:
    # Given a lead case filed at the comprehensive window, Monday 3 November
    lead = file_lead(joint)
    assert not lead.branches.exists()

    # When the window accepts it
    services.case_accept(case=lead, user=joint.window, at=at("2025-11-03", "10:00"))
    lead.refresh_from_db()

    # Then three branches run at once, one per partner department, each against the
    # partner's version in force, for the same applicant and form, accepted with the lead
    branches = {b.department_id: b for b in lead.branches.all()}
    assert set(branches) == {p.dept.pk for p in joint.partners}
    for p in joint.partners:
        branch = branches[p.dept.pk]
        assert branch.item_version == p.version
        assert branch.state == CaseState.IN_PROGRESS and branch.step_index == 0
        assert branch.accepted_at == lead.accepted_at
        assert (branch.applicant_name, branch.applicant_id_number) == (
            "邯郸市丛台置业有限公司",
            APPLICANT_USCC,
        )
        assert branch.form_data == {"project": "丛台花园三期", "floor_area_m2": 58200}
        assert branch.channel == Channel.WINDOW
        assert ledger(branch) == [(EventType.APPLY, "parallel"), (EventType.ACCEPT, "parallel")]
        apply, accept = branch.events.order_by("seq")
        assert apply.payload["lead"] == lead.number and accept.payload == {"lead": lead.number}
        assert accept.actor == joint.window and accept.department == joint.lead.dept
    # each with its own deadline, from its own promised limit; the lead's is the joint one
    assert branches[joint.civil_defence.dept.pk].due_date == dt.date(2025, 11, 13)  # 8 working days
    assert branches[joint.housing.dept.pk].due_date == dt.date(2025, 11, 17)  # 10
    assert branches[joint.environment.dept.pk].due_date == dt.date(2025, 11, 24)  # 15
    assert lead.due_date == dt.date(2025, 12, 15)  # 30
    assert lead.state == CaseState.IN_PROGRESS
    assert ledger(lead) == [(EventType.APPLY, "window_operator"), (EventType.ACCEPT, "window_operator")]


@pytest.mark.django_db
def test_the_applicants_files_are_handed_on_to_every_branch(joint: Joint) -> None:
    lead = accepted_lead(joint)
    lead_hashes = sorted(CaseFile.objects.filter(case=lead).values_list("sha256", flat=True))
    for p in joint.partners:
        branch = branch_of(lead, p)
        files = {f.name: f for f in branch.files.select_related("material")}
        assert sorted(f.sha256 for f in files.values()) == lead_hashes
        assert all(f.file.read() == PDF for f in files.values())
        # under the partner's own material of the same name, where it has one
        design = files["设计方案.pdf"].material
        if p is joint.housing:
            assert design is not None and design.version_id == p.version.pk
        else:
            assert design is None
        assert files["申请表.pdf"].material is None  # the lead's form is not the partner's
        recorded = branch.events.get(seq=1).payload["files"]
        assert sorted(f["sha256"] for f in recorded) == lead_hashes


@pytest.mark.django_db
def test_an_online_application_keeps_the_applicants_account_on_every_branch(joint: Joint) -> None:
    citizen = UserFactory(username="zhiye_company", is_staff=False)
    lead = file_lead(joint, channel=Channel.ONLINE, applicant_user=citizen, user=citizen)
    services.case_accept(case=lead, user=joint.window, at=at("2025-11-03", "10:00"))
    branches = list(lead.branches.all())
    assert len(branches) == 3
    assert {(b.applicant_user_id, b.channel) for b in branches} == {(citizen.pk, Channel.ONLINE)}


@pytest.mark.django_db
def test_accepting_the_lead_changes_nothing_when_a_partner_has_no_version_in_force(joint: Joint) -> None:
    lead = file_lead(joint)
    catalog.item_withdraw(item=joint.environment.version.item, on=dt.date(2025, 10, 1))
    cases, events = Case.objects.count(), CaseEvent.objects.count()

    with pytest.raises(CaseError) as exc:
        services.case_accept(case=lead, user=joint.window, at=at("2025-11-03", "10:00"))

    assert exc.value.error_code == CaseErrorCode.VERSION_NOT_IN_FORCE
    assert "130400-XK-HB-007" in exc.value.text
    lead.refresh_from_db()
    assert lead.state == CaseState.SUBMITTED and lead.accepted_at is None
    assert (Case.objects.count(), CaseEvent.objects.count()) == (cases, events)


@pytest.mark.django_db
def test_the_lead_window_may_not_file_in_a_partner_department_by_itself(joint: Joint) -> None:
    # Why branches are filed on the lead's behalf: the window's own scope does not reach.
    with pytest.raises(CaseError) as exc:
        file_lead(joint, version=joint.housing.version, uploads=[])
    assert exc.value.error_code == CaseErrorCode.FORBIDDEN
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_filing_on_behalf_of_a_lead_is_only_for_its_partner_items(joint: Joint, city: Region) -> None:
    lead = accepted_lead(joint)
    stranger = published_item(
        code="130400-XK-SW-001",
        name="取水许可",
        department=DepartmentFactory(name="邯郸市水利局", region=city),
        steps=DEFAULT_STEPS,
        effective_from=dt.date(2025, 1, 1),
    )
    cases = Case.objects.count()
    with pytest.raises(CaseError) as exc:
        file_lead(joint, version=stranger, uploads=[], on_behalf_of_lead=lead, at=at("2025-11-03", "11:00"))
    assert exc.value.error_code == CaseErrorCode.FORBIDDEN
    assert Case.objects.count() == cases


@pytest.mark.django_db
def test_a_case_of_an_item_without_partners_has_no_branches(
    food_licence: ItemVersion, window_user: AbstractBaseUser, approver_user: AbstractBaseUser
) -> None:
    case = services.case_file(
        version=food_licence,
        channel=Channel.WINDOW,
        applicant_kind="enterprise",
        applicant_name="邯郸市丛台置业有限公司",
        applicant_id_number=APPLICANT_USCC,
        user=window_user,
        at=at("2025-11-03", "09:00"),
    )
    services.case_accept(case=case, user=window_user, at=at("2025-11-03", "10:00"))
    assert not Case.objects.filter(parent__isnull=False).exists()
    assert parallel.joint_status(case).branches == []
    assert parallel.require_branches_decided(case=case) == {}


# --------------------------------------------------------------------------- staff and scope


@pytest.mark.django_db
def test_each_department_sees_and_handles_only_its_own_branch(joint: Joint) -> None:
    lead = accepted_lead(joint)
    housing = branch_of(lead, joint.housing)
    defence = branch_of(lead, joint.civil_defence)

    # Staff see their own department's branch, never another's, nor the lead
    everything = Case.objects.all()
    assert list(visible(joint.housing.reviewer, everything)) == [housing]
    assert list(visible(joint.civil_defence.approver, everything)) == [defence]
    assert list(visible(joint.lead.approver, everything)) == [lead]

    # and may not act on another department's branch: refused, nothing recorded
    before = ledger(defence)
    with pytest.raises(CaseError) as exc:
        services.case_pass_step(
            case=defence, user=joint.housing.reviewer, opinion="同意", at=at("2025-11-04")
        )
    assert exc.value.error_code == CaseErrorCode.FORBIDDEN
    with pytest.raises(CaseError) as exc:
        services.case_pass_step(case=defence, user=joint.lead.reviewer, opinion="同意", at=at("2025-11-04"))
    assert exc.value.error_code == CaseErrorCode.FORBIDDEN
    assert ledger(defence) == before

    # while its own reviewer moves it on
    services.case_pass_step(
        case=defence, user=joint.civil_defence.reviewer, opinion="同意", at=at("2025-11-04")
    )
    defence.refresh_from_db()
    assert defence.step_index == 1
    assert defence.events.get(seq=3).role == Role.REVIEWER


# --------------------------------------------------------------------------- decision


@pytest.mark.django_db
def test_the_lead_is_decided_only_after_every_branch_then_completes_and_is_delivered(
    joint: Joint, django_assert_num_queries: Any
) -> None:
    lead = accepted_lead(joint)
    services.case_pass_step(case=lead, user=joint.lead.reviewer, opinion="符合规划条件", at=at("2025-11-05"))

    def refused_decision() -> CaseError:
        before = ledger(lead)
        with pytest.raises(CaseError) as exc:
            services.case_decide(
                case=lead, user=joint.lead.approver, decision=Decision.APPROVED, at=at("2025-11-12", "16:00")
            )
        assert ledger(lead) == before
        assert Case.objects.get(pk=lead.pk).state == CaseState.IN_PROGRESS
        return exc.value

    # Given no branch has decided, the lead may not be decided: all three are named
    error = refused_decision()
    assert error.error_code == CaseErrorCode.BRANCHES_PENDING
    for p in joint.partners:
        assert p.dept.name in error.text

    # When two have decided, the third is still named, and only it
    decide_branch(branch_of(lead, joint.housing), joint.housing, day="2025-11-10")
    decide_branch(branch_of(lead, joint.civil_defence), joint.civil_defence, day="2025-11-11")
    error = refused_decision()
    assert error.error_code == CaseErrorCode.BRANCHES_PENDING
    assert "邯郸市生态环境局" in error.text
    assert "住房和城乡建设局" not in error.text and "人民防空办公室" not in error.text
    with django_assert_num_queries(1):
        status = parallel.joint_status(lead)
    assert not status.all_decided
    assert [b.department.name for b in status.pending] == ["邯郸市生态环境局"]

    # When the last decides
    env = branch_of(lead, joint.environment)
    decide_branch(env, joint.environment, day="2025-11-12")
    branch_decision = env.events.get(type=EventType.DECIDE)
    assert "branches" not in branch_decision.payload

    # Then the lead is decided, recording every branch's decision, completed and delivered
    services.case_decide(
        case=lead, user=joint.lead.approver, decision=Decision.APPROVED, at=at("2025-11-13", "10:00")
    )
    decided = lead.events.get(type=EventType.DECIDE).payload
    assert sorted((b["department"], b["decision"]) for b in decided["branches"]) == sorted(
        (p.dept.name, Decision.APPROVED) for p in joint.partners
    )
    services.case_complete(
        case=lead,
        user=joint.lead.approver,
        result_number="建字第130400202500321号",
        at=at("2025-11-13", "11:00"),
    )
    services.case_deliver(case=lead, user=joint.window, method="window", at=at("2025-11-14", "09:30"))
    lead.refresh_from_db()
    assert (lead.state, lead.decision) == (CaseState.DELIVERED, Decision.APPROVED)

    status = parallel.joint_status(lead)
    assert status.all_decided and status.joint_due == dt.date(2025, 12, 15) and not status.denied
    assert [(b.department.name, b.state, b.decision) for b in status.branches] == [
        (b.department.name, CaseState.DECIDED, Decision.APPROVED) for b in status.branches
    ]
    assert {b.due_date for b in status.branches} == {
        dt.date(2025, 11, 13),
        dt.date(2025, 11, 17),
        dt.date(2025, 11, 24),
    }
    # the status of a branch is its lead's
    assert parallel.joint_status(env).lead == lead

    # Every chain verifies and every projection is what its events say
    for case in (lead, *lead.branches.all()):
        assert verify_events(case, case.events.order_by("seq")) == []
        assert services.case_rebuild(case=case) is False


@pytest.mark.django_db
def test_a_denied_branch_is_recorded_and_the_lead_may_still_decide(joint: Joint) -> None:
    lead = accepted_lead(joint)
    services.case_pass_step(case=lead, user=joint.lead.reviewer, opinion="符合规划条件", at=at("2025-11-05"))
    decide_branch(branch_of(lead, joint.housing), joint.housing)
    decide_branch(branch_of(lead, joint.civil_defence), joint.civil_defence)
    decide_branch(branch_of(lead, joint.environment), joint.environment, decision=Decision.DENIED)

    status = parallel.joint_status(lead)
    assert status.all_decided
    assert [b.department.name for b in status.denied] == ["邯郸市生态环境局"]

    services.case_decide(
        case=lead,
        user=joint.lead.approver,
        decision=Decision.DENIED,
        reason="环境影响报告表未获批准",
        legal_basis="《中华人民共和国行政许可法》第二十六条",
        at=at("2025-11-11"),
    )
    lead.refresh_from_db()
    assert lead.decision == Decision.DENIED
    recorded = {
        b["department"]: b["decision"] for b in lead.events.get(type=EventType.DECIDE).payload["branches"]
    }
    assert recorded == {
        "邯郸市住房和城乡建设局": Decision.APPROVED,
        "邯郸市人民防空办公室": Decision.APPROVED,
        "邯郸市生态环境局": Decision.DENIED,
    }


@pytest.mark.django_db
def test_the_joint_extension_cap_is_the_parallel_one(joint: Joint) -> None:
    # 行政许可法 §26: +15 working days for joint handling, against +10 for a branch's own item
    lead = accepted_lead(joint)
    assert services.extension_cap(lead.item_version) == 15
    assert services.extension_cap(branch_of(lead, joint.housing).item_version) == 10


# --------------------------------------------------------------------------- withdrawal


@pytest.mark.django_db
def test_withdrawing_the_lead_withdraws_its_open_branches(joint: Joint) -> None:
    citizen = UserFactory(username="zhiye_company", is_staff=False)
    lead = file_lead(joint, channel=Channel.ONLINE, applicant_user=citizen, user=citizen)
    services.case_accept(case=lead, user=joint.window, at=at("2025-11-03", "10:00"))
    housing = branch_of(lead, joint.housing)
    decide_branch(housing, joint.housing, day="2025-11-05")

    # When the applicant withdraws the lead
    services.case_withdraw(case=lead, user=citizen, reason="项目方案调整", at=at("2025-11-06", "14:00"))

    # Then the lead and every undecided branch are withdrawn at the same moment; the
    # branch already decided keeps its decision
    lead.refresh_from_db()
    assert lead.state == CaseState.WITHDRAWN
    states = {b.department_id: (b.state, b.closed_at) for b in lead.branches.all()}
    assert states[joint.housing.dept.pk] == (CaseState.DECIDED, None)
    for p in (joint.civil_defence, joint.environment):
        assert states[p.dept.pk] == (CaseState.WITHDRAWN, at("2025-11-06", "14:00"))
        event = branch_of(lead, p).events.get(type=EventType.WITHDRAW)
        assert (event.role, event.actor, event.payload) == (
            "parallel",
            citizen,
            {"reason": "项目方案调整", "lead": lead.number},
        )
    for case in (lead, *lead.branches.all()):
        assert verify_events(case, case.events.order_by("seq")) == []


@pytest.mark.django_db
def test_a_branch_cannot_be_withdrawn_on_its_own(joint: Joint) -> None:
    citizen = UserFactory(username="zhiye_company", is_staff=False)
    lead = file_lead(joint, channel=Channel.ONLINE, applicant_user=citizen, user=citizen)
    services.case_accept(case=lead, user=joint.window, at=at("2025-11-03", "10:00"))
    branch = branch_of(lead, joint.environment)
    before = {c.pk: ledger(c) for c in Case.objects.all()}

    with pytest.raises(CaseError) as exc:
        services.case_withdraw(case=branch, user=citizen, reason="不想办了", at=at("2025-11-04"))

    assert exc.value.error_code == CaseErrorCode.ILLEGAL_IN_STATE
    assert lead.number in exc.value.text
    assert {c.pk: ledger(c) for c in Case.objects.all()} == before
    branch.refresh_from_db()
    assert branch.state == CaseState.IN_PROGRESS


@pytest.mark.django_db
def test_spawning_is_refused_for_a_lead_not_yet_accepted(joint: Joint) -> None:
    lead = file_lead(joint)
    with pytest.raises(CaseError) as exc:
        parallel.spawn_branches(case=lead, user=joint.window, at=at("2025-11-03", "10:00"))
    assert exc.value.error_code == CaseErrorCode.ILLEGAL_IN_STATE
    assert not lead.branches.exists()
