"""The online application pages: start, draft (form, uploads, reuse), review and submit,
receipt, supplement, drafts list. Refusals are polite pages and change nothing; other
people's drafts and cases are 404; the draft page's queries do not grow with its parts."""

from __future__ import annotations

from typing import Any

import pytest
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse
from django.utils import translation

from yiwang.cases import services as case_services
from yiwang.cases.models import Case, CaseState
from yiwang.catalog.models import ItemVersion
from yiwang.portal import applications as apps
from yiwang.portal.models import Account, Agent, Draft, DraftFile
from yiwang.portal.tests import test_applications as shared
from yiwang.portal.tests.test_applications import GOOD_FORM, PDF, complete, pdf

# The items, staff and agent of the service tests (pytest finds fixtures by module name).
food_apply = shared.food_apply
seal_apply = shared.seal_apply
clerk = shared.clerk
agent = shared.agent
_earlier_case = shared._earlier_case


def signed_in(account: Account) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(account.user)
    return client


def en(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def text(response: Any) -> str:
    return response.content.decode()


# --------------------------------------------------------------------------- start


def test_an_anonymous_visitor_is_sent_to_sign_in(db: None, food_apply: ItemVersion) -> None:
    response = Client().get(reverse("portal:apply_start", args=[food_apply.item.code]))
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url("portal:login"))
    assert "next=" in response["Location"]


def test_an_unverified_user_gets_a_page_saying_how_to_be_verified_and_nothing_is_created(
    unverified_citizen: Account, seal_apply: ItemVersion
) -> None:
    client = signed_in(unverified_citizen)
    url = reverse("portal:apply_start", args=[seal_apply.item.code])
    with translation.override("en"):
        for response in (client.get(url), client.post(url, {"account": unverified_citizen.pk})):
            assert response.status_code == 403
            assert "Verify your identity to apply" in text(response)
            assert "service center" in text(response)
    assert not Draft.objects.exists()


def test_the_start_page_lets_an_agent_choose_on_whose_behalf(
    citizen: Account, enterprise: Account, agent: Agent, seal_apply: ItemVersion
) -> None:
    client = signed_in(citizen)
    url = reverse("portal:apply_start", args=[seal_apply.item.code])
    with translation.override("en"):
        page = client.get(url)
    assert page.status_code == 200
    html = text(page)
    assert "On whose behalf do you apply?" in html
    assert enterprise.name in html and enterprise.masked_id_number in html
    assert enterprise.id_number not in html

    response = client.post(url, {"account": enterprise.pk})
    draft = Draft.objects.get()
    assert response["Location"] == reverse("portal:apply_draft", args=[draft.pk])
    assert (draft.account, draft.filed_by) == (enterprise, citizen)
    # an account the user does not act for is refused and creates nothing
    stranger = Account.objects.exclude(pk__in=[citizen.pk, enterprise.pk]).first()
    if stranger is not None:
        assert client.post(url, {"account": stranger.pk}).status_code == 400
    assert client.post(url, {"account": "nonsense"}).status_code == 400
    assert Draft.objects.count() == 1


def test_an_individual_is_told_an_enterprise_service_is_not_for_them(
    citizen: Account, food_apply: ItemVersion
) -> None:
    with translation.override("en"):
        response = signed_in(citizen).get(reverse("portal:apply_start", args=[food_apply.item.code]))
    assert response.status_code == 403
    assert "is for enterprises and organisations" in text(response)


def test_an_unknown_item_is_404(citizen: Account) -> None:
    assert signed_in(citizen).get(reverse("portal:apply_start", args=["NO-SUCH"])).status_code == 404


# --------------------------------------------------------------------------- draft


@pytest.fixture
def draft(enterprise: Account, food_apply: ItemVersion) -> Draft:
    return apps.draft_start(user=enterprise.user, version=food_apply)


def test_the_draft_page_shows_the_profile_form_and_materials(enterprise: Account, draft: Draft) -> None:
    with translation.override("en"):
        response = signed_in(enterprise).get(reverse("portal:apply_draft", args=[draft.pk]))
    assert response.status_code == 200
    html = text(response)
    assert (
        enterprise.name in html and enterprise.masked_id_number in html and enterprise.masked_mobile in html
    )
    assert enterprise.id_number not in html and enterprise.mobile not in html
    assert '<label for="id_form-address">经营场所地址' in html
    assert 'aria-describedby="id_form-address-help"' in html
    assert '<p class="field__help" id="id_form-address-help">与营业执照一致，写到门牌号</p>' in html
    assert html.count('type="file"') == 4
    assert 'enctype="multipart/form-data"' in html
    assert response["Cache-Control"] == "private, no-store"


