"""The performance report pages under /supervision/reports/: the leader's dashboard, the
monthly summary (quarterly bulletin, annual evaluation) as a page, an Excel workbook and
a PDF, and one department's breakdown; who may see them, bad periods and regions outside
the scope; a fixed number of queries; and the summary page in a browser at a phone's and
a desktop's width.

October 2025 of 邯郸市: 邯山区市场监督管理局 did well (87.50 points: a red card cost it
5), 丛台区市场监督管理局 poorly (50.00 points), each figure below worked out by hand from
the daily facts of the fixture.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import os
import re
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pypdf
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from yiwang.browser_fixtures import SCREENSHOTS, screenshot, signed_in
from yiwang.org.factories import DepartmentFactory, StaffFactory, UserFactory, center, grant, window
from yiwang.org.models import Department, Region, Role, Staff
from yiwang.supervision.models import DailyFact

pytestmark = pytest.mark.django_db

# Playwright's sync API (the browser test at the end) runs an event loop in this thread;
# Django's ORM refuses to run in a thread with a running loop unless told that this is
# deliberate.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_OCTOBER = dt.datetime(2025, 10, 31, 16, 0, tzinfo=SHANGHAI)
SUMMARY = "/supervision/reports/month/2025-10/"


def fact(day: dt.date, department: Department, *, window: int = 0, staff: int = 0, **measures: int) -> None:
    DailyFact.objects.create(
        day=day,
        department=department,
        region_path=department.region.path,
        item_id=1,
        window_id=window,
        staff_id=staff,
        **measures,
    )


@pytest.fixture
def october(
    county: Region, other_county: Region, market_dept: Department, other_market_dept: Department
) -> dict[str, Any]:
    hall = center(county, "邯山区政务服务中心", "邯山区人民路1号")
    other_hall = center(other_county, "丛台区政务服务中心", "丛台区中华路2号")
    a01 = window(hall, "A01", "市场准入", [market_dept])
    a02 = window(hall, "A02", "食品经营", [market_dept])
    b01 = window(other_hall, "B01", "市场准入", [other_market_dept])
    liu = StaffFactory(name="刘窗口", department=market_dept)
    sun = StaffFactory(name="孙窗口", department=market_dept)
    zhou = StaffFactory(name="周窗口", department=other_market_dept)
    good = {"received": 40, "online": 30, "completed": 30, "on_time": 30, "early": 15, "workdays_used": 90}
    good |= {"promised_days": 300, "statutory_days": 600, "ratings": 20, "ratings_satisfied": 20}
    fact(D(2025, 10, 9), market_dept, window=a01.pk, staff=liu.pk, **good)
    fact(D(2025, 10, 20), market_dept, window=a02.pk, staff=sun.pk, **good, red_cards=1)
    poor = {"received": 20, "online": 2, "completed": 20, "on_time": 10, "late": 10, "workdays_used": 300}
    poor |= {"promised_days": 200, "statutory_days": 400, "ratings": 10, "ratings_satisfied": 5}
    fact(
        D(2025, 10, 10), other_market_dept, window=b01.pk, staff=zhou.pk, **poor, yellow_cards=3, complaints=2
    )
    fact(D(2025, 9, 15), market_dept, window=a01.pk, staff=liu.pk, received=11, completed=5, on_time=5)
    return {"good": market_dept, "poor": other_market_dept, "a01": a01, "a02": a02, "liu": liu}


def as_user(user: Any, language: str = "en") -> Client:
    """A signed-in client; English by default, so that messages read as their msgids."""
    client = Client()
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def text_of(page: str) -> str:
    """The page's text without tags and white space."""
    return re.sub(r"\s+", "", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def says(page: str, message: str) -> bool:
    return re.sub(r"\s+", "", message) in text_of(page)


def row_text(page: str, marker: str) -> str:
    """The text of the first table row or list item carrying ``marker`` (an attribute)."""
    found = re.search(rf"<(tr|li)[^>]*{re.escape(marker)}[^>]*>(.*?)</\1>", page, re.S)
    assert found, marker
    return text_of(found.group(2))


def section(page: str, start: str, end: str) -> str:
    return page[page.index(f'id="{start}"') : page.index(f'id="{end}"')]


# --------------------------------------------------------------------------- the dashboard


def test_the_dashboard_compares_this_month_with_the_last_and_ranks_the_departments(
    october: dict[str, Any], city_leader: Staff
) -> None:
    with time_machine.travel(END_OF_OCTOBER, tick=False):
        response = as_user(city_leader.user).get("/supervision/reports/")
    assert response.status_code == 200
    page = response.content.decode()
    assert says(page, "邯郸市: performance dashboard")
    # received: 100 this month against 11 in September; on time 70 of 80 against 5 of 5
    assert row_text(page, 'data-figure="received"') == "Received10011"
    assert row_text(page, 'data-figure="on_time_rate"') == "On-timerate87.5%100.0%-12.5"
    assert row_text(page, 'data-figure="satisfaction"') == "Satisfaction90.0%—"
    # the regions below
    assert row_text(page, 'data-region="130402"') == "邯山区8060100.0%100.0%010"
    assert row_text(page, 'data-region="130403"') == "丛台区202050.0%50.0%302"
    # the best departments, each linking to its breakdown for the month
    best = section(page, "best", "worst")
    assert row_text(best, f'data-department="{october["good"].pk}"') == "1邯山区市场监督管理局87.50points"
    assert row_text(best, f'data-department="{october["poor"].pk}"') == "2丛台区市场监督管理局50.00points"
    link = f"/supervision/reports/month/2025-10/departments/{october['good'].pk}/?region=130400"
    assert link in best
    # the twelve months of the chart, September and October last
    assert '"months": ["2024-11"' in page
    assert '"received": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11, 100]' in page


def test_a_county_supervisor_sees_the_county_and_may_not_choose_the_city(
    october: dict[str, Any], county_supervisor: Staff, town: Region
) -> None:
    client = as_user(county_supervisor.user)
    with time_machine.travel(END_OF_OCTOBER, tick=False):
        page = client.get("/supervision/reports/").content.decode()
        outside = client.get("/supervision/reports/?region=130403")
        nowhere = client.get("/supervision/reports/?region=999999")
        summary = client.get(SUMMARY + "?region=130400")
        village = client.get("/supervision/reports/?region=130402001000")  # 火磨街道, a town of the county
    assert says(page, "邯山区: performance dashboard")
    assert village.status_code == 200 and 'value="130402001000" selected' in village.content.decode()
    assert row_text(page, 'data-figure="received"') == "Received8011"
    assert "丛台区市场监督管理局" not in page
    assert outside.status_code == 404
    assert says(outside.content.decode(), "丛台区 is outside your scope: you may see the reports of 邯山区.")
    assert nowhere.status_code == 404 and says(nowhere.content.decode(), "No region has the code “999999”.")
    assert summary.status_code == 404
    assert says(summary.content.decode(), "邯郸市 is outside your scope")


def test_the_reports_need_a_login_and_a_supervisor_or_leader(handler: Staff, client: Client) -> None:
    response = client.get("/supervision/reports/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    staff = as_user(handler.user)
    for url in (
        "/supervision/reports/",
        SUMMARY,
        SUMMARY.rstrip("/") + ".xlsx",
        SUMMARY.rstrip("/") + ".pdf",
    ):
        assert staff.get(url).status_code == 403, url


def test_a_leader_of_a_department_only_has_no_region_to_report_on(market_dept: Department) -> None:
    head = StaffFactory(user=UserFactory(username="head_only"), name="陈局长", department=market_dept)
    grant(head, Role.LEADER, department=market_dept)
    assert as_user(head.user).get("/supervision/reports/").status_code == 403


def test_the_navigation_offers_reports_and_statistics(city_leader: Staff, handler_user: Any) -> None:
    page = as_user(city_leader.user).get("/supervision/reports/").content.decode()
    assert 'href="/supervision/reports/" aria-current="page">Reports<' in page
    assert 'href="/supervision/statistics/">Statistics<' in page
    alerts = as_user(handler_user).get("/supervision/alerts/").content.decode()
    assert "/supervision/reports/" not in alerts and "/supervision/statistics/" not in alerts


# --------------------------------------------------------------------------- the summary


def test_the_monthly_summary_page_ranks_nominates_and_counts_the_complaints(
    october: dict[str, Any], city_leader: Staff, settings: Any
) -> None:
    settings.SUPERVISION_NOMINATIONS = {"window": {"min_score": 90}, "staff": {"min_score": 90}}
    response = as_user(city_leader.user).get(SUMMARY + "?region=130400")
    assert response.status_code == 200
    page = response.content.decode()
    assert says(page, "邯郸市, 2025年10月: monthly performance summary")
    assert says(page, "From 2025-10-01 to 2025-10-31")
    # figures: 100 received, 70 of 80 on time, 45 of 50 satisfied, 62 of 100 online
    assert row_text(page, 'data-figure="received"') == "Received100"
    assert row_text(page, 'data-figure="on_time_rate"') == "On-timerate87.5%"
    assert row_text(page, 'data-figure="satisfaction"') == "Satisfaction90.0%"
    assert row_text(page, 'data-figure="online_share"') == "Onlineshare62.0%"
    assert row_text(page, 'data-figure="average_workdays"') == "Workingdayspercase6.0workingdays"
    # each indicator's points: on time 30, early 5, satisfaction 20, online 7.5, notices 10,
    # discipline 20 − 5 for the red card
    good = row_text(page, f'data-department="{october["good"].pk}"')
    assert good == "1邯山区市场监督管理局30.005.0020.007.5010.0015.0087.50"
    poor = row_text(page, f'data-department="{october["poor"].pk}"')
    assert poor == "2丛台区市场监督管理局15.000.0010.001.0010.0014.0050.00"
    # A01 (92.50) is a red-flag window; A02 (87.50, a red card) is not; 刘窗口 a model
    flags = section(page, "red-flag-windows", "model-staff")
    assert "A01" in flags and "A02" not in flags and "92.50" in flags
    assert says(flags, "the best 3 windows with at least 90 points, no red card")
    model = section(page, "model-staff", "windows")
    assert "刘窗口" in model and "孙窗口" not in model
    windows = section(page, "windows", "staff")
    assert row_text(
        windows, f'data-subject="{october["a02"].pk}"'
    ) == f"2{october['a02']}87.5030100.0%100.0%1".replace(" ", "")
    complaints = page[page.index('id="complaints"') :]
    assert "丛台区市场监督管理局" in complaints and '"complaints": [2]' in complaints


def test_a_quarter_and_a_year_read_the_same_facts(october: dict[str, Any], city_leader: Staff) -> None:
    client = as_user(city_leader.user)
    quarter = client.get("/supervision/reports/quarter/2025-Q4/?region=130400").content.decode()
    assert says(quarter, "邯郸市, 2025年第四季度: quarterly performance bulletin")
    assert row_text(quarter, 'data-figure="received"') == "Received100"
    year = client.get("/supervision/reports/year/2025/?region=130400").content.decode()
    assert says(year, "邯郸市, 2025年度: annual performance evaluation")
    assert row_text(year, 'data-figure="received"') == "Received111"  # September counts too


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/supervision/reports/month/2025-13/", "“2025-13” is not a valid month; write it as 2025-10."),
        ("/supervision/reports/month/October/", "“October” is not a valid month; write it as 2025-10."),
        ("/supervision/reports/quarter/2025-Q5/", "“2025-Q5” is not a valid quarter; write it as 2025-Q4."),
        (
            "/supervision/reports/custom/2025-10-15..2025-10-01/",
            "The period's start (2025-10-15) is after its end (2025-10-01).",
        ),
        ("/supervision/reports/week/2025-40/", "“week” is not a kind of report"),
    ],
)
def test_a_malformed_or_reversed_period_is_refused_with_its_reason(
    city_leader: Staff, url: str, message: str
) -> None:
    client = as_user(city_leader.user)
    response = client.get(url)
    assert response.status_code == 400
    assert says(response.content.decode(), message)
    assert 'id="choose"' in response.content.decode()  # the choice is offered again
    for suffix in (".xlsx", ".pdf"):
        assert client.get(url.rstrip("/") + suffix).status_code == 400


