"""The workbench's case page for an application filed online: the application form under
its fields' labels (and the e-licenses that stand in for materials), the applicant named
by name in the timeline, and the completion form laid out and explained."""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from yiwang.cases import selectors, services
from yiwang.cases.models import Case, CaseEvent, CaseState, Channel
from yiwang.cases.services import Upload
from yiwang.cases.tests.conftest import STEPS
from yiwang.catalog.factories import published_item
from yiwang.catalog.models import FieldKind, ItemVersion
from yiwang.conftest import CITIZEN_ID
from yiwang.licenses.models import HolderKind, License
from yiwang.licenses.services import license_issue, license_revoke

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LICENSE_TYPE = "11100000000013661B002"
WORKER_MOBILE = "13912345678"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


FIELDS = (
    {"name": "project", "label": "报考工种", "kind": FieldKind.TEXT},
    {"name": "employer", "label": "工作单位", "kind": FieldKind.TEXT},
    {"name": "worker_id", "label": "作业人员身份证号", "kind": FieldKind.ID_NUMBER, "required": False},
    {"name": "worker_mobile", "label": "作业人员手机", "kind": FieldKind.MOBILE, "required": False},
    {"name": "years", "label": "从业年限", "kind": FieldKind.INTEGER, "required": False},
    {"name": "exam_date", "label": "考试日期", "kind": FieldKind.DATE, "required": False},
)


@pytest.fixture
def online_item(market_dept: Any) -> ItemVersion:
    return published_item(
        code="HS-TZSB-201",
        name="特种设备作业人员资格认定",
        department=market_dept,
        steps=STEPS,
        materials=({"name": "资格申请表"}, {"name": "营业执照"}, {"name": "考试合格证明"}),
        form_fields=FIELDS,
        effective_from=dt.date(2024, 1, 1),
    )


def issue_license(market_dept: Any, number: str, name: str = "营业执照") -> License:
    return license_issue(
        user=None,
        license_type=LICENSE_TYPE,
        name=name,
        number=number,
        holder_name="张三",
        holder_id_number=CITIZEN_ID,
        holder_kind=HolderKind.RESIDENT_ID,
        issuer=market_dept,
        issued_on=dt.date(2024, 3, 1),
    )


def file_online(version: ItemVersion, citizen: Any, form_data: dict[str, Any], *, key: str = "1") -> Case:
    first = version.materials.order_by("order", "pk").first()
    return services.case_file(
        version=version,
        channel=Channel.ONLINE,
        applicant_kind="individual",
        applicant_name=citizen.name,
        applicant_id_number=citizen.id_number,
        applicant_mobile=citizen.mobile,
        form_data=form_data,
        uploads=[Upload(SimpleUploadedFile("申请表.pdf", PDF, content_type="application/pdf"), first)],
        user=citizen.user,
        applicant_user=citizen.user,
        idempotency_key=key,
    )


def answers(**extra: Any) -> dict[str, Any]:
    return {
        "employer": "邯郸市丛台食品有限公司",  # stored out of the form's order on purpose
        "project": "叉车司机",
        "worker_id": CITIZEN_ID,
        "worker_mobile": WORKER_MOBILE,
        "years": 7,
        "exam_date": "2026-11-02",
        **extra,
    }


def as_user(user: Any) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def page_of(user: Any, case: Case) -> str:
    response = as_user(user).get(f"/work/cases/{case.number}/")
    assert response.status_code == 200
    return response.content.decode()


def form_panel(html: str) -> str:
    match = re.search(r'<section class="panel" id="form-data".*?</section>', html, re.S)
    assert match, "the page has no application form panel"
    return match.group(0)


def terms(panel: str) -> list[str]:
    return [re.sub(r"\s+", " ", t).strip() for t in re.findall(r"<dt>(.*?)</dt>", panel, re.S)]


# --------------------------------------------------------------------------- the application form


