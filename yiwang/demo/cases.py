"""Demo cases (办件): a few hundred applications in every state, filed and handled through
``yiwang.cases.services`` only, so the demo ledger is the same hash-chained record real
work leaves behind.

Each case follows a script drawn from its own seeded ``random.Random``: the department
and item, the applicant, where the case ends (awaiting acceptance, with a supplement
notice out, at some step, suspended for a hearing, decided, completed, delivered,
refused, withdrawn or transferred) and what happens on the way (supplements, special
procedures, extensions, a return to an earlier step, late handling). The script's
actions are then dated backwards from the last working day before today, in working
days, so every event is in the past and in order. The first few cases are fixed
showcases so that every state and feature is present whatever the count.

Each demo case is filed with an idempotency key of its own (``yiwang-demo-0001`` …); a
second run finds the keys and files nothing again.
"""

from __future__ import annotations

import datetime as dt
import enum
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q, QuerySet
from django.utils import timezone

from yiwang.cases import services
from yiwang.cases.models import (
    ApplicantKind,
    Case,
    CaseEvent,
    CaseFile,
    Channel,
    Decision,
    DeliveryMethod,
    SuspensionKind,
)
from yiwang.cases.services import Upload
from yiwang.cases.workflow import Template
from yiwang.catalog.models import ItemType, ItemVersion, LimitUnit, Material, ResultType, Target
from yiwang.core import calendar
from yiwang.core.identifiers import build_resident_id, build_uscc
from yiwang.demo import data
from yiwang.org.models import Department, Role

DEMO_CASES = 300
SEED = 2026
KEY_PREFIX = "yiwang-demo-"
DAYS_BACK = 130  # working days (about six months) over which the cases are spread


PARALLEL_EVERY = 50  # one joint (parallel) approval per this many ordinary demo cases


def demo_key(index: int) -> str:
    return f"{KEY_PREFIX}{index + 1:04d}"


def parallel_key(index: int) -> str:
    """The key of the ``index``-th joint approval's lead case (its branches have none)."""
    return f"{KEY_PREFIX}p{index + 1:02d}"


# ---------------------------------------------------------------------------
# The staff who handle the cases
# ---------------------------------------------------------------------------


def _grants(role: Role, *departments: str) -> tuple[data.GrantSpec, ...]:
    return tuple(data.GrantSpec(role, department=key) for key in departments)


def _staff(
    username: str, name: str, department: str, number: str, mobile: str, *grants: data.GrantSpec
) -> data.AccountSpec:
    return data.AccountSpec(username, name, department, mobile, number, tuple(grants))


def _window(username: str, name: str, number: str, mobile: int, *departments: str) -> data.AccountSpec:
    """A window operator of the first department, accepting the items of all of them."""
    return _staff(
        username,
        name,
        departments[0],
        number,
        f"1390310{mobile:04d}",
        *_grants(Role.WINDOW_OPERATOR, *departments),
    )


def _back_office(
    prefix: str, department: str, numbers: str, mobiles: int, handler: str, reviewer: str, approver: str
) -> tuple[data.AccountSpec, ...]:
    """承办人, 审核人 and 批准人 of a department (the reviewer left out when ``reviewer`` is empty)."""
    people = [("handler", handler, Role.HANDLER), ("reviewer", reviewer, Role.REVIEWER)]
    people.append(("approver", approver, Role.APPROVER))
    return tuple(
        _staff(
            f"{prefix}_{suffix}",
            name,
            department,
            f"{numbers}{i + 1:02d}",
            f"1390310{mobiles + i:04d}",
            *_grants(role, department),
        )
        for i, (suffix, name, role) in enumerate(people)
        if name
    )


# Back-office staff (and window staff where the city's comprehensive window, account
# ``window``, does not accept the department's items) of the departments with demo
# cases besides the city market regulation bureau, whose listed demo accounts handle
# its cases. They are not listed one by one in ``seed_demo``'s login table.
CASE_STAFF: tuple[data.AccountSpec, ...] = (
    *_back_office("transport", "transport", "HD11", 1101, "韩立军", "冯雪梅", "许建国"),
    *_back_office("health", "health", "HD12", 1201, "曹丽华", "邓文博", "彭志刚"),
    _window("hrss_window", "吕晓静", "HD1300", 1300, "hrss"),
    *_back_office("hrss", "hrss", "HD13", 1301, "苏海涛", "蒋玉兰", "范永强"),
    _window("fund_window", "杜欣怡", "HD1400", 1400, "housing_fund"),
    *_back_office("fund", "housing_fund", "HD14", 1401, "程浩然", "魏淑芬", "袁振东"),
    _window("exit_window", "田雨萱", "HD1500", 1500, "police_exit"),
    *_back_office("exit", "police_exit", "HD15", 1501, "董俊杰", "潘秀英", "汪德明"),
    _window("resources_window", "石佳琪", "HD1600", 1600, "resources"),
    *_back_office("resources", "resources", "HD16", 1601, "姚宏伟", "谭美玲", "廖国栋"),
    _window("hs_window", "崔晓东", "HS1000", 2000, "hs_market", "hs_civil"),
    *_back_office("hs_market", "hs_market", "HS11", 2001, "邹志华", "熊春燕", "金宝山"),
    *_back_office("hs_civil", "hs_civil", "HS12", 2101, "陆文静", "郝建平", "孔庆华"),
    _window("ct_window", "康永刚", "CT1000", 3000, "ct_market"),
    *_back_office("ct_market", "ct_market", "CT11", 3001, "毛晓红", "邱国华", "秦海燕"),
    _window("fx_window", "江涛", "FX1000", 4000, "fx_market"),
    *_back_office("fx_market", "fx_market", "FX11", 4001, "史玉梅", "", "顾振宇"),
    # the partner departments of the city's joint approval of construction projects
    *_back_office("construction", "construction", "HD17", 1701, "贺志远", "尹秀珍", "龙海波"),
    *_back_office("ecology", "ecology", "HD18", 1801, "常佳慧", "乔建军", "黎明辉"),
    *_back_office("water", "water", "HD19", 1901, "武文杰", "段丽萍", "雷振国"),
)