def test_a_period_in_the_future_is_refused(city_leader: Staff) -> None:
    with time_machine.travel(END_OF_OCTOBER, tick=False):
        client = as_user(city_leader.user)
        page = client.get("/supervision/reports/month/2025-11/")
        workbook = client.get("/supervision/reports/month/2025-11.xlsx")
        breakdown = client.get(f"/supervision/reports/year/2026/departments/{city_leader.department_id}/")
    assert page.status_code == 400 and workbook.status_code == 400 and breakdown.status_code == 400
    assert says(page.content.decode(), "2025年11月 starts on 2025-11-01, after today (2025-10-31)")


def test_the_form_leads_to_the_report_or_shows_its_error(city_leader: Staff, county: Region) -> None:
    client = as_user(city_leader.user)
    chosen = {"kind": "quarter", "period": "2025q3", "region": "130402"}
    response = client.get("/supervision/reports/show/", chosen)
    assert response.status_code == 302
    assert response["Location"] == "/supervision/reports/quarter/2025-Q3/?region=130402"
    refused = client.get(
        "/supervision/reports/show/", {"kind": "month", "period": "2025/10", "region": "130400"}
    )
    assert refused.status_code == 400
    assert says(refused.content.decode(), "“2025/10” is not a valid month")


def test_the_department_breakdown_explains_every_indicator(
    october: dict[str, Any], city_leader: Staff, county_supervisor: Staff
) -> None:
    url = f"/supervision/reports/month/2025-10/departments/{october['good'].pk}/"
    page = as_user(city_leader.user).get(url + "?region=130400").content.decode()
    assert 'id="score-total">87.50<' in page
    assert row_text(page, 'data-indicator="early"') == "提前办结率105.00提前办结30/60件，50.0%，得5.00分"
    assert (
        row_text(page, 'data-indicator="discipline"')
        == "效能纪律2015.00红牌1张扣5.00分，共扣5.00分，得15.00分"
    )
    # The neighbour's department is not in the county supervisor's region.
    other = f"/supervision/reports/month/2025-10/departments/{october['poor'].pk}/"
    response = as_user(county_supervisor.user).get(other)
    assert response.status_code == 404
    assert says(response.content.decode(), f"No department of 邯山区 has the number {october['poor'].pk}.")