def test_answers_are_shown_under_their_labels_in_the_forms_order(
    online_item, citizen, market_dept, window_user
) -> None:
    business = issue_license(market_dept, "91130402MA0A1B2C3D")
    materials = list(online_item.materials.order_by("order", "pk"))
    case = file_online(
        online_item,
        citizen,
        answers(
            remark="窗口补录",
            _draft=17,
            _licenses=[
                {"material": materials[1].pk, "identifier": business.identifier},
                {"material": materials[2].pk, "identifier": "1.2.156.3005.2.UNKNOWN.0001"},
            ],
        ),
    )
    panel = form_panel(page_of(window_user, case))
    labels = [field["label"] for field in FIELDS]
    assert terms(panel)[: len(labels) + 1] == [*labels, "remark"]  # free keys after, under the key
    for key in ("project", "employer", "worker_id", "_draft", "_licenses", "17"):
        assert f"<dt>{key}</dt>" not in panel and f">{key}<" not in panel
    assert "<dd>叉车司机</dd>" in panel and "<dd>7</dd>" in panel and "<dd>2026-11-02</dd>" in panel
    # staff acting on the case read the identifiers as the applicant wrote them
    assert f"<dd>{CITIZEN_ID}</dd>" in panel and f"<dd>{WORKER_MOBILE}</dd>" in panel
    # the e-licenses in place of materials: the material, the license, its identifier
    assert "E-licenses in place of materials" in panel
    licenses = panel.split("E-licenses in place of materials", 1)[1]
    assert terms(licenses) == ["营业执照", "考试合格证明"]
    assert "营业执照 91130402MA0A1B2C3D" in licenses and business.identifier in licenses
    assert "1.2.156.3005.2.UNKNOWN.0001" in licenses and "not in the e-license library" in licenses


def test_a_revoked_license_says_so(online_item, citizen, market_dept, approver_user, window_user) -> None:
    business = issue_license(market_dept, "91130402MA0A1B2C3D")
    material = online_item.materials.order_by("order", "pk")[1]
    case = file_online(
        online_item,
        citizen,
        answers(_licenses=[{"material": material.pk, "identifier": business.identifier}]),
    )
    license_revoke(license=business, user=approver_user, reason="吊销")
    licenses = form_panel(page_of(window_user, case)).split("E-licenses in place of materials", 1)[1]
    assert "revoked" in licenses and business.identifier in licenses


def test_identifiers_in_the_answers_stay_out_of_the_title_and_the_urls(
    online_item, citizen, window_user
) -> None:
    case = file_online(online_item, citizen, answers())
    html = page_of(window_user, case)
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)  # type: ignore[union-attr]
    assert CITIZEN_ID not in title and WORKER_MOBILE not in title
    for url in re.findall(r'(?:href|src|action|hx-post|data-src)="([^"]*)"', html):
        assert CITIZEN_ID not in url and WORKER_MOBILE not in url and CITIZEN_ID[-6:] not in url


def test_a_window_case_keeps_its_free_keys_as_labels(food_licence, window_user) -> None:
    case = services.case_file(
        version=food_licence,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name="张晓梅",
        applicant_id_number=CITIZEN_ID,
        form_data={"business_address": "邯山区人民路1号", "_source": "window"},
        user=window_user,
    )
    panel = form_panel(page_of(window_user, case))
    assert terms(panel) == ["business_address"] and "邯山区人民路1号" in panel
    assert "_source" not in panel and "E-licenses" not in panel


@pytest.mark.parametrize(
    "stored",
    [
        "not a list",
        [None, 3, "x", {"material": 1}, {"identifier": "  "}],
        [{"material": "x", "identifier": "1.2.156.X"}, {"material": [1], "identifier": "1.2.156.Y"}],
    ],
)
def test_a_malformed_license_list_is_shown_as_far_as_it_makes_sense(
    online_item, citizen, window_user, stored
) -> None:
    case = file_online(online_item, citizen, answers(_licenses=stored))
    before = (Case.objects.get(pk=case.pk).form_data, CaseEvent.objects.filter(case=case).count())
    panel = form_panel(page_of(window_user, case))
    assert terms(panel)[:2] == ["报考工种", "工作单位"]
    shown = selectors.form_answers(case).licenses
    if isinstance(stored, list) and stored and isinstance(stored[0], dict):
        # identifiers kept, the materials they stood for unknown
        assert [(lic.material, lic.identifier) for lic in shown] == [("", "1.2.156.X"), ("", "1.2.156.Y")]
        assert "material not on the item's list" in panel
    else:
        assert shown == [] and "E-licenses" not in panel
    assert (Case.objects.get(pk=case.pk).form_data, CaseEvent.objects.filter(case=case).count()) == before


def test_a_case_without_form_data_has_no_form_panel(food_licence, window_user) -> None:
    case = services.case_file(
        version=food_licence,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name="张晓梅",
        applicant_id_number=CITIZEN_ID,
        user=window_user,
    )
    assert 'id="form-data"' not in page_of(window_user, case)


