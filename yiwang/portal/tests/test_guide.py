"""The service guide: everything a citizen needs before going anywhere."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from yiwang.catalog import services
from yiwang.catalog.factories import published_item
from yiwang.catalog.models import ItemVersion, StepKind
from yiwang.org.models import Department, Role, Staff

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def guide(client: Client, code: str) -> str:
    response = client.get(f"/items/{code}/")
    assert response.status_code == 200
    return response.content.decode()


class TestGuideContent:
    def test_header_and_key_facts(self, client: Client, food_licence: ItemVersion) -> None:
        content = guide(client, "HS-SCJG-001")
        assert "<title>食品经营许可 · 一网通办政务服务</title>" in content
        assert '<h1 class="guide__title">食品经营许可</h1>' in content
        assert "邯山区市场监督管理局" in content
        for tag in ("行政许可", "企业和其他组织", "全程网办", "零跑动", "可预约"):
            assert f">{tag}</li>" in content

    def test_limits_with_their_unit_and_what_the_promise_means(
        self, client: Client, food_licence: ItemVersion
    ) -> None:
        content = guide(client, "HS-SCJG-001")
        assert "<dt>承诺时限</dt>\n        <dd>7个工作日</dd>" in content
        assert "<dt>法定时限</dt>\n        <dd>20个工作日</dd>" in content
        assert "自受理之日起7个工作日内办结" in content
        assert "周末和法定节假日不计入" in content
        assert "比法定时限缩短13个工作日" in content
        assert "补正材料的时间" in content  # the clock stops for supplements and special procedures

    def test_natural_days_and_no_statutory_limit(self, client: Client, company_seal: ItemVersion) -> None:
        content = guide(client, "HS-SCJG-002")
        assert "<dd>5个自然日</dd>" in content
        assert "自然日包括周末和节假日" in content
        assert "<dd>法律未规定</dd>" in content
        assert "比法定时限缩短" not in content

    def test_an_immediate_item_is_handled_on_the_spot(self, client: Client, pension: ItemVersion) -> None:
        content = guide(client, "CT-RS-001")
        assert "<dd>当场办结</dd>" in content
        assert "即办件：材料齐全、符合法定形式的，当场办结" in content
        assert "补正材料的时间" not in content

    def test_materials(self, client: Client, food_licence: ItemVersion) -> None:
        content = guide(client, "HS-SCJG-001")
        assert '申请材料 <span class="count">(3)</span>' in content
        positions = [content.index(name) for name in ("食品经营许可申请书", "营业执照复印件", "授权委托书")]
        assert positions == sorted(positions)
        assert "<dt>形式</dt><dd>原件</dd>" in content and "<dt>形式</dt><dd>复印件</dd>" in content
        assert "<dt>纸质份数</dt><dd>1</dd>" in content
        assert "<dt>来源</dt><dd>政府部门核发</dd>" in content
        assert "<dt>依据</dt><dd>《食品经营许可管理办法》第十二条</dd>" in content
        assert ">必要</span>" in content and ">特定情形提交</span>" in content
        assert "适用情形：委托他人代为办理的" in content

    def test_blank_form_and_sample_download_links(self, client: Client, market_dept: Department) -> None:
        published_item(
            code="FORMS",
            name="有表格的事项",
            department=market_dept,
            materials=(
                {
                    "name": "申请表",
                    "blank_form": "catalog/forms/apply.docx",
                    "sample": "catalog/samples/apply.pdf",
                },
                {"name": "身份证", "license_type": "ID-CARD"},
            ),
        )
        content = guide(client, "FORMS")
        assert (
            '<a class="button button--small" href="/media/catalog/forms/apply.docx" download>空白表格下载</a>'
            in content
        )
        assert 'href="/media/catalog/samples/apply.pdf" download>示例样表下载</a>' in content
        assert content.count("download>") == 2  # the ID card has no form to download
        assert "已有相应电子证照的无需提交" in content

    def test_no_materials(self, client: Client, company_seal: ItemVersion) -> None:
        assert "无需提交材料" in guide(client, "HS-SCJG-002")

    def test_free_item_says_so(self, client: Client, food_licence: ItemVersion) -> None:
        content = guide(client, "HS-SCJG-001")
        assert "<dt>收费</dt>\n        <dd>不收费</dd>" in content
        assert "本事项不收费" in content

    def test_fees_with_standard_basis_and_reductions(self, client: Client, company_seal: ItemVersion) -> None:
        content = guide(client, "HS-SCJG-002")
        assert "印章刻制费" in content
        assert '<strong class="fee__amount">¥80/枚</strong>' in content
        assert "<dt>收费依据</dt><dd>冀发改价格〔2020〕100号</dd>" in content
        assert "<dt>减免政策</dt><dd>小微企业首次刻制免收</dd>" in content
        assert "不收费" not in content

    def test_fee_amounts_keep_their_fen(self, client: Client, market_dept: Department) -> None:
        published_item(
            code="CENTS",
            name="工本费事项",
            department=market_dept,
            fees=({"name": "工本费", "standard_amount": Decimal("12.50"), "basis": "文件"},),
        )
        assert "¥12.50" in guide(client, "CENTS")

    def test_process_steps_in_order(self, client: Client, food_licence: ItemVersion) -> None:
        content = guide(client, "HS-SCJG-001")
        section = content[content.index('id="process"') : content.index('id="fees"')]
        steps = [
            section.index(f'<span class="step__name">{name}</span>')
            for name in ("受理", "审核", "决定", "办结")
        ]
        assert steps == sorted(steps)
        assert '<span class="step__limit">3个工作日</span>' in section

    def test_parallel_steps_name_the_other_department(
        self, client: Client, market_dept: Department, other_market_dept: Department
    ) -> None:
        published_item(
            code="PAR",
            name="并联事项",
            department=market_dept,
            steps=(
                {"name": "受理", "kind": StepKind.ACCEPT, "role": Role.WINDOW_OPERATOR, "limit": 1},
                {
                    "name": "会签",
                    "kind": StepKind.REVIEW,
                    "role": Role.REVIEWER,
                    "limit": 3,
                    "parallel_group": 1,
                },
                {
                    "name": "会签",
                    "kind": StepKind.REVIEW,
                    "role": Role.REVIEWER,
                    "limit": 3,
                    "parallel_group": 1,
                    "department": other_market_dept,
                },
            ),
        )
        content = guide(client, "PAR")
        assert "并联办理 · 丛台区市场监督管理局" in content

    def test_where_how_contact_faq_and_version(self, client: Client, food_licence: ItemVersion) -> None:
        content = guide(client, "HS-SCJG-001")
        assert "邯山区政务服务中心二楼 12 号窗口" in content
        assert "可提前预约办理时段" in content
        assert "<dd>承诺件</dd>" in content
        assert "食品经营许可证（批准文书）" in content
        assert '<a class="phone" href="tel:0310-3012345">0310-3012345</a>' in content
        assert '<a class="phone" href="tel:0310-3012399">0310-3012399</a>' in content
        assert 'href="https://example.gov.cn/apply/HS-SCJG-001"' in content and "在线办理" in content
        assert "<summary>食品经营许可证有效期多久？</summary>" in content and "有效期为5年" in content
        assert "《中华人民共和国食品安全法》第三十五条" in content
        assert "<dd>行政审批科</dd>" in content  # handling unit
        assert "本指南为第1版，自2025年1月1日起施行。" in content

    def test_without_a_complaint_phone_the_hotline_is_given(
        self, client: Client, company_seal: ItemVersion
    ) -> None:
        content = guide(client, "HS-SCJG-002")
        assert '<dt>投诉电话</dt><dd><a class="phone" href="tel:12345">12345</a>' in content

    def test_no_personal_data(self, client: Client, food_licence: ItemVersion, handler: Staff) -> None:
        content = guide(client, "HS-SCJG-001")
        assert handler.name not in content
        assert handler.mobile not in content

    def test_english(self, client: Client, food_licence: ItemVersion) -> None:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # what the language switch sets
        content = client.get("/items/HS-SCJG-001/").content.decode()
        assert "7 working days" in content
        assert "Finished within 7 working days of the day your application is accepted." in content
        assert "Free of charge" in content


class TestNotFoundAndCancelled:
    def test_unknown_code_is_a_friendly_404(self, client: Client, food_licence: ItemVersion) -> None:
        response = client.get("/items/NO-SUCH-ITEM/")
        assert response.status_code == 404
        content = response.content.decode()
        assert "未找到该事项" in content
        assert "NO-SUCH-ITEM" in content
        assert 'name="q"' in content  # search again from here

    def test_withdrawn_item_says_it_was_cancelled(self, client: Client, market_dept: Department) -> None:
        with time_machine.travel(dt.datetime(2026, 6, 1, 10, tzinfo=SHANGHAI), tick=False):
            version = published_item(code="GONE", name="已取消事项", department=market_dept)
            services.item_withdraw(item=version.item, on=dt.date(2026, 5, 1))
            response = client.get("/items/GONE/")
        assert response.status_code == 410
        content = response.content.decode()
        assert "该事项已取消" in content
        assert "已取消事项" in content
        assert "自2026年5月1日起不再办理" in content

    def test_an_announced_withdrawal_is_shown_until_it_happens(
        self, client: Client, market_dept: Department
    ) -> None:
        with time_machine.travel(dt.datetime(2026, 6, 1, 10, tzinfo=SHANGHAI), tick=False):
            version = published_item(code="SOON", name="将取消事项", department=market_dept)
            services.item_withdraw(item=version.item, on=dt.date(2026, 7, 1))
            content = guide(client, "SOON")
            assert "本事项自2026年7月1日起停止办理" in content
        with time_machine.travel(dt.datetime(2026, 7, 1, 9, tzinfo=SHANGHAI), tick=False):
            assert client.get("/items/SOON/").status_code == 410

    def test_item_not_yet_in_force_is_not_found(self, client: Client, market_dept: Department) -> None:
        with time_machine.travel(dt.datetime(2026, 6, 1, 10, tzinfo=SHANGHAI), tick=False):
            published_item(
                code="LATER", name="将来事项", department=market_dept, effective_from=dt.date(2026, 7, 1)
            )
            assert client.get("/items/LATER/").status_code == 404
        with time_machine.travel(dt.datetime(2026, 7, 1, 0, 5, tzinfo=SHANGHAI), tick=False):
            assert "将来事项" in guide(client, "LATER")


class TestVersions:
    def test_the_version_in_force_today_is_shown_and_a_new_one_announced(
        self, client: Client, food_licence: ItemVersion
    ) -> None:
        # given version 2 (promise cut to 5 days) published to take effect on 1 December
        with time_machine.travel(dt.datetime(2026, 11, 1, 10, tzinfo=SHANGHAI), tick=False):
            quicker = [
                {"name": "受理", "kind": StepKind.ACCEPT, "role": Role.WINDOW_OPERATOR, "limit": 1},
                {"name": "决定", "kind": StepKind.DECIDE, "role": Role.APPROVER, "limit": 4},
            ]
            draft = services.draft_create(
                item=food_licence.item, fields={"promised_limit": 5}, parts={"steps": quicker}
            )
            services.version_publish(version=draft, effective_from=dt.date(2026, 12, 1))
            content = guide(client, "HS-SCJG-001")
            # then until then citizens read version 1 and are told of the change
            assert "<dd>7个工作日</dd>" in content
            assert "新版办事指南将于2026年12月1日起施行" in content
        with time_machine.travel(dt.datetime(2026, 12, 1, 8, tzinfo=SHANGHAI), tick=False):
            content = guide(client, "HS-SCJG-001")
            assert "<dd>5个工作日</dd>" in content
            assert "本指南为第2版，自2026年12月1日起施行。" in content
            assert "新版办事指南" not in content
