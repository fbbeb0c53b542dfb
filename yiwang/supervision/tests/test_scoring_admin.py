"""Scoring schemes edited in the admin: a province-wide supervisor writes a scheme and a
draft version as a table of indicators, checked by ``scoring.validate`` on save (a bad
weight sum or an unknown measure is refused and nothing is saved), publishes it through
``scoring.scheme_publish``, and makes the next draft from the published version, which
itself stays read-only. A county supervisor attaches schemes within the county only, and
a city leader reads everything and changes nothing.

The default 100-point scheme (``default``, v1, attached everywhere) is installed by the
migrations."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from yiwang.cases.tests.conftest import _staff
from yiwang.org.factories import DepartmentFactory, UserFactory
from yiwang.org.models import Role
from yiwang.supervision import scoring
from yiwang.supervision.models import SchemeAssignment, ScoringScheme, ScoringSchemeVersion

pytestmark = pytest.mark.django_db

PROMPTNESS = {"code": "on_time", "label": "按时办结率", "kind": "rate", "weight": "60"}
DISCIPLINE = {"code": "discipline", "label": "效能纪律", "kind": "deduction", "weight": "30"}


def url(model: str, view: str = "changelist", *args: Any) -> str:
    return reverse(f"admin:supervision_{model}_{view}", args=args)


def client_for(user: Any) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def table(*rows: dict[str, str], extra: int = 2) -> dict[str, str]:
    """The POST data of the indicator table as a browser sends it: the rows, then blank ones."""
    data = {"indicators-rows": str(len(rows) + extra)}
    for index, row in enumerate(rows):
        data.update({f"indicators-{index}-{column}": value for column, value in row.items()})
    return data


def good_rows() -> tuple[dict[str, str], ...]:
    return (
        {**PROMPTNESS, "numerator": "on_time", "denominator": "completed"},
        {**DISCIPLINE, "weight": "40", "points": "yellow_cards:2，red_cards: 5"},
    )


def form_errors(response: Any, field: str = "indicators") -> str:
    assert response.status_code == 200, "the page again, with the reasons"
    return " ".join(response.context["adminform"].form.errors.get(field, []))


@pytest.fixture
def province_supervisor(province: Any) -> Any:
    room: Any = DepartmentFactory(name="河北省电子监察室", region=province, is_supervision_room=True)
    return _staff("supervisor_he", "省监察", room, Role.SUPERVISOR, region=province)


@pytest.fixture
def editor(province_supervisor: Any) -> Client:
    return client_for(province_supervisor)


@pytest.fixture
def default_v1() -> ScoringSchemeVersion:
    return ScoringSchemeVersion.objects.get(scheme__code=scoring.DEFAULT_CODE, number=1)


@pytest.fixture
def scheme() -> ScoringScheme:
    return ScoringScheme.objects.create(code="pilot", name="试点考核办法")


@pytest.fixture
def draft(scheme: ScoringScheme) -> ScoringSchemeVersion:
    indicators = [scoring.Indicator.from_json(row).to_json() for row in scoring.DEFAULT_INDICATORS]
    return scoring.scheme_new_version(scheme=scheme, total=100, indicators=indicators, publish=False)


# --- writing a scheme and its first version -------------------------------------------


def test_an_editor_writes_a_scheme_whose_bad_weights_are_refused_then_fixed_and_published(
    editor, province_supervisor
):
    response = editor.post(
        url("scoringscheme", "add"), {"code": "county-pilot", "name": "县级试点办法", "description": "试行"}
    )
    assert response.status_code == 302
    scheme = ScoringScheme.objects.get(code="county-pilot")

    # The link on the scheme's page opens the version form with the scheme chosen.
    page = editor.get(url("scoringscheme", "change", scheme.pk)).content.decode()
    add = url("scoringschemeversion", "add")
    assert f"{add}?scheme={scheme.pk}" in page
    page = editor.get(add, {"scheme": scheme.pk}).content.decode()
    assert 'name="indicators-0-code"' in page and 'name="_publish"' in page

    # 60 + 30 is not 100.
    base = {"scheme": scheme.pk, "total": "100", "note": "初稿"}
    rows = (
        {**PROMPTNESS, "numerator": "on_time", "denominator": "completed"},
        {**DISCIPLINE, "points": "yellow_cards:2, red_cards:5"},
    )
    response = editor.post(add, {**base, **table(*rows), "_publish": "1"})
    assert "The weights add up to 90, not to the scheme's total of 100." in form_errors(response)
    assert not scheme.versions.exists()
    # What was typed is shown again for correcting.
    assert 'value="yellow_cards:2, red_cards:5"' in response.content.decode()

    # A misspelt measure in the points, and a rate without its denominator.
    rows = (
        {**PROMPTNESS, "numerator": "on_time"},
        {**DISCIPLINE, "weight": "40", "points": "yelow_cards:2"},
    )
    errors = form_errors(editor.post(add, {**base, **table(*rows)}))
    assert "unknown measure “yelow_cards”" in errors
    assert "needs a denominator" in errors
    assert not scheme.versions.exists()

    # Fixed: saved as a draft, numbered by the service.
    response = editor.post(add, {**base, **table(*good_rows())})
    assert response.status_code == 302
    version = scheme.versions.get()
    assert (version.number, version.published_at, version.note) == (1, None, "初稿")
    assert version.indicators == [
        {
            "code": "on_time",
            "label": "按时办结率",
            "kind": "rate",
            "weight": 60,
            "numerator": "on_time",
            "denominator": "completed",
        },
        {
            "code": "discipline",
            "label": "效能纪律",
            "kind": "deduction",
            "weight": 40,
            "points": {"yellow_cards": 2, "red_cards": 5},
        },
    ]

    # Its page shows each indicator's formula in words, and publishes it.
    page = editor.get(url("scoringschemeversion", "change", version.pk)).content.decode()
    assert "60 × 按时办结 ÷ 办结" in page
    assert "40 − (2 × 黄牌 + 5 × 红牌)，最低 0" in page
    assert 'value="yellow_cards:2, red_cards:5"' in page
    response = editor.post(
        url("scoringschemeversion"), {"action": "publish", "_selected_action": [version.pk]}, follow=True
    )
    assert any("is published" in m for m in messages_of(response))
    version.refresh_from_db()
    assert version.published_at is not None
    assert version.published_by == province_supervisor


def test_save_and_publish_on_the_add_page(editor, scheme):
    data = {"scheme": scheme.pk, "total": "100", **table(*good_rows()), "_publish": "1"}
    response = editor.post(url("scoringschemeversion", "add"), data)
    version = scheme.versions.get()
    assert response["Location"] == url("scoringschemeversion", "change", version.pk)
    assert version.published_at is not None


@pytest.mark.parametrize(
    ("points", "reason"),
    [
        ("yellow_cards 2", "“yellow_cards 2” is not a measure and its points"),
        ("yellow_cards:2, yellow_cards:3", "gives points for “yellow_cards” twice"),
        ("yellow_cards:two", "must be a number, not “two”"),
        ("yellow_cards:-1", "cannot be negative"),
        ("", "needs points per measure"),
    ],
)
def test_points_are_measures_with_numbers(editor, scheme, points, reason):
    rows = (
        {**PROMPTNESS, "numerator": "on_time", "denominator": "completed"},
        {**DISCIPLINE, "points": points},
    )
    data = {"scheme": scheme.pk, "total": "90", **table(*rows)}
    assert reason in form_errors(editor.post(url("scoringschemeversion", "add"), data))
    assert not scheme.versions.exists()


def test_a_version_needs_an_indicator_and_a_whole_total(editor, scheme):
    add = url("scoringschemeversion", "add")
    response = editor.post(add, {"scheme": scheme.pk, "total": "100", **table()})
    assert "at least one indicator" in form_errors(response)
    response = editor.post(add, {"scheme": scheme.pk, "total": "0", **table(*good_rows())})
    assert "total must be a positive whole number" in form_errors(response)
    assert not scheme.versions.exists()


# --- editing a draft ------------------------------------------------------------------


def test_a_draft_edited_with_a_bad_sum_changes_nothing_then_is_saved_and_published(editor, draft):
    change = url("scoringschemeversion", "change", draft.pk)
    page = editor.get(change).content.decode()
    assert 'name="indicators-5-code" value="discipline"' in page
    before = list(draft.indicators)
    typed = [{**{k: str(v) for k, v in row.items() if k != "points"}, "points": ""} for row in before]
    typed[5]["points"] = "red_cards:5, yellow_cards:3"  # the discipline row, as a person types it
    typed[0]["weight"] = "35"  # 105 in all

    response = editor.post(change, {"total": "100", "note": "黄牌加重", **table(*typed), "_publish": "1"})
    assert "The weights add up to 105, not to the scheme's total of 100." in form_errors(response)
    draft.refresh_from_db()
    assert draft.indicators == before and draft.published_at is None and draft.note == ""

    # The early-completion row removed and its 10 points moved to timeliness: 100 again.
    typed[0]["weight"] = "40"
    data = {"total": "100", "note": "黄牌加重", **table(*typed), "indicators-1-DELETE": "on"}
    response = editor.post(change, {**data, "_publish": "1"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.published_at is not None
    assert draft.note == "黄牌加重"
    codes = [row["code"] for row in draft.indicators]
    assert codes == ["on_time", "satisfaction", "online", "one_time_notice", "discipline"]
    assert draft.indicators[0]["weight"] == 40
    assert draft.indicators[-1]["points"] == {"yellow_cards": 3, "red_cards": 5}


def test_publishing_refused_by_the_service_shows_the_reason(editor, scheme):
    # A draft stored before the admin checked it (or written by hand) whose weights are off.
    stored = ScoringSchemeVersion.objects.create(
        scheme=scheme,
        number=1,
        total=100,
        indicators=[{"code": "on_time", "label": "按时", "kind": "rate", "weight": 50,
                     "numerator": "on_time", "denominator": "completed"}],
    )  # fmt: skip
    response = editor.post(
        url("scoringschemeversion"), {"action": "publish", "_selected_action": [stored.pk]}, follow=True
    )
    errors = [m for m in messages_of(response) if "was not published" in m]
    assert len(errors) == 1
    assert "The weights add up to 50, not to the scheme's total of 100." in errors[0]
    stored.refresh_from_db()
    assert stored.published_at is None


# --- published versions ---------------------------------------------------------------


def test_a_published_version_is_read_only_and_a_post_changes_nothing(editor, default_v1):
    change = url("scoringschemeversion", "change", default_v1.pk)
    response = editor.get(change)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="indicators-0-code"' not in page and 'name="note"' not in page
    assert 'name="_save"' not in page and 'name="_publish"' not in page
    assert "30 × 按时办结 ÷ 办结" in page  # the formulas in words
    assert "10 × (1 − 重复补正 ÷ 补齐补正)" in page
    before = (default_v1.total, default_v1.indicators, default_v1.note)

    data = {"total": "100", "note": "改一改", **table({**PROMPTNESS, "weight": "100", "numerator": "on_time",
                                                        "denominator": "completed"})}  # fmt: skip
    assert editor.post(change, data).status_code == 403
    assert (
        editor.post(url("scoringschemeversion", "delete", default_v1.pk), {"post": "yes"}).status_code == 403
    )
    response = editor.post(
        url("scoringschemeversion"), {"action": "publish", "_selected_action": [default_v1.pk]}, follow=True
    )
    assert any("already published" in m for m in messages_of(response))
    default_v1.refresh_from_db()
    assert (default_v1.total, default_v1.indicators, default_v1.note) == before


def test_a_new_draft_from_a_published_version_copies_its_indicators(editor, default_v1):
    page = editor.get(url("scoringschemeversion", "change", default_v1.pk)).content.decode()
    action = url("scoringschemeversion", "new_version", default_v1.pk)
    assert f'formaction="{action}"' in page

    response = editor.post(action)

    draft = ScoringSchemeVersion.objects.get(scheme=default_v1.scheme, number=2)
    assert response.status_code == 302
    assert response["Location"] == url("scoringschemeversion", "change", draft.pk)
    assert draft.published_at is None
    assert (draft.total, draft.indicators) == (default_v1.total, default_v1.indicators)
    assert 'name="indicators-0-code" value="on_time"' in editor.get(response["Location"]).content.decode()
    assert editor.get(action).status_code == 405

    # The same from the list, as an action.
    editor.post(url("scoringschemeversion"), {"action": "new_version", "_selected_action": [default_v1.pk]})
    third = ScoringSchemeVersion.objects.get(scheme=default_v1.scheme, number=3)
    assert third.indicators == default_v1.indicators and third.published_at is None


# --- attaching schemes ----------------------------------------------------------------


def test_a_county_supervisor_attaches_a_scheme_within_the_county_only(
    county_supervisor, county, other_county, scheme, draft, default_v1
):
    scoring.scheme_publish(version=draft)
    client = client_for(county_supervisor.user)
    add = url("schemeassignment", "add")

    assert client.post(add, {"scheme": scheme.pk, "region": county.pk}).status_code == 302
    assert SchemeAssignment.objects.get(region=county).scheme == scheme
    assert scoring.scheme_for(county) == draft

    response = client.post(add, {"scheme": scheme.pk, "region": other_county.pk})
    assert "region" in response.context["adminform"].form.errors  # not among the choices
    response = client.post(add, {"scheme": scheme.pk})
    assert "province-wide" in str(response.context["adminform"].form.non_field_errors())
    assert not SchemeAssignment.objects.filter(region=other_county).exists()
    assert SchemeAssignment.objects.get(region=None).scheme == default_v1.scheme

    # The one attached everywhere is shown, not changed.
    everywhere = SchemeAssignment.objects.get(region=None)
    page = client.get(url("schemeassignment", "change", everywhere.pk)).content.decode()
    assert 'name="scheme"' not in page
    assert (
        client.post(url("schemeassignment", "change", everywhere.pk), {"scheme": scheme.pk}).status_code
        == 403
    )
    assert SchemeAssignment.objects.get(region=None).scheme == default_v1.scheme

    # Schemes themselves are the province's: read, not written, by a county supervisor.
    assert client.get(url("scoringschemeversion", "change", draft.pk)).status_code == 200
    assert client.post(url("scoringscheme", "add"), {"code": "mine", "name": "县里的"}).status_code == 403
    assert client.post(url("scoringschemeversion", "new_version", draft.pk)).status_code == 403


def test_a_scheme_without_a_published_version_cannot_be_attached(editor, county, scheme, draft):
    response = editor.post(url("schemeassignment", "add"), {"scheme": scheme.pk, "region": county.pk})
    assert "has no published version yet" in form_errors(response, "scheme")
    assert not SchemeAssignment.objects.filter(region=county).exists()


def test_attaching_replaces_what_was_there(editor, county, scheme, draft, default_v1):
    scoring.scheme_publish(version=draft)
    add = url("schemeassignment", "add")
    assert editor.post(add, {"scheme": default_v1.scheme_id, "region": county.pk}).status_code == 302
    assert editor.post(add, {"scheme": scheme.pk, "region": county.pk}).status_code == 302
    assert list(SchemeAssignment.objects.filter(region=county).values_list("scheme__code", flat=True)) == [
        "pilot"
    ]

    # A province-wide editor changes the scheme attached everywhere.
    everywhere = SchemeAssignment.objects.get(region=None)
    response = editor.post(url("schemeassignment", "change", everywhere.pk), {"scheme": scheme.pk})
    assert response.status_code == 302
    assert SchemeAssignment.objects.get(region=None).scheme == scheme
    assert SchemeAssignment.objects.count() == 2


# --- who may ------------------------------------------------------------------------


def test_a_leader_reads_the_schemes_and_changes_nothing(city_leader, county, draft, default_v1):
    client = client_for(city_leader.user)
    everywhere = SchemeAssignment.objects.get(region=None)
    for page in (
        url("scoringscheme"),
        url("scoringscheme", "change", draft.scheme_id),
        url("scoringschemeversion"),
        url("scoringschemeversion", "change", default_v1.pk),
        url("schemeassignment"),
        url("schemeassignment", "change", everywhere.pk),
    ):
        assert client.get(page).status_code == 200, page
    page = client.get(url("scoringschemeversion", "change", draft.pk)).content.decode()
    assert 'name="indicators-0-code"' not in page and 'name="_publish"' not in page
    assert "30 × 按时办结 ÷ 办结" in page

    assert client.post(url("scoringscheme", "add"), {"code": "x", "name": "x"}).status_code == 403
    data = {"total": "100", "note": "领导改的", **table(*good_rows())}
    assert client.post(url("scoringschemeversion", "change", draft.pk), data).status_code == 403
    client.post(url("scoringschemeversion"), {"action": "publish", "_selected_action": [draft.pk]})
    assert client.post(url("scoringschemeversion", "new_version", default_v1.pk)).status_code == 403
    assert client.post(url("schemeassignment", "add"), {"scheme": default_v1.scheme_id}).status_code == 403
    draft.refresh_from_db()
    assert draft.published_at is None and draft.note == "" and len(draft.indicators) == 6
    assert ScoringSchemeVersion.objects.count() == 2
    assert list(SchemeAssignment.objects.values_list("region", flat=True)) == [None]


def test_every_scoring_page_renders_for_a_superuser(draft, default_v1):
    client = client_for(UserFactory(username="root", is_superuser=True))
    everywhere = SchemeAssignment.objects.get(region=None)
    for page in (
        url("scoringscheme"),
        url("scoringscheme", "add"),
        url("scoringscheme", "change", draft.scheme_id),
        url("scoringschemeversion"),
        url("scoringschemeversion", "add"),
        url("scoringschemeversion", "change", draft.pk),
        url("scoringschemeversion", "change", default_v1.pk),
        url("schemeassignment"),
        url("schemeassignment", "add"),
        url("schemeassignment", "change", everywhere.pk),
    ):
        assert client.get(page).status_code == 200, page
