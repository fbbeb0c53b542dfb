"""The public performance page (/performance/, 信息服务, seed 004 part 2): each department's
monthly score and rank under the default scheme, satisfaction, on-time rate and the bar
chart of complaints received, for everyone, without signing in and without personal data.

October 2025 as fact rows: 邯山区市场监督管理局 completes 8 cases, 6 on time and 2 early,
receives 10 applications (6 online), 4 ratings (3 satisfied), a yellow and a red card
and 2 complaints; 丛台区市场监督管理局 completes 5 cases, all on time, none early,
receives 7 (none online), no rating, 3 warnings and 4 complaints (none substantiated).

Default scheme, by hand:
- 邯山: on time 6/8 × 30 = 22.5, early 2/8 × 10 = 2.5, satisfaction 3/4 × 20 = 15, online
  6/10 × 10 = 6, one-time notice (no supplement) 10, discipline 20 − 2 − 5 = 13: 69.00.
- 丛台: on time 30, early 0, satisfaction (no rating) 20, online 0, one-time 10,
  discipline (warnings and unsubstantiated complaints take nothing) 20: 80.00.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from yiwang.org.factories import DepartmentFactory
from yiwang.org.models import Department, Region
from yiwang.supervision.models import DailyFact
from yiwang.supervision.tests.conftest import at
from yiwang.supervision.tests.test_facts import (  # noqa: F401 (fixtures)
    applicant,
    november,
    people,
    recorded_as_it_happens,
    window_3,
)

pytestmark = pytest.mark.django_db

D = dt.date
URL = "/performance/"


def fact(day: dt.date, department: Department, **measures: int) -> None:
    DailyFact.objects.create(day=day, department=department, region_path=department.region.path, **measures)


@pytest.fixture
def october(market_dept: Department, other_market_dept: Department) -> None:
    fact(D(2025, 10, 9), market_dept, received=10, online=6, ratings=4, ratings_satisfied=3)
    fact(D(2025, 10, 20), market_dept, completed=8, on_time=6, early=2, late=2, yellow_cards=1, red_cards=1)
    fact(D(2025, 10, 21), market_dept, complaints=2)
    fact(D(2025, 10, 10), other_market_dept, received=7, completed=5, on_time=5, warnings=3, complaints=4)
    fact(D(2025, 9, 30), other_market_dept, complaints=50)  # September: not shown for October


def score_rows(html: str) -> list[list[str]]:
    rows = []
    for row in re.findall(r'<tr class="score-row">(.*?)</tr>', html, re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        rows.append([re.sub(r"<[^>]+>", "", c).strip() for c in cells])
    return rows


def test_scores_ranks_and_the_complaint_chart_of_a_month(october: None, province: Region) -> None:
    response = Client().get(URL, {"month": "2025-10"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "2025年10月" in html and province.name in html
    rows = score_rows(html)
    assert rows[0][:3] == ["1", "丛台区市场监督管理局", "80.00"]
    assert rows[0][4:] == ["100.0%", "4"]  # satisfaction: no rating given
    assert rows[1] == ["2", "邯山区市场监督管理局", "69.00", "75.0%", "75.0%", "2"]
    charts = json.loads(re.search(r'id="complaint-charts" type="application/json">(.*?)</script>', html)[1])  # type: ignore[index]
    assert charts == [{"departments": ["丛台区市场监督管理局", "邯山区市场监督管理局"], "complaints": [4, 2]}]
    assert 'class="performance-chart"' in html


def test_a_county_alone(october: None, county: Region) -> None:
    html = Client().get(URL, {"month": "2025-10", "region": county.code}).content.decode()
    rows = score_rows(html)
    assert [r[:3] for r in rows] == [["1", "邯山区市场监督管理局", "69.00"]]
    assert "丛台区市场监督管理局</th>" not in html


def test_the_default_is_the_last_complete_month(october: None) -> None:
    with time_machine.travel(at("2025-11-15", "10:00"), tick=False):
        html = Client().get(URL).content.decode()
    assert "2025年10月" in html and len(score_rows(html)) == 2
    with time_machine.travel(at("2025-10-15", "10:00"), tick=False):
        current = Client().get(URL, {"month": "2025-10"}).content.decode()
    assert "2025-10-15" in current  # a month under way says how far its figures go
    assert len(score_rows(current)) == 2  # the facts of the 9th and 10th


def test_a_future_or_malformed_month_is_400_and_an_unknown_region_404(october: None, town: Region) -> None:
    client = Client()
    client.cookies["django_language"] = "en"
    future = client.get(URL, {"month": "2099-01"})
    assert future.status_code == 400
    assert "after today" in future.content.decode() and not score_rows(future.content.decode())
    malformed = client.get(URL, {"month": "2025-13"})
    assert malformed.status_code == 400 and "2025-13" in malformed.content.decode()
    for code in ("999999", town.code):  # a town is not published on its own
        response = client.get(URL, {"month": "2025-10", "region": code})
        assert response.status_code == 404
        assert f"no city or county with the code “{code}”" in response.content.decode()


def test_no_personal_data_on_the_public_page(
    november: dict[str, Any],  # noqa: F811 (the fixture imported above)
    market_dept: Department,
) -> None:
    html = Client().get(URL, {"month": "2025-11"}).content.decode()
    assert market_dept.name in html
    rows = score_rows(html)
    assert rows[0][1] == market_dept.name and rows[0][-1] == "1"  # the complaint about 孙窗口
    complaint = november["complaint"]
    personal = [
        "孙窗口",  # the window operator complained about
        "李承办",
        "周审核",
        "吴批准",
        "王监察",
        "赵领导",
        "刘芳",  # the applicant and complainant
        "13803100001",
        complaint.number,
        complaint.content,
        *[case.number for case in november["cases"]],
        "liufang",
    ]
    for text in personal:
        assert text not in html, text
    assert 'href="/supervision/' not in html  # no link into the console


def test_constant_queries_as_departments_and_facts_grow(october: None, county: Region) -> None:
    client = Client()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"month": "2025-10"}).status_code == 200
        return len(queries)

    before = count()
    for n in range(8):
        dept = DepartmentFactory(name=f"邯山区第{n}局", region=county)
        for day in (2, 16, 30):
            fact(D(2025, 10, day), dept, received=5, completed=4, on_time=4, complaints=n)
    assert count() == before
    assert len(score_rows(client.get(URL, {"month": "2025-10"}).content.decode())) == 10