@dataclass(frozen=True)
class Team:
    """Who handles a department's demo cases, and how many of the cases it gets."""

    department: str
    window: str
    handler: str
    reviewer: str
    approver: str
    share: int
    transfer_to: str  # the competent department a misdirected application is sent on to

    def username(self, role: str) -> str:
        names = {
            Role.WINDOW_OPERATOR: self.window,
            Role.HANDLER: self.handler,
            Role.REVIEWER: self.reviewer,
            Role.APPROVER: self.approver,
        }
        return names.get(Role(role), "")


def _team(department: str, window: str, prefix: str, share: int, transfer_to: str) -> Team:
    return Team(
        department,
        window,
        f"{prefix}_handler",
        f"{prefix}_reviewer",
        f"{prefix}_approver",
        share,
        transfer_to,
    )


TEAMS: tuple[Team, ...] = (
    Team("market", "window", "handler", "reviewer", "approver", 30, "hs_market"),
    _team("transport", "window", "transport", 8, "market"),
    _team("health", "window", "health", 8, "market"),
    _team("hrss", "hrss_window", "hrss", 10, "medical_insurance"),
    _team("housing_fund", "fund_window", "fund", 6, "hrss"),
    _team("police_exit", "exit_window", "exit", 5, "police_hukou"),
    _team("resources", "resources_window", "resources", 6, "construction"),
    _team("hs_market", "hs_window", "hs_market", 10, "ct_market"),
    _team("hs_civil", "hs_window", "hs_civil", 7, "civil"),
    _team("ct_market", "ct_window", "ct_market", 6, "hs_market"),
    Team("fx_market", "fx_window", "fx_market_handler", "", "fx_market_approver", 4, "hs_market"),
    _team("construction", "window", "construction", 3, "resources"),
    _team("ecology", "window", "ecology", 3, "water"),
    _team("water", "window", "water", 3, "ecology"),
)


# ---------------------------------------------------------------------------
# Applicants
# ---------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = _words(
    "伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 建华 志强 晓燕 海燕 国庆 子涵 浩然 欣怡 梓萱 宇航 思远 雨桐 俊熙 佳怡 文博 春梅 振华"
)
TRADE_NAMES = _words(
    "丛台 赵都 滏阳 兴华 恒通 鑫源 宏达 瑞丰 诚信 新邯 紫山 龙湖 和顺 博远 嘉禾 永盛 安泰 汇通 广源 锦程"
)
TRADES = _words("餐饮管理 食品 商贸 医药连锁 物流 运输 建材 科技 农业开发 机械制造 酒店管理 超市")
STREETS = (
    ("130402", "邯山区", ("渚河路", "滏河南大街", "农林路", "和平路", "光明南大街")),
    ("130403", "丛台区", ("中华北大街", "人民东路", "联纺东路", "滏东北大街", "丛台路")),
    ("130404", "复兴区", ("复兴路", "胜利桥路", "建设大街", "百家路", "前进大街")),
)
BIRTH_REGIONS = ("130402", "130403", "130404", "130406", "130423", "130425", "130430", "130481")
_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True)
class Applicant:
    kind: str
    name: str
    id_number: str
    mobile: str
    address: str


def _address(rng: random.Random) -> tuple[str, str]:
    code, district, streets = rng.choice(STREETS)
    return code, f"邯郸市{district}{rng.choice(streets)}{rng.randint(1, 399)}号"


def _mobile(rng: random.Random) -> str:
    return f"138{rng.randint(0, 99_999_999):08d}"


def make_applicant(rng: random.Random, target: str) -> Applicant:
    """An individual or enterprise as the item's target allows, with valid identifiers."""
    kind = {
        Target.INDIVIDUAL: ApplicantKind.INDIVIDUAL,
        Target.ENTERPRISE: ApplicantKind.ENTERPRISE,
    }.get(Target(target)) or rng.choice((ApplicantKind.INDIVIDUAL, ApplicantKind.ENTERPRISE))
    region_code, address = _address(rng)
    if kind == ApplicantKind.INDIVIDUAL:
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 55 * 365))
        return Applicant(
            kind=kind,
            name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            id_number=build_resident_id(rng.choice(BIRTH_REGIONS), born, rng.randint(1, 999)),
            mobile=_mobile(rng),
            address=address,
        )
    body = "".join(rng.choice(_ORG_ALPHABET) for _ in range(8))
    return Applicant(
        kind=kind,
        name=f"邯郸市{rng.choice(TRADE_NAMES)}{rng.choice(TRADES)}有限公司",
        id_number=build_uscc("9", "1", region_code, data.organisation_code(body)),
        mobile=_mobile(rng),
        address=address,
    )


# ---------------------------------------------------------------------------
# A small PDF (an application form) for the cases that carry files
# ---------------------------------------------------------------------------


def _pdf_text(text: str) -> str:
    return "<" + text.encode("utf-16-be").hex().upper() + ">"


