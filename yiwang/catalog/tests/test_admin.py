"""The catalog admin through the test client: pages, read-only published versions, the
draft and publish actions, scoped maintainers, constant query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import connection
from django.db.models.fields.files import FieldFile
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from yiwang.catalog import services
from yiwang.catalog.factories import published_item
from yiwang.catalog.models import CatalogEntry, Item, ItemVersion, VersionStatus
from yiwang.catalog.tests.conftest import catalog_counts
from yiwang.org.factories import StaffFactory, UserFactory, grant
from yiwang.org.models import Department, Role, Staff

pytestmark = pytest.mark.django_db


def en(client: Client) -> Client:
    """The client with English chosen through the language switch (a cookie)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def url(model: str, view: str = "changelist", *args: Any) -> str:
    return reverse(f"admin:catalog_{model}_{view}", args=args)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(response: Any) -> list[str]:
    assert response.status_code == 200
    return [str(obj) for obj in response.context["cl"].result_list]


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def page_data(response: Any) -> dict[str, Any]:
    """The POST data a browser would send back for a change page, as rendered."""
    data: dict[str, Any] = {}

    def put(form: Any, name: str) -> None:
        value = form[name].value()
        key = form.add_prefix(name)
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, FieldFile):
            return
        elif value is not None:
            data[key] = value

    form = response.context["adminform"].form
    for name in form.fields:
        put(form, name)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[formset.management_form.add_prefix(name)] = formset.management_form[name].value()
        for sub in formset.forms:
            for name in sub.fields:
                put(sub, name)
    return data


@pytest.fixture
def maintainer(market_dept: Department) -> Staff:
    staff = StaffFactory(user=UserFactory(username="maintainer_hs"), name="张维护", department=market_dept)
    grant(staff, Role.MAINTAINER, department=market_dept)
    return staff


@pytest.fixture
def items(licence: ItemVersion, registration: ItemVersion, other_licence: ItemVersion) -> list[ItemVersion]:
    return [licence, registration, other_licence]


# --- pages render ---------------------------------------------------------------------


def test_the_item_list_shows_code_current_version_department_region_and_status(
    admin_client: Client, items: list[ItemVersion]
) -> None:
    licence = items[0]
    services.version_publish(
        version=services.draft_create(item=licence.item, fields={"name": "食品经营许可（新）"}),
        effective_from=dt.date(2099, 1, 1),
    )
    services.draft_create(item=items[1].item)
    response = en(admin_client).get(url("item"))
    assert listed(response) == ["130402-QT-0002", "130402-XK-0001", "130403-XK-0001"]
    rows = {
        i.code: (i.current_version_name, i.department.name, i.region.name)
        for i in response.context["cl"].result_list
    }
    assert rows["130402-XK-0001"] == ("食品经营许可", "邯山区市场监督管理局", "邯山区")
    html = response.content.decode()
    assert "In force (version 1); draft version 2 in progress" in html
    assert "In force (version 1)" in html


def test_status_of_withdrawn_scheduled_and_unpublished_items(
    admin_client: Client, licence: ItemVersion, market_dept: Department
) -> None:
    services.item_withdraw(item=licence.item, on=dt.date(2025, 6, 1))
    scheduled = published_item(
        code="130402-S", name="将来事项", department=market_dept, effective_from=dt.date(2099, 1, 1)
    )
    entry = services.entry_upsert(
        code="E-D", name="草稿事项", item_type="01", legal_basis="某法", statutory_limit=20
    )
    draft_only = services.item_create(
        code="130402-D", entry=entry, department=market_dept, region=market_dept.region
    )
    services.draft_create(item=draft_only, fields={"promised_limit": 5})
    html = en(admin_client).get(url("item")).content.decode()
    assert "Withdrawn on 2025-06-01" in html
    assert "Version 1 takes effect on 2099-01-01" in html
    assert "Draft, never published" in html
    assert scheduled.item.code in html


@pytest.mark.parametrize("model", ["catalogentry", "item", "itemversion"])
def test_lists_and_add_pages_render(admin_client: Client, items: list[ItemVersion], model: str) -> None:
    assert admin_client.get(url(model)).status_code == 200
    assert admin_client.get(url(model, "add")).status_code == 200


def test_item_and_entry_pages_render(admin_client: Client, licence: ItemVersion) -> None:
    response = admin_client.get(url("item", "change", licence.item.pk))
    assert response.status_code == 200
    assert reverse("admin:catalog_itemversion_change", args=[licence.pk]) in response.content.decode()
    assert admin_client.get(url("catalogentry", "change", licence.item.entry.pk)).status_code == 200


