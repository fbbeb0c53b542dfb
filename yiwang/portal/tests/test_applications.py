"""Online applications: who may apply, drafts, uploads, reuse of materials on file (一号申请),
submission (one case, whatever the clicks), supplements. Every refusal changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from yiwang.cases import services as case_services
from yiwang.cases.models import Case, CaseEvent, CaseFile, CaseState, Channel, EventType
from yiwang.cases.services import Upload
from yiwang.cases.tests.conftest import STEPS
from yiwang.catalog.factories import published_item
from yiwang.catalog.models import ItemVersion, OnlineDepth, Target
from yiwang.core.identifiers import build_resident_id, build_uscc
from yiwang.org.factories import StaffFactory, UserFactory, grant
from yiwang.org.models import Department, Region, Role
from yiwang.portal import applications as apps
from yiwang.portal.errors import PortalError
from yiwang.portal.factories import citizen_account
from yiwang.portal.models import Account, Agent, Draft, DraftFile

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
LICENSE_TYPE = "11100000000013661B001"  # 营业执照 in the e-license directory

FOOD_FIELDS = (
    {
        "name": "address",
        "label": "经营场所地址",
        "kind": "text",
        "required": True,
        "max_length": 60,
        "help_text": "与营业执照一致，写到门牌号",
    },
    {
        "name": "area",
        "label": "经营面积（平方米）",
        "kind": "decimal",
        "required": True,
        "min_value": Decimal("1"),
        "max_value": Decimal("100000"),
    },
    {
        "name": "format",
        "label": "主体业态",
        "kind": "choice",
        "choices": ["食品销售经营者", "餐饮服务经营者", "单位食堂"],
    },
    {"name": "opening", "label": "预计开业日期", "kind": "date", "required": False},
    {"name": "contact", "label": "联系人手机号码", "kind": "mobile", "required": False},
)
FOOD_MATERIALS = (
    {"name": "食品经营许可申请书"},
    {"name": "营业执照", "form": "copy", "source": "government", "license_type": LICENSE_TYPE},
    {"name": "经营场所平面图"},
    {"name": "授权委托书", "necessity": "conditional", "condition": "委托他人代为办理的"},
)


def pdf(name: str = "申请书.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def food_apply(market_dept: Department, county: Region) -> ItemVersion:
    """食品经营许可 for enterprises, applied for online, with a form and four materials."""
    return published_item(
        code="HS-APPLY-001",
        name="食品经营许可",
        department=market_dept,
        region=county,
        statutory_limit=20,
        promised_limit=10,
        fields={"target": Target.ENTERPRISE, "online_depth": OnlineDepth.HANDLING},
        steps=STEPS,
        materials=FOOD_MATERIALS,
        form_fields=FOOD_FIELDS,
        effective_from=dt.date(2024, 1, 1),
    )


@pytest.fixture
def seal_apply(market_dept: Department, county: Region) -> ItemVersion:
    """Another item naming a material 营业执照 too (reuse goes by name), for anyone."""
    return published_item(
        code="HS-APPLY-002",
        name="印章刻制备案",
        department=market_dept,
        region=county,
        promised_limit=10,
        fields={"target": Target.BOTH, "online_depth": OnlineDepth.ACCEPTANCE},
        steps=STEPS,
        materials=({"name": "营业执照", "form": "copy"}, {"name": "印模"}),
        effective_from=dt.date(2024, 1, 1),
    )


@pytest.fixture
def clerk(market_dept: Department, county: Region) -> Any:
    """Window staff of the county: accepts cases and issues supplement notices."""
    staff = StaffFactory(user=UserFactory(username="window_apply"), name="孙窗口", department=market_dept)
    grant(staff, Role.WINDOW_OPERATOR, region=county)
    return staff.user


@pytest.fixture
def agent(citizen: Account, enterprise: Account) -> Agent:
    """张三 is an authorised agent (经办人) of 丛台食品."""
    return Agent.objects.create(
        enterprise=enterprise, person=citizen, authorised_by=enterprise.user, authorised_at=timezone.now()
    )


GOOD_FORM = {
    "form-address": "邯山区陵园路 18 号",
    "form-area": "85.5",
    "form-format": "餐饮服务经营者",
    "form-contact": "139 1234 5678",
}


def complete(draft: Draft, user: Any) -> Draft:
    """Answer the form and upload every required material (the e-license aside)."""
    apps.draft_save_form(draft=draft, user=user, data=GOOD_FORM)
    for material in draft.version.materials.filter(necessity="required"):
        if str(material.pk) not in draft.reuse:
            apps.draft_add_file(
                draft=draft, user=user, material_id=material.pk, upload=pdf(f"{material.name}.pdf")
            )
    draft.refresh_from_db()
    return draft


def counts() -> tuple[int, int, int, int]:
    return (Draft.objects.count(), DraftFile.objects.count(), Case.objects.count(), CaseEvent.objects.count())


def refused(code: str, action: Any) -> PortalError:
    before = counts()
    with pytest.raises(PortalError) as raised, translation.override("en"):
        action()
    assert raised.value.error_code == code, raised.value.text
    assert counts() == before
    return raised.value


# --------------------------------------------------------------------------- who may apply


def test_an_unverified_account_cannot_start_and_nothing_is_created(
    unverified_citizen: Account, seal_apply: ItemVersion
) -> None:
    error = refused(
        apps.Code.UNVERIFIED, lambda: apps.draft_start(user=unverified_citizen.user, version=seal_apply)
    )
    assert "verified" in error.text


def test_anonymous_and_staff_users_cannot_apply(seal_apply: ItemVersion, clerk: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    refused(apps.Code.SIGN_IN, lambda: apps.draft_start(user=AnonymousUser(), version=seal_apply))
    refused(apps.Code.NO_ACCOUNT, lambda: apps.draft_start(user=clerk, version=seal_apply))


def test_an_individual_cannot_apply_for_an_enterprise_only_service(
    citizen: Account, food_apply: ItemVersion
) -> None:
    error = refused(apps.Code.TARGET, lambda: apps.draft_start(user=citizen.user, version=food_apply))
    assert error.field == "account"


def test_a_service_not_offered_online_is_refused(citizen: Account, market_dept: Department) -> None:
    version = published_item(
        code="HS-OFFLINE",
        name="现场办理事项",
        department=market_dept,
        fields={"online_depth": OnlineDepth.CONSULTATION},
    )
    refused(apps.Code.NOT_ONLINE, lambda: apps.draft_start(user=citizen.user, version=version))


def test_an_agent_applies_for_the_enterprise_and_only_while_authorised(
    citizen: Account, enterprise: Account, agent: Agent, food_apply: ItemVersion
) -> None:
    assert [a.pk for a in apps.acting_accounts(citizen.user, on=timezone.localdate())] == [
        citizen.pk,
        enterprise.pk,
    ]
    draft = apps.draft_start(user=citizen.user, version=food_apply, account=enterprise)
    assert (draft.account, draft.filed_by, draft.version) == (enterprise, citizen, food_apply)
    # the same start again resumes the same draft
    assert apps.draft_start(user=citizen.user, version=food_apply, account=enterprise).pk == draft.pk

    agent.valid_until = timezone.localdate() - dt.timedelta(days=1)
    agent.save()
    assert apps.acting_accounts(citizen.user, on=timezone.localdate()) == [citizen]
    refused(
        apps.Code.FORBIDDEN,
        lambda: apps.draft_start(user=citizen.user, version=food_apply, account=enterprise),
    )


def test_a_revoked_agent_and_a_stranger_cannot_apply_for_the_enterprise(
    citizen: Account, enterprise: Account, agent: Agent, food_apply: ItemVersion
) -> None:
    agent.revoked_at = timezone.now()
    agent.save()
    refused(
        apps.Code.FORBIDDEN,
        lambda: apps.draft_start(user=citizen.user, version=food_apply, account=enterprise),
    )
    stranger = citizen_account(
        username="wangwu",
        name="王五",
        id_number=build_resident_id("130402", dt.date(1980, 1, 2), 11),
        mobile="13600136000",
    )
    refused(
        apps.Code.FORBIDDEN,
        lambda: apps.draft_start(user=stranger.user, version=food_apply, account=enterprise),
    )


# --------------------------------------------------------------------------- drafts


def test_saving_keeps_answers_as_typed_even_when_they_do_not_pass(
    enterprise: Account, food_apply: ItemVersion
) -> None:
    draft = apps.draft_start(user=enterprise.user, version=food_apply)
    apps.draft_save_form(
        draft=draft,
        user=enterprise.user,
        data={"form-address": "  陵园路 ", "form-area": "很大", "form-format": "不存在", "form-other": "x"},
    )
    draft.refresh_from_db()
    assert draft.form_data == {
        "address": "陵园路",
        "area": "很大",
        "format": "不存在",
        "opening": "",
        "contact": "",
    }
    form = apps.draft_form(draft, list(food_apply.form_fields.all()))
    assert not form.is_valid()
    assert set(form.errors) == {"area", "format"}


def test_a_bad_upload_is_refused_with_its_reason_and_no_file_is_kept(
    enterprise: Account, food_apply: ItemVersion, settings: Any
) -> None:
    draft = apps.draft_start(user=enterprise.user, version=food_apply)
    material = food_apply.materials.get(name="食品经营许可申请书")
    error = refused(
        apps.Code.FILE,
        lambda: apps.draft_add_file(
            draft=draft,
            user=enterprise.user,
            material_id=material.pk,
            upload=SimpleUploadedFile("申请书.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"),
        ),
    )
    assert "not a PDF, JPEG, PNG or OFD" in error.text
    assert error.field == f"material-{material.pk}"

    settings.CASE_UPLOAD_MAX_BYTES = 100
    error = refused(
        apps.Code.FILE,
        lambda: apps.draft_add_file(
            draft=draft, user=enterprise.user, material_id=material.pk, upload=pdf(content=PDF + b"0" * 200)
        ),
    )
    assert "the limit is 100" in error.text


def test_a_file_is_kept_with_its_digest_and_the_same_file_twice_is_refused(
    enterprise: Account, food_apply: ItemVersion
) -> None:
    draft = apps.draft_start(user=enterprise.user, version=food_apply)
    material = food_apply.materials.get(name="经营场所平面图")
    stored = apps.draft_add_file(
        draft=draft, user=enterprise.user, material_id=material.pk, upload=pdf("平面图.pdf")
    )
    assert (stored.name, stored.size, stored.content_type, len(stored.sha256)) == (
        "平面图.pdf",
        len(PDF),
        "application/pdf",
        64,
    )
    refused(
        apps.Code.DUPLICATE_FILE,
        lambda: apps.draft_add_file(
            draft=draft, user=enterprise.user, material_id=material.pk, upload=pdf("again.pdf")
        ),
    )
    # a material of another item is not one of this draft's
    other = ItemVersion.objects.exclude(pk=food_apply.pk).first()
    if other is not None and other.materials.exists():
        refused(
            apps.Code.NOT_A_MATERIAL,
            lambda: apps.draft_add_file(
                draft=draft, user=enterprise.user, material_id=other.materials.first().pk, upload=pdf()
            ),
        )


def test_another_users_draft_cannot_be_read_or_changed(
    citizen: Account, enterprise: Account, seal_apply: ItemVersion
) -> None:
    draft = apps.draft_start(user=citizen.user, version=seal_apply)
    assert apps.draft_for(enterprise.user, draft.pk) is None
    refused(
        apps.Code.FORBIDDEN, lambda: apps.draft_save_form(draft=draft, user=enterprise.user, data=GOOD_FORM)
    )
    refused(apps.Code.FORBIDDEN, lambda: apps.draft_delete(draft=draft, user=enterprise.user))
    refused(apps.Code.FORBIDDEN, lambda: apps.draft_submit(draft=draft, user=enterprise.user))


def test_deleting_a_draft_removes_it_and_its_files(enterprise: Account, food_apply: ItemVersion) -> None:
    draft = complete(apps.draft_start(user=enterprise.user, version=food_apply), enterprise.user)
    names = [f.file.name for f in draft.files.all()]
    assert names
    apps.draft_delete(draft=draft, user=enterprise.user)
    assert not Draft.objects.filter(pk=draft.pk).exists()
    assert not DraftFile.objects.exists()


# --------------------------------------------------------------------------- reuse (一号申请)


def _earlier_case(
    version: ItemVersion, clerk: Any, id_number: str, *, accept: bool = True, name: str = "营业执照.pdf"
) -> Case:
    material = version.materials.get(name="营业执照")
    case = case_services.case_file(
        version=version,
        channel=Channel.WINDOW,
        applicant_kind="enterprise",
        applicant_name="邯郸市丛台食品有限公司",
        applicant_id_number=id_number,
        uploads=[Upload(pdf(name, PDF + name.encode()), material)],
        user=clerk,
    )
    if accept:
        case_services.case_accept(case=case, user=clerk)
    return case


def test_a_file_accepted_in_an_earlier_case_is_offered_and_chosen_for_the_same_applicant(
    enterprise: Account, food_apply: ItemVersion, seal_apply: ItemVersion, clerk: Any
) -> None:
    earlier = _earlier_case(seal_apply, clerk, enterprise.id_number)
    draft = apps.draft_start(user=enterprise.user, version=food_apply)
    licence = food_apply.materials.get(name="营业执照")
    slots = {s.material.name: s for s in apps.material_slots(draft)}
    offer = slots["营业执照"].offers[0]
    assert (offer.kind, offer.case_file.case) == ("case_file", earlier)
    # chosen from the start: the applicant is not asked for it again
    assert draft.reuse == {str(licence.pk): {"case_file": offer.case_file.pk}}
    assert slots["营业执照"].provided
    assert not slots["食品经营许可申请书"].offers


def test_reuse_is_offered_only_for_the_same_applicant_and_accepted_cases(
    enterprise: Account, food_apply: ItemVersion, seal_apply: ItemVersion, clerk: Any, settings: Any
) -> None:
    _earlier_case(seal_apply, clerk, enterprise.id_number, accept=False, name="未受理.pdf")
    _earlier_case(seal_apply, clerk, build_uscc("9", "1", "130402", "MA0A1B2C5"), name="他人.pdf")
    draft = apps.draft_start(user=enterprise.user, version=food_apply)
    slots = {s.material.name: s for s in apps.material_slots(draft)}
    assert slots["营业执照"].offers == []
    assert draft.reuse == {}

    # accepted, but longer ago than the reuse period
    _earlier_case(seal_apply, clerk, enterprise.id_number, name="旧的.pdf")
    settings.PORTAL_MATERIAL_REUSE_DAYS = 0
    assert apps.material_slots(draft, now=timezone.now() + dt.timedelta(minutes=1))[1].offers == []
    settings.PORTAL_MATERIAL_REUSE_DAYS = 365
    assert [o.title for o in apps.material_slots(draft)[1].offers] == ["旧的.pdf"]


def test_a_reuse_can_be_changed_for_an_upload_and_a_foreign_one_is_refused(
    enterprise: Account, food_apply: ItemVersion, seal_apply: ItemVersion, clerk: Any
) -> None:
    _earlier_case(seal_apply, clerk, enterprise.id_number)
    draft = apps.draft_start(user=enterprise.user, version=food_apply)
    licence = food_apply.materials.get(name="营业执照")
    apps.draft_choose_reuse(draft=draft, user=enterprise.user, material_id=licence.pk, key=None)
    draft.refresh_from_db()
    assert draft.reuse == {}
    other = CaseFile.objects.create(
        case=Case.objects.get(),
        name="x.pdf",
        sha256="0" * 64,
        size=1,
        content_type="application/pdf",
        uploaded_at=timezone.now(),
    )
    refused(
        apps.Code.REUSE,
        lambda: apps.draft_choose_reuse(
            draft=draft, user=enterprise.user, material_id=licence.pk, key=f"case_file:{other.pk}"
        ),
    )


def _license(enterprise: Account, market_dept: Department, **overrides: Any) -> Any:
    from yiwang.licenses.models import HolderKind
    from yiwang.licenses.services import license_issue

    fields: dict[str, Any] = {
        "user": None,
        "license_type": LICENSE_TYPE,
        "name": "营业执照",
        "number": enterprise.id_number,
        "holder_name": enterprise.name,
        "holder_id_number": enterprise.id_number,
        "holder_kind": HolderKind.USCC,
        "issuer": market_dept,
        "issued_on": dt.date(2024, 3, 1),
        "source": "河北省市场主体登记系统",
    }
    fields.update(overrides)
    return license_issue(**fields)


def test_a_held_e_license_is_offered_first_and_submitted_as_a_reference(
    enterprise: Account, food_apply: ItemVersion, seal_apply: ItemVersion, clerk: Any, market_dept: Department
) -> None:
    _earlier_case(seal_apply, clerk, enterprise.id_number)
    held = _license(enterprise, market_dept)
    draft = apps.draft_start(user=enterprise.user, version=food_apply)
    licence = food_apply.materials.get(name="营业执照")
    slot = next(s for s in apps.material_slots(draft) if s.material == licence)
    assert [o.kind for o in slot.offers] == ["license", "case_file"]
    assert draft.reuse == {str(licence.pk): {"license": held.identifier}}

    case = apps.draft_submit(draft=complete(draft, enterprise.user), user=enterprise.user)
    assert case.form_data[apps.LICENSES_KEY] == [{"material": licence.pk, "identifier": held.identifier}]
    assert not case.files.filter(material=licence).exists()


def test_an_e_license_of_another_holder_type_or_out_of_force_is_not_offered(
    enterprise: Account, food_apply: ItemVersion, market_dept: Department
) -> None:
    from yiwang.licenses.models import HolderKind

    other = build_uscc("9", "1", "130402", "MA0A1B2C5")
    _license(
        enterprise,
        market_dept,
        holder_id_number=other,
        holder_name="别家公司",
        number="A-1",
        holder_kind=HolderKind.USCC,
    )
    _license(enterprise, market_dept, license_type="11100000000013661B002", number="A-2", name="别的证照")
    _license(
        enterprise,
        market_dept,
        number="A-3",
        valid_until=timezone.localdate() - dt.timedelta(days=1),
        issued_on=dt.date(2020, 1, 1),
    )
    draft = apps.draft_start(user=enterprise.user, version=food_apply)
    assert all(not s.offers for s in apps.material_slots(draft))
    assert draft.reuse == {}


# --------------------------------------------------------------------------- submission


def test_submission_files_one_case_with_the_files_and_the_apply_event(
    enterprise: Account, food_apply: ItemVersion
) -> None:
    draft = complete(apps.draft_start(user=enterprise.user, version=food_apply), enterprise.user)
    case = apps.draft_submit(draft=draft, user=enterprise.user)
    draft.refresh_from_db()
    assert draft.case == case
    assert (case.channel, case.applicant_kind, case.applicant_id_number, case.applicant_user) == (
        Channel.ONLINE,
        "enterprise",
        enterprise.id_number,
        enterprise.user,
    )
    assert case.state == CaseState.SUBMITTED
    assert case.form_data == {
        "address": "邯山区陵园路 18 号",
        "area": "85.5",
        "format": "餐饮服务经营者",
        "opening": "",
        "contact": "13912345678",
    }
    assert sorted(f.material.name for f in case.files.all()) == sorted(
        ["食品经营许可申请书", "营业执照", "经营场所平面图"]
    )
    event = case.events.get()
    assert event.type == EventType.APPLY
    assert len(event.payload["files"]) == 3
    # the case holds its own copies: the draft's files are gone
    assert not DraftFile.objects.exists()


def test_a_double_submission_files_one_case(enterprise: Account, food_apply: ItemVersion) -> None:
    draft = complete(apps.draft_start(user=enterprise.user, version=food_apply), enterprise.user)
    stale = Draft.objects.get(pk=draft.pk)  # a second tab, loaded before the first submitted
    first = apps.draft_submit(draft=draft, user=enterprise.user)
    assert apps.draft_submit(draft=stale, user=enterprise.user) == first
    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(type=EventType.APPLY).count() == 1


def test_the_idempotency_key_returns_the_first_case(enterprise: Account, food_apply: ItemVersion) -> None:
    draft = complete(apps.draft_start(user=enterprise.user, version=food_apply), enterprise.user)
    first = apps.draft_submit(draft=draft, user=enterprise.user)
    # the draft loses its link (as if the first request's last write had not happened):
    # submitting again must not file a second case
    Draft.objects.filter(pk=draft.pk).update(case=None)
    draft.refresh_from_db()
    for material in food_apply.materials.filter(necessity="required"):
        apps.draft_add_file(
            draft=draft, user=enterprise.user, material_id=material.pk, upload=pdf(f"{material.name}.pdf")
        )
    assert apps.draft_submit(draft=draft, user=enterprise.user) == first
    assert Case.objects.count() == 1


def test_missing_materials_and_failing_answers_block_submission(
    enterprise: Account, food_apply: ItemVersion
) -> None:
    draft = apps.draft_start(user=enterprise.user, version=food_apply)
    apps.draft_save_form(draft=draft, user=enterprise.user, data={**GOOD_FORM, "form-area": "0"})
    error = refused(apps.Code.INCOMPLETE, lambda: apps.draft_submit(draft=draft, user=enterprise.user))
    assert error.text.startswith("经营面积（平方米）: The smallest value allowed is 1")
    apps.draft_save_form(draft=draft, user=enterprise.user, data=GOOD_FORM)
    error = refused(apps.Code.INCOMPLETE, lambda: apps.draft_submit(draft=draft, user=enterprise.user))
    assert error.text == "食品经营许可申请书: this material is required; upload it."
    with translation.override("en"):
        found = apps.problems(
            apps.draft_form(draft, list(food_apply.form_fields.all())), apps.material_slots(draft)
        )
    assert [p.anchor for p in found] == [f"material-{m.pk}" for m in food_apply.materials.all()[:3]]


def test_a_reused_file_is_submitted_as_a_copy_of_its_bytes(
    enterprise: Account, food_apply: ItemVersion, seal_apply: ItemVersion, clerk: Any
) -> None:
    earlier = _earlier_case(seal_apply, clerk, enterprise.id_number)
    draft = complete(apps.draft_start(user=enterprise.user, version=food_apply), enterprise.user)
    case = apps.draft_submit(draft=draft, user=enterprise.user)
    reused = case.files.get(material__name="营业执照")
    original = earlier.files.get()
    assert (reused.name, reused.sha256, reused.content_type) == (
        original.name,
        original.sha256,
        original.content_type,
    )
    assert reused.file.name != original.file.name


def test_an_agent_submits_for_the_enterprise(
    citizen: Account, enterprise: Account, agent: Agent, food_apply: ItemVersion
) -> None:
    draft = complete(
        apps.draft_start(user=citizen.user, version=food_apply, account=enterprise), citizen.user
    )
    case = apps.draft_submit(draft=draft, user=citizen.user)
    assert (case.applicant_name, case.applicant_id_number, case.applicant_user) == (
        enterprise.name,
        enterprise.id_number,
        citizen.user,
    )
    # the enterprise, signed in as itself, finds the case; a stranger does not
    assert apps.case_for(enterprise.user, case.number) == case
    assert apps.case_for(citizen.user, case.number) == case


def test_a_draft_follows_a_new_version_of_its_item(enterprise: Account, food_apply: ItemVersion) -> None:
    from yiwang.catalog import services as catalog_services

    draft = complete(apps.draft_start(user=enterprise.user, version=food_apply), enterprise.user)
    new = catalog_services.draft_create(item=food_apply.item)
    catalog_services.version_publish(version=new, effective_from=timezone.localdate())
    assert list(new.form_fields.values_list("name", flat=True)) == [
        "address",
        "area",
        "format",
        "opening",
        "contact",
    ]
    assert apps.draft_follow_version(draft=draft, user=enterprise.user)
    draft.refresh_from_db()
    assert draft.version == new
    assert {f.material.version_id for f in draft.files.all()} == {new.pk}
    assert draft.form_data["address"] == "邯山区陵园路 18 号"
    assert apps.draft_submit(draft=draft, user=enterprise.user).item_version == new


# --------------------------------------------------------------------------- supplement


@pytest.fixture
def case_in_supplement(enterprise: Account, food_apply: ItemVersion, clerk: Any) -> Case:
    draft = complete(apps.draft_start(user=enterprise.user, version=food_apply), enterprise.user)
    case = apps.draft_submit(draft=draft, user=enterprise.user)
    plan = food_apply.materials.get(name="经营场所平面图")
    return case_services.case_request_supplement(
        case=case,
        user=clerk,
        items=[
            {"material": plan.pk, "problem": "未标注设备布局"},
            {"material": None, "name": "消防安全检查合格证明", "problem": "缺少"},
        ],
    )


def _case_state(case: Case) -> tuple[Any, ...]:
    case.refresh_from_db()
    return (case.state, case.last_seq, case.files.count())


def test_the_supplement_lists_the_notice_and_takes_exactly_its_materials(
    enterprise: Account, case_in_supplement: Case, food_apply: ItemVersion
) -> None:
    case = case_in_supplement
    notice = apps.supplement_notice(case)
    assert notice is not None
    plan = food_apply.materials.get(name="经营场所平面图")
    assert [(i.key, i.name, i.problem) for i in notice.items] == [
        (f"m{plan.pk}", "经营场所平面图", "未标注设备布局"),
        ("n1", "消防安全检查合格证明", "缺少"),
    ]
    before = _case_state(case)
    other = food_apply.materials.get(name="食品经营许可申请书")
    with translation.override("en"):
        with pytest.raises(PortalError) as raised:
            apps.supplement_submit(
                case=case,
                user=enterprise.user,
                files={
                    f"m{plan.pk}": [pdf("图.pdf")],
                    "n1": [pdf("证明.pdf")],
                    f"m{other.pk}": [pdf("多余.pdf")],
                },
            )
        assert raised.value.error_code == apps.Code.NOT_LISTED
        with pytest.raises(PortalError) as raised:
            apps.supplement_submit(case=case, user=enterprise.user, files={f"m{plan.pk}": [pdf("图.pdf")]})
        assert raised.value.error_code == apps.Code.MISSING
        assert "消防安全检查合格证明" in raised.value.text
        with pytest.raises(PortalError) as raised:
            apps.supplement_submit(
                case=case,
                user=enterprise.user,
                files={f"m{plan.pk}": [pdf("图.pdf", b"GIF89a")], "n1": [pdf("证明.pdf")]},
            )
        assert raised.value.error_code == apps.Code.FILE
    assert _case_state(case) == before

    apps.supplement_submit(
        case=case, user=enterprise.user, files={f"m{plan.pk}": [pdf("图.pdf", PNG)], "n1": [pdf("证明.pdf")]}
    )
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED
    event = case.events.order_by("-seq").first()
    assert event.type == EventType.SUPPLEMENT_RECEIVE
    assert sorted((f["name"], f["material"]) for f in event.payload["files"]) == [
        ("图.pdf", plan.pk),
        ("证明.pdf", None),
    ]


def test_a_supplement_outside_the_supplement_state_is_refused(
    enterprise: Account, food_apply: ItemVersion
) -> None:
    draft = complete(apps.draft_start(user=enterprise.user, version=food_apply), enterprise.user)
    case = apps.draft_submit(draft=draft, user=enterprise.user)
    before = _case_state(case)
    assert apps.supplement_notice(case) is None
    with pytest.raises(PortalError) as raised, translation.override("en"):
        apps.supplement_submit(case=case, user=enterprise.user, files={"n0": [pdf()]})
    assert raised.value.error_code == apps.Code.NOT_SUPPLEMENT
    assert _case_state(case) == before


def test_only_the_filer_hands_in_a_supplement(case_in_supplement: Case, citizen: Account) -> None:
    before = _case_state(case_in_supplement)
    with pytest.raises(PortalError) as raised:
        apps.supplement_submit(case=case_in_supplement, user=citizen.user, files={"n1": [pdf()]})
    assert raised.value.error_code == apps.Code.FORBIDDEN
    assert _case_state(case_in_supplement) == before


def test_the_expected_due_date_counts_the_promised_limit_from_the_acceptance_due_date(
    enterprise: Account, food_apply: ItemVersion, clerk: Any
) -> None:
    from yiwang.core import calendar

    draft = complete(apps.draft_start(user=enterprise.user, version=food_apply), enterprise.user)
    case = apps.draft_submit(draft=draft, user=enterprise.user)
    assert case.acceptance_due is not None
    assert apps.expected_due_date(case) == calendar.add_workdays(case.acceptance_due, 10)
    case_services.case_accept(case=case, user=clerk)
    case.refresh_from_db()
    assert apps.expected_due_date(case) == case.due_date