def demo_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A one-page PDF in Chinese. It names Adobe's standard Chinese font (STSong-Light)
    without embedding it, which PDF readers supply themselves, so the file stays tiny."""
    ops = [f"BT /F1 20 Tf 72 770 Td {_pdf_text(title)} Tj ET"]
    ops += [f"BT /F1 12 Tf 72 {730 - 22 * i} Td {_pdf_text(line)} Tj ET" for i, line in enumerate(lines)]
    content = "\n".join(ops).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 7 0 R "
        b"/DW 1000 /W [1 95 500] >>",  # CIDs 1-95: the half-width Latin letters and digits
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# ---------------------------------------------------------------------------
# Scripts: what happens to each case
# ---------------------------------------------------------------------------


class Outcome(enum.StrEnum):
    """Where a demo case stands at the end of its script."""

    SUBMITTED = "submitted"
    SUPPLEMENT = "supplement"  # notice out before acceptance, applicant yet to supplement
    SUPPLEMENT_LATER = "supplement_later"  # notice out during handling
    IN_PROGRESS = "in_progress"
    SUSPENDED = "suspended"
    DECIDED = "decided"
    COMPLETED = "completed"
    DELIVERED = "delivered"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    TRANSFERRED = "transferred"


OUTCOME_WEIGHTS: Mapping[Outcome, int] = {
    Outcome.SUBMITTED: 6,
    Outcome.SUPPLEMENT: 3,
    Outcome.SUPPLEMENT_LATER: 2,
    Outcome.IN_PROGRESS: 15,
    Outcome.SUSPENDED: 5,
    Outcome.DECIDED: 4,
    Outcome.COMPLETED: 6,
    Outcome.DELIVERED: 44,
    Outcome.REFUSED: 6,
    Outcome.WITHDRAWN: 5,
    Outcome.TRANSFERRED: 4,
}
NEEDS_STEPS = frozenset({Outcome.IN_PROGRESS, Outcome.SUSPENDED, Outcome.SUPPLEMENT_LATER, Outcome.DECIDED})
OPEN = frozenset(
    {
        Outcome.SUBMITTED,
        Outcome.SUPPLEMENT,
        Outcome.SUPPLEMENT_LATER,
        Outcome.IN_PROGRESS,
        Outcome.SUSPENDED,
        Outcome.DECIDED,
        Outcome.COMPLETED,
    }
)


@dataclass(frozen=True)
class Plan:
    """The random choices of one case (``Planner.plan``), before any date is fixed."""

    outcome: Outcome
    supplement_before: bool = False
    supplement_during: bool = False
    suspension: bool = False
    suspension_kind: str = ""  # default: drawn at random
    extension: bool = False
    returned: bool = False
    late: bool = False
    denied: bool = False
    withdraw_early: bool = False
    with_file: bool = False


# Fixed plans for the first cases, so every state and feature shows whatever the count.
SHOWCASE: tuple[Plan, ...] = (
    Plan(Outcome.DELIVERED, with_file=True),
    Plan(Outcome.SUBMITTED),
    Plan(Outcome.SUPPLEMENT, supplement_before=True, with_file=True),
    Plan(Outcome.IN_PROGRESS),
    Plan(Outcome.SUSPENDED, suspension=True, suspension_kind=SuspensionKind.HEARING),
    Plan(Outcome.DECIDED),
    Plan(Outcome.COMPLETED),
    Plan(Outcome.REFUSED),
    Plan(Outcome.WITHDRAWN),
    Plan(Outcome.TRANSFERRED),
    Plan(Outcome.DELIVERED, late=True),
    Plan(Outcome.DELIVERED, extension=True, suspension=True, suspension_kind=SuspensionKind.SITE_INSPECTION),
    Plan(Outcome.DELIVERED, supplement_before=True, supplement_during=True, with_file=True),
    Plan(Outcome.DELIVERED, denied=True),
    Plan(Outcome.DELIVERED, returned=True),
    Plan(Outcome.SUPPLEMENT_LATER, supplement_during=True),
    Plan(Outcome.IN_PROGRESS, late=True),
    Plan(Outcome.SUSPENDED, suspension=True, suspension_kind=SuspensionKind.EXPERT_REVIEW),
    Plan(Outcome.SUBMITTED, late=True),
    Plan(Outcome.COMPLETED, late=True, extension=True),
)

SUSPENSIONS: tuple[tuple[str, str, str], ...] = (
    (SuspensionKind.HEARING, "申请人依法申请听证", "听证已举行，听证笔录已归档"),
    (SuspensionKind.SITE_INSPECTION, "需对经营场所进行现场核查", "现场核查完毕，场所与申请材料一致"),
    (SuspensionKind.EXPERT_REVIEW, "需组织专家进行技术评审", "专家评审通过，评审意见已附卷"),
    (SuspensionKind.TESTING, "需委托检验检测机构检测", "检测报告已出具，结果合格"),
    (SuspensionKind.PUBLIC_NOTICE, "依法需向社会公示", "公示期满，未收到异议"),
)
SUPPLEMENT_PROBLEMS = (
    "未提交",
    "复印件不清晰",
    "缺少申请人签字或盖章",
    "已超过有效期",
    "与原件不一致",
    "内容填写不完整",
)
REFUSALS: tuple[tuple[str, str], ...] = (
    ("申请事项依法不需要取得行政许可。", "《中华人民共和国行政许可法》第三十二条第一款第（一）项"),
    ("申请事项依法不属于本行政机关职权范围。", "《中华人民共和国行政许可法》第三十二条第一款第（二）项"),
    (
        "申请人隐瞒有关情况、提供虚假材料申请行政许可。",
        "《中华人民共和国行政许可法》第七十八条",
    ),
)
OPINIONS: Mapping[str, tuple[str, ...]] = {
    "handle": ("材料齐全，符合法定形式，拟同意。", "经核查，申请人符合法定条件，建议准予。"),
    "review": ("经审核，同意承办意见。", "审核通过，报请决定。"),
    "decide": ("同意。",),
}


# One service call of a script, given the case (None before it is filed) and the moment.
Runner = Callable[[Case | None, dt.datetime], Case]


def _filed(case: Case | None) -> Case:
    if case is None:
        raise RuntimeError("a demo script acts on a case before filing it")
    return case


@dataclass
class _Act:
    """One step of a script: ``delay`` working days after the previous action (0: same day)."""

    delay: int
    run: Runner
    counted: bool = True  # False when the delay is time a clock stands still (supplement, suspension)


@dataclass
class Script:
    acts: list[_Act] = field(default_factory=list)
    idle: int = 0  # working days from the last action to the last working day before today

    def add(self, delay: int, run: Runner, *, counted: bool = True) -> None:
        self.acts.append(_Act(delay, run, counted))

    @property
    def span(self) -> int:
        return sum(act.delay for act in self.acts)


@dataclass(frozen=True)
class Desk:
    """A department's items open to demo cases, and its staff by role."""

    team: Team
    department: Department
    versions: tuple[ItemVersion, ...]
    templates: Mapping[int, Template]
    materials: Mapping[int, tuple[Material, ...]]
    users: Mapping[str, AbstractBaseUser]
    transfer_to: Department
    leads: tuple[ItemVersion, ...] = ()  # items it approves jointly with other departments'

    def user(self, role: str) -> AbstractBaseUser:
        return self.users[role]


