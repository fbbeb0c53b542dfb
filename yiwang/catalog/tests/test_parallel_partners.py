"""Partner items of a parallel approval (并联审批): kept with the version like its other
parts, copied into new drafts, frozen on publication, checked before publication, and
edited in the admin."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from yiwang.catalog import services
from yiwang.catalog.factories import DEFAULT_STEPS, published_item
from yiwang.catalog.models import (
    Item,
    ItemVersion,
    ParallelPartner,
    PublishedVersionError,
    StepKind,
    VersionStatus,
)
from yiwang.catalog.tests.conftest import catalog_counts
from yiwang.org.factories import DepartmentFactory, StaffFactory, UserFactory, grant
from yiwang.org.models import Department, Region, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def fire_review(county: Region) -> ItemVersion:
    return published_item(
        code="130402-XK-ZJ-0011",
        name="建设工程消防设计审查",
        department=DepartmentFactory(name="邯山区住房和城乡建设局", region=county),
        effective_from=dt.date(2025, 1, 1),
    )


@pytest.fixture
def shelter(county: Region) -> ItemVersion:
    return published_item(
        code="130402-XK-RF-0003",
        name="结合民用建筑修建防空地下室审批",
        department=DepartmentFactory(name="邯山区人民防空办公室", region=county),
        effective_from=dt.date(2025, 1, 1),
    )


@pytest.fixture
def lead_item(market_dept: Department) -> Item:
    entry = services.entry_upsert(
        code="E-107", name="某项并联许可", item_type="01", legal_basis="某法", statutory_limit=45
    )
    return services.item_create(
        code="130402-XK-0107", entry=entry, department=market_dept, region=market_dept.region
    )


def draft_of(
    item: Item, partners: Sequence[Item | int], *, parallel: bool = True, steps: Any = DEFAULT_STEPS
) -> ItemVersion:
    return services.draft_create(
        item=item,
        fields={"name": "某项并联许可", "promised_limit": 30, "parallel_approval": parallel},
        parts={
            "steps": steps,
            "partners": [{"partner": p} if isinstance(p, Item) else {"partner_id": p} for p in partners],
        },
    )


def codes(version: ItemVersion) -> list[str]:
    return [p.partner.code for p in version.partners.select_related("partner")]


def publish_error(version: ItemVersion, on: dt.date = dt.date(2025, 6, 1)) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        services.version_publish(version=version, effective_from=on)
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT
    return {field: [e.code for e in errs] for field, errs in exc.value.error_dict.items()}  # type: ignore[misc]


# --- drafts and publication -----------------------------------------------------------


def test_a_version_names_its_partners_in_order_and_publishes(
    lead_item: Item, fire_review: ItemVersion, shelter: ItemVersion
) -> None:
    draft = draft_of(lead_item, [shelter.item, fire_review.item])
    published = services.version_publish(version=draft, effective_from=dt.date(2025, 6, 1))
    assert published.status == VersionStatus.PUBLISHED
    assert codes(published) == ["130402-XK-RF-0003", "130402-XK-ZJ-0011"]
    assert [p.order for p in published.partners.all()] == [1, 2]
    assert list(fire_review.item.partner_of.values_list("version", flat=True)) == [published.pk]


def test_a_new_draft_copies_the_partners_and_a_given_list_replaces_them(
    lead_item: Item, fire_review: ItemVersion, shelter: ItemVersion
) -> None:
    first = services.version_publish(
        version=draft_of(lead_item, [fire_review.item, shelter.item]), effective_from=dt.date(2025, 6, 1)
    )
    copy = services.draft_create(item=lead_item)
    assert codes(copy) == codes(first)
    copy.delete()
    replaced = services.draft_create(item=lead_item, parts={"partners": [{"partner": shelter.item}]})
    assert codes(replaced) == ["130402-XK-RF-0003"]
    assert codes(first) == ["130402-XK-ZJ-0011", "130402-XK-RF-0003"]  # the published one is untouched


def test_published_partners_cannot_be_changed_added_or_removed(
    lead_item: Item, fire_review: ItemVersion, shelter: ItemVersion
) -> None:
    published = services.version_publish(
        version=draft_of(lead_item, [fire_review.item]), effective_from=dt.date(2025, 6, 1)
    )
    row = published.partners.get()
    row.partner = shelter.item
    with pytest.raises(PublishedVersionError):
        row.save()
    with pytest.raises(PublishedVersionError):
        row.delete()
    with pytest.raises(PublishedVersionError):
        ParallelPartner(version=published, partner=shelter.item).save()
    with pytest.raises(PublishedVersionError):
        ParallelPartner.objects.filter(version=published).update(partner=shelter.item)
    with pytest.raises(PublishedVersionError):
        ParallelPartner.objects.filter(version=published).delete()
    assert codes(published) == ["130402-XK-ZJ-0011"]


def test_a_partner_named_twice_or_unknown_refuses_the_draft(
    lead_item: Item, fire_review: ItemVersion
) -> None:
    counts = catalog_counts()
    with pytest.raises(ValidationError) as exc:
        draft_of(lead_item, [fire_review.item, fire_review.item])
    assert [e.code for e in exc.value.error_dict["partners"]] == ["partner_duplicate"]
    assert "130402-XK-ZJ-0011" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        draft_of(lead_item, [987654])
    assert "partner" in exc.value.error_dict
    assert catalog_counts() == counts
    assert not ParallelPartner.objects.exists()
    assert not lead_item.versions.exists()


@pytest.mark.parametrize(
    ("case", "field", "code"),
    [
        ("no partner", "partners", "no_parallel_partner"),
        ("not marked", "parallel_approval", "partners_without_parallel"),
        ("itself", "partners", "partner_is_self"),
        ("same department", "partners", "partner_same_department"),
        ("withdrawn", "partners", "partner_not_in_force"),
    ],
)
def test_a_version_whose_parallel_approval_is_wrong_is_not_published(
    lead_item: Item,
    fire_review: ItemVersion,
    market_dept: Department,
    case: str,
    field: str,
    code: str,
) -> None:
    if case == "no partner":
        draft = draft_of(lead_item, [])
    elif case == "not marked":
        draft = draft_of(lead_item, [fire_review.item], parallel=False)
    elif case == "itself":
        draft = draft_of(lead_item, [lead_item])
    elif case == "same department":
        own = published_item(
            code="130402-QT-0002",
            name="个体工商户登记",
            department=market_dept,
            effective_from=dt.date(2025, 1, 1),
        )
        draft = draft_of(lead_item, [own.item])
    else:
        services.item_withdraw(item=fire_review.item, on=dt.date(2025, 3, 1))
        draft = draft_of(lead_item, [fire_review.item])
    assert publish_error(draft) == {field: [code]}
    assert draft.partners.count() == (0 if case == "no partner" else 1)


def test_a_partner_must_be_in_force_on_the_day_the_version_takes_effect(
    lead_item: Item, county: Region
) -> None:
    later = published_item(
        code="130402-XK-HB-0007",
        name="建设项目环境影响报告表审批",
        department=DepartmentFactory(name="邯山区生态环境分局", region=county),
        effective_from=dt.date(2025, 6, 1),
    )
    draft = draft_of(lead_item, [later.item])
    errors = publish_error(draft, on=dt.date(2025, 5, 31))
    assert errors == {"partners": ["partner_not_in_force"]}
    published = services.version_publish(version=draft, effective_from=dt.date(2025, 6, 1))
    assert published.status == VersionStatus.PUBLISHED


def test_a_workflow_step_of_another_department_still_counts_as_parallel_approval(
    lead_item: Item, other_market_dept: Department
) -> None:
    # The older modelling (and the demo's): a step handled by another department.
    steps = [
        *DEFAULT_STEPS[:2],
        {
            "name": "丛台区会审",
            "kind": StepKind.REVIEW,
            "role": Role.REVIEWER,
            "limit": 3,
            "department": other_market_dept,
            "parallel_group": 1,
        },
        *DEFAULT_STEPS[2:],
    ]
    draft = draft_of(lead_item, [], steps=steps)
    assert services.version_publish(version=draft, effective_from=dt.date(2025, 6, 1)).is_published


def test_publishing_without_a_date_checks_partners_on_today(
    lead_item: Item, fire_review: ItemVersion
) -> None:
    draft = draft_of(lead_item, [fire_review.item])
    services.validate_for_publish(draft)  # in force today: no error
    services.item_withdraw(item=fire_review.item, on=dt.date(2025, 3, 1))
    with pytest.raises(ValidationError) as exc:
        services.validate_for_publish(draft)
    assert [e.code for e in exc.value.error_dict["partners"]] == ["partner_not_in_force"]
    assert "130402-XK-ZJ-0011" in exc.value.messages[0]


# --- admin ----------------------------------------------------------------------------


def url(model: str, view: str = "changelist", *args: Any) -> str:
    return reverse(f"admin:catalog_{model}_{view}", args=args)


def inline_names(response: Any) -> list[str]:
    assert response.status_code == 200
    return [i.opts.model._meta.model_name for i in response.context["inline_admin_formsets"]]


@pytest.fixture
def maintainer(market_dept: Department) -> Client:
    staff = StaffFactory(user=UserFactory(username="maintainer_hs"), name="张维护", department=market_dept)
    grant(staff, Role.MAINTAINER, department=market_dept)
    client = Client()
    client.force_login(staff.user)
    return client


def test_the_partner_section_shows_only_for_parallel_approval(
    admin_client: Client, lead_item: Item, fire_review: ItemVersion
) -> None:
    assert "parallelpartner" not in inline_names(
        admin_client.get(url("itemversion", "change", fire_review.pk))
    )
    published = services.version_publish(
        version=draft_of(lead_item, [fire_review.item]), effective_from=dt.date(2025, 6, 1)
    )
    response = admin_client.get(url("itemversion", "change", published.pk))
    assert inline_names(response)[-1] == "parallelpartner"
    partners = response.context["inline_admin_formsets"][-1]
    assert (partners.has_add_permission, partners.has_change_permission, partners.has_delete_permission) == (
        False,
        False,
        False,
    )
    assert "130402-XK-ZJ-0011" in response.content.decode()


def test_a_maintainer_adds_a_partner_of_another_department_to_a_draft(
    maintainer: Client, lead_item: Item, fire_review: ItemVersion, shelter: ItemVersion
) -> None:
    draft = draft_of(lead_item, [fire_review.item])
    page = maintainer.get(url("itemversion", "change", draft.pk))
    assert "parallelpartner" in inline_names(page)
    data = _page_data(page)
    data.update({"partners-TOTAL_FORMS": 2, "partners-1-order": 2, "partners-1-partner": shelter.item.pk})
    response = maintainer.post(url("itemversion", "change", draft.pk), data)
    assert response.status_code == 302, response.context and _errors(response)
    assert codes(draft) == ["130402-XK-ZJ-0011", "130402-XK-RF-0003"]

    # the same partner twice is refused, and nothing changes
    data = _page_data(maintainer.get(url("itemversion", "change", draft.pk)))
    data["partners-1-partner"] = fire_review.item.pk
    response = maintainer.post(url("itemversion", "change", draft.pk), data)
    assert response.status_code == 200
    assert codes(draft) == ["130402-XK-ZJ-0011", "130402-XK-RF-0003"]


def test_the_partner_picker_searches_other_departments_items_in_force(
    maintainer: Client, lead_item: Item, fire_review: ItemVersion, county: Region
) -> None:
    not_yet = services.item_create(
        code="130402-XK-ZJ-0099",
        entry=fire_review.item.entry,
        department=fire_review.item.department,
        region=county,
    )
    params = {
        "app_label": "catalog",
        "model_name": "parallelpartner",
        "field_name": "partner",
        "term": "130402-XK-ZJ",
    }
    response = maintainer.get(reverse("admin:autocomplete"), params)
    assert response.status_code == 200
    found = [r["text"] for r in response.json()["results"]]
    assert found == ["130402-XK-ZJ-0011"]  # another department's item; one never published is not offered
    assert not_yet.code not in found
    # any other picker stays inside the maintainer's scope
    params = {**params, "model_name": "itemversion", "field_name": "item"}
    assert maintainer.get(reverse("admin:autocomplete"), params).json()["results"] == []


def test_a_draft_added_in_the_admin_starts_without_partners(
    admin_client: Client, lead_item: Item, fire_review: ItemVersion
) -> None:
    services.version_publish(
        version=draft_of(lead_item, [fire_review.item]), effective_from=dt.date(2025, 6, 1)
    )
    data: dict[str, Any] = {
        "item": lead_item.pk,
        "name": "某项并联许可",
        "item_type": "01",
        "legal_basis": "某法",
        "statutory_limit": 45,
        "promised_limit": 30,
        "limit_unit": "working",
        "case_kind": "2",
        "target": "both",
        "online_depth": 4,
        "visits": 1,
        "result_type": "2",
        "change_note": "重新编制",
    }
    for prefix in ("materials", "fees", "steps", "faqs"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = admin_client.post(url("itemversion", "add"), data)
    assert response.status_code == 302, response.context and _errors(response)
    draft = lead_item.versions.get(status=VersionStatus.DRAFT)
    assert not draft.partners.exists()


def _errors(response: Any) -> Any:
    return [response.context["adminform"].form.errors] + [
        i.formset.errors for i in response.context["inline_admin_formsets"]
    ]


def _page_data(response: Any) -> dict[str, Any]:
    """The POST data a browser sends back for a change page, as rendered."""
    data: dict[str, Any] = {}

    def put(form: Any, name: str) -> None:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[form.add_prefix(name)] = "on"
        elif value is not None and not hasattr(value, "url"):
            data[form.add_prefix(name)] = value

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