def _page_queries(user: Any, case: Case) -> int:
    client = as_user(user)
    client.get(f"/work/cases/{case.number}/")  # warm the session and the caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/work/cases/{case.number}/").status_code == 200
    return len(queries)


def test_the_page_takes_the_same_queries_whatever_the_number_of_fields_and_licenses(
    online_item, citizen, market_dept, window_user, django_assert_max_num_queries
) -> None:
    materials = list(online_item.materials.order_by("order", "pk"))
    small = file_online(online_item, citizen, {"project": "叉车司机"}, key="small")
    licenses = [issue_license(market_dept, f"JY1130402{n:04d}", name=f"证照{n}") for n in range(3)]
    refs = [
        {"material": m.pk, "identifier": lic.identifier} for m, lic in zip(materials, licenses, strict=True)
    ]
    big = file_online(online_item, citizen, answers(remark="备注", _licenses=refs), key="big")
    one = [{"material": materials[0].pk, "identifier": licenses[0].identifier}]
    medium = file_online(online_item, citizen, answers(_licenses=one), key="medium")
    assert _page_queries(window_user, medium) == _page_queries(window_user, big)
    # a form without licenses saves the two license queries, never more
    assert _page_queries(window_user, small) <= _page_queries(window_user, big)
    client = as_user(window_user)
    client.get(f"/work/cases/{big.number}/")
    with django_assert_max_num_queries(24):
        html = client.get(f"/work/cases/{big.number}/").content.decode()
    assert all(lic.identifier in html for lic in licenses)


# --------------------------------------------------------------------------- the timeline


def _applicant_lines(html: str) -> list[str]:
    whos = re.findall(r'<p class="timeline__who">(.*?)</p>', html, re.S)
    return [re.sub(r"\s+", " ", w).strip() for w in whos]


def test_the_timeline_names_the_online_applicant_never_by_username(online_item, citizen, window_user) -> None:
    case = file_online(online_item, citizen, answers())
    first = online_item.materials.order_by("order", "pk").first()
    services.case_request_supplement(
        case=case, user=window_user, items=[{"material": first.pk, "name": first.name, "problem": "缺签名"}]
    )
    services.case_receive_supplement(
        case=case,
        user=citizen.user,
        uploads=[
            Upload(SimpleUploadedFile("申请表（签名）.pdf", PDF, content_type="application/pdf"), first)
        ],
    )
    roles = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("role", "actor_name"))
    assert roles[0] == (services.APPLICANT_ROLE, "zhangsan")  # what the ledger keeps
    html = page_of(window_user, case)
    assert "zhangsan" not in html
    lines = _applicant_lines(html)
    assert lines[0] == "张三 · applicant"
    assert lines[1].startswith("孙窗口 · window operator")
    assert lines[2] == "张三 · applicant"


def test_an_automatic_event_names_the_system(food_licence, window_user) -> None:
    case = services.case_file(
        version=food_licence,
        channel=Channel.WINDOW,
        applicant_kind="individual",
        applicant_name="张晓梅",
        applicant_id_number=CITIZEN_ID,
        user=window_user,
    )
    services.case_record_notice(case=case, user=None, kind="urging", number="DB-2026-001", sha256="a" * 64)
    assert _applicant_lines(page_of(window_user, case))[-1] == "system"


# --------------------------------------------------------------------------- the completion form


def _decided(version: ItemVersion, citizen: Any, users: tuple[Any, ...], form_data: Any = None) -> Case:
    window, handler, reviewer, approver = users
    case = file_online(version, citizen, form_data or answers())
    services.case_accept(case=case, user=window)
    services.case_pass_step(case=case, user=handler, opinion="同意")
    services.case_pass_step(case=case, user=reviewer, opinion="同意")
    services.case_decide(case=case, user=approver, decision="approved")
    return case


def _fee_input(html: str) -> str:
    return re.search(r'<input[^>]*name="complete-fee_charged"[^>]*>', html).group(0)  # type: ignore[union-attr]


def test_the_fee_field_explains_that_blank_means_the_fees_paid_online(
    online_item, citizen, window_user, handler_user, reviewer_user, approver_user
) -> None:
    case = _decided(online_item, citizen, (window_user, handler_user, reviewer_user, approver_user))
    html = page_of(approver_user, case)
    help_id = "id_complete-fee_charged_helptext"
    assert f'<p class="hint" id="{help_id}">Leave empty to record the fees paid online (or none).</p>' in html
    assert f'aria-describedby="{help_id}"' in _fee_input(html)


