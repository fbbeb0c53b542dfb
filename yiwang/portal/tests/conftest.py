"""Catalog data for the portal tests, built through the catalog services (published_item)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

import pytest

from yiwang.catalog.factories import published_item
from yiwang.catalog.models import ItemType, ItemVersion, LimitUnit, OnlineDepth, StepKind, Target
from yiwang.org.factories import DepartmentFactory
from yiwang.org.models import Department, Region, Role

FOOD_MATERIALS = (
    {
        "name": "食品经营许可申请书",
        "form": "original",
        "copies": 1,
        "necessity": "required",
        "basis": "《食品经营许可管理办法》第十二条",
    },
    {"name": "营业执照复印件", "form": "copy", "copies": 1, "necessity": "required", "source": "government"},
    {
        "name": "授权委托书",
        "form": "original",
        "copies": 1,
        "necessity": "conditional",
        "condition": "委托他人代为办理的",
    },
)


@pytest.fixture
def food_licence(market_dept: Department, county: Region) -> ItemVersion:
    """食品经营许可 at the county market regulator: 7 of 20 working days, free, three materials."""
    return published_item(
        code="HS-SCJG-001",
        name="食品经营许可",
        department=market_dept,
        region=county,
        statutory_limit=20,
        promised_limit=7,
        legal_basis="《中华人民共和国食品安全法》第三十五条",
        fields={
            "handling_unit": "行政审批科",
            "result_name": "食品经营许可证",
            "target": Target.ENTERPRISE,
            "online_depth": OnlineDepth.HANDLING,
            "visits": 0,
            "appointment": True,
            "conditions": "有与经营的食品品种、数量相适应的经营场所。",
            "place_and_hours": "邯山区政务服务中心二楼 12 号窗口，工作日 9:00–17:00",
            "consultation_phone": "0310-3012345",
            "complaint_phone": "0310-3012399",
            "online_url": "https://example.gov.cn/apply/HS-SCJG-001",
        },
        materials=FOOD_MATERIALS,
        faqs=({"question": "食品经营许可证有效期多久？", "answer": "有效期为5年。"},),
    )


@pytest.fixture
def company_seal(market_dept: Department, county: Region) -> ItemVersion:
    """A charged item counted in natural days: 公章刻制备案, ¥80 per seal."""
    return published_item(
        code="HS-SCJG-002",
        name="印章刻制备案",
        department=market_dept,
        region=county,
        statutory_limit=None,
        promised_limit=5,
        fields={
            "limit_unit": LimitUnit.NATURAL_DAYS,
            "target": Target.BOTH,
            "online_depth": OnlineDepth.RECEIPT,
        },
        steps=(
            {"name": "受理", "kind": StepKind.ACCEPT, "role": Role.WINDOW_OPERATOR, "limit": 1},
            {"name": "备案", "kind": StepKind.DECIDE, "role": Role.APPROVER, "limit": 2},
        ),
        fees=(
            {
                "name": "印章刻制费",
                "standard_amount": Decimal("80.00"),
                "unit": "枚",
                "basis": "冀发改价格〔2020〕100号",
                "reductions": "小微企业首次刻制免收",
            },
        ),
    )


@pytest.fixture
def pension(other_county: Region) -> ItemVersion:
    """A public service of another county's social security bureau, for individuals."""
    bureau = cast(
        Department,
        DepartmentFactory(name="丛台区人力资源和社会保障局", short_name="丛台人社局", region=other_county),
    )
    return published_item(
        code="CT-RS-001",
        name="城乡居民养老保险参保登记",
        department=bureau,
        region=other_county,
        item_type=ItemType.PUBLIC_SERVICE,
        statutory_limit=None,
        promised_limit=0,
        fields={"case_kind": "1", "target": Target.INDIVIDUAL, "online_depth": OnlineDepth.ACCEPTANCE},
    )


@pytest.fixture
def catalog(food_licence: ItemVersion, company_seal: ItemVersion, pension: ItemVersion) -> list[ItemVersion]:
    return [food_licence, company_seal, pension]


def many_items(department: Department, count: int, *, prefix: str = "BULK") -> list[ItemVersion]:
    """``count`` published items with a material, a fee and a FAQ each (for query counts)."""
    return [
        published_item(
            code=f"{prefix}-{n:03d}",
            name=f"批量事项{n}",
            department=department,
            materials=({"name": f"材料{n}"},),
            fees=({"name": "工本费", "standard_amount": Decimal("10"), "basis": "文件"},),
            faqs=({"question": "问", "answer": "答"},),
            effective_from=dt.date(2025, 1, 1),
        )
        for n in range(count)
    ]
