"""The statistics pages (/supervision/statistics/): figures of a period from the daily
facts, grouped by the regions below, department, item or month; the Excel export; the
drill-down to the cases, alerts, complaints and findings behind a number; scope and
period refusals; constant queries.

The figures are built as fact rows for October 2025: 邯山区市场监督管理局 (county 邯山区)
and 丛台区市场监督管理局 (丛台区, the neighbour county), and a town office of 火磨街道 in
邯山区. The drill-down runs on the November 2025 story of ``test_facts`` (five
applications to the market bureau's 食品经营许可: A early, B on time, C late, D refused,
E waiting for a supplement; two yellow cards, two findings, one complaint about 孙窗口).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from yiwang.catalog.models import ItemVersion
from yiwang.org.factories import DepartmentFactory
from yiwang.org.models import Department, Region, Staff
from yiwang.supervision.models import Alert, Complaint, DailyFact, Level
from yiwang.supervision.tests.test_facts import (  # noqa: F401 (fixtures)
    applicant,
    november,
    people,
    recorded_as_it_happens,
    window_3,
)

pytestmark = pytest.mark.django_db

D = dt.date
URL = "/supervision/statistics/"
OCTOBER = {"kind": "month", "period": "2025-10"}


def fact(day: dt.date, department: Department, *, item: int = 0, **measures: int) -> None:
    DailyFact.objects.create(
        day=day, department=department, region_path=department.region.path, item_id=item, **measures
    )


def client_for(staff: Staff) -> Client:
    """Signed in, reading the pages in English (the site's Chinese comes with the
    merged translations)."""
    client = Client()
    client.force_login(staff.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def town_office(town: Region) -> Department:
    return DepartmentFactory(name="火磨街道便民服务中心", region=town)


@pytest.fixture
def october(
    market_dept: Department, other_market_dept: Department, town_office: Department, food_licence: ItemVersion
) -> dict[str, Any]:
    item = food_licence.item_id
    fact(D(2025, 10, 9), market_dept, item=item, received=10, online=6, accepted=9, refused=1)
    fact(
        D(2025, 10, 20),
        market_dept,
        item=item,
        completed=8,
        on_time=6,
        early=2,
        late=2,
        workdays_used=40,
        promised_days=80,
        statutory_days=160,
        ratings=4,
        ratings_satisfied=3,
    )
    fact(D(2025, 10, 21), market_dept, yellow_cards=1, red_cards=1, complaints=2)  # item 0
    fact(D(2025, 9, 30), market_dept, item=item, received=99)  # outside October
    fact(D(2025, 10, 10), other_market_dept, received=7, completed=5, on_time=5, warnings=3)
    fact(D(2025, 10, 11), town_office, received=3, completed=2, on_time=1, late=1, irregularities=1)
    return {"item": food_licence.item}


ROW = re.compile(r'<tr data-key="([^"]*)"><th scope="row">.*?</th>(.*?)</tr>', re.S)


def table(html: str) -> dict[str, dict[str, str]]:
    """The statistics table: row key (department id, region code, item code, month or
    "total") → column → the cell's text."""
    rows: dict[str, dict[str, str]] = {}
    body = html.split('class="table stats-table"', 1)[1].split("</table>", 1)[0]
    for label, cells in ROW.findall(body):
        rows[label] = {
            key: re.sub(r"<[^>]+>", "", text).strip()
            for key, text in re.findall(r'<td class="num" data-column="([a-z_]+)">(.*?)</td>', cells, re.S)
        }
    return rows


def links(html: str) -> dict[tuple[str, str], str]:
    """Drill-down links: (row key, column) → URL."""
    found = {}
    body = html.split('class="table stats-table"', 1)[1].split("</table>", 1)[0]
    for label, cells in ROW.findall(body):
        for key, url in re.findall(r'data-column="([a-z_]+)"><a href="([^"]+)"', cells):
            found[(label, key)] = url.replace("&amp;", "&")
    return found


# --------------------------------------------------------------------------- figures