# --------------------------------------------------------------------------- the files


def test_the_excel_workbook_has_the_figures_and_rankings_as_numbers(
    october: dict[str, Any], city_leader: Staff
) -> None:
    response = as_user(city_leader.user).get("/supervision/reports/month/2025-10.xlsx?region=130400")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["总体情况", "部门排名", "窗口排名", "个人排名", "评选推荐", "效能投诉"]
    figures = book["总体情况"]
    assert figures["A1"].value == "邯郸市2025年10月政务服务绩效月汇总"
    assert [c.value for c in figures[5]] == ["项目", "数值", "单位"]
    assert figures.freeze_panes == "A6"
    rows = {row[0]: row[1] for row in figures.iter_rows(min_row=6, values_only=True)}
    assert rows["申请"] == 100 and rows["按时办结率"] == 87.5 and rows["群众满意度"] == 90
    departments = book["部门排名"]
    assert departments.freeze_panes == "A2"
    header = [c.value for c in departments[1]]
    assert header[:3] == ["名次", "部门", "按时办结率（30分）"] and "总分" in header
    first = [c.value for c in departments[2]]
    assert first[:9] == [1, "邯山区市场监督管理局", 30, 5, 20, 7.5, 10, 15, 87.5]
    assert isinstance(departments.cell(row=2, column=9).value, float | int)
    assert departments.column_dimensions["B"].width >= 20  # the department's name fits
    assert [c.value for c in departments[3]][:2] == [2, "丛台区市场监督管理局"]
    nominations = list(book["评选推荐"].iter_rows(min_row=2, values_only=True))
    assert nominations[0][:4] == ("红旗窗口", 1, str(october["a01"]), 92.5)
    assert list(book["效能投诉"].iter_rows(min_row=2, values_only=True)) == [("丛台区市场监督管理局", 2, 0)]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_pdf_report_is_titled_and_carries_the_ranking(
    october: dict[str, Any], city_leader: Staff
) -> None:
    response = as_user(city_leader.user).get("/supervision/reports/month/2025-10.pdf?region=130400")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = "".join(squeeze(page.extract_text()) for page in reader.pages)
    assert "邯郸市2025年10月政务服务绩效月汇总" in text  # Chinese, whatever the viewer's language
    assert "邯郸市政务服务中心电子监察室" in text
    assert "邯山区市场监督管理局30.005.0020.007.5010.0015.0087.50" in text
    assert "红旗窗口" in text and "先进个人" in text


