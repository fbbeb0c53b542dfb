"""Home page and item list: what a citizen sees, each filter, bad filter values, htmx."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from yiwang.catalog import services
from yiwang.catalog.factories import published_item
from yiwang.catalog.models import ItemVersion
from yiwang.org.models import Department, Region
from yiwang.portal.tests.conftest import many_items

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def listed(client: Client, **params: str) -> list[str]:
    """Names of the items on the list page for these query parameters."""
    response = client.get("/items/", params)
    assert response.status_code == 200
    return re.findall(r'<h2 class="item-card__title"><a href="[^"]+">([^<]+)</a>', response.content.decode())


class TestHome:
    def test_home_offers_search_targets_departments_and_public_lists(
        self, client: Client, catalog: list[ItemVersion], market_dept: Department
    ) -> None:
        response = client.get("/")
        assert response.status_code == 200
        content = response.content.decode()
        assert 'action="/items/"' in content and 'name="q"' in content
        assert 'href="/items/?target=individual"' in content and "个人办事" in content
        assert 'href="/items/?target=enterprise"' in content and "法人办事" in content
        assert f'href="/items/?department={market_dept.pk}"' in content
        assert "邯山区市场监督管理局" in content and "2 个事项" in content
        for url in ("/lists/powers/", "/lists/public-services/", "/lists/fees/"):
            assert f'href="{url}"' in content
        assert "<strong>3</strong>" in content  # services in force

    def test_home_without_any_item(self, client: Client, db: None) -> None:
        response = client.get("/")
        assert response.status_code == 200
        assert "暂无已发布的事项" in response.content.decode()

    def test_departments_page_groups_by_region(self, client: Client, catalog: list[ItemVersion]) -> None:
        content = client.get("/departments/").content.decode()
        assert content.index("邯山区市场监督管理局") < content.index("丛台区人力资源和社会保障局")
        assert "<h2>邯山区</h2>" in content and "<h2>丛台区</h2>" in content

    def test_language_switch_turns_the_page_english(self, client: Client, catalog: list[ItemVersion]) -> None:
        response = client.post("/i18n/setlang/", {"language": "en", "next": "/items/"})
        assert response.status_code == 302
        assert response["Location"] == "/items/"
        content = client.get("/items/").content.decode()
        assert '<html lang="en">' in content
        assert "3 services" in content
        assert "Administrative licensing" in content


class TestItemList:
    def test_lists_every_item_in_force(self, client: Client, catalog: list[ItemVersion]) -> None:
        assert sorted(listed(client)) == sorted(["食品经营许可", "印章刻制备案", "城乡居民养老保险参保登记"])

    def test_cards_say_type_limit_fees_and_visits(self, client: Client, catalog: list[ItemVersion]) -> None:
        content = client.get("/items/").content.decode()
        assert "承诺7个工作日" in content
        assert "承诺5个自然日" in content
        assert "当场办结" in content  # the immediate pension registration
        assert "全程网办" in content and "零跑动" in content and "最多跑一次" in content
        assert "不收费" in content and ">收费<" in content

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"region": "130402"}, ["食品经营许可", "印章刻制备案"]),
            ({"region": "130403"}, ["城乡居民养老保险参保登记"]),
            # a city covers its counties
            ({"region": "130400"}, ["食品经营许可", "印章刻制备案", "城乡居民养老保险参保登记"]),
            ({"item_type": "01"}, ["食品经营许可", "印章刻制备案"]),
            ({"item_type": "20"}, ["城乡居民养老保险参保登记"]),
            ({"item_type": "05"}, []),
            # items for both count as for individuals and for enterprises
            ({"target": "individual"}, ["印章刻制备案", "城乡居民养老保险参保登记"]),
            ({"target": "enterprise"}, ["食品经营许可", "印章刻制备案"]),
            ({"online_depth": "5"}, ["食品经营许可"]),
            ({"online_depth": "4"}, ["食品经营许可", "城乡居民养老保险参保登记"]),
            ({"online_depth": "2"}, ["食品经营许可", "印章刻制备案", "城乡居民养老保险参保登记"]),
            ({"q": "许可", "target": "enterprise"}, ["食品经营许可"]),
        ],
    )
    def test_each_filter(
        self, client: Client, catalog: list[ItemVersion], params: dict[str, str], expected: list[str]
    ) -> None:
        assert sorted(listed(client, **params)) == sorted(expected)

    def test_department_filter(
        self, client: Client, catalog: list[ItemVersion], market_dept: Department
    ) -> None:
        assert sorted(listed(client, department=str(market_dept.pk))) == ["印章刻制备案", "食品经营许可"]

    def test_department_choices_follow_the_region(
        self, client: Client, catalog: list[ItemVersion], market_dept: Department
    ) -> None:
        content = client.get("/items/", {"region": "130403"}).content.decode()
        select = content[
            content.index('name="department"') : content.index(
                "</select>", content.index('name="department"')
            )
        ]
        assert "丛台区人力资源和社会保障局" in select
        assert "邯山区市场监督管理局" not in select

    def test_a_department_outside_a_newly_chosen_region_is_dropped(
        self, client: Client, catalog: list[ItemVersion], market_dept: Department
    ) -> None:
        # the citizen had picked the 邯山区 department, then switches the region to 丛台区
        names = listed(client, region="130403", department=str(market_dept.pk))
        assert names == ["城乡居民养老保险参保登记"]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"region": "999999"}, "地区"),
            ({"region": "abc"}, "地区"),
            ({"department": "999999"}, "部门"),
            ({"department": "x"}, "部门"),
            ({"item_type": "99"}, "事项类型"),
            ({"target": "aliens"}, "服务对象"),
            ({"online_depth": "9"}, "网上办理"),
        ],
    )
    def test_a_bad_filter_value_is_reported_on_its_field_and_lists_nothing(
        self, client: Client, catalog: list[ItemVersion], params: dict[str, str], field: str
    ) -> None:
        response = client.get("/items/", params)
        assert response.status_code == 200
        content = response.content.decode()
        assert "部分筛选条件有误" in content
        assert f"<li>{field}：" in content
        assert "field--error" in content
        assert listed(client, **params) == []

    def test_pages_of_twenty(self, client: Client, market_dept: Department) -> None:
        many_items(market_dept, 25)
        assert len(listed(client)) == 20
        assert len(listed(client, page="2")) == 5
        assert len(listed(client, page="99")) == 5  # past the end: the last page
        assert len(listed(client, page="abc")) == 20
        content = client.get("/items/", {"q": "批量", "page": "1"}).content.decode()
        assert "第 1 页，共 2 页" in content
        assert 'href="?q=%E6%89%B9%E9%87%8F&amp;page=2"' in content  # keeps the query


class TestHtmx:
    def test_filter_change_returns_only_the_results(self, client: Client, catalog: list[ItemVersion]) -> None:
        response = client.get(
            "/items/", {"region": "130403"}, headers={"HX-Request": "true", "HX-Target": "results"}
        )
        content = response.content.decode()
        assert "<html" not in content
        assert content.lstrip().startswith('<section id="results"')
        assert "城乡居民养老保险参保登记" in content and "食品经营许可" not in content
        # the count and the department choices are refreshed out of band
        assert 'id="results-count" class="results__count" role="status" hx-swap-oob="innerHTML"' in content
        assert 'id="field-department" hx-swap-oob="true"' in content
        assert "HX-Request" in response["Vary"]

    def test_history_restore_gets_the_whole_page(self, client: Client, catalog: list[ItemVersion]) -> None:
        response = client.get(
            "/items/",
            headers={"HX-Request": "true", "HX-Target": "results", "HX-History-Restore-Request": "true"},
        )
        assert "<html" in response.content.decode()

    def test_without_htmx_the_whole_page(self, client: Client, catalog: list[ItemVersion]) -> None:
        content = client.get("/items/", {"region": "130403"}).content.decode()
        assert "<html" in content and 'hx-get="/items/"' in content
        assert "hx-swap-oob" not in content


class TestInForceOnly:
    def test_drafts_future_and_withdrawn_versions_are_not_listed(
        self, client: Client, market_dept: Department, county: Region
    ) -> None:
        with time_machine.travel(dt.datetime(2026, 6, 1, 10, tzinfo=SHANGHAI), tick=False):
            published_item(code="NOW", name="现行事项", department=market_dept)
            published_item(
                code="LATER", name="将来事项", department=market_dept, effective_from=dt.date(2026, 7, 1)
            )
            gone = published_item(code="GONE", name="已取消事项", department=market_dept)
            services.item_withdraw(item=gone.item, on=dt.date(2026, 5, 1))
            draft_item = services.item_create(
                code="DRAFT", entry=gone.item.entry, department=market_dept, region=county
            )
            services.draft_create(item=draft_item, fields={"name": "草稿事项", "promised_limit": 10})
            client_names = listed(Client())
        assert client_names == ["现行事项"]

    def test_a_version_published_for_a_future_date_appears_on_that_date(
        self, market_dept: Department
    ) -> None:
        with time_machine.travel(dt.datetime(2026, 6, 1, 10, tzinfo=SHANGHAI), tick=False):
            published_item(
                code="LATER", name="将来事项", department=market_dept, effective_from=dt.date(2026, 7, 1)
            )
        # local midnight in Shanghai, still 30 June in UTC
        with time_machine.travel(dt.datetime(2026, 6, 30, 23, 50, tzinfo=SHANGHAI), tick=False):
            assert listed(Client()) == []
        with time_machine.travel(dt.datetime(2026, 7, 1, 0, 10, tzinfo=SHANGHAI), tick=False):
            assert listed(Client()) == ["将来事项"]


def test_unknown_page_gets_the_site_404(client: Client, db: None) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    content = response.content.decode()
    assert '<h1 class="page-title">页面不存在</h1>' in content
    assert 'name="q"' in content  # a way onwards