def test_the_county_by_department_reads_its_own_facts_only(
    october: dict[str, Any], county_supervisor: Staff, market_dept: Department, town_office: Department
) -> None:
    response = client_for(county_supervisor).get(URL, {**OCTOBER, "by": "department"})
    assert response.status_code == 200
    html = response.content.decode()
    rows = table(html)
    assert set(rows) == {str(market_dept.pk), str(town_office.pk), "total"}  # not 丛台区's bureau
    assert market_dept.name in html and "丛台区市场监督管理局" not in html
    market = rows[str(market_dept.pk)]
    assert (market["received"], market["accepted"], market["refused"], market["completed"]) == (
        "10",
        "9",
        "1",
        "8",
    )
    assert (market["on_time"], market["on_time_rate"], market["early_rate"], market["late"]) == (
        "6",
        "75.0%",
        "25.0%",
        "2",
    )
    assert market["average_workdays"] == "5.0"  # 40 working days over 8 cases
    assert (market["used_of_promised"], market["used_of_statutory"]) == ("50.0%", "25.0%")
    assert (market["online_share"], market["satisfaction"]) == ("60.0%", "75.0%")
    assert (market["complaints"], market["yellow_cards"], market["red_cards"]) == ("2", "1", "1")
    total = rows["total"]
    assert (total["received"], total["completed"], total["late"], total["irregularities"]) == (
        "13",
        "10",
        "3",
        "1",
    )
    assert rows[str(town_office.pk)]["on_time_rate"] == "50.0%"


def test_the_city_by_region_below_and_the_county_by_its_towns(
    october: dict[str, Any], city_leader: Staff, county_supervisor: Staff, county: Region, town: Region
) -> None:
    rows = table(client_for(city_leader).get(URL, {**OCTOBER, "by": "region"}).content.decode())
    assert rows["130402"]["received"] == "13" and rows["130403"]["received"] == "7"
    assert rows["total"]["received"] == "20" and rows["130403"]["warnings"] == "3"
    # The county's own departments form a row of their own beside its town.
    html = client_for(county_supervisor).get(URL, {**OCTOBER, "by": "region"}).content.decode()
    rows = table(html)
    assert rows[county.path]["received"] == "10" and "邯山区 (own level)" in html
    assert rows[town.code]["received"] == "3"
    assert set(rows) == {county.path, town.code, "total"}


def test_by_item_and_by_month(
    october: dict[str, Any], county_supervisor: Staff, market_dept: Department
) -> None:
    client = client_for(county_supervisor)
    html = client.get(URL, {**OCTOBER, "by": "item", "department": market_dept.pk}).content.decode()
    rows = table(html)
    item = october["item"]
    assert rows[item.code]["received"] == "10" and f"食品经营许可（{item.code}）" in html
    assert rows[""]["complaints"] == "2" and "Not about one item" in html
    two_months = {"kind": "custom", "start": "2025-09-01", "end": "2025-10-31", "by": "month"}
    rows = table(client.get(URL, {**two_months, "item": item.code}).content.decode())
    assert rows["2025-09"]["received"] == "99" and rows["2025-10"]["received"] == "10"
    assert rows["total"]["received"] == "109"


def test_the_chart_is_drawn_from_the_table(october: dict[str, Any], county_supervisor: Staff) -> None:
    response = client_for(county_supervisor).get(URL, {**OCTOBER, "by": "department"})
    chart = response.context["chart"]
    assert chart["labels"] == ["火磨街道便民服务中心", "邯山区市场监督管理局"]
    received = next(s for s in chart["series"] if s["key"] == "received")
    assert received["data"] == [3, 10]
    assert chart["rate"]["data"] == [50.0, 75.0]
    assert 'id="stats-chart-data"' in response.content.decode()


# --------------------------------------------------------------------------- refusals


def test_outside_the_scope_is_404_with_the_reason_and_shows_nothing(
    october: dict[str, Any], county_supervisor: Staff, other_market_dept: Department
) -> None:
    client = client_for(county_supervisor)
    for params in (
        {**OCTOBER, "region": "130403"},
        {**OCTOBER, "department": other_market_dept.pk},
        {**OCTOBER, "department": other_market_dept.pk, "measure": "received"},
    ):
        for url in (URL, reverse("supervision:statistics_drill"), reverse("supervision:statistics_export")):
            response = client.get(url, params)
            assert response.status_code == 404, (url, params)
            text = response.content.decode()
            assert "within your scope" in text
            assert "丛台区市场监督管理局" not in text and 'data-column="received"' not in text