class Planner:
    """Turns a case's random choices into a script of service calls."""

    def __init__(
        self,
        rng: random.Random,
        desk: Desk,
        version: ItemVersion,
        index: int,
        today: dt.date,
        key: str | None = None,
    ) -> None:
        self.key = key or demo_key(index)
        self.rng = rng
        self.desk = desk
        self.version = version
        self.template = desk.templates[version.pk]
        self.index = index
        self.today = today
        self.working = version.limit_unit == LimitUnit.WORKING_DAYS
        self.extension_days = 0

    # --- choices

    @staticmethod
    def plan(rng: random.Random, *, has_steps: bool, immediate: bool, outcome: Outcome | None = None) -> Plan:
        if outcome is None:
            outcomes = list(OUTCOME_WEIGHTS)
            outcome = rng.choices(outcomes, weights=[OUTCOME_WEIGHTS[o] for o in outcomes])[0]
        if outcome in NEEDS_STEPS and not has_steps:
            outcome = Outcome.DELIVERED
        handled = outcome not in (Outcome.SUBMITTED, Outcome.SUPPLEMENT, Outcome.REFUSED, Outcome.TRANSFERRED)
        slow = handled and not immediate
        return Plan(
            outcome=outcome,
            supplement_before=outcome == Outcome.SUPPLEMENT or rng.random() < 0.12,
            supplement_during=outcome == Outcome.SUPPLEMENT_LATER or (slow and rng.random() < 0.06),
            suspension=outcome == Outcome.SUSPENDED or (slow and has_steps and rng.random() < 0.08),
            extension=slow and rng.random() < 0.07,
            returned=slow and rng.random() < 0.05,
            late=(slow or outcome == Outcome.SUBMITTED) and rng.random() < 0.12,
            denied=rng.random() < 0.08,
            withdraw_early=rng.random() < 0.4,
            with_file=rng.random() < 0.05,
        )

    def days(self, low: int, high: int) -> int:
        return self.rng.randint(low, max(low, high))

    # --- the script

    def script(self, plan: Plan, applicant: Applicant) -> Script:
        s = Script()
        s.add(0, self._file(applicant, plan.with_file))
        if plan.supplement_before:
            s.add(self.days(0, 1), self._request_supplement(self.template.accept_role))
            if plan.outcome == Outcome.SUPPLEMENT:
                s.idle = self.days(0, 4)
                return s
            s.add(self.days(1, 5), self._receive_supplement(plan.with_file), counted=False)
        if plan.outcome == Outcome.SUBMITTED:
            # a late one has waited past the five working days acceptance may take
            s.idle = self.days(6, 9) if plan.late else self.days(0, 3)
            return s
        if plan.outcome == Outcome.REFUSED:
            s.add(self.days(0, 2), self._refuse())
            return s
        if plan.outcome == Outcome.TRANSFERRED:
            s.add(self.days(0, 2), self._transfer())
            return s
        if plan.outcome == Outcome.WITHDRAWN and plan.withdraw_early:
            s.add(self.days(0, 2), self._withdraw())
            return s
        immediate = self.version.promised_limit == 0
        s.add(
            0 if immediate else self.days(0, 2), self._call(services.case_accept, self.template.accept_role)
        )
        accepted = len(s.acts)
        if self._middle(s, plan, immediate):
            return s
        delay = 0 if immediate else self.days(0, self._step_limit("complete"))
        if plan.late and self.working and not immediate:
            # completed after the due date: more counted days than the limit allows
            counted = sum(act.delay for act in s.acts[accepted:] if act.counted)
            limit = self.version.promised_limit + self.extension_days
            delay = max(delay, limit - counted + self.days(1, 4))
        s.add(delay, self._complete())
        if plan.outcome == Outcome.COMPLETED:
            s.idle = self.days(0, 3)
            return s
        s.add(0 if immediate else self.days(0, 3), self._deliver())
        return s

    def _middle(self, s: Script, plan: Plan, immediate: bool) -> bool:
        """The steps up to the decision; True when the script ends among them."""
        middle = self.template.middle
        last = len(middle) - 1  # the decision step
        ends_in_steps = plan.outcome in NEEDS_STEPS - {Outcome.DECIDED} or plan.outcome == Outcome.WITHDRAWN
        stop_at = self.rng.randint(0, last) if ends_in_steps else None
        supplement_at = self.rng.randint(0, last) if plan.supplement_during else None
        suspend_at = self.rng.randint(0, last) if plan.suspension else None
        # the feature an outcome is about happens where the script ends
        if plan.outcome == Outcome.SUSPENDED:
            suspend_at = stop_at
        if plan.outcome == Outcome.SUPPLEMENT_LATER:
            supplement_at = stop_at
        extend_at = self.rng.randint(0, last) if plan.extension and not immediate else None
        return_at = self.rng.randint(1, last) if plan.returned and last >= 1 else None
        for i, step in enumerate(middle):
            if i == extend_at:
                s.add(self.days(0, 1), self._extend())
            if i == supplement_at:
                s.add(self.days(0, 1), self._request_supplement(step.role))
                if plan.outcome == Outcome.SUPPLEMENT_LATER:
                    s.idle = self.days(0, 4)
                    return True
                s.add(self.days(1, 4), self._receive_supplement(plan.with_file), counted=False)
            if i == suspend_at:
                kind, reason, result = self.rng.choice(SUSPENSIONS)
                if plan.suspension_kind:
                    kind, reason, result = next(x for x in SUSPENSIONS if x[0] == plan.suspension_kind)
                expected = self.rng.choice((5, 10, 15))
                s.add(self.days(0, 1), self._suspend(step.role, kind, reason, expected))
                if plan.outcome == Outcome.SUSPENDED:
                    s.idle = self.days(0, expected + 3)
                    return True
                resume = self._call(services.case_resume, step.role, result=result)
                s.add(self.days(2, expected), resume, counted=False)
            if i == stop_at:
                if plan.outcome == Outcome.WITHDRAWN:
                    s.add(self.days(0, step.limit), self._withdraw())
                    return True
                s.idle = self.days(0, step.limit)
                if plan.late and self.working:
                    # still open well past its due date
                    s.idle += self.version.promised_limit + self.extension_days + self.days(2, 6)
                return True
            delay = 0 if immediate else self.days(0, step.limit)
            if i == return_at:
                returned = self._call(
                    services.case_return, step.role, to_step=0, reason=self._return_reason()
                )
                s.add(delay, returned)
                for again in middle[:i]:
                    s.add(self.days(0, 1), self._pass(again.role, again.kind))
                delay = self.days(0, 1)
            s.add(delay, self._pass(step.role, step.kind) if i < last else self._decide(plan.denied))
        if plan.outcome == Outcome.DECIDED:
            s.idle = self.days(0, 3)
            return True
        return False

    def _step_limit(self, kind: str) -> int:
        return next((step.limit for step in self.version.steps.all() if step.kind == kind), 1)

    # --- the actions

    def _call(self, service: Callable[..., Case], role: str, **kwargs: object) -> Runner:
        user = self.desk.user(role)

        def run(case: Case | None, at: dt.datetime) -> Case:
            return service(case=_filed(case), user=user, at=at, **kwargs)

        return run

    def _file(self, applicant: Applicant, with_file: bool) -> Runner:
        version, key = self.version, self.key
        user = self.desk.user(self.template.accept_role)
        channel = self.rng.choices((Channel.WINDOW, Channel.ONLINE, Channel.POST), weights=(65, 30, 5))[0]
        form_data = {
            "联系地址" if applicant.kind == ApplicantKind.INDIVIDUAL else "经营场所": applicant.address,
            "申请事项": version.name,
        }
        materials = self.desk.materials[version.pk]

        def run(case: Case | None, at: dt.datetime) -> Case:
            uploads = []
            if with_file and materials:
                uploads.append(Upload(self._pdf(materials[0].name, applicant, at), materials[0]))
            return services.case_file(
                version=version,
                channel=channel,
                applicant_kind=applicant.kind,
                applicant_name=applicant.name,
                applicant_id_number=applicant.id_number,
                applicant_mobile=applicant.mobile,
                form_data=form_data,
                uploads=uploads,
                user=user,
                idempotency_key=key,
                at=at,
            )

        return run

    def _pdf(self, material: str, applicant: Applicant, at: dt.datetime) -> SimpleUploadedFile:
        local = timezone.localtime(at)
        content = demo_pdf(
            material,
            (
                f"申请事项：{self.version.name}",
                f"申请人：{applicant.name}",
                f"联系地址：{applicant.address}",
                f"提交日期：{local:%Y年%m月%d日}",
                "（一网通办演示材料）",
            ),
        )
        return SimpleUploadedFile(f"{material}.pdf", content, content_type="application/pdf")

    def _request_supplement(self, role: str) -> Runner:
        materials = list(self.desk.materials[self.version.pk])
        picked = self.rng.sample(materials, k=min(len(materials), self.rng.choice((1, 1, 2))))
        items = [
            {"material": m.pk, "name": m.name, "problem": self.rng.choice(SUPPLEMENT_PROBLEMS)}
            for m in picked
        ]
        if not items:
            items = [{"material": None, "name": "申请材料", "problem": "内容填写不完整"}]
        return self._call(services.case_request_supplement, role, items=items)

    def _receive_supplement(self, with_file: bool) -> Runner:
        user = self.desk.user(self.template.accept_role)
        materials = self.desk.materials[self.version.pk]

        def run(case: Case | None, at: dt.datetime) -> Case:
            uploads = []
            if with_file and materials:
                content = demo_pdf(f"{materials[-1].name}（补正）", (f"申请事项：{self.version.name}",))
                file = SimpleUploadedFile(
                    f"{materials[-1].name}.pdf", content, content_type="application/pdf"
                )
                uploads.append(Upload(file, materials[-1]))
            return services.case_receive_supplement(
                case=_filed(case),
                user=user,
                uploads=uploads,
                note="申请人已按一次性告知书补齐补正材料。",
                at=at,
            )

        return run

    def _refuse(self) -> Runner:
        if self.version.item_type == ItemType.LICENSING:
            reason, basis = self.rng.choice(REFUSALS)
        else:
            reason, basis = "申请人不符合申请条件。", self.version.legal_basis
        return self._call(services.case_refuse, self.template.accept_role, reason=reason, legal_basis=basis)

    def _transfer(self) -> Runner:
        target = self.desk.transfer_to
        reason = f"经核实，申请事项属于{target.name}职责范围，依法移送。"
        return self._call(
            services.case_transfer, self.template.accept_role, to_department=target, reason=reason
        )

    def _withdraw(self) -> Runner:
        return self._call(
            services.case_withdraw, self.template.accept_role, reason="申请人书面申请撤回申请。"
        )

    def _suspend(self, role: str, kind: str, reason: str, expected: int) -> Runner:
        return self._call(services.case_suspend, role, kind=kind, reason=reason, expected_days=expected)

    def _extend(self) -> Runner:
        days = min(services.extension_cap(self.version), self.rng.choice((5, 10, 10)))
        self.extension_days += days
        return self._call(
            services.case_extend,
            Role.APPROVER,
            days=days,
            reason="情况复杂，经本机关负责人批准延长办理期限。",
        )

    def _return_reason(self) -> str:
        return self.rng.choice(
            ("承办意见未附现场核查记录，请补充后重新提交。", "材料审查意见不完整，退回重新承办。")
        )

    def _pass(self, role: str, kind: str) -> Runner:
        opinion = self.rng.choice(OPINIONS.get(kind, OPINIONS["review"]))
        return self._call(services.case_pass_step, role, opinion=opinion)

    def _decide(self, denied: bool) -> Runner:
        if denied:
            return self._call(
                services.case_decide,
                self.template.decide_role,
                decision=Decision.DENIED,
                reason="经审查，申请人不符合法定条件。",
                legal_basis=f"{self.version.legal_basis}；《中华人民共和国行政许可法》第三十八条第二款",
            )
        return self._call(services.case_decide, self.template.decide_role, decision=Decision.APPROVED)

    def _complete(self) -> Runner:
        version, index = self.version, self.index
        fee = sum((f.standard_amount for f in version.fees.all()), Decimal(0))
        user = self.desk.user(self.template.complete_role)

        def run(case: Case | None, at: dt.datetime) -> Case:
            case = _filed(case)
            approved = case.decision == Decision.APPROVED
            local = timezone.localdate(at)
            issued = approved and version.result_type in (ResultType.LICENSE, ResultType.APPROVAL)
            return services.case_complete(
                case=case,
                user=user,
                fee_charged=fee if approved else 0,
                result_number=f"邯{local:%Y}第{index + 1:05d}号" if issued else "",
                result_valid_until=local.replace(year=local.year + 5)
                if approved and version.result_type == ResultType.LICENSE
                else None,
                at=at,
            )

        return run

    def _deliver(self) -> Runner:
        method = self.rng.choices(
            (DeliveryMethod.WINDOW, DeliveryMethod.POST, DeliveryMethod.ELECTRONIC), weights=(5, 2, 3)
        )[0]
        return self._call(services.case_deliver, self.template.deliver_role, method=method)