def test_saving_keeps_invalid_answers_and_continuing_shows_errors_beside_the_fields(
    enterprise: Account, draft: Draft
) -> None:
    client = signed_in(enterprise)
    url = reverse("portal:apply_draft", args=[draft.pk])
    response = client.post(url, {**GOOD_FORM, "form-area": "很大", "action": "save"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.form_data["area"] == "很大"
    with translation.override("en"):
        page = client.get(url)
        assert 'value="很大"' in text(page)
        response = client.post(url, {**GOOD_FORM, "form-area": "很大", "action": "review"})
    assert response.status_code == 400
    html = text(response)
    assert (
        '<p class="field__error" id="id_form-area-error">Enter “经营面积（平方米）” as a number, e.g. 120.5.</p>'
        in html
    )
    assert 'aria-describedby="id_form-area-error"' in html
    assert 'aria-invalid="true"' in html
    assert "食品经营许可申请书: this material is required; upload it." in html


def test_uploads_are_kept_and_a_bad_one_is_refused_beside_its_material(
    enterprise: Account, draft: Draft, food_apply: ItemVersion
) -> None:
    client = signed_in(enterprise)
    url = reverse("portal:apply_draft", args=[draft.pk])
    form_material = food_apply.materials.get(name="食品经营许可申请书")
    plan = food_apply.materials.get(name="经营场所平面图")
    with translation.override("en"):
        response = client.post(
            url,
            {
                **GOOD_FORM,
                "action": "save",
                f"material-{form_material.pk}": pdf("申请书.pdf"),
                f"material-{plan.pk}": pdf("平面图.exe", b"MZ\x90\x00binary"),
            },
        )
    assert response.status_code == 400
    html = text(response)
    assert f'id="material-{plan.pk}-error"' in html
    assert "is not a PDF, JPEG, PNG or OFD document" in html
    assert list(DraftFile.objects.values_list("name", flat=True)) == ["申请书.pdf"]
    draft.refresh_from_db()
    assert draft.form_data["address"] == GOOD_FORM["form-address"]  # the rest was kept

    stored = DraftFile.objects.get()
    view = client.get(reverse("portal:draft_file", args=[draft.pk, stored.pk]))
    assert view.status_code == 200
    assert b"".join(view.streaming_content) == PDF
    assert view["X-Content-Type-Options"] == "nosniff"

    response = client.post(url, {**GOOD_FORM, "remove_file": stored.pk})
    assert response.status_code == 302
    assert not DraftFile.objects.exists()


def test_another_users_draft_is_404_everywhere(
    enterprise: Account, citizen: Account, draft: Draft, food_apply: ItemVersion
) -> None:
    complete(draft, enterprise.user)
    stored = draft.files.first()
    client = signed_in(citizen)
    for name, args in (
        ("portal:apply_draft", [draft.pk]),
        ("portal:apply_review", [draft.pk]),
        ("portal:draft_delete", [draft.pk]),
        ("portal:draft_file", [draft.pk, stored.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 404, name
        assert client.post(reverse(name, args=args), GOOD_FORM).status_code in (404, 405), name
    assert Draft.objects.get().case is None
    assert not Case.objects.exists()
    assert DraftFile.objects.count() == 3


def test_the_reuse_on_offer_is_shown_chosen_and_can_be_swapped_for_an_upload(
    enterprise: Account, food_apply: ItemVersion, seal_apply: ItemVersion, clerk: Any
) -> None:
    earlier = _earlier_case(seal_apply, clerk, enterprise.id_number)
    draft = apps.draft_start(user=enterprise.user, version=food_apply)
    licence = food_apply.materials.get(name="营业执照")
    client = signed_in(enterprise)
    url = reverse("portal:apply_draft", args=[draft.pk])
    with translation.override("en"):
        html = text(client.get(url))
    file_id = earlier.files.get().pk
    assert f'name="reuse-{licence.pk}" value="case_file:{file_id}" checked' in html
    assert earlier.number in html
    client.post(url, {**GOOD_FORM, f"reuse-{licence.pk}": "upload", "action": "save"})
    draft.refresh_from_db()
    assert draft.reuse == {}
    client.post(url, {**GOOD_FORM, f"reuse-{licence.pk}": f"case_file:{file_id}", "action": "save"})
    draft.refresh_from_db()
    assert draft.reuse == {str(licence.pk): {"case_file": file_id}}
    response = client.post(url, {**GOOD_FORM, f"reuse-{licence.pk}": "case_file:999999", "action": "save"})
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.reuse == {str(licence.pk): {"case_file": file_id}}


def test_the_draft_page_queries_do_not_grow_with_files_and_offers(
    enterprise: Account,
    food_apply: ItemVersion,
    seal_apply: ItemVersion,
    clerk: Any,
    django_assert_max_num_queries: Any,
) -> None:
    draft = apps.draft_start(user=enterprise.user, version=food_apply)
    client = signed_in(enterprise)
    url = reverse("portal:apply_draft", args=[draft.pk])
    client.get(url)
    with django_assert_max_num_queries(18) as few:
        assert client.get(url).status_code == 200
    complete(draft, enterprise.user)
    for n in range(3):
        _earlier_case(seal_apply, clerk, enterprise.id_number, name=f"执照{n}.pdf")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_drafts_are_listed_and_deleted(enterprise: Account, draft: Draft, citizen: Account) -> None:
    client = signed_in(enterprise)
    with translation.override("en"):
        html = text(client.get(reverse("portal:drafts")))
    assert reverse("portal:apply_draft", args=[draft.pk]) in html
    assert "You have no unfinished applications." in text(signed_in(citizen).get(reverse("portal:drafts")))
    assert client.get(reverse("portal:draft_delete", args=[draft.pk])).status_code == 200
    response = client.post(reverse("portal:draft_delete", args=[draft.pk]))
    assert response["Location"] == reverse("portal:drafts")
    assert not Draft.objects.exists()


# --------------------------------------------------------------------------- review, submit, receipt


def test_review_blocks_an_incomplete_application_with_the_reasons(enterprise: Account, draft: Draft) -> None:
    client = signed_in(enterprise)
    url = reverse("portal:apply_review", args=[draft.pk])
    with translation.override("en"):
        page = client.get(url)
        assert "The application cannot be submitted yet:" in text(page)
        assert "Fill in “经营场所地址”." in text(page)
        response = client.post(url)
    assert response.status_code == 400
    assert "Fill in “经营场所地址”." in text(response)
    assert "经营场所地址: Fill in" not in text(response)  # the message names the field once
    assert not Case.objects.exists()


def test_submitting_twice_files_one_case_and_shows_the_receipt(
    enterprise: Account, draft: Draft, food_apply: ItemVersion
) -> None:
    complete(draft, enterprise.user)
    client = signed_in(enterprise)
    url = reverse("portal:apply_review", args=[draft.pk])
    with translation.override("en"):
        assert "Submit the application" in text(client.get(url))
    first = client.post(url)
    second = client.post(url)  # a double click, or the same page in a second tab
    case = Case.objects.get()
    receipt = reverse("portal:apply_receipt", args=[case.number])
    assert first["Location"] == second["Location"] == receipt
    assert client.get(reverse("portal:apply_draft", args=[draft.pk]))["Location"] == receipt

    with translation.override("en"):
        page = client.get(receipt)
    html = text(page)
    assert page.status_code == 200
    assert case.number in html and food_apply.name in html and case.department.name in html
    assert reverse("progress:detail", args=[case.query_token]) in html
    assert "<svg" in html
    assert "Acceptance decided by" in html and "Result expected by" in html
    assert enterprise.id_number not in html
    assert "13912345678" not in html and "139****5678" in html  # answers that identify someone are masked
    assert page["Cache-Control"] == "private, no-store"


def test_a_receipt_is_only_for_the_applicant(
    enterprise: Account, citizen: Account, draft: Draft, django_assert_max_num_queries: Any
) -> None:
    case = apps.draft_submit(draft=complete(draft, enterprise.user), user=enterprise.user)
    url = reverse("portal:apply_receipt", args=[case.number])
    assert signed_in(citizen).get(url).status_code == 404
    assert signed_in(citizen).get(reverse("portal:supplement", args=[case.number])).status_code == 404
    client = signed_in(enterprise)
    client.get(url)
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


# --------------------------------------------------------------------------- supplement


@pytest.fixture
def submitted(enterprise: Account, draft: Draft) -> Case:
    return apps.draft_submit(draft=complete(draft, enterprise.user), user=enterprise.user)


def test_the_supplement_page_shows_the_notice_and_takes_exactly_its_materials(
    enterprise: Account, submitted: Case, food_apply: ItemVersion, clerk: Any
) -> None:
    plan = food_apply.materials.get(name="经营场所平面图")
    other = food_apply.materials.get(name="食品经营许可申请书")
    case_services.case_request_supplement(
        case=submitted, user=clerk, items=[{"material": plan.pk, "problem": "未标注设备布局"}]
    )
    client = signed_in(enterprise)
    url = reverse("portal:supplement", args=[submitted.number])
    with translation.override("en"):
        page = client.get(url)
    html = text(page)
    assert "One-time supplement notice" in html and "未标注设备布局" in html
    assert f'name="supplement-m{plan.pk}"' in html
    assert html.count('type="file"') == 1

    with translation.override("en"):
        response = client.post(
            url,
            {f"supplement-m{plan.pk}": pdf("图.pdf"), f"supplement-m{other.pk}": pdf("多余.pdf", PDF + b"1")},
        )
    assert response.status_code == 400
    assert "does not ask for that material" in text(response)
    submitted.refresh_from_db()
    assert (submitted.state, submitted.files.count()) == (CaseState.SUPPLEMENT, 3)

    with translation.override("en"):
        response = client.post(url, {})
    assert response.status_code == 400
    assert "still missing: 经营场所平面图" in text(response)

    response = client.post(url, {f"supplement-m{plan.pk}": pdf("图.pdf", PDF + b"2")})
    assert response["Location"] == reverse("portal:apply_receipt", args=[submitted.number])
    submitted.refresh_from_db()
    assert (submitted.state, submitted.files.count()) == (CaseState.SUBMITTED, 4)


def test_a_supplement_when_none_is_asked_for_is_politely_refused(
    enterprise: Account, submitted: Case
) -> None:
    client = signed_in(enterprise)
    url = reverse("portal:supplement", args=[submitted.number])
    with translation.override("en"):
        page = client.get(url)
        assert "No supplement is needed" in text(page)
        response = client.post(url, {"supplement-n0": pdf()})
    assert response.status_code == 409
    submitted.refresh_from_db()
    assert (submitted.state, submitted.last_seq, submitted.files.count()) == (CaseState.SUBMITTED, 1, 3)


def test_an_enterprise_sees_its_agents_supplement_notice_but_the_agent_hands_it_in(
    citizen: Account, enterprise: Account, agent: Agent, food_apply: ItemVersion, clerk: Any
) -> None:
    draft = apps.draft_start(user=citizen.user, version=food_apply, account=enterprise)
    case = apps.draft_submit(draft=complete(draft, citizen.user), user=citizen.user)
    plan = food_apply.materials.get(name="经营场所平面图")
    case_services.case_request_supplement(
        case=case, user=clerk, items=[{"material": plan.pk, "problem": "不清晰"}]
    )
    url = reverse("portal:supplement", args=[case.number])
    client = signed_in(enterprise)
    with translation.override("en"):
        page = client.get(url)
    assert page.status_code == 200
    assert "不清晰" in text(page) and "filed online by your agent" in text(page)
    assert 'type="file"' not in text(page)
    assert client.post(url, {f"supplement-m{plan.pk}": pdf("图.pdf")}).status_code == 403
    case.refresh_from_db()
    assert (case.state, case.files.count()) == (CaseState.SUPPLEMENT, 3)
    response = signed_in(citizen).post(url, {f"supplement-m{plan.pk}": pdf("图.pdf", PDF + b"x")})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED


def test_a_file_for_something_not_a_material_is_refused(
    enterprise: Account, draft: Draft, seal_apply: ItemVersion
) -> None:
    foreign = seal_apply.materials.first()
    url = reverse("portal:apply_draft", args=[draft.pk])
    with translation.override("en"):
        response = signed_in(enterprise).post(
            url,
            {
                **GOOD_FORM,
                "action": "save",
                f"material-{foreign.pk}": pdf(),
                "other": pdf("x.pdf", PDF + b"y"),
            },
        )
    assert response.status_code == 400
    assert "A file was sent for something that is not a material of this application." in text(response)
    assert not DraftFile.objects.exists()
