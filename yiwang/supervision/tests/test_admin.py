"""The supervision admin through the test client: rule set versions edited as drafts and
published through the service (a bad ladder is refused and nothing changes), published
versions read-only, attachments replaced, detector settings checked, and alerts, notices
and findings shown read-only within the viewer's scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.db.models.fields.files import FieldFile
from django.test import Client
from django.urls import NoReverseMatch, reverse

from yiwang.cases import services as cases
from yiwang.cases.models import Case, Channel
from yiwang.cases.tests.conftest import APPLICANT_ID, _staff, at
from yiwang.org.factories import DepartmentFactory, UserFactory
from yiwang.org.models import Role
from yiwang.supervision import rules, services
from yiwang.supervision.models import (
    Alert,
    AlertAction,
    DetectorSetting,
    Irregularity,
    Notice,
    RuleAssignment,
    RuleSet,
    RuleSetVersion,
    Stage,
)
from yiwang.supervision.presets import ROOM, THREE_STAGE

pytestmark = pytest.mark.django_db

GOOD_LADDER = (
    rules.StageRule("case", "warning", "remaining", 2, None, ""),
    rules.StageRule("case", "yellow", "overdue", 1, None, "inquiry"),
    rules.StageRule("case", "red", "after_previous", 3, None, "accountability"),
)


def url(model: str, view: str = "changelist", *args: Any) -> str:
    return reverse(f"admin:supervision_{model}_{view}", args=args)


def client_for(user: Any) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def listed(response: Any) -> list[Any]:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


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


def stage_rows(data: dict[str, Any]) -> dict[tuple[str, str], int]:
    """Index of each stage form on the page by (target, level)."""
    rows = {}
    for key, value in data.items():
        if key.startswith("stages-") and key.endswith("-target") and value:
            index = int(key.split("-")[1])
            rows[(value, data[f"stages-{index}-level"])] = index
    return rows


def ladder_of(version: RuleSetVersion) -> list[tuple[str, str, str, int, int | None]]:
    return sorted(version.stages.values_list("target", "level", "anchor", "workdays", "percent"))


@pytest.fixture
def root() -> Any:
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def admin_client(root: Any) -> Client:
    return client_for(root)


@pytest.fixture
def rule_set() -> RuleSet:
    return RuleSet.objects.create(code="city-pilot", name="试点规则")


@pytest.fixture
def draft(rule_set: RuleSet) -> RuleSetVersion:
    return services.ruleset_new_version(rule_set=rule_set, stages=GOOD_LADDER, publish=False)


@pytest.fixture
def published() -> RuleSetVersion:
    return RuleSetVersion.objects.get(rule_set__code=ROOM, number=1)


@pytest.fixture
def records(food_licence: Any, window_user: Any) -> Case:
    """A case whose acceptance came late: a yellow and a red card with their notices, and
    the late-acceptance finding."""
    services.ruleset_assign(rule_set=RuleSet.objects.get(code=ROOM))
    case = cases.case_file(
        version=food_licence,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name="刘芳",
        applicant_id_number=APPLICANT_ID,
        user=window_user,
        at=at("2025-09-25"),
    )
    services.sweep(at("2025-10-14", "10:00"), notify=False)
    cases.case_accept(case=case, user=window_user, at=at("2025-10-14", "11:00"))
    return case


@pytest.fixture
def province_supervisor(province: Any) -> Any:
    room: Any = DepartmentFactory(name="河北省电子监察室", region=province, is_supervision_room=True)
    return _staff("supervisor_he", "省监察", room, Role.SUPERVISOR, region=province)


# --- every page renders ---------------------------------------------------------------


def test_every_page_renders_for_a_superuser_with_real_rows(admin_client, records, draft, published):
    DetectorSetting.objects.create(code="backfilled", params={"hours": 48})
    assert Alert.objects.count() == 2
    assert Notice.objects.count() == 2
    assert Irregularity.objects.filter(code="late_acceptance").exists()
    rows = {
        "ruleset": published.rule_set,
        "rulesetversion": draft,
        "ruleassignment": RuleAssignment.objects.get(),
        "detectorsetting": DetectorSetting.objects.get(),
        "alert": Alert.objects.first(),
        "alertaction": AlertAction.objects.first(),
        "irregularity": Irregularity.objects.first(),
        "notice": Notice.objects.first(),
    }
    for model, obj in rows.items():
        response = admin_client.get(url(model))
        assert len(listed(response)) >= 1, model
        response = admin_client.get(url(model, "change", obj.pk))
        assert response.status_code == 200, model
    for model in ("ruleset", "rulesetversion", "ruleassignment", "detectorsetting"):
        assert admin_client.get(url(model, "add")).status_code == 200, model
    assert admin_client.get(url("rulesetversion", "change", published.pk)).status_code == 200

    # Searching by case number and filtering by level find the cards.
    found = listed(admin_client.get(url("alert"), {"q": records.number, "level__exact": "red"}))
    assert [a.level for a in found] == ["red"]
    assert len(listed(admin_client.get(url("notice"), {"q": records.number}))) == 2
    assert listed(admin_client.get(url("irregularity"), {"code": "late_acceptance"}))
    # The rule set page lists its versions.
    page = admin_client.get(url("ruleset", "change", published.rule_set_id)).content.decode()
    assert url("rulesetversion", "change", published.pk) in page


def test_watch_is_not_in_the_admin(admin_client):
    assert admin_client.get("/admin/supervision/watch/").status_code == 404


# --- drafts and publishing ------------------------------------------------------------


def test_a_bad_draft_published_from_the_list_shows_the_reason_and_stays_a_draft(admin_client, draft):
    # Red moved before yellow: "remaining 2" comes before "overdue 1".
    Stage.objects.filter(version=draft, level="red").update(anchor="remaining", workdays=2)
    before = ladder_of(draft)
    response = admin_client.post(
        url("rulesetversion"), {"action": "publish", "_selected_action": [draft.pk]}, follow=True
    )
    errors = [m for m in messages_of(response) if "was not published" in m]
    assert len(errors) == 1
    assert "stages must come in the order warning, yellow card, red card" in errors[0]
    draft.refresh_from_db()
    assert draft.published_at is None
    assert ladder_of(draft) == before


def test_a_good_draft_is_published_from_the_list(admin_client, root, draft):
    response = admin_client.post(
        url("rulesetversion"), {"action": "publish", "_selected_action": [draft.pk]}, follow=True
    )
    assert any("is published" in m for m in messages_of(response))
    draft.refresh_from_db()
    assert draft.published_at is not None
    assert draft.published_by == root


def test_publishing_again_is_refused(admin_client, published):
    stamp = published.published_at
    response = admin_client.post(
        url("rulesetversion"), {"action": "publish", "_selected_action": [published.pk]}, follow=True
    )
    assert any("already published" in m for m in messages_of(response))
    published.refresh_from_db()
    assert published.published_at == stamp


def test_saving_a_draft_with_stages_out_of_order_shows_the_errors_and_changes_nothing(admin_client, draft):
    page = admin_client.get(url("rulesetversion", "change", draft.pk))
    data = page_data(page)
    rows = stage_rows(data)
    red = rows[("case", "red")]
    data[f"stages-{red}-anchor"] = "remaining"
    data[f"stages-{red}-workdays"] = "2"
    data[f"stages-{rows[('case', 'yellow')]}-percent"] = "30"
    before = ladder_of(draft)

    response = admin_client.post(url("rulesetversion", "change", draft.pk), {**data, "_publish": "1"})

    assert response.status_code == 200  # the page again, with the reasons
    errors = " ".join(response.context["inline_admin_formsets"][0].formset.non_form_errors())
    assert "a share of the limit only goes with “remaining”" in errors
    draft.refresh_from_db()
    assert draft.published_at is None
    assert ladder_of(draft) == before


def test_a_negative_threshold_is_refused_on_the_stage(admin_client, draft):
    data = page_data(admin_client.get(url("rulesetversion", "change", draft.pk)))
    yellow = stage_rows(data)[("case", "yellow")]
    data[f"stages-{yellow}-workdays"] = "-1"
    before = ladder_of(draft)
    response = admin_client.post(url("rulesetversion", "change", draft.pk), data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors[yellow]
    assert "greater than or equal to 0" in str(errors["workdays"])
    assert ladder_of(draft) == before


def test_a_draft_edited_and_published_from_its_page(admin_client, draft):
    page = admin_client.get(url("rulesetversion", "change", draft.pk))
    assert 'name="_publish"' in page.content.decode()
    data = page_data(page)
    data[f"stages-{stage_rows(data)[('case', 'red')]}-workdays"] = "5"
    data["note"] = "红牌放宽到5个工作日"
    response = admin_client.post(url("rulesetversion", "change", draft.pk), {**data, "_publish": "1"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_published
    assert draft.note == "红牌放宽到5个工作日"
    assert ("case", "red", "after_previous", 5, None) in ladder_of(draft)


def test_a_new_version_written_on_the_add_page_is_numbered_by_the_service(admin_client, rule_set, draft):
    data = {
        "rule_set": rule_set.pk,
        "note": "只管受理",
        "stages-TOTAL_FORMS": "3",
        "stages-INITIAL_FORMS": "0",
        "stages-0-target": "acceptance",
        "stages-0-level": "yellow",
        "stages-0-anchor": "overdue",
        "stages-0-workdays": "0",
        "stages-1-target": "acceptance",
        "stages-1-level": "red",
        "stages-1-anchor": "overdue",
        "stages-1-workdays": "2",
    }
    response = admin_client.post(url("rulesetversion", "add"), data)
    assert response.status_code == 302
    version = RuleSetVersion.objects.get(rule_set=rule_set, number=2)
    assert not version.is_published
    assert ladder_of(version) == [
        ("acceptance", "red", "overdue", 2, None),
        ("acceptance", "yellow", "overdue", 0, None),
    ]
    # "Save and publish" on the add page publishes it at once.
    response = admin_client.post(url("rulesetversion", "add"), {**data, "_publish": "1"})
    third = RuleSetVersion.objects.get(rule_set=rule_set, number=3)
    assert response["Location"] == url("rulesetversion", "change", third.pk)
    assert third.is_published


def test_a_new_version_without_stages_is_refused(admin_client, rule_set):
    data = {"rule_set": rule_set.pk, "stages-TOTAL_FORMS": "3", "stages-INITIAL_FORMS": "0"}
    response = admin_client.post(url("rulesetversion", "add"), data)
    assert response.status_code == 200
    assert "at least one stage" in " ".join(
        response.context["inline_admin_formsets"][0].formset.non_form_errors()
    )
    assert not rule_set.versions.exists()


# --- published versions are read-only -------------------------------------------------


def test_a_published_version_has_no_editable_stage_and_a_post_changes_nothing(admin_client, published):
    response = admin_client.get(url("rulesetversion", "change", published.pk))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="stages-0-workdays"' not in page
    assert 'name="note"' not in page
    assert 'name="_save"' not in page and 'name="_publish"' not in page
    assert not response.context["inline_admin_formsets"][0].has_add_permission
    before = ladder_of(published)

    data = {
        "note": "改一改",
        "stages-TOTAL_FORMS": "4",
        "stages-INITIAL_FORMS": "4",
        **{f"stages-{i}-id": s.pk for i, s in enumerate(published.stages.all())},
        **{f"stages-{i}-workdays": "9" for i in range(4)},
        "stages-0-DELETE": "on",
    }
    assert admin_client.post(url("rulesetversion", "change", published.pk), data).status_code == 403
    assert (
        admin_client.post(url("rulesetversion", "delete", published.pk), {"post": "yes"}).status_code == 403
    )
    published.refresh_from_db()
    assert published.note == "预置"
    assert ladder_of(published) == before


def test_a_new_draft_from_a_published_version_copies_its_stages(admin_client, published):
    page = admin_client.get(url("rulesetversion", "change", published.pk)).content.decode()
    action = url("rulesetversion", "new_version", published.pk)
    assert f'formaction="{action}"' in page

    response = admin_client.post(action)

    draft = RuleSetVersion.objects.get(rule_set=published.rule_set, number=2)
    assert response.status_code == 302
    assert response["Location"] == url("rulesetversion", "change", draft.pk)
    assert not draft.is_published
    assert ladder_of(draft) == ladder_of(published)
    assert 'name="stages-0-workdays"' in admin_client.get(response["Location"]).content.decode()
    assert admin_client.get(action).status_code == 405


def test_new_draft_action_from_the_list(admin_client, published):
    admin_client.post(url("rulesetversion"), {"action": "new_version", "_selected_action": [published.pk]})
    assert ladder_of(RuleSetVersion.objects.get(rule_set=published.rule_set, number=2)) == ladder_of(
        published
    )


# --- attaching rule sets --------------------------------------------------------------


def test_attaching_through_the_admin_replaces_the_previous_rule_set_of_the_scope(admin_client, market_dept):
    room, three = RuleSet.objects.get(code=ROOM), RuleSet.objects.get(code=THREE_STAGE)
    add = url("ruleassignment", "add")
    assert admin_client.post(add, {"rule_set": room.pk, "department": market_dept.pk}).status_code == 302
    assert admin_client.post(add, {"rule_set": three.pk, "department": market_dept.pk}).status_code == 302
    assert list(
        RuleAssignment.objects.filter(department=market_dept).values_list("rule_set__code", flat=True)
    ) == [THREE_STAGE]
    row = listed(admin_client.get(url("ruleassignment")))[0]
    assert (row.department, row.rule_set) == (market_dept, three)

    # Changing an attachment's rule set replaces it the same way.
    assignment = RuleAssignment.objects.get(department=market_dept)
    response = admin_client.post(url("ruleassignment", "change", assignment.pk), {"rule_set": room.pk})
    assert response.status_code == 302
    assert RuleAssignment.objects.get(department=market_dept).rule_set == room


def test_an_attachment_names_one_scope_and_a_published_rule_set(admin_client, market_dept, county, rule_set):
    room = RuleSet.objects.get(code=ROOM)
    response = admin_client.post(
        url("ruleassignment", "add"), {"rule_set": room.pk, "region": county.pk, "department": market_dept.pk}
    )
    assert response.status_code == 200
    assert "not several" in str(response.context["adminform"].form.non_field_errors())
    response = admin_client.post(url("ruleassignment", "add"), {"rule_set": rule_set.pk, "region": county.pk})
    assert "has no published version yet" in str(response.context["adminform"].form.errors["rule_set"])
    assert not RuleAssignment.objects.exclude(region=None, department=None, item=None).exists()


def test_a_county_supervisor_attaches_within_the_county_only(
    county_supervisor, county, other_county, draft, published
):
    client = client_for(county_supervisor.user)
    room = published.rule_set
    add = url("ruleassignment", "add")
    assert client.post(add, {"rule_set": room.pk, "region": county.pk}).status_code == 302
    assert RuleAssignment.objects.get(region=county).rule_set == room

    response = client.post(add, {"rule_set": room.pk, "region": other_county.pk})
    assert response.status_code == 200
    assert "region" in response.context["adminform"].form.errors  # not among the choices
    response = client.post(add, {"rule_set": room.pk})
    assert "province-wide" in str(response.context["adminform"].form.non_field_errors())
    assert not RuleAssignment.objects.filter(region=other_county).exists()

    # The province's rules are read, not changed, by a county supervisor.
    assert client.get(url("rulesetversion", "change", draft.pk)).status_code == 200
    data = {"note": "县里改的", "stages-TOTAL_FORMS": "0", "stages-INITIAL_FORMS": "0"}
    assert client.post(url("rulesetversion", "change", draft.pk), data).status_code == 403
    assert client.post(url("rulesetversion", "new_version", published.pk)).status_code == 403
    assert client.get(url("detectorsetting", "add")).status_code == 403


def test_a_province_supervisor_edits_the_rules(province_supervisor, draft):
    client = client_for(province_supervisor)
    response = client.post(url("rulesetversion"), {"action": "publish", "_selected_action": [draft.pk]})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_published


# --- detector settings ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ('{"hours": -1}', "must be a number of zero or more"),
        ('{"hours": "24"}', "must be a number of zero or more"),
        ('{"hours": true}', "must be a number of zero or more"),
        ("[24]", "an object of names and numbers"),
        ('{"days": 3}', "has no setting “days”"),
        ('{"severity": "high"}', "has its own field"),
        ("{hours: 1}", "JSON"),
    ],
)
def test_detector_thresholds_are_an_object_of_non_negative_numbers(admin_client, params, reason):
    response = admin_client.post(
        url("detectorsetting", "add"),
        {"code": "backfilled", "enabled": "on", "severity": "", "params": params},
    )
    assert response.status_code == 200
    assert reason in str(response.context["adminform"].form.errors["params"])
    assert not DetectorSetting.objects.exists()


def test_a_detector_setting_is_saved(admin_client):
    response = admin_client.post(
        url("detectorsetting", "add"),
        {"code": "off_system", "severity": "medium", "params": '{"minutes": 5, "spread_hours": 12.5}'},
    )
    assert response.status_code == 302
    setting = DetectorSetting.objects.get()
    assert (setting.code, setting.enabled, setting.severity) == ("off_system", False, "medium")
    assert setting.params == {"minutes": 5, "spread_hours": 12.5}
    assert services.detector_params()["off_system"]["minutes"] == 5
    response = admin_client.post(url("detectorsetting", "add"), {"code": "nonsense", "params": "{}"})
    assert "code" in response.context["adminform"].form.errors


# --- records are read-only and scoped -------------------------------------------------


def test_alerts_and_other_records_cannot_be_added_changed_or_deleted(admin_client, records):
    alert = Alert.objects.first()
    records_of = {
        "alert": alert,
        "alertaction": AlertAction.objects.first(),
        "irregularity": Irregularity.objects.first(),
        "notice": Notice.objects.first(),
    }
    for model, obj in records_of.items():
        changelist = admin_client.get(url(model))
        assert changelist.context["has_add_permission"] is False, model
        assert changelist.context["action_form"] is None, model  # no bulk delete either
        assert url(model, "add") not in changelist.content.decode(), model
        page = admin_client.get(url(model, "change", obj.pk))
        content = page.content.decode()
        assert 'name="_save"' not in content and url(model, "delete", obj.pk) not in content, model
        assert admin_client.get(url(model, "add")).status_code == 403, model
        assert admin_client.post(url(model, "change", obj.pk), {"status": "accepted"}).status_code == 403
        assert admin_client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403, model
    alert.refresh_from_db()
    assert alert.status == "raised"
    assert Alert.objects.count() == 2


def test_records_are_scoped_to_the_viewer(records, county_supervisor, other_county):
    assert len(listed(client_for(county_supervisor.user).get(url("alert")))) == 2
    room = DepartmentFactory(name="丛台区电子监察室", region=other_county, is_supervision_room=True)
    neighbour = _staff("supervisor_ct", "丛监察", room, Role.SUPERVISOR, region=other_county)
    client = client_for(neighbour)
    for model in ("alert", "alertaction", "irregularity", "notice"):
        assert listed(client.get(url(model))) == [], model
    alert = Alert.objects.first()
    assert client.get(url("alert", "change", alert.pk)).status_code == 404
    assert client.get(url("alertaction", "change", alert.actions.first().pk)).status_code == 404


def test_a_notice_links_to_its_pdf_once_rendered(admin_client, records):
    notice = services.issue_pdf(Notice.objects.order_by("pk").first())
    try:
        href = reverse("supervision:notice_pdf", args=[notice.pk])
    except NoReverseMatch:
        href = notice.pdf.url
    page = admin_client.get(url("notice")).content.decode()
    assert f'<a href="{href}">Download PDF</a>' in page
    page = admin_client.get(url("notice", "change", notice.pk)).content.decode()
    assert f'<a href="{href}">Download PDF</a>' in page


@pytest.mark.django_db
def test_talks_are_read_in_the_admin_and_changed_only_on_their_pages(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/admin/supervision/talk/")
    assert response.status_code == 200
    assert client.get("/admin/supervision/talk/add/").status_code == 403