def test_pages_speak_chinese_by_default(admin_client: Client, licence: ItemVersion) -> None:
    html = admin_client.get(url("itemversion", "change", licence.pk)).content.decode()
    assert "承诺时限" in html
    assert "申请材料" in html
    assert "办理环节" in html


# --- published versions are read-only -------------------------------------------------


def test_a_published_version_is_shown_read_only_with_its_parts(
    admin_client: Client, licence: ItemVersion
) -> None:
    response = admin_client.get(url("itemversion", "change", licence.pk))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert response.context["has_delete_permission"] is False
    inlines = response.context["inline_admin_formsets"]
    assert [i.opts.model._meta.model_name for i in inlines] == ["material", "fee", "workflowstep", "faq"]
    for inline in inlines:
        assert (inline.has_add_permission, inline.has_change_permission, inline.has_delete_permission) == (
            False,
            False,
            False,
        )
    assert 'name="name"' not in response.content.decode()
    assert "法定代表人授权委托书" in response.content.decode()


def test_posting_to_a_published_version_changes_nothing(admin_client: Client, licence: ItemVersion) -> None:
    draft = services.draft_create(item=licence.item)
    data = page_data(admin_client.get(url("itemversion", "change", draft.pk)))
    draft.delete()
    before = ItemVersion.objects.filter(pk=licence.pk).values().get()
    counts = catalog_counts()
    data["promised_limit"] = 5
    response = admin_client.post(url("itemversion", "change", licence.pk), data)
    assert response.status_code == 403
    assert admin_client.post(url("itemversion", "delete", licence.pk), {"post": "yes"}).status_code == 403
    assert ItemVersion.objects.filter(pk=licence.pk).values().get() == before
    assert catalog_counts() == counts


def test_bulk_delete_is_not_offered_for_versions(admin_client: Client, licence: ItemVersion) -> None:
    actions = admin_client.get(url("itemversion")).context["action_form"].fields["action"].choices
    assert [name for name, _label in actions if name] == ["create_draft", "publish"]


# --- drafts ---------------------------------------------------------------------------