# ---------------------------------------------------------------------------
# Dating and running the scripts
# ---------------------------------------------------------------------------


class Timeline:
    """Working days up to the last one before today, and moments within them."""

    def __init__(self, today: dt.date, days: int) -> None:
        last = calendar.add_workdays(today, -1)
        self.days = [calendar.add_workdays(last, -n) for n in range(days - 1, -1, -1)]
        self.tz = ZoneInfo(settings.TIME_ZONE)

    def moments(self, rng: random.Random, script: Script, closed: bool) -> list[dt.datetime]:
        """One moment per action, on working days, in order, all before today."""
        end = len(self.days) - 1
        span = script.span
        # a closed case anywhere in the period; an open one ends ``idle`` days ago
        start = rng.randint(0, max(0, end - span)) if closed else max(0, end - script.idle - span)
        moments: list[dt.datetime] = []
        position = start
        for act in script.acts:
            position = min(position + act.delay, end)
            day = self.days[position]
            opening = dt.datetime.combine(day, dt.time(8, 30), self.tz)
            if moments and timezone.localdate(moments[-1]) == day:
                moment = moments[-1] + dt.timedelta(minutes=rng.randint(3, 30))
                moment = min(moment, dt.datetime.combine(day, dt.time(23, 59), self.tz))
            else:
                moment = opening + dt.timedelta(minutes=rng.randint(0, 420))
            moments.append(moment)
        return moments