def test_a_future_or_reversed_period_is_400_with_the_reason(
    october: dict[str, Any], county_supervisor: Staff
) -> None:
    client = client_for(county_supervisor)
    future = client.get(URL, {"kind": "year", "period": "2099"})
    reversed_ = client.get(URL, {"kind": "custom", "start": "2025-10-31", "end": "2025-10-01"})
    malformed = client.get(URL, {"kind": "month", "period": "2025-13"})
    drill = client.get(
        reverse("supervision:statistics_drill"), {"kind": "quarter", "period": "2099-Q1", "measure": "late"}
    )
    export = client.get(reverse("supervision:statistics_export"), {"kind": "month", "period": "2099-01"})
    for response in (future, reversed_, malformed, drill, export):
        assert response.status_code == 400
        assert response.context["result"] is None
    assert "after today" in future.context["form"].errors["period"][0]
    assert "is after its end" in reversed_.context["form"].errors["end"][0]
    assert "2025-13" in malformed.context["form"].errors["period"][0]
    assert export["Content-Type"].startswith("text/html")


def test_only_supervisors_and_leaders(october: dict[str, Any], handler: Staff) -> None:
    assert client_for(handler).get(URL, OCTOBER).status_code == 403
    assert Client().get(URL, OCTOBER).status_code == 302  # to the login page


# --------------------------------------------------------------------------- Excel


