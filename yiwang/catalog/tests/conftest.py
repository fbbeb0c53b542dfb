"""Catalog fixtures: published items with every kind of part, built through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from yiwang.catalog.factories import published_item
from yiwang.catalog.models import FAQ, CatalogEntry, Fee, Item, ItemVersion, Material, WorkflowStep
from yiwang.org.models import Department

CATALOG_MODELS = (CatalogEntry, Item, ItemVersion, Material, Fee, WorkflowStep, FAQ)


def catalog_counts() -> dict[str, int]:
    """Rows in every catalog table: compared before and after to prove nothing changed."""
    return {model.__name__: model.objects.count() for model in CATALOG_MODELS}


@pytest.fixture
def licence(market_dept: Department) -> ItemVersion:
    """食品经营许可: conditional material, a fee, a parallel step, an FAQ."""
    return published_item(
        code="130402-XK-0001",
        name="食品经营许可",
        department=market_dept,
        statutory_limit=20,
        promised_limit=10,
        fields={
            "handling_unit": "行政审批科",
            "consultation_phone": "0310-3111111",
            "consultation_address": "邯山区市民服务中心二楼",
            "conditions": "有与经营的食品品种相适应的经营场所",
            "appointment": True,
        },
        materials=[
            {"name": "食品经营许可申请书", "form": "original", "copies": 1},
            {
                "name": "法定代表人授权委托书",
                "form": "original_copy",
                "necessity": "conditional",
                "condition": "委托他人办理的",
                "license_type": "11100000000013338W001",
            },
        ],
        fees=[{"name": "工本费", "standard_amount": Decimal("0"), "basis": "冀价行费〔2018〕1号"}],
        faqs=[{"question": "需要本人到场吗？", "answer": "全程网办，无需到场。"}],
        effective_from=dt.date(2025, 1, 1),
    )


@pytest.fixture
def registration(market_dept: Department) -> ItemVersion:
    return published_item(
        code="130402-QT-0002",
        name="个体工商户登记",
        department=market_dept,
        statutory_limit=15,
        promised_limit=8,
        effective_from=dt.date(2025, 1, 1),
    )


@pytest.fixture
def other_licence(other_market_dept: Department) -> ItemVersion:
    return published_item(
        code="130403-XK-0001",
        name="食品经营许可",
        department=other_market_dept,
        entry_code="E-130402-XK-0001",
        statutory_limit=20,
        promised_limit=12,
        effective_from=dt.date(2025, 1, 1),
    )