@dataclass(frozen=True)
class CaseSeedResult:
    created: int
    existing: int
    events: int
    files: int
    seconds: float
    states: Mapping[str, int]
    staff_usernames: tuple[str, ...]


def _desks(today: dt.date) -> list[Desk]:
    by_key = {spec.key: spec for spec in data.DEPARTMENTS}
    departments = {d.uscc: d for d in Department.objects.select_related("region")}
    usernames = {
        name for team in TEAMS for name in (team.window, team.handler, team.reviewer, team.approver) if name
    }
    users = {u.get_username(): u for u in get_user_model().objects.filter(username__in=usernames)}
    missing = usernames - set(users)
    if missing:
        raise ImproperlyConfigured(f"demo staff missing: {sorted(missing)}")
    desks = []
    for team in TEAMS:
        department = departments[by_key[team.department].uscc]
        specs = [
            spec for spec in data.ITEMS if spec.department == team.department and spec.handled_at_a_window
        ]
        codes = [item_code(spec, department) for spec in specs]
        versions = list(
            ItemVersion.objects.in_force(today)
            .filter(item__code__in=codes)
            .select_related("item")
            .prefetch_related("steps", "materials", "fees", "partners__partner")
            .order_by("item__code")
        )
        role_users: dict[str, AbstractBaseUser] = {
            role: users[team.username(role)] for role in Role if team.username(role)
        }
        templates = {v.pk: Template.from_version(v) for v in versions}
        staffed = [v for v in versions if all(role in role_users for role in _roles(templates[v.pk]))]
        # items approved in parallel only take the joint cases (``run_joint``)
        usable = tuple(v for v in staffed if not v.parallel_approval)
        if not usable:
            raise ImproperlyConfigured(f"no demo item the {team.department} team can handle")
        desks.append(
            Desk(
                team=team,
                department=department,
                versions=usable,
                templates=templates,
                materials={v.pk: tuple(v.materials.all()) for v in staffed},
                users=role_users,
                transfer_to=departments[by_key[team.transfer_to].uscc],
                leads=tuple(v for v in staffed if v.parallel_approval and v.partners.all()),
            )
        )
    return desks


