"""Demo online applications (在线办理), made through ``yiwang.portal.applications`` only.

``FORM_FIELDS`` gives the demo items their online application forms, by item name; the
seeder passes them to ``published_item(form_fields=...)``. ``seed_applications`` then
has the demo accounts use them: 丛台食品 (``congtai``) has submitted a food business
licence online and keeps a saved draft of another application; 张三 (``zhangsan``) has a
draft of a sole proprietor registration. Nothing happens for an account that is absent,
and a second run finds what the first made.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yiwang.catalog.models import FieldKind, ItemVersion, Necessity, OnlineDepth
from yiwang.core import calendar
from yiwang.demo.cases import demo_pdf, recorded_live
from yiwang.portal import applications as apps
from yiwang.portal.errors import PortalError
from yiwang.portal.models import Account, Draft


def _field(
    name: str, label: str, kind: str = FieldKind.TEXT, *, required: bool = True, **more: Any
) -> dict[str, Any]:
    return {"name": name, "label": label, "kind": kind, "required": required, **more}


_CONTACT_MOBILE = _field(
    "contact_mobile", "联系人手机号码", FieldKind.MOBILE, help_text="审批进度和结果将发送到此号码"
)

# The online application form of each demo item with one (by item name).
FORM_FIELDS: dict[str, tuple[dict[str, Any], ...]] = {
    "食品经营许可": (
        _field(
            "premises_address",
            "经营场所地址",
            max_length=100,
            help_text="与营业执照登记的住所或经营场所一致，写到门牌号",
        ),
        _field(
            "business_area",
            "经营面积（平方米）",
            FieldKind.DECIMAL,
            min_value=Decimal("1"),
            max_value=Decimal("100000"),
        ),
        _field(
            "business_format",
            "主体业态",
            FieldKind.CHOICE,
            choices=["食品销售经营者", "餐饮服务经营者", "单位食堂"],
        ),
        _field("opening_date", "预计开业日期", FieldKind.DATE, required=False),
        _field("safety_manager", "食品安全管理人员姓名", max_length=30),
        _field("safety_manager_id", "食品安全管理人员身份证号码", FieldKind.ID_NUMBER),
        _CONTACT_MOBILE,
    ),
    "个体工商户登记": (
        _field(
            "trade_name",
            "个体工商户名称",
            max_length=50,
            help_text="可不使用名称；使用名称的，应符合名称登记规定",
        ),
        _field("organisation", "组成形式", FieldKind.CHOICE, choices=["个人经营", "家庭经营"]),
        _field("business_scope", "经营范围", FieldKind.TEXTAREA, max_length=500),
        _field("premises_address", "经营场所", max_length=100),
        _field(
            "staff_count", "从业人数", FieldKind.INTEGER, min_value=Decimal("1"), max_value=Decimal("100")
        ),
        _field(
            "capital",
            "资金数额（万元）",
            FieldKind.DECIMAL,
            min_value=Decimal("0"),
            max_value=Decimal("100000"),
        ),
        _CONTACT_MOBILE,
    ),
    "企业设立登记": (
        _field("company_name", "企业名称", max_length=100),
        _field("registered_capital", "注册资本（万元）", FieldKind.DECIMAL, min_value=Decimal("0.01")),
        _field("domicile", "住所", max_length=100),
        _field("business_scope", "经营范围", FieldKind.TEXTAREA, max_length=1000),
        _field("legal_rep_id", "法定代表人身份证号码", FieldKind.ID_NUMBER),
        _field("email", "联络员电子邮箱", FieldKind.EMAIL, required=False),
        _CONTACT_MOBILE,
    ),
    "公共场所卫生许可": (
        _field("venue_name", "场所名称", max_length=100),
        _field(
            "venue_kind",
            "场所类别",
            FieldKind.CHOICE,
            choices=["住宿场所", "沐浴场所", "美容美发场所", "游泳场所", "文化娱乐场所"],
        ),
        _field("floor_area", "营业面积（平方米）", FieldKind.DECIMAL, min_value=Decimal("1")),
        _field(
            "staff_count", "从业人员数", FieldKind.INTEGER, min_value=Decimal("1"), max_value=Decimal("10000")
        ),
        _CONTACT_MOBILE,
    ),
    "道路货物运输经营许可": (
        _field(
            "scope",
            "申请经营范围",
            FieldKind.CHOICE,
            choices=["道路普通货物运输", "货物专用运输", "大型物件运输"],
        ),
        _field(
            "vehicles",
            "拟投入车辆数（辆）",
            FieldKind.INTEGER,
            min_value=Decimal("1"),
            max_value=Decimal("10000"),
        ),
        _field(
            "drivers", "聘用驾驶员人数", FieldKind.INTEGER, min_value=Decimal("1"), max_value=Decimal("10000")
        ),
        _CONTACT_MOBILE,
    ),
    "失业登记": (
        _field("employer_uscc", "原工作单位统一社会信用代码", FieldKind.USCC, required=False),
        _field("separation_date", "解除或终止劳动关系日期", FieldKind.DATE),
        _field("email", "电子邮箱", FieldKind.EMAIL, required=False),
        _CONTACT_MOBILE,
    ),
    "住房公积金提取（购买自住住房）": (
        _field("property_address", "房屋坐落", max_length=100),
        _field("purchase_price", "购房总价（元）", FieldKind.DECIMAL, min_value=Decimal("1")),
        _field("amount", "申请提取金额（元）", FieldKind.DECIMAL, min_value=Decimal("1")),
        _field(
            "bank_card",
            "收款银行卡号",
            pattern="[0-9]{12,19}",
            pattern_message="银行卡号为 12 至 19 位数字。",
            help_text="须为申请人本人名下的借记卡",
        ),
        _CONTACT_MOBILE,
    ),
    "社会保障卡申领": (
        _field("collect", "领卡方式", FieldKind.CHOICE, choices=["到服务网点领取", "邮寄到家"]),
        _field("mailing_address", "邮寄地址", required=False, max_length=100, help_text="选择邮寄到家时填写"),
        _CONTACT_MOBILE,
    ),
}

# Demo answers by field key.
ANSWERS: dict[str, str] = {
    "premises_address": "邯郸市丛台区中华北大街 168 号",
    "business_area": "126.5",
    "business_format": "餐饮服务经营者",
    "safety_manager": "赵敏",
    "contact_mobile": "13700137000",
    "trade_name": "邯郸市丛台区张记早点铺",
    "organisation": "个人经营",
    "business_scope": "餐饮服务（不含生食类食品制售）",
    "staff_count": "3",
    "capital": "5",
    "venue_name": "丛台宾馆",
    "venue_kind": "住宿场所",
    "floor_area": "860",
    "scope": "道路普通货物运输",
    "vehicles": "6",
    "drivers": "8",
}


def _user_account(username: str) -> Account | None:
    user = get_user_model().objects.filter(username=username).first()
    return apps.account_of(user) if user is not None else None


def _version(name: str, account: Account, on: dt.date) -> ItemVersion | None:
    """The version in force of the item called ``name`` this account may apply for
    online, the one of the account's own district first."""
    versions = list(
        ItemVersion.objects.in_force(on)
        .filter(name=name, online_depth__gte=OnlineDepth.RECEIPT)
        .select_related("item__region")
        .order_by("item__code")
    )
    usable = [v for v in versions if apps.target_allows(v, account)]
    home = account.id_number[2:8] if account.is_enterprise else account.id_number[:6]
    local = [v for v in usable if v.item.region.code[:6] == home]
    return (local or usable or [None])[0]