def test_a_refused_completion_keeps_the_help_and_ties_the_error(
    online_item, citizen, window_user, handler_user, reviewer_user, approver_user
) -> None:
    case = _decided(online_item, citizen, (window_user, handler_user, reviewer_user, approver_user))
    before = (Case.objects.get(pk=case.pk).state, CaseEvent.objects.filter(case=case).count())
    response = as_user(approver_user).post(
        f"/work/cases/{case.number}/actions/complete/",
        {"complete-fee_charged": "-1", "complete-result_number": "TZ1"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="action-complete",
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith('<details class="action" id="action-complete" open')
    assert "Leave empty to record the fees paid online" in html
    described = re.search(r'aria-describedby="([^"]*)"', _fee_input(html)).group(1)  # type: ignore[union-attr]
    assert "id_complete-fee_charged_helptext" in described.split()
    assert 'aria-invalid="true"' in _fee_input(html)
    assert '<p class="field__error" id="id_complete-fee_charged-error">' in html
    assert (Case.objects.get(pk=case.pk).state, CaseEvent.objects.filter(case=case).count()) == before
    assert before[0] == CaseState.DECIDED


def test_a_blank_fee_completes_the_case_with_nothing_paid_online(
    online_item, citizen, window_user, handler_user, reviewer_user, approver_user
) -> None:
    case = _decided(online_item, citizen, (window_user, handler_user, reviewer_user, approver_user))
    response = as_user(approver_user).post(
        f"/work/cases/{case.number}/actions/complete/",
        {"complete-fee_charged": "", "complete-result_number": "TZ1304020000123"},
    )
    assert response.status_code == 302
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert event is not None and event.payload["fee_charged"] == "0.00"


# --------------------------------------------------------------------------- in a browser

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop in this thread


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("ledger_flushable")
@pytest.mark.parametrize(("width", "height", "phone"), [(1280, 900, False), (390, 844, True)])
def test_the_completion_form_is_laid_out_in_full_after_a_refusal(
    browser,
    live_server,
    online_item,
    citizen,
    market_dept,
    window_user,
    handler_user,
    reviewer_user,
    approver_user,
    width,
    height,
    phone,
) -> None:
    from yiwang.browser_fixtures import screenshot, signed_in

    business = issue_license(market_dept, "91130402MA0A1B2C3D")
    material = online_item.materials.order_by("order", "pk")[1]
    refs = [{"material": material.pk, "identifier": business.identifier}]
    users = (window_user, handler_user, reviewer_user, approver_user)
    case = _decided(online_item, citizen, users, answers(_licenses=refs))
    start = f"/work/cases/{case.number}/"
    page = signed_in(
        browser, live_server, approver_user, start, {"width": width, "height": height}, phone=phone
    )
    action = page.locator("#action-complete")
    screenshot(page, f"online-case-complete-{width}")
    # a refused submit (a negative fee, past the browser's own check), shown in place
    page.evaluate("document.querySelector('#action-complete form').noValidate = true")
    page.fill("#id_complete-fee_charged", "-1")
    page.fill("#id_complete-result_number", "TZ1304020000123")
    action.locator("button[type=submit]").click()
    page.wait_for_selector("#action-complete .field__error")
    page.mouse.move(0, 0)
    screenshot(page, f"online-case-complete-refused-{width}")
    box = action.bounding_box()
    summary = action.locator("summary").bounding_box()
    form = action.locator("form").bounding_box()
    assert box and summary and form
    # the title runs across the top on one line, the form under it at full width
    assert summary["height"] < 60 and summary["width"] > box["width"] - 4
    assert form["y"] >= summary["y"] + summary["height"] - 1
    assert form["width"] > box["width"] - 4
    label = action.locator("label[for=id_complete-fee_charged]")
    assert label.evaluate("el => getComputedStyle(el).textAlign") in ("start", "left")
    label_box = label.bounding_box()
    assert label_box and label_box["x"] - form["x"] < 24  # at the form's left edge, not centred
    assert action.locator("#id_complete-fee_charged_helptext").is_visible()
    assert Case.objects.get(pk=case.pk).state == CaseState.DECIDED
    page.context.close()
