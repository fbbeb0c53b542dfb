"""权责清单, 公共服务事项清单 and 收费清单, with their region and department filters."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from yiwang.catalog import services
from yiwang.catalog.factories import published_item
from yiwang.catalog.models import ItemType, ItemVersion
from yiwang.org.models import Department

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def rows(content: str) -> list[str]:
    """The row headers (item or fee names) of the list table."""
    return [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r'<th scope="row"[^>]*>(.*?)</th>', content)]


class TestPowerList:
    def test_lists_administrative_powers_with_basis_limits_and_process(
        self, client: Client, catalog: list[ItemVersion], market_dept: Department
    ) -> None:
        published_item(code="PEN-1", name="违法行为处罚", department=market_dept, item_type=ItemType.PENALTY)
        published_item(code="OTH-1", name="其他权力事项", department=market_dept, item_type=ItemType.OTHER)
        response = client.get("/lists/powers/")
        assert response.status_code == 200
        content = response.content.decode()
        assert sorted(rows(content)) == sorted(
            ["食品经营许可", "印章刻制备案", "违法行为处罚", "其他权力事项"]
        )
        assert "城乡居民养老保险参保登记" not in content  # a public service, not a power
        assert "《中华人民共和国食品安全法》第三十五条" in content
        assert "20个工作日" in content and "7个工作日" in content and "5个自然日" in content
        assert "受理 → 审核 → 决定 → 办结" in content
        assert "行政处罚" in content and "其他行政权力" in content
        assert "共 4 项" in content

    def test_item_type_filter(
        self, client: Client, catalog: list[ItemVersion], market_dept: Department
    ) -> None:
        published_item(code="PEN-1", name="违法行为处罚", department=market_dept, item_type=ItemType.PENALTY)
        assert rows(client.get("/lists/powers/", {"item_type": "02"}).content.decode()) == ["违法行为处罚"]

    def test_public_service_type_is_not_a_power_type(
        self, client: Client, catalog: list[ItemVersion]
    ) -> None:
        content = client.get("/lists/powers/", {"item_type": "20"}).content.decode()
        assert "部分筛选条件有误" in content
        assert rows(content) == []

    def test_region_and_department_filters(
        self,
        client: Client,
        catalog: list[ItemVersion],
        market_dept: Department,
        other_market_dept: Department,
    ) -> None:
        published_item(code="CT-SC-1", name="丛台许可", department=other_market_dept)
        assert rows(client.get("/lists/powers/", {"region": "130403"}).content.decode()) == ["丛台许可"]
        by_department = client.get("/lists/powers/", {"department": str(market_dept.pk)}).content.decode()
        assert sorted(rows(by_department)) == sorted(["食品经营许可", "印章刻制备案"])


class TestPublicServiceList:
    def test_lists_public_services_only(self, client: Client, catalog: list[ItemVersion]) -> None:
        content = client.get("/lists/public-services/").content.decode()
        assert rows(content) == ["城乡居民养老保险参保登记"]
        assert "即办" in content  # the immediate registration's promised limit

    def test_region_filter(self, client: Client, catalog: list[ItemVersion]) -> None:
        content = client.get("/lists/public-services/", {"region": "130402"}).content.decode()
        assert rows(content) == []
        assert "没有符合条件的事项" in content


class TestFeeList:
    def test_lists_each_fee_with_standard_basis_and_reductions(
        self, client: Client, catalog: list[ItemVersion]
    ) -> None:
        content = client.get("/lists/fees/").content.decode()
        assert rows(content) == ["印章刻制费"]
        assert "<strong>¥80</strong>/枚" in content
        assert "冀发改价格〔2020〕100号" in content
        assert "小微企业首次刻制免收" in content
        assert 'href="/items/HS-SCJG-002/"' in content
        assert "食品经营许可" not in content  # free items have no row

    def test_a_waived_fee_row_is_not_a_charge(self, client: Client, market_dept: Department) -> None:
        published_item(
            code="WAIVED",
            name="免收事项",
            department=market_dept,
            fees=(
                {"name": "工本费", "standard_amount": Decimal("0"), "basis": "文件", "reductions": "免收"},
                {"name": "检测费", "standard_amount": Decimal("200"), "basis": "文件"},
            ),
        )
        assert rows(client.get("/lists/fees/").content.decode()) == ["检测费"]

    def test_department_filter(
        self, client: Client, catalog: list[ItemVersion], other_market_dept: Department
    ) -> None:
        published_item(
            code="CT-FEE",
            name="丛台收费事项",
            department=other_market_dept,
            fees=({"name": "登记费", "standard_amount": Decimal("30"), "basis": "文件"},),
        )
        content = client.get("/lists/fees/", {"department": str(other_market_dept.pk)}).content.decode()
        assert rows(content) == ["登记费"]

    def test_fees_of_a_withdrawn_item_leave_the_list(self, client: Client, company_seal: ItemVersion) -> None:
        with time_machine.travel(dt.datetime(2026, 6, 1, 10, tzinfo=SHANGHAI), tick=False):
            services.item_withdraw(item=company_seal.item, on=dt.date(2026, 5, 1))
            assert rows(client.get("/lists/fees/").content.decode()) == []

    def test_htmx_returns_the_table_only(self, client: Client, catalog: list[ItemVersion]) -> None:
        response = client.get(
            "/lists/fees/", {"region": "130402"}, headers={"HX-Request": "true", "HX-Target": "results"}
        )
        content = response.content.decode()
        assert "<html" not in content and "印章刻制费" in content
        assert "共 1 项收费" in content