def _answers(version: ItemVersion, account: Account, *, partial: bool = False) -> dict[str, str]:
    data = {}
    fields = list(version.form_fields.all())
    for n, field in enumerate(fields):
        if partial and n >= len(fields) // 2:
            break
        value = ANSWERS.get(field.name, "")
        if field.kind == FieldKind.ID_NUMBER:
            value = account.legal_rep_id_number if account.is_enterprise else account.id_number
        elif field.kind == FieldKind.MOBILE:
            value = account.mobile
        elif field.kind == FieldKind.DATE and field.required:
            value = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
        data[f"form-{field.name}"] = value
    return data


def _upload_required(draft: Draft, user: Any, account: Account, now: dt.datetime) -> None:
    for slot in apps.material_slots(draft, now=now):
        if slot.material.necessity != Necessity.REQUIRED or slot.provided:
            continue
        content = demo_pdf(
            slot.material.name,
            (f"申请事项：{draft.version.name}", f"申请人：{account.name}", "（一网通办演示材料）"),
        )
        upload = SimpleUploadedFile(f"{slot.material.name}.pdf", content, content_type="application/pdf")
        apps.draft_add_file(draft=draft, user=user, material_id=slot.material.pk, upload=upload)


def _working_morning_before(now: dt.datetime) -> dt.datetime:
    day = calendar.add_workdays(timezone.localdate(now), -1)
    return dt.datetime.combine(day, dt.time(10, 30), tzinfo=timezone.get_current_timezone())


def _has(account: Account, version: ItemVersion) -> bool:
    return Draft.objects.filter(account=account, item_id=version.item_id).exists()


def _submitted(account: Account, name: str, now: dt.datetime) -> int:
    version = _version(name, account, timezone.localdate(now))
    if version is None or _has(account, version):
        return 0
    user = account.user
    draft = apps.draft_start(user=user, version=version)
    apps.draft_save_form(draft=draft, user=user, data=_answers(version, account))
    _upload_required(draft, user, account, now)
    # Submitted on the last working day before today, like every demo event (in the past);
    # kept as a draft if the demo answers do not satisfy this item's form.
    submitted = _working_morning_before(now)
    with contextlib.suppress(PortalError), recorded_live(submitted):
        apps.draft_submit(draft=draft, user=user, at=submitted)
    return 1


def _draft(account: Account, name: str, now: dt.datetime) -> int:
    version = _version(name, account, timezone.localdate(now))
    if version is None or _has(account, version):
        return 0
    user = account.user
    draft = apps.draft_start(user=user, version=version)
    apps.draft_save_form(draft=draft, user=user, data=_answers(version, account, partial=True))
    return 1


def seed_applications(now: dt.datetime) -> int:
    """Online applications and drafts of the demo accounts; the number of drafts made
    (submitted ones included)."""
    made = 0
    congtai = _user_account("congtai")
    if congtai is not None and congtai.is_verified:
        made += _submitted(congtai, "食品经营许可", now)
        made += _draft(congtai, "公共场所卫生许可", now)
    zhangsan = _user_account("zhangsan")
    if zhangsan is not None and zhangsan.is_verified:
        made += _draft(zhangsan, "个体工商户登记", now)
    return made
