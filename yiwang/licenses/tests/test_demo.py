"""The demo's e-licenses: directory types, licenses of completed cases, and the two held
by the demo citizen and enterprise for 一号申请."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.catalog.factories import published_item
from yiwang.catalog.models import ResultType
from yiwang.core.identifiers import build_resident_id
from yiwang.demo import data
from yiwang.demo.licenses import seed_licenses
from yiwang.licenses import selectors
from yiwang.licenses.models import HolderKind, License, LicenseType
from yiwang.org.factories import DepartmentFactory
from yiwang.portal.factories import citizen_account

pytestmark = pytest.mark.django_db


def test_seed_licenses(walk, licence_item, county, market_dept) -> None:
    police = DepartmentFactory(name="邯郸市公安局户政管理支队", region=county)
    published_item(
        code="HS-SFZ-001",
        name="居民身份证换领",
        department=police,
        fields={"result_type": ResultType.LICENSE, "result_name": "居民身份证"},
    )
    published_item(
        code="HS-QYDJ-001",
        name="企业设立登记",
        department=market_dept,
        fields={"result_type": ResultType.LICENSE, "result_name": "营业执照"},
    )
    zhangsan = citizen_account(
        username="zhangsan",
        name="张三",
        id_number=build_resident_id("130402", dt.date(1990, 3, 7), 123),
        mobile="13800138000",
    )
    congtai = citizen_account(
        username="congtai",
        name="邯郸市丛台食品有限公司",
        id_number="91130402MA0A1B2C3D",
        mobile="13700137000",
        kind="enterprise",
    )
    # a completed case whose license is missing (seeded before the receiver was connected)
    case = walk.approved(licence_item)
    License.objects.filter(case=case).delete()

    now = timezone.now()
    assert seed_licenses(now) == 3
    assert seed_licenses(now) == 0

    # the directory holds every demo type; 食品经营许可证, registered under the issuer when
    # the case completed before the directory was seeded, keeps its code
    directory = dict(LicenseType.objects.values_list("name", "code"))
    assert set(directory) >= set(data.LICENSE_TYPES)
    assert directory["食品经营许可证"] == f"{market_dept.uscc}001"
    assert directory["营业执照"] == data.LICENSE_TYPES["营业执照"]
    assert License.objects.filter(case=case).exists()
    today = timezone.localdate(now)
    (card,) = selectors.valid_licenses(holder_id_number=zhangsan.id_number, on=today)
    assert (card.license_type, card.issuer, card.holder_kind) == (
        data.LICENSE_TYPES["居民身份证"],
        police,
        HolderKind.RESIDENT_ID,
    )
    assert zhangsan.id_number not in card.public_number
    (business,) = selectors.valid_licenses(holder_id_number=congtai.id_number, on=today)
    assert (business.license_type, business.issuer, business.valid_until) == (
        data.LICENSE_TYPES["营业执照"],
        market_dept,
        None,
    )


def test_seed_licenses_without_the_demo_accounts_issues_only_case_licenses(db) -> None:
    assert seed_licenses(timezone.now()) == 0
    assert LicenseType.objects.count() == len(data.LICENSE_TYPES)