def item_code(spec: data.ItemSpec, department: Department) -> str:
    """The implementation item's code as the seeder builds it (``seed._seed_item``)."""
    return f"{department.uscc}{department.region.level}{spec.entry_code}"


def _roles(template: Template) -> set[str]:
    roles = {template.accept_role, template.complete_role, template.deliver_role, Role.APPROVER}
    roles.update(step.role for step in template.middle)
    return roles


# The key of a generated demo case as ``case_file`` stores it (``<user pk>:<key>``): the
# ordinary ``yiwang-demo-0001`` and the joint ``yiwang-demo-p01``, not the keys of the
# portal demo's online cases (``yiwang-demo-pay-1``, ``yiwang-demo-rate-1``).
GENERATED_KEY = re.compile(rf"^{KEY_PREFIX}p?[0-9]+$")
_STORED_GENERATED_KEY = rf":{KEY_PREFIX}p?[0-9]+$"


def is_generated_key(key: str) -> bool:
    """Whether ``key`` (as passed to ``case_file``) is that of a generated demo case."""
    return bool(GENERATED_KEY.match(key))


def generated_leads() -> QuerySet[Case]:
    """The generated demo cases filed under a key of their own (ordinary ones and the lead
    cases of joint approvals)."""
    return Case.objects.filter(idempotency_key__regex=_STORED_GENERATED_KEY)


def generated_cases() -> QuerySet[Case]:
    """Every generated demo case: those with a key and the branches of joint ones."""
    leads = generated_leads()
    return Case.objects.filter(Q(pk__in=leads.values("pk")) | Q(parent__in=leads.values("pk")))


def existing_demo_cases() -> int:
    """Generated demo cases already filed (the portal demo's online cases not counted)."""
    return generated_cases().count()


def existing_demo_keys() -> set[str]:
    """The keys of the generated demo cases already filed."""
    keys = generated_leads().values_list("idempotency_key", flat=True)
    return {key.split(":", 1)[1] for key in keys if key}