def test_the_excel_export_has_the_table(
    october: dict[str, Any], county_supervisor: Staff, market_dept: Department, town_office: Department
) -> None:
    response = client_for(county_supervisor).get(
        reverse("supervision:statistics_export"), {**OCTOBER, "by": "department"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "statistics-2025-10-department.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert "2025年10月" in values[0][0]
    assert values[1][0] == "Figures from 2025-10-01 to 2025-10-31"
    header = values[2]
    assert header[0] == "Department"
    column = {name: i for i, name in enumerate(header)}
    by_label = {row[0]: row for row in values[3:]}
    market = by_label[market_dept.name]
    assert market[column["Accepted"]] == 9 and market[column["Completed"]] == 8
    assert market[column["On-time rate (%)"]] == 75.0
    assert market[column["Satisfaction (%)"]] == 75.0
    assert market[column["Working days per case"]] == 5.0
    assert by_label[town_office.name][column["Satisfaction (%)"]] is None  # no rating: nothing to divide by
    assert by_label["Total"][column["Received"]] == 13
    assert [row[0] for row in values[3:]] == [town_office.name, market_dept.name, "Total"]


# --------------------------------------------------------------------------- queries


def test_the_page_and_the_export_take_constant_queries(
    october: dict[str, Any], city_leader: Staff, county: Region
) -> None:
    client = client_for(city_leader)

    def count(url: str, by: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {**OCTOBER, "by": by}).status_code == 200
        return len(queries)

    urls = (URL, reverse("supervision:statistics_export"))
    before = {(url, by): count(url, by) for url in urls for by in ("region", "department", "item", "month")}
    for n in range(8):
        dept = DepartmentFactory(name=f"邯山区第{n}局", region=county)
        for day in (3, 15, 28):
            fact(D(2025, 10, day), dept, item=1000 + n, received=5, completed=4, on_time=4, complaints=1)
    after = {(url, by): count(url, by) for url in urls for by in ("region", "department", "item", "month")}
    assert after == before


# --------------------------------------------------------------------------- drill-down


def _drill(client: Client, url: str) -> tuple[int, list[str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    count = int(re.search(r'id="drill-count">(\d+)<', html)[1])  # type: ignore[index]
    rows = re.findall(r'<tr class="drill-row" data-[a-z]+="([^"]+)"', html)
    return count, rows


def test_each_number_drills_down_to_exactly_the_rows_behind_it(
    november: dict[str, Any],  # noqa: F811 (the fixture imported above)
    county_supervisor: Staff,
    market_dept: Department,
) -> None:
    a, b, c, d, e = november["cases"]
    client = client_for(county_supervisor)
    page = client.get(URL, {"kind": "month", "period": "2025-11", "by": "department"}).content.decode()
    numbers = table(page)[str(market_dept.pk)]
    drills = links(page)
    expected = {
        "received": {a.number, b.number, c.number, d.number, e.number},
        "accepted": {a.number, b.number, c.number},
        "refused": {d.number},
        "completed": {a.number, b.number, c.number},
        "on_time": {a.number, b.number},
        "early": {a.number},
        "late": {c.number},
        "online": {b.number, e.number},
        "yellow_cards": {
            str(pk) for pk in Alert.objects.filter(level=Level.YELLOW).values_list("pk", flat=True)
        },
        "complaints": {str(november["complaint"].pk)},
        "irregularities": {str(f.pk) for f in c.irregularities.all()}
        | {str(f.pk) for f in b.irregularities.all()},
    }
    assert len(expected["yellow_cards"]) == 2 and len(expected["irregularities"]) == 2
    for measure, rows in expected.items():
        count, listed = _drill(client, drills[(str(market_dept.pk), measure)])
        assert count == len(rows) == int(numbers[measure]), measure
        assert set(listed) == rows, measure
    # The totals row drills into the same lists.
    count, listed = _drill(client, drills[("total", "late")])
    assert (count, listed) == (1, [c.number])


def test_a_drilled_alert_or_complaint_links_to_its_own_page(
    november: dict[str, Any],  # noqa: F811 (the fixture imported above)
    county_supervisor: Staff,
    market_dept: Department,
) -> None:
    client = client_for(county_supervisor)
    params = {"kind": "month", "period": "2025-11", "department": market_dept.pk}
    alerts = client.get(reverse("supervision:statistics_drill"), {**params, "measure": "yellow_cards"})
    for alert in Alert.objects.filter(level=Level.YELLOW):
        assert reverse("supervision:alert", args=[alert.pk]) in alerts.content.decode()
    complaints = client.get(reverse("supervision:statistics_drill"), {**params, "measure": "complaints"})
    html = complaints.content.decode()
    complaint = Complaint.objects.get()
    assert reverse("supervision:complaint", args=[complaint.pk]) in html
    assert complaint.complainant_name not in html and complaint.complainant_mobile not in html


def test_a_drill_down_of_one_day_and_of_a_month_row(
    november: dict[str, Any],  # noqa: F811 (the fixture imported above)
    county_supervisor: Staff,
    market_dept: Department,
) -> None:
    a, b, c, _d, _e = november["cases"]
    client = client_for(county_supervisor)
    one_day = {"kind": "custom", "start": "2025-11-20", "end": "2025-11-20", "measure": "completed"}
    assert _drill(client, reverse("supervision:statistics_drill") + "?" + _qs(one_day))[1] == [b.number]
    page = client.get(URL, {"kind": "quarter", "period": "2025-Q4", "by": "month"}).content.decode()
    url = links(page)[("2025-11", "completed")]
    assert parse_qs(urlparse(url).query)["month"] == ["2025-11"]
    assert sorted(_drill(client, url)[1]) == sorted([a.number, b.number, c.number])


def _qs(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def test_a_neighbour_county_sees_none_of_the_cases(
    november: dict[str, Any],  # noqa: F811 (the fixture imported above)
    other_county: Region,
    market_dept: Department,
) -> None:
    from yiwang.org.factories import StaffFactory, UserFactory, grant
    from yiwang.org.models import Role

    room = DepartmentFactory(name="丛台区电子监察室", region=other_county, is_supervision_room=True)
    staff = StaffFactory(user=UserFactory(username="supervisor_ct"), name="钱监察", department=room)
    grant(staff, Role.SUPERVISOR, region=other_county)
    client = client_for(staff)
    count, rows = _drill(
        client,
        reverse("supervision:statistics_drill")
        + "?"
        + _qs({"kind": "month", "period": "2025-11", "measure": "received"}),
    )
    assert count == 0 and rows == []
    response = client.get(
        reverse("supervision:statistics_drill"),
        {"kind": "month", "period": "2025-11", "measure": "received", "department": market_dept.pk},
    )
    assert response.status_code == 404
    assert november["cases"][0].number not in response.content.decode()