def test_a_draft_is_edited_through_the_admin(admin_client: Client, licence: ItemVersion) -> None:
    draft = services.draft_create(item=licence.item)
    data = page_data(admin_client.get(url("itemversion", "change", draft.pk)))
    data["consultation_phone"] = "0310-3999999"
    data["materials-0-name"] = "食品经营许可申请表"
    data["faqs-0-DELETE"] = "on"
    response = admin_client.post(url("itemversion", "change", draft.pk), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert draft.consultation_phone == "0310-3999999"
    assert draft.materials.first().name == "食品经营许可申请表"
    assert not draft.faqs.exists()
    # the published version is untouched
    assert licence.materials.first().name == "食品经营许可申请书"
    assert licence.faqs.count() == 1


def test_a_draft_with_promised_over_statutory_limit_is_refused(
    admin_client: Client, licence: ItemVersion
) -> None:
    draft = services.draft_create(item=licence.item)
    data = page_data(admin_client.get(url("itemversion", "change", draft.pk)))
    data["promised_limit"] = 30
    response = admin_client.post(url("itemversion", "change", draft.pk), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()
    assert [e.code for e in errors["promised_limit"]] == ["promised_exceeds_statutory"]
    draft.refresh_from_db()
    assert draft.promised_limit == 10


def test_a_conditional_material_without_condition_is_refused(
    admin_client: Client, licence: ItemVersion
) -> None:
    draft = services.draft_create(item=licence.item)
    data = page_data(admin_client.get(url("itemversion", "change", draft.pk)))
    data["materials-1-condition"] = ""
    response = admin_client.post(url("itemversion", "change", draft.pk), data)
    assert response.status_code == 200
    formset = next(
        i.formset for i in response.context["inline_admin_formsets"] if i.formset.prefix == "materials"
    )
    assert [e.code for e in formset.forms[1].errors.as_data()["condition"]] == ["condition_missing"]
    assert draft.materials.get(order=2).condition == "委托他人办理的"


def test_a_new_item_and_its_first_draft_are_added_through_the_services(
    admin_client: Client, market_dept: Department
) -> None:
    entry = services.entry_upsert(
        code="E-9", name="某许可", item_type="01", legal_basis="某法", statutory_limit=20
    )
    response = admin_client.post(
        url("item", "add"),
        {
            "code": "130402-XK-0009",
            "entry": entry.pk,
            "department": market_dept.pk,
            "region": market_dept.region.pk,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    item = Item.objects.get(code="130402-XK-0009")
    data = {
        "item": item.pk,
        "name": "某许可",
        "item_type": "01",
        "legal_basis": "某法",
        "statutory_limit": 20,
        "promised_limit": 10,
        "limit_unit": "working",
        "case_kind": "2",
        "target": "both",
        "online_depth": 4,
        "visits": 1,
        "result_type": "2",
        "change_note": "新增事项",
    }
    for prefix in ("materials", "fees", "steps", "faqs"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    data.update(
        {
            "steps-TOTAL_FORMS": 1,
            "steps-0-order": 1,
            "steps-0-name": "受理",
            "steps-0-kind": "accept",
            "steps-0-role": "window_operator",
            "steps-0-limit": 1,
        }
    )
    response = admin_client.post(url("itemversion", "add"), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    draft = item.versions.get()
    assert (draft.version, draft.status, draft.change_note) == (1, VersionStatus.DRAFT, "新增事项")
    assert [s.name for s in draft.steps.all()] == ["受理"]


def test_an_item_outside_its_departments_region_is_refused(
    admin_client: Client, market_dept: Department, other_county: Any
) -> None:
    entry = services.entry_upsert(
        code="E-9", name="某许可", item_type="01", legal_basis="某法", statutory_limit=20
    )
    response = admin_client.post(
        url("item", "add"),
        {
            "code": "130402-XK-0009",
            "entry": entry.pk,
            "department": market_dept.pk,
            "region": other_county.pk,
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()
    assert [e.code for e in errors["region"]] == ["region_outside_department"]
    assert not Item.objects.exists()


# --- actions --------------------------------------------------------------------------


def _action(client: Client, model: str, action: str, objs: list[Any], **extra: Any) -> Any:
    data = {"action": action, "_selected_action": [o.pk for o in objs], **extra}
    return en(client).post(url(model), data, follow="apply" in extra or action == "create_draft")


def test_create_a_new_draft_from_a_version(admin_client: Client, licence: ItemVersion) -> None:
    response = _action(admin_client, "itemversion", "create_draft", [licence])
    draft = ItemVersion.objects.get(item=licence.item, status=VersionStatus.DRAFT)
    assert draft.version == 2
    assert draft.materials.count() == 2 and draft.steps.count() == 4
    assert any("draft version 2 created from version 1" in m for m in messages_of(response))
    # a second draft is refused with a message, nothing created
    counts = catalog_counts()
    response = _action(admin_client, "itemversion", "create_draft", [licence])
    assert any("already has a draft" in m for m in messages_of(response))
    assert catalog_counts() == counts


def test_create_a_new_draft_from_the_item_list(admin_client: Client, licence: ItemVersion) -> None:
    response = _action(admin_client, "item", "create_draft", [licence.item])
    assert ItemVersion.objects.get(item=licence.item, status=VersionStatus.DRAFT).version == 2
    assert any("draft version 2 created" in m for m in messages_of(response))


def test_publish_asks_for_the_effective_date_then_publishes(
    admin_client: Client, licence: ItemVersion
) -> None:
    draft = services.draft_create(item=licence.item, fields={"promised_limit": 8})
    # the action first asks for the date
    response = _action(admin_client, "itemversion", "publish", [draft])
    assert response.status_code == 200
    assert response.templates[0].name == "admin/catalog/itemversion/publish.html"
    assert "effective_from" in response.context["form"].fields
    assert ItemVersion.objects.get(pk=draft.pk).status == VersionStatus.DRAFT
    # and publishes with it
    response = _action(
        admin_client, "itemversion", "publish", [draft], apply="1", effective_from="2026-07-01"
    )
    draft.refresh_from_db()
    licence.refresh_from_db()
    assert (draft.status, draft.effective_from) == (VersionStatus.PUBLISHED, dt.date(2026, 7, 1))
    assert licence.effective_to == dt.date(2026, 7, 1)
    assert "1 version published, in force from 2026-07-01." in messages_of(response)


def test_publish_with_a_bad_date_asks_again(admin_client: Client, licence: ItemVersion) -> None:
    draft = services.draft_create(item=licence.item)
    response = _action(
        admin_client, "itemversion", "publish", [draft], apply="1", effective_from="2026-02-30"
    )
    assert response.status_code == 200
    assert "effective_from" in response.context["form"].errors
    assert ItemVersion.objects.get(pk=draft.pk).status == VersionStatus.DRAFT


def test_publish_refusals_are_messages_and_nothing_is_published(
    admin_client: Client, licence: ItemVersion, registration: ItemVersion
) -> None:
    good = services.draft_create(item=registration.item)
    bad = services.draft_create(item=licence.item, fields={"promised_limit": 5})  # steps take 7 days
    before = {
        v.pk: ItemVersion.objects.filter(pk=v.pk).values().get() for v in (good, bad, licence, registration)
    }
    response = _action(
        admin_client, "itemversion", "publish", [good, bad], apply="1", effective_from="2026-07-01"
    )
    texts = messages_of(response)
    assert any(
        "食品经营许可 v2" in t
        and "The workflow's step limits add up to 7 days, more than the promised limit of 5." in t
        for t in texts
    )
    assert "Nothing was published." in texts
    assert {v: ItemVersion.objects.filter(pk=v).values().get() for v in before} == before


def test_publish_before_the_current_version_is_refused(admin_client: Client, licence: ItemVersion) -> None:
    draft = services.draft_create(item=licence.item)
    response = _action(
        admin_client, "itemversion", "publish", [draft], apply="1", effective_from="2024-12-31"
    )
    assert any("must take effect after 2025-01-01" in m for m in messages_of(response))
    assert ItemVersion.objects.get(pk=draft.pk).status == VersionStatus.DRAFT


def test_publish_of_a_published_version_is_refused(admin_client: Client, licence: ItemVersion) -> None:
    response = _action(
        admin_client, "itemversion", "publish", [licence], apply="1", effective_from="2026-07-01"
    )
    assert any("Only drafts can be published" in m for m in messages_of(response))


# --- scoped maintainers ---------------------------------------------------------------


def test_a_maintainer_sees_only_their_departments_items(maintainer: Staff, items: list[ItemVersion]) -> None:
    client = client_for(maintainer.user)
    assert listed(client.get(url("item"))) == ["130402-QT-0002", "130402-XK-0001"]
    assert [v.split(" ")[0] for v in listed(client.get(url("itemversion")))] == [
        "个体工商户登记",
        "食品经营许可",
    ]
    other = items[2]
    assert client.get(url("item", "change", other.item.pk)).status_code == 404
    assert client.get(url("itemversion", "change", other.pk)).status_code == 404
    assert client.get(url("itemversion", "change", items[0].pk)).status_code == 200


def test_a_maintainer_cannot_act_on_another_departments_versions(
    maintainer: Staff, items: list[ItemVersion]
) -> None:
    client = client_for(maintainer.user)
    other = items[2]
    counts = catalog_counts()
    _action(client, "itemversion", "create_draft", [other])
    assert catalog_counts() == counts


def test_a_maintainer_can_only_add_items_of_their_department(
    maintainer: Staff, other_market_dept: Department, market_dept: Department
) -> None:
    client = client_for(maintainer.user)
    response = client.get(url("item", "add"))
    assert list(response.context["adminform"].form.fields["department"].queryset) == [market_dept]
    entry = services.entry_upsert(
        code="E-9", name="某许可", item_type="01", legal_basis="某法", statutory_limit=20
    )
    response = client.post(
        url("item", "add"),
        {
            "code": "130403-XK-0009",
            "entry": entry.pk,
            "department": other_market_dept.pk,
            "region": other_market_dept.region.pk,
        },
    )
    assert response.status_code == 200
    assert not Item.objects.exists()


def test_a_maintainer_reads_but_does_not_edit_the_base_catalog(
    maintainer: Staff, licence: ItemVersion
) -> None:
    client = client_for(maintainer.user)
    entry = licence.item.entry
    assert client.get(url("catalogentry")).status_code == 200
    response = client.get(url("catalogentry", "change", entry.pk))
    assert response.status_code == 200 and response.context["has_change_permission"] is False
    assert client.get(url("catalogentry", "add")).status_code == 403


def test_staff_without_a_catalog_role_see_no_catalog(items: list[ItemVersion], handler: Staff) -> None:
    client = client_for(handler.user)
    assert client.get(url("item")).status_code == 403
    assert client.get(url("itemversion", "change", items[0].pk)).status_code in (403, 404)


def test_entries_are_edited_through_the_services(admin_client: Client, licence: ItemVersion) -> None:
    entry = licence.item.entry
    response = admin_client.post(
        url("catalogentry", "change", entry.pk),
        {
            "name": "食品经营许可（调整）",
            "item_type": "01",
            "legal_basis": "《食品安全法》",
            "statutory_limit": 20,
            "statutory_limit_unit": "working",
            "power_source": "1",
        },
    )
    assert response.status_code == 302
    assert CatalogEntry.objects.get(pk=entry.pk).name == "食品经营许可（调整）"
    assert CatalogEntry.objects.count() == 1


# --- query counts ---------------------------------------------------------------------


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("model", ["item", "itemversion"])
def test_list_pages_cost_the_same_queries_for_2_or_12_items(
    maintainer: Staff, market_dept: Department, model: str
) -> None:
    client = client_for(maintainer.user)
    for i in range(2):
        published_item(code=f"130402-N-{i:03d}", name=f"事项{i}", department=market_dept)
    few = _queries(client, url(model))
    for i in range(2, 12):
        item = published_item(code=f"130402-N-{i:03d}", name=f"事项{i}", department=market_dept)
        services.draft_create(item=item.item)
    many = _queries(client, url(model))
    assert many == few