def seed_cases(*, count: int = DEMO_CASES, seed: int = SEED) -> CaseSeedResult:
    """File and handle the demo cases missing from ``count`` ordinary ones and
    ``count // PARALLEL_EVERY`` joint approvals (each a lead case and its branches, when
    the demo catalogue has items approved in parallel); return what was done.

    Call inside a transaction (``seed_demo`` is one): a case whose script fails leaves
    nothing behind only if the whole seeding is rolled back.
    """
    started = time.perf_counter()
    staff = tuple(spec.username for spec in CASE_STAFF)
    existing = existing_demo_keys()
    todo = [i for i in range(count) if demo_key(i) not in existing]
    joint_todo = [i for i in range(count // PARALLEL_EVERY) if parallel_key(i) not in existing]
    if not todo and not joint_todo:
        return CaseSeedResult(0, existing_demo_cases(), 0, 0, time.perf_counter() - started, {}, staff)
    before = existing_demo_cases()
    today = timezone.localdate()
    desks = _desks(today)
    joints = _joints(desks)
    timeline = Timeline(today, DAYS_BACK)
    events_before = CaseEvent.objects.count()
    created = [run_case(i, seed=seed, desks=desks, timeline=timeline, today=today).pk for i in todo]
    if joints:
        created += [
            run_joint(i, seed=seed, joints=joints, timeline=timeline, today=today).pk for i in joint_todo
        ]
    cases = Case.objects.filter(Q(pk__in=created) | Q(parent_id__in=created))
    return CaseSeedResult(
        created=cases.count(),
        existing=before,
        events=CaseEvent.objects.count() - events_before,
        files=CaseFile.objects.filter(case__in=cases).count(),
        seconds=time.perf_counter() - started,
        states=dict(Counter(cases.values_list("state", flat=True))),
        staff_usernames=staff,
    )


def _choose(rng: random.Random, desks: Sequence[Desk], index: int) -> tuple[Desk, ItemVersion, Plan]:
    showcase = SHOWCASE[index] if index < len(SHOWCASE) else None
    if showcase is not None:
        # the showcases are the city market bureau's, on its items with every kind of step
        desk = desks[0]
        longest = max(len(t.middle) for t in desk.templates.values())
        full = [v for v in desk.versions if len(desk.templates[v.pk].middle) == longest]
        return desk, full[index % len(full)], showcase
    desk = rng.choices(list(desks), weights=[d.team.share for d in desks])[0]
    version = rng.choice(desk.versions)
    template = desk.templates[version.pk]
    plan = Planner.plan(rng, has_steps=len(template.middle) > 1, immediate=version.promised_limit == 0)
    return desk, version, plan


def recorded_live(moment: dt.datetime) -> time_machine.travel:
    """Hold the clock at ``moment`` while its event is recorded, so that the demo's history
    reads as if each event had been entered live: otherwise electronic supervision would
    rightly flag every demo event as entered after the fact (事后补录)."""
    return time_machine.travel(moment, tick=False)


def run_case(index: int, *, seed: int, desks: Sequence[Desk], timeline: Timeline, today: dt.date) -> Case:
    """File and handle demo case ``index`` through the services."""
    rng = random.Random(f"{seed}:{index}")  # noqa: S311 -- demo data, not a secret
    desk, version, plan = _choose(rng, desks, index)
    applicant = make_applicant(rng, version.target)
    planner = Planner(rng, desk, version, index, today)
    script = planner.script(plan, applicant)
    moments = timeline.moments(rng, script, closed=plan.outcome not in OPEN)
    case: Case | None = None
    for act, moment in zip(script.acts, moments, strict=True):
        with recorded_live(moment):
            case = act.run(case, moment)
    case = _filed(case)
    case.refresh_from_db()
    return case


# ---------------------------------------------------------------------------
# Joint (parallel) approvals
# ---------------------------------------------------------------------------

# Where a joint approval stands at the end of its script, one per lead case in turn.
JOINT_OUTCOMES: tuple[str, ...] = ("delivered", "handling", "denied", "deciding", "delivered", "accepted")


@dataclass(frozen=True)
class Joint:
    """A lead item approved in parallel, with the desks and versions of its partner items."""

    desk: Desk
    version: ItemVersion
    partners: tuple[tuple[Desk, ItemVersion], ...]


def _joints(desks: Sequence[Desk]) -> list[Joint]:
    """The demo's lead items whose every partner department has demo staff."""
    by_item = {v.item_id: (d, v) for d in desks for v in d.versions}
    joints = []
    for desk in desks:
        for version in desk.leads:
            partners = [by_item.get(p.partner_id) for p in version.partners.all()]
            if partners and all(partners):
                joints.append(Joint(desk, version, tuple(p for p in partners if p is not None)))
    return joints


class JointPlanner:
    """A lead case accepted at the comprehensive window, its branches (one per partner
    department, spawned by the acceptance) handled side by side, the lead decided once
    every branch has, then completed and delivered together."""

    def __init__(self, rng: random.Random, joint: Joint, index: int, today: dt.date) -> None:
        number = 9000 + index  # of the documents issued (result numbers)
        self.lead = Planner(rng, joint.desk, joint.version, number, today, key=parallel_key(index))
        self.branches = [Planner(rng, desk, version, number, today) for desk, version in joint.partners]

    @staticmethod
    def _on_branch(planner: Planner, run: Runner) -> Runner:
        item_id = planner.version.item_id

        def on_branch(case: Case | None, at: dt.datetime) -> Case:
            lead = _filed(case)
            run(Case.objects.get(parent_id=lead.pk, item_id=item_id), at)
            return lead

        return on_branch

    def script(self, outcome: str, applicant: Applicant) -> Script:
        lead = self.lead
        s = Script()
        s.add(0, lead._file(applicant, with_file=True))  # the files are handed on to the branches
        s.add(lead.days(0, 1), lead._call(services.case_accept, lead.template.accept_role))
        if outcome == "accepted":
            s.idle = lead.days(0, 2)
            return s
        denied = lead.rng.randrange(len(self.branches)) if outcome == "denied" else None
        tracks = [[lead._pass(step.role, step.kind) for step in lead.template.middle[:-1]]]
        for k, branch in enumerate(self.branches):
            track = [branch._pass(step.role, step.kind) for step in branch.template.middle[:-1]]
            track.append(branch._decide(k == denied))
            tracks.append([self._on_branch(branch, run) for run in track])
        rounds = max(len(track) for track in tracks)
        # "handling": one round done; "deciding": some partners have decided, not all
        stop = {"handling": 1, "deciding": rounds - 1}.get(outcome, rounds)
        for r in range(stop):
            acts = [track[r] for track in tracks if r < len(track)]
            for i, run in enumerate(acts):
                s.add(lead.days(1, 3) if i == 0 else 0, run)
        if outcome in ("handling", "deciding"):
            s.idle = lead.days(0, 2)
            return s
        if denied is not None:
            refused_by = self.branches[denied].desk.department.name
            s.add(
                lead.days(0, 2),
                lead._call(
                    services.case_decide,
                    lead.template.decide_role,
                    decision=Decision.DENIED,
                    reason=f"并联审批部门{refused_by}不予许可，项目不具备核发条件。",
                    legal_basis=f"{lead.version.legal_basis}；《中华人民共和国行政许可法》第二十六条",
                ),
            )
        else:
            s.add(lead.days(0, 2), lead._decide(False))
        s.add(lead.days(0, 1), lead._complete())
        for branch in self.branches:
            s.add(0, self._on_branch(branch, branch._complete()))
            s.add(0, self._on_branch(branch, branch._deliver()))
        s.add(lead.days(0, 2), lead._deliver())
        return s


def run_joint(index: int, *, seed: int, joints: Sequence[Joint], timeline: Timeline, today: dt.date) -> Case:
    """File and handle the ``index``-th joint approval; return its lead case."""
    rng = random.Random(f"{seed}:p{index}")  # noqa: S311 -- demo data, not a secret
    joint = joints[index % len(joints)]
    outcome = JOINT_OUTCOMES[index % len(JOINT_OUTCOMES)]
    applicant = make_applicant(rng, Target.ENTERPRISE)
    script = JointPlanner(rng, joint, index, today).script(outcome, applicant)
    moments = timeline.moments(rng, script, closed=outcome in ("delivered", "denied"))
    case: Case | None = None
    for act, moment in zip(script.acts, moments, strict=True):
        with recorded_live(moment):
            case = act.run(case, moment)
    case = _filed(case)
    case.refresh_from_db()
    return case