# --------------------------------------------------------------------------- queries


def test_the_pages_read_a_fixed_number_of_queries(
    october: dict[str, Any], city_leader: Staff, county: Region
) -> None:
    client = as_user(city_leader.user)
    urls = ["/supervision/reports/", SUMMARY, SUMMARY.rstrip("/") + ".xlsx"]

    def count(url: str) -> int:
        with time_machine.travel(END_OF_OCTOBER, tick=False), CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = [count(url) for url in urls]
    hall = center(county, "邯山区第二政务服务中心", "邯山区和平路3号")
    for n in range(6):
        dept = DepartmentFactory(name=f"邯山区第{n}局", region=county)
        desk = window(hall, f"C{n}", f"综合{n}", [dept])
        person = StaffFactory(name=f"员工{n}", department=dept)
        fact(D(2025, 10, 13), dept, window=desk.pk, staff=person.pk, received=5, completed=5, on_time=5)
        fact(D(2025, 10, 14), dept, window=desk.pk, staff=person.pk, received=3, complaints=1)
    assert [count(url) for url in urls] == before


# --------------------------------------------------------------------------- in a browser


def assert_fits(page: Any, name: str) -> None:
    """Nothing runs off the side of the page."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name}: {page.url} is {overflow}px wider than the screen"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("ledger_flushable")
def test_the_summary_page_at_a_phones_and_a_desktops_width(
    browser: Any, live_server: Any, october: dict[str, Any], city_leader: Staff
) -> None:
    # This month and the last on the real clock, for the dashboard.
    today = timezone.localdate()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    for day, received in ((today, 30), (last_month, 45)):
        fact(
            day, october["good"], received=received, online=20, completed=25, on_time=24, early=9, ratings=10
        )
        fact(
            day,
            october["poor"],
            received=received // 3,
            completed=12,
            on_time=8,
            yellow_cards=1,
            complaints=1,
        )
    with translation.override("zh-hans"):
        for name, viewport in (
            ("reports-390", {"width": 390, "height": 844}),
            ("reports-1366", {"width": 1366, "height": 900}),
        ):
            page = signed_in(
                browser,
                live_server,
                city_leader.user,
                SUMMARY + "?region=130400",
                viewport,
                phone=viewport["width"] < 500,
            )
            page.wait_for_selector("#complaint-chart canvas")
            assert "邯郸市" in page.locator("#report-title").inner_text()
            assert_fits(page, name)
            screenshot(page, name)
            page.click(f'[data-department="{october["good"].pk}"] a')
            page.wait_for_selector("#breakdown")
            assert page.locator("#score-total").inner_text() == "87.50"
            assert_fits(page, name)
            screenshot(page, name.replace("reports", "breakdown"))
            page.goto(live_server.url + "/supervision/reports/?region=130400")
            page.wait_for_selector("#trend-chart canvas")
            assert_fits(page, name)
            screenshot(page, name.replace("reports", "dashboard"))
            page.context.close()
    assert (SCREENSHOTS / "reports-390.png").exists()
