"""The demo's content: 邯郸市 (Handan, Hebei) with three districts, their departments,
service centers and windows, one staff account per role, and some fifty service items.

Everything here is plain data; ``yiwang.demo.seed`` turns it into rows through the same
factories and catalog services the tests use. Names of laws are real; article numbers are
cited only where the article is well known. Region codes of the districts are the GB/T
2260 codes; the town codes, addresses, telephone numbers and identifiers are illustrative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from yiwang.catalog.models import (
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    Necessity,
    OnlineDepth,
    ResultType,
    StepKind,
    Target,
)
from yiwang.core.identifiers import build_uscc
from yiwang.org.models import RegionLevel, Role

DEMO_PASSWORD = "Yiwang-demo-2026"  # noqa: S105 -- the documented password of every demo account

HOTLINE = "0310-12345"
HOURS = "周一至周五 9:00-17:00（法定节假日除外）"


# ---------------------------------------------------------------------------
# Identifiers
# ---------------------------------------------------------------------------

_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def organisation_code(body: str) -> str:
    """An organisation code (GB 11714): eight characters and their check character."""
    total = sum(_ORG_CODE_ALPHABET.index(c) * w for c, w in zip(body, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def government_uscc(region_code: str, body: str, *, public_institution: bool = False) -> str:
    """The USCC of a government organ (registered by the staffing office: ``11``) or of a
    public institution (``12``) in ``region_code``."""
    return build_uscc("1", "2" if public_institution else "1", region_code, organisation_code(body))


def _license_type(ministry_body: str, serial: int) -> str:
    # E-license type codes follow GB/T 36903: the defining authority's USCC and a
    # three-digit serial. The authorities' codes here are built for the demo, not looked up.
    return f"{government_uscc('100000', ministry_body)}{serial:03d}"


LICENSE_TYPES: dict[str, str] = {
    "居民身份证": _license_type("00001301", 1),
    "居民户口簿": _license_type("00001301", 2),
    "机动车驾驶证": _license_type("00001301", 3),
    "营业执照": _license_type("00001361", 1),
    "食品经营许可证": _license_type("00001361", 2),
    "不动产权证书": _license_type("00001371", 1),
    "结婚证": _license_type("00001311", 1),
    "社会保障卡": _license_type("00001321", 1),
    "出生医学证明": _license_type("00001331", 1),
}


# ---------------------------------------------------------------------------
# Regions
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    level: RegionLevel
    parent: str | None = None


PROVINCE = "130000"
CITY = "130400"
HANSHAN = "130402"
CONGTAI = "130403"
FUXING = "130404"

REGIONS: tuple[RegionSpec, ...] = (
    RegionSpec(PROVINCE, "河北省", RegionLevel.PROVINCE),
    RegionSpec(CITY, "邯郸市", RegionLevel.CITY, PROVINCE),
    RegionSpec(HANSHAN, "邯山区", RegionLevel.COUNTY, CITY),
    RegionSpec(CONGTAI, "丛台区", RegionLevel.COUNTY, CITY),
    RegionSpec(FUXING, "复兴区", RegionLevel.COUNTY, CITY),
    RegionSpec("130402001000", "火磨街道", RegionLevel.TOWN, HANSHAN),
    RegionSpec("130402002000", "陵西街道", RegionLevel.TOWN, HANSHAN),
    RegionSpec("130402100000", "北张庄镇", RegionLevel.TOWN, HANSHAN),
    RegionSpec("130403001000", "丛台西街道", RegionLevel.TOWN, CONGTAI),
    RegionSpec("130403002000", "联纺西街道", RegionLevel.TOWN, CONGTAI),
    RegionSpec("130403100000", "黄粱梦镇", RegionLevel.TOWN, CONGTAI),
    RegionSpec("130404001000", "胜利桥街道", RegionLevel.TOWN, FUXING),
    RegionSpec("130404002000", "百家村街道", RegionLevel.TOWN, FUXING),
    RegionSpec("130404100000", "户村镇", RegionLevel.TOWN, FUXING),
)


# ---------------------------------------------------------------------------
# Departments
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentSpec:
    key: str
    name: str
    short_name: str
    region: str
    org_body: str  # the first eight characters of its organisation code
    phone: str
    address: str
    parent: str | None = None
    public_institution: bool = False
    is_supervision_room: bool = False

    @property
    def uscc(self) -> str:
        return government_uscc(self.region, self.org_body, public_institution=self.public_institution)


DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    # 邯郸市
    DepartmentSpec(
        "gov",
        "邯郸市人民政府办公室",
        "市政府办",
        CITY,
        "00400001",
        "0310-3118001",
        "邯郸市丛台区人民东路395号",
    ),
    DepartmentSpec(
        "hotline",
        "邯郸市12345政务服务便民热线中心",
        "市12345热线中心",
        CITY,
        "00400002",
        HOTLINE,
        "邯郸市丛台区人民东路395号",
        parent="gov",
        public_institution=True,
    ),
    DepartmentSpec(
        "supervision",
        "邯郸市电子监察室",
        "市电子监察室",
        CITY,
        "00400003",
        "0310-3119010",
        "邯郸市丛台区滏东北大街358号市民服务中心三楼",
        is_supervision_room=True,
    ),
    DepartmentSpec(
        "approval",
        "邯郸市行政审批局",
        "市行政审批局",
        CITY,
        "00400004",
        "0310-3119000",
        "邯郸市丛台区滏东北大街358号",
    ),
    DepartmentSpec(
        "market",
        "邯郸市市场监督管理局",
        "市市场监管局",
        CITY,
        "00400011",
        "0310-3121315",
        "邯郸市丛台区中华北大街156号",
    ),
    DepartmentSpec(
        "resources",
        "邯郸市自然资源和规划局",
        "市自然资源和规划局",
        CITY,
        "00400012",
        "0310-3136210",
        "邯郸市丛台区联纺东路119号",
    ),
    DepartmentSpec(
        "police", "邯郸市公安局", "市公安局", CITY, "00400013", "0310-3163110", "邯郸市丛台区人民东路318号"
    ),
    DepartmentSpec(
        "police_hukou",
        "邯郸市公安局户政管理支队",
        "市公安局户政支队",
        CITY,
        "00400014",
        "0310-3163210",
        "邯郸市丛台区人民东路318号",
        parent="police",
    ),
    DepartmentSpec(
        "police_exit",
        "邯郸市公安局出入境管理支队",
        "市公安局出入境支队",
        CITY,
        "00400015",
        "0310-3163260",
        "邯郸市丛台区滏东北大街358号",
        parent="police",
    ),
    DepartmentSpec(
        "police_vehicle",
        "邯郸市公安局交通警察支队车辆管理所",
        "市车管所",
        CITY,
        "00400016",
        "0310-3163122",
        "邯郸市邯山区滏河南大街88号",
        parent="police",
    ),
    DepartmentSpec(
        "hrss",
        "邯郸市人力资源和社会保障局",
        "市人社局",
        CITY,
        "00400017",
        "0310-3112333",
        "邯郸市丛台区和平路218号",
    ),
    DepartmentSpec(
        "housing_fund",
        "邯郸市住房公积金管理中心",
        "市公积金中心",
        CITY,
        "00400018",
        "0310-3112329",
        "邯郸市丛台区联纺西路56号",
        public_institution=True,
    ),
    DepartmentSpec(
        "health",
        "邯郸市卫生健康委员会",
        "市卫健委",
        CITY,
        "00400019",
        "0310-3112120",
        "邯郸市丛台区光明北大街211号",
    ),
    DepartmentSpec(
        "transport",
        "邯郸市交通运输局",
        "市交通运输局",
        CITY,
        "00400020",
        "0310-3112396",
        "邯郸市邯山区陵西南大街92号",
    ),
    DepartmentSpec(
        "construction",
        "邯郸市住房和城乡建设局",
        "市住建局",
        CITY,
        "00400021",
        "0310-3112235",
        "邯郸市丛台区东柳大街65号",
    ),
    DepartmentSpec(
        "civil", "邯郸市民政局", "市民政局", CITY, "00400022", "0310-3112178", "邯郸市丛台区丛台路73号"
    ),
    DepartmentSpec(
        "ecology",
        "邯郸市生态环境局",
        "市生态环境局",
        CITY,
        "00400023",
        "0310-3112369",
        "邯郸市丛台区滏河北大街190号",
    ),
    DepartmentSpec(
        "water", "邯郸市水利局", "市水利局", CITY, "00400024", "0310-3112261", "邯郸市邯山区渚河路36号"
    ),
    DepartmentSpec(
        "medical_insurance",
        "邯郸市医疗保障局",
        "市医保局",
        CITY,
        "00400025",
        "0310-3112286",
        "邯郸市丛台区和平路226号",
    ),
    DepartmentSpec(
        "tobacco",
        "邯郸市烟草专卖局",
        "市烟草专卖局",
        CITY,
        "00400026",
        "0310-3112315",
        "邯郸市丛台区光明北大街168号",
    ),
    DepartmentSpec(
        "archives",
        "邯郸市档案馆",
        "市档案馆",
        CITY,
        "00400027",
        "0310-3112153",
        "邯郸市丛台区学院北路8号",
        public_institution=True,
    ),
    # 邯山区
    DepartmentSpec(
        "hs_market",
        "邯郸市邯山区市场监督管理局",
        "邯山区市场监管局",
        HANSHAN,
        "00402011",
        "0310-3051315",
        "邯郸市邯山区渚河路168号",
    ),
    DepartmentSpec(
        "hs_civil",
        "邯郸市邯山区民政局",
        "邯山区民政局",
        HANSHAN,
        "00402012",
        "0310-3052178",
        "邯郸市邯山区渚河路168号",
    ),
    DepartmentSpec(
        "hs_supervision",
        "邯郸市邯山区电子监察室",
        "邯山区电子监察室",
        HANSHAN,
        "00402003",
        "0310-3050010",
        "邯郸市邯山区渚河路168号政务服务中心二楼",
        is_supervision_room=True,
    ),
    # 丛台区
    DepartmentSpec(
        "ct_market",
        "邯郸市丛台区市场监督管理局",
        "丛台区市场监管局",
        CONGTAI,
        "00403011",
        "0310-3071315",
        "邯郸市丛台区联纺东路216号",
    ),
    # 复兴区
    DepartmentSpec(
        "fx_market",
        "邯郸市复兴区市场监督管理局",
        "复兴区市场监管局",
        FUXING,
        "00404011",
        "0310-3081315",
        "邯郸市复兴区复兴路89号",
    ),
)


# ---------------------------------------------------------------------------
# Service centers and windows
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowSpec:
    number: str
    name: str
    departments: tuple[str, ...]


@dataclass(frozen=True)
class CenterSpec:
    key: str
    region: str
    name: str
    address: str
    phone: str
    windows: tuple[WindowSpec, ...]
    hours: str = HOURS


# Departments whose applications the city's comprehensive windows (综合受理窗口) accept:
# front desk accepts, back office approves (一窗受理).
CITY_COMPREHENSIVE: tuple[str, ...] = (
    "market",
    "approval",
    "construction",
    "transport",
    "health",
    "ecology",
    "water",
    "civil",
    "tobacco",
)

CENTERS: tuple[CenterSpec, ...] = (
    CenterSpec(
        "city",
        CITY,
        "邯郸市市民服务中心",
        "邯郸市丛台区滏东北大街358号",
        "0310-3119000",
        (
            WindowSpec("01", "综合受理窗口", CITY_COMPREHENSIVE),
            WindowSpec("02", "综合受理窗口", CITY_COMPREHENSIVE),
            WindowSpec("08", "不动产登记窗口", ("resources",)),
            WindowSpec("09", "规划许可窗口", ("resources",)),
            WindowSpec("11", "户籍窗口", ("police_hukou",)),
            WindowSpec("12", "出入境窗口", ("police_exit",)),
            WindowSpec("13", "车驾管窗口", ("police_vehicle",)),
            WindowSpec("15", "社会保障窗口", ("hrss", "medical_insurance")),
            WindowSpec("16", "住房公积金窗口", ("housing_fund",)),
            WindowSpec("18", "档案查询窗口", ("archives",)),
            WindowSpec("20", "综合出件窗口", CITY_COMPREHENSIVE),
        ),
    ),
    CenterSpec(
        "hanshan",
        HANSHAN,
        "邯山区政务服务中心",
        "邯郸市邯山区渚河路168号",
        "0310-3050000",
        (
            WindowSpec("01", "综合受理窗口", ("hs_market", "hs_civil")),
            WindowSpec("05", "婚姻登记窗口", ("hs_civil",)),
        ),
    ),
    CenterSpec(
        "congtai",
        CONGTAI,
        "丛台区政务服务中心",
        "邯郸市丛台区联纺东路216号",
        "0310-3070000",
        (WindowSpec("01", "综合受理窗口", ("ct_market",)),),
    ),
    CenterSpec(
        "fuxing",
        FUXING,
        "复兴区政务服务中心",
        "邯郸市复兴区复兴路89号",
        "0310-3080000",
        (WindowSpec("01", "综合受理窗口", ("fx_market",)),),
    ),
)


# ---------------------------------------------------------------------------
# Staff accounts: one per role, plus the superuser
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantSpec:
    role: Role
    region: str | None = None
    department: str | None = None


@dataclass(frozen=True)
class AccountSpec:
    username: str
    name: str
    department: str
    mobile: str
    employee_number: str
    grants: tuple[GrantSpec, ...]
    scope_label: str = ""  # shown instead of the grants when they are many


SUPERUSER = "admin"

ACCOUNTS: tuple[AccountSpec, ...] = (
    AccountSpec(
        "sysadmin",
        "刘建华",
        "approval",
        "13903100001",
        "HD0001",
        (GrantSpec(Role.SYSTEM_ADMIN, region=CITY),),
    ),
    AccountSpec(
        "maintainer",
        "陈晓燕",
        "market",
        "13903100002",
        "HD0002",
        (GrantSpec(Role.MAINTAINER, department="market"),),
    ),
    AccountSpec(
        "window",
        "王丽娜",
        "approval",
        "13903100003",
        "HD0003",
        tuple(GrantSpec(Role.WINDOW_OPERATOR, department=key) for key in CITY_COMPREHENSIVE),
        scope_label="邯郸市市民服务中心01号综合受理窗口",
    ),
    AccountSpec(
        "handler",
        "李志强",
        "market",
        "13903100004",
        "HD0004",
        (GrantSpec(Role.HANDLER, department="market"),),
    ),
    AccountSpec(
        "reviewer",
        "张红梅",
        "market",
        "13903100005",
        "HD0005",
        (GrantSpec(Role.REVIEWER, department="market"),),
    ),
    AccountSpec(
        "approver",
        "赵国庆",
        "market",
        "13903100006",
        "HD0006",
        (GrantSpec(Role.APPROVER, department="market"),),
    ),
    AccountSpec(
        "supervisor",
        "孙立新",
        "supervision",
        "13903100007",
        "HD0007",
        (GrantSpec(Role.SUPERVISOR, region=CITY),),
    ),
    AccountSpec(
        "supervisor_hs",
        "周敏",
        "hs_supervision",
        "13903100008",
        "HS0001",
        (GrantSpec(Role.SUPERVISOR, region=HANSHAN),),
    ),
    AccountSpec("leader", "郭振华", "gov", "13903100009", "HD0009", (GrantSpec(Role.LEADER, region=CITY),)),
    AccountSpec(
        "hotline", "马晓丽", "hotline", "13903100010", "HD0010", (GrantSpec(Role.HOTLINE_AGENT, region=CITY),)
    ),
)


# ---------------------------------------------------------------------------
# Items: helpers for the parts that repeat
# ---------------------------------------------------------------------------


def material(
    name: str,
    *,
    form: str = MaterialForm.ORIGINAL,
    copies: int = 1,
    necessity: str = Necessity.REQUIRED,
    condition: str = "",
    source: str = MaterialSource.APPLICANT,
    basis: str = "",
    requirements: str = "",
    license_type: str = "",
) -> dict[str, Any]:
    return {
        "name": name,
        "form": form,
        "copies": copies,
        "necessity": necessity,
        "condition": condition,
        "source": source,
        "basis": basis,
        "requirements": requirements,
        "license_type": license_type,
    }


def conditional(name: str, condition: str, **kwargs: Any) -> dict[str, Any]:
    return material(name, necessity=Necessity.CONDITIONAL, condition=condition, **kwargs)


def resident_id(holder: str = "申请人") -> dict[str, Any]:
    return material(
        f"{holder}居民身份证",
        source=MaterialSource.GOVERNMENT,
        requirements="在有效期内；原件现场核验后退还。已关联电子证照的，无需提交。",
        license_type=LICENSE_TYPES["居民身份证"],
    )


def household_register() -> dict[str, Any]:
    return material(
        "居民户口簿",
        source=MaterialSource.GOVERNMENT,
        requirements="户主页及本人页；原件现场核验后退还。",
        license_type=LICENSE_TYPES["居民户口簿"],
    )


def business_license(holder: str = "申请人") -> dict[str, Any]:
    return material(
        f"{holder}营业执照",
        form=MaterialForm.COPY,
        source=MaterialSource.GOVERNMENT,
        requirements="复印件加盖公章；已关联电子营业执照的，无需提交。",
        license_type=LICENSE_TYPES["营业执照"],
    )


def agent_papers() -> list[dict[str, Any]]:
    return [
        conditional(
            "授权委托书",
            "委托他人代为办理的",
            requirements="载明委托事项、权限和期限，委托人签字或盖章。",
        ),
        conditional(
            "受托人居民身份证",
            "委托他人代为办理的",
            source=MaterialSource.GOVERNMENT,
            license_type=LICENSE_TYPES["居民身份证"],
        ),
    ]


_STEP_ROLES: dict[StepKind, Role] = {
    StepKind.ACCEPT: Role.WINDOW_OPERATOR,
    StepKind.HANDLE: Role.HANDLER,
    StepKind.REVIEW: Role.REVIEWER,
    StepKind.DECIDE: Role.APPROVER,
    StepKind.COMPLETE: Role.HANDLER,
    StepKind.DELIVER: Role.WINDOW_OPERATOR,
}
_STEP_NAMES: dict[StepKind, str] = {
    StepKind.ACCEPT: "受理",
    StepKind.HANDLE: "承办",
    StepKind.REVIEW: "审核",
    StepKind.DECIDE: "决定",
    StepKind.COMPLETE: "办结",
    StepKind.DELIVER: "送达",
}


@dataclass(frozen=True)
class ParallelStep:
    """A step another department performs while the implementing department reviews."""

    name: str
    department: str
    limit: int


def flow(
    *,
    accept: int | None = 1,
    handle: int | None = None,
    review: int | None = None,
    decide: int = 1,
    complete: int | None = 1,
    deliver: int | None = None,
    names: Mapping[StepKind, str] | None = None,
    roles: Mapping[StepKind, Role] | None = None,
    parallel: Sequence[ParallelStep] = (),
) -> tuple[dict[str, Any], ...]:
    """Workflow steps in the usual order (受理 → 承办 → 审核 → 决定 → 办结 → 送达), each with
    its limit; a kind given ``None`` is left out. Parallel steps run beside 审核 (group 1)
    and name a department key, which the seeder resolves."""
    limits = {
        StepKind.ACCEPT: accept,
        StepKind.HANDLE: handle,
        StepKind.REVIEW: review,
        StepKind.DECIDE: decide,
        StepKind.COMPLETE: complete,
        StepKind.DELIVER: deliver,
    }
    steps: list[dict[str, Any]] = []
    for kind, limit in limits.items():
        if limit is None:
            continue
        step: dict[str, Any] = {
            "name": (names or {}).get(kind, _STEP_NAMES[kind]),
            "kind": kind,
            "role": (roles or {}).get(kind, _STEP_ROLES[kind]),
            "limit": limit,
        }
        if kind == StepKind.REVIEW and parallel:
            step["parallel_group"] = 1
        steps.append(step)
        if kind == StepKind.REVIEW:
            steps.extend(
                {
                    "name": p.name,
                    "kind": StepKind.REVIEW,
                    "role": Role.REVIEWER,
                    "limit": p.limit,
                    "department": p.department,
                    "parallel_group": 1,
                }
                for p in parallel
            )
    return tuple(steps)


def immediate_flow(decide_name: str = "决定") -> tuple[dict[str, Any], ...]:
    """即办件: accepted, decided and completed on the spot."""
    return flow(accept=0, decide=0, complete=0, names={StepKind.DECIDE: decide_name})


def fee(amount: str, name: str, unit: str, basis: str, reductions: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "standard_amount": Decimal(amount),
        "unit": unit,
        "basis": basis,
        "reductions": reductions,
    }


def faq(question: str, answer: str) -> dict[str, str]:
    return {"question": question, "answer": answer}


@dataclass(frozen=True)
class ItemSpec:
    """One item as a department implements it. ``entry`` numbers the catalog entry (基本目录):
    the same number in two departments is the same catalog entry implemented twice."""

    entry: int
    name: str
    department: str
    item_type: ItemType
    basis: str
    statutory: int | None
    promised: int
    steps: tuple[dict[str, Any], ...]
    target: Target
    materials: tuple[dict[str, Any], ...]
    conditions: str
    unit: LimitUnit = LimitUnit.WORKING_DAYS
    limit_note: str = ""
    special_procedures: str = ""
    online_depth: OnlineDepth = OnlineDepth.ACCEPTANCE
    visits: int = 1
    appointment: bool = False
    result_type: ResultType = ResultType.APPROVAL
    result_name: str = ""
    handling_unit: str = ""
    fees: tuple[dict[str, Any], ...] = ()
    faqs: tuple[dict[str, str], ...] = ()
    window: str = ""  # number of the window that accepts it; default: the first serving the department
    # names of city items of other departments that approve in parallel (并联审批)
    partners: tuple[str, ...] = ()

    @property
    def handled_at_a_window(self) -> bool:
        """Applications are taken at a window; penalties, enforcement and inspections are not."""
        return self.item_type not in (ItemType.PENALTY, ItemType.ENFORCEMENT, ItemType.INSPECTION)

    @property
    def entry_code(self) -> str:
        """基本编码 of the demo: item type, five-digit main item, three-digit sub-item."""
        return f"{self.item_type.value}{self.entry:05d}000"


# ---------------------------------------------------------------------------
# Items
# ---------------------------------------------------------------------------

_FOOD_SAFETY_LAW = "《中华人民共和国食品安全法》"
_MARKET_REGISTRATION = (
    "《中华人民共和国市场主体登记管理条例》；《中华人民共和国市场主体登记管理条例实施细则》"
)
_LICENSING_LAW_42 = "《中华人民共和国行政许可法》第四十二条"


def _food_business_license(
    department: str, promised: int, entry_steps: tuple[dict[str, Any], ...]
) -> ItemSpec:
    return ItemSpec(
        entry=101,
        name="食品经营许可",
        department=department,
        item_type=ItemType.LICENSING,
        basis=f"{_FOOD_SAFETY_LAW}第三十五条；《食品经营许可和备案管理办法》",
        statutory=10,
        promised=promised,
        steps=entry_steps,
        target=Target.ENTERPRISE,
        conditions=(
            "（一）具有与经营的食品品种、数量相适应的食品原料处理和食品加工、销售、贮存等场所；"
            "（二）具有与经营的食品品种、数量相适应的经营设备或者设施；"
            "（三）有专职或者兼职的食品安全管理人员和保证食品安全的规章制度；"
            "（四）具有合理的设备布局和工艺流程；（五）法律、法规规定的其他条件。"
        ),
        materials=(
            material("食品经营许可申请书", requirements="申请人签字或盖章。"),
            business_license(),
            material(
                "与食品经营相适应的主要设备设施、经营布局、操作流程等文件",
                form=MaterialForm.COPY,
                requirements="包括经营场所平面图和设备布局图。",
            ),
            material("食品安全自查、从业人员健康管理、进货查验记录等食品安全管理制度目录"),
            conditional(
                "网络经营的网站或者应用程序名称及网址", "通过网络经营食品的", form=MaterialForm.ELECTRONIC
            ),
            *agent_papers(),
        ),
        special_procedures="现场核查（需要时），所需时间不计入办理时限。",
        online_depth=OnlineDepth.HANDLING,
        visits=0,
        result_type=ResultType.LICENSE,
        result_name="食品经营许可证",
        faqs=(
            faq(
                "仅销售预包装食品需要办理食品经营许可吗？",
                "仅销售预包装食品的，不需要取得许可，应当在开展经营活动后向所在地县级市场监督管理部门备案。",
            ),
            faq(
                "食品经营许可证的有效期是多久？",
                "食品经营许可证有效期为五年。需要延续的，应当在有效期届满前向原发证部门提出延续申请。",
            ),
        ),
    )


def _sole_proprietor_registration(department: str) -> ItemSpec:
    return ItemSpec(
        entry=102,
        name="个体工商户登记",
        department=department,
        item_type=ItemType.LICENSING,
        basis=f"《促进个体工商户发展条例》；{_MARKET_REGISTRATION}",
        statutory=3,
        promised=0,
        limit_note="材料齐全、符合法定形式的，当场登记。",
        steps=immediate_flow("核准"),
        target=Target.INDIVIDUAL,
        conditions="有经营能力的自然人；有固定的经营场所；经营范围不属于法律、行政法规禁止的项目。",
        materials=(
            material("个体工商户登记（备案）申请书", requirements="经营者签字。"),
            resident_id("经营者"),
            material("经营场所使用相关文件", form=MaterialForm.COPY, requirements="房产证明或租赁协议。"),
            conditional("前置审批文件或许可证件", "经营范围涉及依法须经批准的项目的", form=MaterialForm.COPY),
            *agent_papers(),
        ),
        online_depth=OnlineDepth.HANDLING,
        visits=0,
        result_type=ResultType.LICENSE,
        result_name="营业执照",
        faqs=(
            faq(
                "个体工商户登记收费吗？",
                "不收费。营业执照和电子营业执照均免费发放。",
            ),
            faq(
                "可以在网上办理吗？",
                "可以。通过本平台“企业开办”栏目在线填报，经营者完成实名认证和电子签名后即可提交，审核通过后可领取电子营业执照，纸质执照可选择邮寄。",
            ),
        ),
    )


ITEMS: tuple[ItemSpec, ...] = (
    # ---- 邯郸市市场监督管理局 ----
    ItemSpec(
        entry=103,
        name="企业设立登记",
        department="market",
        item_type=ItemType.LICENSING,
        basis=f"《中华人民共和国公司法》；{_MARKET_REGISTRATION}",
        statutory=3,
        promised=1,
        steps=flow(accept=0, review=1, decide=0, complete=0, names={StepKind.DECIDE: "核准"}),
        target=Target.ENTERPRISE,
        conditions="申请材料齐全、符合法定形式；名称、住所、经营范围等登记事项符合法律、行政法规规定。",
        materials=(
            material("公司登记（备案）申请书", requirements="法定代表人签字。"),
            material("公司章程", requirements="全体股东签字或盖章。"),
            material(
                "股东的主体资格文件或者自然人身份证明",
                form=MaterialForm.COPY,
                source=MaterialSource.GOVERNMENT,
                license_type=LICENSE_TYPES["居民身份证"],
            ),
            material("法定代表人、董事、监事和高级管理人员的任职文件", form=MaterialForm.COPY),
            material("住所使用相关文件", form=MaterialForm.COPY),
            conditional(
                "依法须经批准的批准文件或者许可证件", "设立依法须经批准的公司的", form=MaterialForm.COPY
            ),
        ),
        online_depth=OnlineDepth.E_LICENSE,
        visits=0,
        result_type=ResultType.LICENSE,
        result_name="营业执照",
        faqs=(
            faq(
                "企业开办需要多长时间？",
                "材料齐全、符合法定形式的，一个工作日内完成设立登记；印章刻制、涉税事项、社保登记可在“企业开办”栏目一并办理。",
            ),
            faq(
                "注册资本必须一次缴足吗？",
                "不必。有限责任公司全体股东认缴的出资额由股东按照公司章程的规定自公司成立之日起五年内缴足。",
            ),
            faq(
                "可以用住宅作为公司住所吗？",
                "将住宅改变为经营性用房的，除遵守法律、法规和管理规约外，应当经有利害关系的业主同意。具体以本地住所登记规定为准，可拨打咨询电话确认。",
            ),
        ),
    ),
    ItemSpec(
        entry=104,
        name="食品生产许可",
        department="market",
        item_type=ItemType.LICENSING,
        basis=f"{_FOOD_SAFETY_LAW}第三十五条；《食品生产许可管理办法》",
        statutory=10,
        promised=7,
        steps=flow(handle=2, review=2, decide=1, complete=1),
        target=Target.ENTERPRISE,
        conditions=(
            "具有与生产的食品品种、数量相适应的生产场所、设备设施、专业技术人员和管理人员，"
            "有保证食品安全的规章制度和合理的设备布局、工艺流程。"
        ),
        materials=(
            material("食品生产许可申请书"),
            business_license(),
            material("食品生产加工场所及其周围环境平面图、各功能区间布局平面图", form=MaterialForm.COPY),
            material("工艺设备布局图和食品生产工艺流程图", form=MaterialForm.COPY),
            material("食品生产主要设备、设施清单"),
            material("专职或者兼职的食品安全专业技术人员、食品安全管理人员信息和食品安全管理制度"),
            conditional("产品配方", "申请保健食品、特殊医学用途配方食品、婴幼儿配方食品等特殊食品生产许可的"),
        ),
        special_procedures="现场核查，所需时间不计入办理时限。",
        online_depth=OnlineDepth.ACCEPTANCE,
        result_type=ResultType.LICENSE,
        result_name="食品生产许可证",
    ),
    ItemSpec(
        entry=105,
        name="药品零售企业许可",
        department="market",
        item_type=ItemType.LICENSING,
        basis="《中华人民共和国药品管理法》第五十一条；《药品经营和使用质量监督管理办法》",
        statutory=20,
        promised=10,
        steps=flow(handle=3, review=3, decide=2, complete=1),
        target=Target.ENTERPRISE,
        conditions=(
            "有依法经过资格认定的药师或者其他药学技术人员；有与所经营药品相适应的营业场所、设备、"
            "仓储设施和卫生环境；有与所经营药品相适应的质量管理机构或者人员；有保证药品质量的规章制度。"
        ),
        materials=(
            material("药品经营许可证申请表"),
            business_license(),
            material("质量负责人、执业药师的身份证明、学历证明及执业药师注册证", form=MaterialForm.COPY),
            material("营业场所、仓库平面布置图及房屋产权或者使用权证明", form=MaterialForm.COPY),
            material("药品质量管理制度文件目录"),
            *agent_papers(),
        ),
        special_procedures="现场检查，所需时间不计入办理时限。",
        result_type=ResultType.LICENSE,
        result_name="药品经营许可证",
    ),
    ItemSpec(
        entry=106,
        name="特种设备使用登记",
        department="market",
        item_type=ItemType.LICENSING,
        basis="《中华人民共和国特种设备安全法》第三十三条；《特种设备使用管理规则》",
        statutory=15,
        promised=5,
        steps=flow(review=2, decide=1, complete=1),
        target=Target.ENTERPRISE,
        conditions="特种设备经监督检验合格（需监督检验的），并在投入使用前或者投入使用后三十日内申请登记。",
        materials=(
            material("特种设备使用登记表", copies=2),
            business_license("使用单位"),
            material("特种设备产品合格证", form=MaterialForm.COPY),
            conditional("监督检验证明", "按照规定需要进行安装监督检验的", form=MaterialForm.COPY),
            conditional(
                "机动车行驶证", "登记场（厂）内专用机动车辆以外的车辆类设备的", form=MaterialForm.COPY
            ),
        ),
        online_depth=OnlineDepth.HANDLING,
        visits=0,
        result_type=ResultType.LICENSE,
        result_name="特种设备使用登记证",
    ),
    _food_business_license(
        "market",
        5,
        flow(handle=1, review=1, decide=1, complete=1),
    ),
    ItemSpec(
        entry=201,
        name="对未取得食品生产经营许可从事食品生产经营活动的行政处罚",
        department="market",
        item_type=ItemType.PENALTY,
        basis=f"{_FOOD_SAFETY_LAW}第一百二十二条；《市场监督管理行政处罚程序规定》",
        statutory=90,
        promised=60,
        unit=LimitUnit.NATURAL_DAYS,
        limit_note="自立案之日起计算；案情复杂的，经批准可以延长。",
        steps=flow(
            accept=5,
            handle=30,
            review=10,
            decide=7,
            complete=None,
            deliver=7,
            names={
                StepKind.ACCEPT: "立案",
                StepKind.HANDLE: "调查取证",
                StepKind.REVIEW: "法制审核",
                StepKind.DECIDE: "处罚决定",
            },
            roles={StepKind.ACCEPT: Role.HANDLER, StepKind.DELIVER: Role.HANDLER},
        ),
        target=Target.BOTH,
        conditions="未取得食品生产经营许可从事食品生产经营活动，或者未取得食品添加剂生产许可从事食品添加剂生产活动的。",
        materials=(material("案件来源材料（投诉举报、监督检查记录等）", source=MaterialSource.OTHER),),
        special_procedures="听证（当事人申请时），所需时间不计入办理时限。",
        online_depth=OnlineDepth.CONSULTATION,
        result_name="行政处罚决定书",
    ),
    ItemSpec(
        entry=301,
        name="查封、扣押不符合食品安全标准的食品和用于违法生产经营的工具、设备",
        department="market",
        item_type=ItemType.ENFORCEMENT,
        basis=f"{_FOOD_SAFETY_LAW}第一百一十条；《中华人民共和国行政强制法》",
        statutory=30,
        promised=30,
        unit=LimitUnit.NATURAL_DAYS,
        limit_note="查封、扣押的期限不得超过三十日；情况复杂的，经行政机关负责人批准可以延长，但延长期限不得超过三十日。",
        steps=flow(
            accept=None,
            handle=1,
            review=1,
            decide=20,
            complete=None,
            deliver=3,
            names={
                StepKind.HANDLE: "报请实施",
                StepKind.REVIEW: "负责人审批",
                StepKind.DECIDE: "处理决定",
            },
            roles={StepKind.REVIEW: Role.APPROVER, StepKind.DELIVER: Role.HANDLER},
        ),
        target=Target.BOTH,
        conditions="有证据证明食品不符合食品安全标准或者存在安全隐患，或者工具、设备用于违法生产经营的。",
        materials=(material("现场检查笔录及证据材料", source=MaterialSource.OTHER),),
        online_depth=OnlineDepth.CONSULTATION,
        result_name="查封（扣押）决定书",
    ),
    ItemSpec(
        entry=601,
        name="食品生产经营监督检查",
        department="market",
        item_type=ItemType.INSPECTION,
        basis=f"{_FOOD_SAFETY_LAW}；《食品生产经营监督检查管理办法》",
        statutory=None,
        promised=10,
        limit_note="法律未规定办理时限，本地承诺时限。",
        steps=flow(
            accept=None,
            handle=5,
            review=2,
            decide=2,
            complete=None,
            deliver=1,
            names={StepKind.HANDLE: "现场检查", StepKind.DECIDE: "检查结果认定"},
            roles={StepKind.DELIVER: Role.HANDLER},
        ),
        target=Target.ENTERPRISE,
        conditions="按照年度监督检查计划和风险分级结果确定检查对象；投诉举报、抽检不合格等情形开展专项检查。",
        materials=(material("监督检查要点表及检查记录", source=MaterialSource.OTHER),),
        online_depth=OnlineDepth.CONSULTATION,
        result_type=ResultType.OTHER,
        result_name="食品生产经营监督检查结果记录表",
    ),
    ItemSpec(
        entry=801,
        name="对举报食品安全违法行为的奖励",
        department="market",
        item_type=ItemType.REWARD,
        basis=f"{_FOOD_SAFETY_LAW}第一百一十五条；《市场监督管理领域重大违法行为举报奖励暂行办法》",
        statutory=None,
        promised=15,
        steps=flow(review=5, decide=5, complete=3, names={StepKind.COMPLETE: "奖金发放"}),
        target=Target.BOTH,
        conditions="举报有具体的违法事实和线索，经查证属实并作出行政处罚或者移送司法机关。",
        materials=(
            material("举报奖励申请表"),
            resident_id("举报人"),
            material("银行账户信息", form=MaterialForm.COPY),
        ),
        online_depth=OnlineDepth.ACCEPTANCE,
        result_type=ResultType.OTHER,
        result_name="举报奖励决定",
    ),
    # ---- 区县市场监督管理局 ----
    _food_business_license("hs_market", 3, flow(accept=0, handle=1, review=1, decide=1, complete=0)),
    _food_business_license("ct_market", 3, flow(accept=0, handle=1, review=1, decide=1, complete=0)),
    _sole_proprietor_registration("hs_market"),
    _sole_proprietor_registration("ct_market"),
    _sole_proprietor_registration("fx_market"),
    # ---- 邯郸市自然资源和规划局 ----
    ItemSpec(
        entry=107,
        name="建设工程规划许可证核发",
        department="resources",
        item_type=ItemType.LICENSING,
        basis="《中华人民共和国城乡规划法》第四十条；《河北省城乡规划条例》",
        statutory=20,
        promised=10,
        steps=flow(
            review=3,
            decide=3,
            complete=1,
            deliver=1,
            parallel=(ParallelStep("人防工程设计审查意见", "construction", 3),),
        ),
        partners=("建筑工程施工许可证核发", "排污许可证核发", "取水许可"),
        target=Target.ENTERPRISE,
        conditions="已取得建设用地规划许可和土地使用权；建设工程设计方案符合控制性详细规划和规划条件。",
        materials=(
            material("建设工程规划许可申请表"),
            material("使用土地的有关证明文件", form=MaterialForm.COPY),
            material("建设工程设计方案", requirements="总平面图、各层平面图、立面图、剖面图，附电子文件。"),
            conditional(
                "建设项目批准、核准或者备案文件", "需要批准、核准或者备案的建设项目", form=MaterialForm.COPY
            ),
            *agent_papers(),
        ),
        special_procedures="设计方案批前公示，公示时间不计入办理时限。",
        online_depth=OnlineDepth.ACCEPTANCE,
        result_type=ResultType.LICENSE,
        result_name="建设工程规划许可证",
        handling_unit="邯郸市自然资源和规划局建设工程规划科",
        window="09",
    ),
    ItemSpec(
        entry=701,
        name="国有建设用地使用权及房屋所有权转移登记",
        department="resources",
        item_type=ItemType.CONFIRMATION,
        basis="《中华人民共和国民法典》；《不动产登记暂行条例》；《不动产登记暂行条例实施细则》",
        statutory=30,
        promised=5,
        steps=flow(review=2, decide=1, complete=1, names={StepKind.DECIDE: "登簿"}),
        target=Target.BOTH,
        conditions="不动产权属清楚、无争议，未被查封；买卖、赠与、继承等转移原因合法有效。",
        materials=(
            material("不动产登记申请书"),
            resident_id("权利人和义务人"),
            material(
                "不动产权属证书",
                source=MaterialSource.GOVERNMENT,
                license_type=LICENSE_TYPES["不动产权证书"],
            ),
            material("买卖合同、赠与合同等不动产权属转移的材料"),
            material("完税凭证", form=MaterialForm.COPY, source=MaterialSource.GOVERNMENT),
            conditional("婚姻关系证明", "权利人为已婚自然人且不动产为夫妻共有的", form=MaterialForm.COPY),
            *agent_papers(),
        ),
        online_depth=OnlineDepth.PRE_REVIEW,
        appointment=True,
        result_type=ResultType.LICENSE,
        result_name="不动产权证书",
        handling_unit="邯郸市不动产登记中心",
        fees=(
            fee(
                "80",
                "不动产登记费（住宅类）",
                "件",
                "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》",
                "按规定对小微企业（含个体工商户）等免收。",
            ),
            fee(
                "550",
                "不动产登记费（非住宅类）",
                "件",
                "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》",
                "按规定对小微企业（含个体工商户）等免收。",
            ),
        ),
        faqs=(
            faq(
                "二手房过户需要买卖双方都到场吗？",
                "原则上买卖双方应当共同申请；不能到场的，可以委托代理人持授权委托书办理，境外委托书需经公证或认证。",
            ),
            faq(
                "办理转移登记前需要先缴税吗？",
                "需要。可在市民服务中心不动产登记窗口“一窗受理”，税费缴纳与登记申请同窗办理。",
            ),
        ),
    ),
    ItemSpec(
        entry=2001,
        name="不动产登记资料查询",
        department="resources",
        item_type=ItemType.PUBLIC_SERVICE,
        basis="《不动产登记暂行条例》；《不动产登记资料查询暂行办法》",
        statutory=None,
        promised=0,
        limit_note="符合查询条件的，当场提供查询结果。",
        steps=immediate_flow("查询"),
        target=Target.BOTH,
        conditions="权利人、利害关系人可以依法查询、复制不动产登记资料。",
        materials=(
            material("不动产登记资料查询申请书"),
            resident_id("查询人"),
            conditional("存在利害关系的证明材料", "利害关系人查询的", form=MaterialForm.COPY),
        ),
        online_depth=OnlineDepth.RESULT,
        result_type=ResultType.OTHER,
        result_name="不动产登记资料查询结果证明",
        handling_unit="邯郸市不动产登记中心",
    ),
    # ---- 邯郸市公安局 ----
    ItemSpec(
        entry=702,
        name="户口迁移",
        department="police_hukou",
        item_type=ItemType.CONFIRMATION,
        basis="《中华人民共和国户口登记条例》",
        statutory=None,
        promised=3,
        limit_note="市内迁移材料齐全的，一般当场办结。",
        steps=flow(review=1, decide=1, complete=0),
        target=Target.INDIVIDUAL,
        conditions="在迁入地有合法稳定住所，或者符合投靠亲属、就业、就学等落户条件。",
        materials=(
            household_register(),
            resident_id(),
            material("合法稳定住所证明", form=MaterialForm.COPY, requirements="不动产权证书或购房合同等。"),
            conditional("亲属关系证明", "投靠亲属落户的", form=MaterialForm.COPY),
        ),
        online_depth=OnlineDepth.PRE_REVIEW,
        result_type=ResultType.OTHER,
        result_name="户口迁移证明（准予迁入证明）",
        handling_unit="邯郸市公安局户政管理支队",
    ),
    ItemSpec(
        entry=703,
        name="居民身份证换领",
        department="police_hukou",
        item_type=ItemType.CONFIRMATION,
        basis="《中华人民共和国居民身份证法》",
        statutory=60,
        promised=20,
        unit=LimitUnit.NATURAL_DAYS,
        steps=flow(review=2, decide=15, complete=2, names={StepKind.DECIDE: "制证签发"}),
        target=Target.INDIVIDUAL,
        conditions="居民身份证有效期满、证件严重损坏不能辨认或者登记项目变更的。",
        materials=(
            household_register(),
            material("原居民身份证", requirements="换领时交回。", license_type=LICENSE_TYPES["居民身份证"]),
            material("数码相片", requirements="现场采集；也可使用符合标准的相片回执。"),
        ),
        online_depth=OnlineDepth.PRE_REVIEW,
        appointment=True,
        result_type=ResultType.LICENSE,
        result_name="居民身份证",
        handling_unit="邯郸市公安局户政管理支队",
        fees=(
            fee(
                "20",
                "居民身份证工本费（换领）",
                "证",
                "《中华人民共和国居民身份证法》；国家发展改革委、财政部规定的居民身份证收费标准",
                "城市中领取最低生活保障金的居民、农村中有特殊生活困难的居民换领的，免收；其他生活确有困难的，可以减收。",
            ),
        ),
        faqs=(
            faq(
                "身份证到期前多久可以换领？",
                "有效期满前三个月内即可申请换领；过期后仍可换领，但过期证件不能正常使用。",
            ),
            faq(
                "可以邮寄领证吗？",
                "可以。受理时选择邮政速递送达，证件制作完成后直接寄到您填写的地址。",
            ),
        ),
    ),
    ItemSpec(
        entry=108,
        name="普通护照签发",
        department="police_exit",
        item_type=ItemType.LICENSING,
        basis="《中华人民共和国护照法》；《中华人民共和国出境入境管理法》",
        statutory=15,
        promised=7,
        steps=flow(review=3, decide=2, complete=1, names={StepKind.DECIDE: "签发"}),
        target=Target.INDIVIDUAL,
        conditions="中国公民因前往外国定居、探亲、学习、就业、旅行、从事商务活动等非公务原因出国的。",
        materials=(
            resident_id(),
            material("出入境证件申请表", requirements="可在现场填写或网上预填。"),
            material("近期免冠彩色照片", requirements="现场采集，或提交符合标准的相片回执。"),
            conditional(
                "所在单位对申请人出国的意见",
                "登记备案的国家工作人员申请的",
                requirements="由单位人事部门出具。",
            ),
            conditional(
                "监护人居民身份证和监护关系证明", "未满十六周岁的申请人", form=MaterialForm.ORIGINAL_AND_COPY
            ),
        ),
        online_depth=OnlineDepth.PRE_REVIEW,
        appointment=True,
        result_type=ResultType.LICENSE,
        result_name="中华人民共和国普通护照",
        handling_unit="邯郸市公安局出入境管理支队",
        fees=(
            fee(
                "120",
                "普通护照工本费",
                "本",
                "《国家发展改革委 财政部关于降低部分行政事业性收费标准的通知》",
                "按规定对符合条件的特殊困难群体减免。",
            ),
        ),
        faqs=(
            faq(
                "在邯郸工作的外地户籍人员可以在本地办护照吗？",
                "可以。全国通办，持居民身份证即可在市民服务中心出入境窗口申请，无需回户籍地。",
            ),
            faq(
                "办护照需要预约吗？",
                "建议通过“移民局”政务服务平台或本平台在线预约，节假日前后人多，预约可减少等候时间。",
            ),
            faq(
                "护照多久能拿到？",
                "自受理之日起七个工作日内签发；选择邮寄的，签发后由邮政速递送达。",
            ),
        ),
    ),
    ItemSpec(
        entry=109,
        name="机动车驾驶证换证",
        department="police_vehicle",
        item_type=ItemType.LICENSING,
        basis="《中华人民共和国道路交通安全法》；《机动车驾驶证申领和使用规定》",
        statutory=1,
        promised=0,
        limit_note="材料齐全的，当场换发。",
        steps=immediate_flow("换发"),
        target=Target.INDIVIDUAL,
        conditions="机动车驾驶证有效期满，或者驾驶人户籍迁出原车辆管理所管辖区等需要换证的。",
        materials=(
            resident_id("驾驶人"),
            material("机动车驾驶证", license_type=LICENSE_TYPES["机动车驾驶证"]),
            material(
                "机动车驾驶人身体条件证明",
                source=MaterialSource.OTHER,
                requirements="由医疗机构出具；已通过电子体检联网上传的无需提交纸质证明。",
            ),
        ),
        online_depth=OnlineDepth.E_LICENSE,
        visits=0,
        result_type=ResultType.LICENSE,
        result_name="机动车驾驶证",
        handling_unit="邯郸市公安局交通警察支队车辆管理所",
        faqs=(
            faq(
                "驾驶证到期前多久可以换证？",
                "驾驶证有效期满前九十日内可以申请换证，可通过“交管12123”手机应用在线办理，新证邮寄到家。",
            ),
            faq(
                "驾驶证过期了还能换吗？",
                "超过有效期不满一年的，可以直接申请换证；超过一年以上的将被注销，需按规定恢复驾驶资格。",
            ),
        ),
    ),
    # ---- 邯郸市交通运输局 ----
    ItemSpec(
        entry=110,
        name="道路货物运输经营许可",
        department="transport",
        item_type=ItemType.LICENSING,
        basis="《中华人民共和国道路运输条例》；《道路货物运输及站场管理规定》",
        statutory=20,
        promised=10,
        steps=flow(handle=3, review=3, decide=2, complete=1),
        target=Target.ENTERPRISE,
        conditions="有与其经营业务相适应并经检测合格的车辆；有符合规定条件的驾驶人员；有健全的安全生产管理制度。",
        materials=(
            material("道路货物运输经营申请表"),
            business_license(),
            material("拟投入运输车辆的承诺书或车辆行驶证", form=MaterialForm.COPY),
            material("驾驶人员的机动车驾驶证和从业资格证", form=MaterialForm.COPY),
            material("安全生产管理制度文本"),
        ),
        online_depth=OnlineDepth.HANDLING,
        visits=0,
        result_type=ResultType.LICENSE,
        result_name="道路运输经营许可证",
        handling_unit="邯郸市交通运输局运输管理科",
    ),
    ItemSpec(
        entry=111,
        name="出租汽车经营许可",
        department="transport",
        item_type=ItemType.LICENSING,
        basis="《中华人民共和国道路运输条例》；《巡游出租汽车经营服务管理规定》",
        statutory=20,
        promised=15,
        steps=flow(handle=5, review=5, decide=3, complete=1),
        target=Target.ENTERPRISE,
        conditions="有符合要求的车辆或者车辆购置承诺、取得从业资格的驾驶员、健全的经营管理制度和固定的经营场所。",
        materials=(
            material("巡游出租汽车经营申请表"),
            business_license(),
            material("投资人、负责人身份、资信证明", form=MaterialForm.COPY),
            material("经营场所、停车场地的使用权证明", form=MaterialForm.COPY),
            material("经营管理制度、安全生产管理制度和服务质量保障制度文本"),
        ),
        special_procedures="通过服务质量招投标方式配置经营权的，招标所需时间不计入办理时限。",
        result_type=ResultType.LICENSE,
        result_name="道路运输经营许可证",
    ),
    ItemSpec(
        entry=112,
        name="道路货物运输驾驶员从业资格证核发",
        department="transport",
        item_type=ItemType.LICENSING,
        basis="《中华人民共和国道路运输条例》；《道路运输从业人员管理规定》",
        statutory=10,
        promised=5,
        steps=flow(review=2, decide=1, complete=1),
        target=Target.INDIVIDUAL,
        conditions="取得相应的机动车驾驶证；年龄不超过60周岁；三年内无重大以上交通责任事故；经考试合格。",
        materials=(
            material("道路运输从业资格考试申请表"),
            resident_id(),
            material("机动车驾驶证", license_type=LICENSE_TYPES["机动车驾驶证"]),
        ),
        online_depth=OnlineDepth.HANDLING,
        visits=0,
        result_type=ResultType.LICENSE,
        result_name="道路运输从业人员从业资格证",
    ),
    # ---- 邯郸市人力资源和社会保障局 ----
    ItemSpec(
        entry=2002,
        name="失业登记",
        department="hrss",
        item_type=ItemType.PUBLIC_SERVICE,
        basis="《中华人民共和国就业促进法》；《就业服务与就业管理规定》",
        statutory=None,
        promised=0,
        steps=immediate_flow("登记"),
        target=Target.INDIVIDUAL,
        conditions="法定劳动年龄内、有劳动能力、有就业要求、处于无业状态的城乡劳动者。",
        materials=(
            resident_id(),
            conditional("解除或者终止劳动关系的证明", "曾经就业的", form=MaterialForm.COPY),
        ),
        online_depth=OnlineDepth.HANDLING,
        visits=0,
        result_type=ResultType.OTHER,
        result_name="就业创业证（失业登记）",
        handling_unit="邯郸市公共就业服务中心",
    ),
    ItemSpec(
        entry=2003,
        name="职业资格证书核发",
        department="hrss",
        item_type=ItemType.PUBLIC_SERVICE,
        basis="《中华人民共和国劳动法》；《国家职业资格目录》",
        statutory=None,
        promised=10,
        steps=flow(review=4, decide=3, complete=2),
        target=Target.INDIVIDUAL,
        conditions="参加国家职业资格目录内的职业资格考试或者鉴定且成绩合格。",
        materials=(resident_id(), material("考试（鉴定）合格成绩单", source=MaterialSource.GOVERNMENT)),
        online_depth=OnlineDepth.RESULT,
        visits=0,
        result_type=ResultType.LICENSE,
        result_name="职业资格证书",
        handling_unit="邯郸市职业技能鉴定指导中心",
    ),
    ItemSpec(
        entry=2004,
        name="社会保障卡申领",
        department="hrss",
        item_type=ItemType.PUBLIC_SERVICE,
        basis="《中华人民共和国社会保险法》",
        statutory=None,
        promised=5,
        limit_note="在市民服务中心社会保障窗口申领的，即时制卡。",
        steps=flow(review=1, decide=2, complete=1, names={StepKind.DECIDE: "制卡"}),
        target=Target.INDIVIDUAL,
        conditions="已在本市参加社会保险的人员。",
        materials=(
            resident_id(),
            conditional("监护人居民身份证", "未满十六周岁的申请人", source=MaterialSource.GOVERNMENT),
        ),
        online_depth=OnlineDepth.HANDLING,
        visits=0,
        result_type=ResultType.LICENSE,
        result_name="社会保障卡",
        faqs=(
            faq(
                "社保卡丢了怎么办？",
                "先拨打0310-12333或通过电子社保卡挂失，再到社会保障窗口或合作银行网点补卡，即时制卡网点可当场领取。",
            ),
            faq(
                "电子社保卡怎么领？",
                "已持有实体社保卡的，可通过“掌上12333”、国家政务服务平台等渠道实名认证后在线签发电子社保卡。",
            ),
        ),
    ),
    ItemSpec(
        entry=501,
        name="退休人员基本养老金申领",
        department="hrss",
        item_type=ItemType.BENEFIT,
        basis="《中华人民共和国社会保险法》第十六条",
        statutory=None,
        promised=10,
        steps=flow(handle=3, review=3, decide=2, complete=1, names={StepKind.HANDLE: "待遇核算"}),
        target=Target.INDIVIDUAL,
        conditions="参加基本养老保险的个人，达到法定退休年龄且累计缴费满十五年。",
        materials=(
            resident_id(),
            material("职工退休审批表", source=MaterialSource.GOVERNMENT),
            *agent_papers(),
        ),
        online_depth=OnlineDepth.HANDLING,
        visits=0,
        result_type=ResultType.OTHER,
        result_name="基本养老金待遇核定表",
        handling_unit="邯郸市社会保险事业服务中心",
    ),
    ItemSpec(
        entry=704,
        name="就业困难人员认定",
        department="hrss",
        item_type=ItemType.CONFIRMATION,
        basis="《中华人民共和国就业促进法》；《就业服务与就业管理规定》",
        statutory=None,
        promised=5,
        steps=flow(review=1, decide=2, complete=1),
        target=Target.INDIVIDUAL,
        conditions="已办理失业登记，并属于大龄、残疾、长期失业、零就业家庭成员等就业困难人员范围的。",
        materials=(
            resident_id(),
            conditional(
                "残疾人证", "以残疾人身份申请认定的", form=MaterialForm.COPY, source=MaterialSource.GOVERNMENT
            ),
            conditional("最低生活保障证明", "享受城市居民最低生活保障的", source=MaterialSource.GOVERNMENT),
        ),
        online_depth=OnlineDepth.ACCEPTANCE,
        result_type=ResultType.OTHER,
        result_name="就业困难人员认定结果",
        handling_unit="邯郸市公共就业服务中心",
    ),
    # ---- 邯郸市住房公积金管理中心 ----
    ItemSpec(
        entry=2005,
        name="住房公积金提取（购买自住住房）",
        department="housing_fund",
        item_type=ItemType.PUBLIC_SERVICE,
        basis="《住房公积金管理条例》",
        statutory=3,
        promised=1,
        steps=flow(accept=0, review=1, decide=0, complete=0),
        target=Target.INDIVIDUAL,
        conditions="职工购买自住住房，且住房公积金账户正常缴存。",
        materials=(
            resident_id(),
            material(
                "购房合同或者不动产权证书", form=MaterialForm.COPY, license_type=LICENSE_TYPES["不动产权证书"]
            ),
            material("购房发票或者契税完税凭证", form=MaterialForm.COPY),
            material("本人名下银行卡", requirements="一类银行账户。"),
            conditional(
                "结婚证", "提取配偶住房公积金的", form=MaterialForm.COPY, license_type=LICENSE_TYPES["结婚证"]
            ),
        ),
        online_depth=OnlineDepth.HANDLING,
        visits=0,
        result_type=ResultType.OTHER,
        result_name="住房公积金提取到账",
        faqs=(
            faq(
                "买房后多长时间内可以提取公积金？",
                "应当在购房后规定的期限内申请，具体期限以本中心现行提取政策为准，可拨打咨询电话确认。",
            ),
            faq(
                "可以线上提取吗？",
                "可以。通过本平台、“邯郸公积金”微信公众号或手机公积金应用在线申请，审核通过后资金划入本人银行卡。",
            ),
        ),
    ),
    ItemSpec(
        entry=2006,
        name="住房公积金单位缴存登记",
        department="housing_fund",
        item_type=ItemType.PUBLIC_SERVICE,
        basis="《住房公积金管理条例》",
        statutory=None,
        promised=1,
        steps=flow(accept=0, review=1, decide=0, complete=0),
        target=Target.ENTERPRISE,
        conditions="新设立的单位自设立之日起三十日内办理住房公积金缴存登记。",
        materials=(
            material("住房公积金单位缴存登记表"),
            business_license("单位"),
            resident_id("经办人"),
        ),
        online_depth=OnlineDepth.HANDLING,
        visits=0,
        result_type=ResultType.OTHER,
        result_name="住房公积金单位缴存登记回执",
    ),
    # ---- 邯郸市卫生健康委员会 ----
    ItemSpec(
        entry=113,
        name="公共场所卫生许可",
        department="health",
        item_type=ItemType.LICENSING,
        basis=f"《公共场所卫生管理条例》；《公共场所卫生管理条例实施细则》；{_LICENSING_LAW_42}",
        statutory=20,
        promised=7,
        steps=flow(handle=2, review=2, decide=1, complete=1),
        target=Target.ENTERPRISE,
        conditions="经营场所的卫生设施、从业人员健康状况和卫生管理制度符合公共场所卫生标准和要求。",
        materials=(
            material("公共场所卫生许可申请表"),
            business_license(),
            material("公共场所地址方位示意图、平面图和卫生设施平面布局图", form=MaterialForm.COPY),
            material("公共场所卫生检测或者评价报告", source=MaterialSource.OTHER),
            material("公共场所卫生管理制度"),
        ),
        special_procedures="现场审查，所需时间不计入办理时限。",
        result_type=ResultType.LICENSE,
        result_name="公共场所卫生许可证",
        handling_unit="邯郸市卫生健康综合监督执法局",
    ),
    ItemSpec(
        entry=114,
        name="医疗机构执业登记",
        department="health",
        item_type=ItemType.LICENSING,
        basis="《医疗机构管理条例》；《医疗机构管理条例实施细则》",
        statutory=45,
        promised=20,
        steps=flow(handle=6, review=6, decide=5, complete=2),
        target=Target.ENTERPRISE,
        conditions="符合医疗机构基本标准；有适合的名称、组织机构和场所；有与其开展的业务相适应的经费、设施、设备和专业卫生技术人员。",
        materials=(
            material("医疗机构执业登记申请书"),
            material("医疗机构用房产权证明或者使用证明", form=MaterialForm.COPY),
            material("医疗机构建筑设计平面图", form=MaterialForm.COPY),
            material("验资证明、资产评估报告"),
            material("医疗机构规章制度"),
            material(
                "医疗机构法定代表人或者主要负责人以及各科室负责人名录和有关资格证书、执业证书",
                form=MaterialForm.COPY,
            ),
        ),
        special_procedures="现场审核，所需时间不计入办理时限。",
        result_type=ResultType.LICENSE,
        result_name="医疗机构执业许可证",
    ),
    ItemSpec(
        entry=2007,
        name="出生医学证明签发",
        department="health",
        item_type=ItemType.PUBLIC_SERVICE,
        basis="《中华人民共和国母婴保健法》；《中华人民共和国母婴保健法实施办法》",
        statutory=None,
        promised=0,
        limit_note="新生儿出院时由接生的助产机构当场签发。",
        steps=immediate_flow("签发"),
        target=Target.INDIVIDUAL,
        conditions="在本市助产机构内出生的新生儿。",
        materials=(
            resident_id("新生儿父母"),
            material("出生医学证明首次签发登记表"),
            conditional("结婚证", "新生儿父母已办理结婚登记的", license_type=LICENSE_TYPES["结婚证"]),
        ),
        online_depth=OnlineDepth.RECEIPT,
        result_type=ResultType.LICENSE,
        result_name="出生医学证明",
        handling_unit="辖区助产机构",
    ),
    ItemSpec(
        entry=202,
        name="对公共场所经营者未取得卫生许可证擅自营业的行政处罚",
        department="health",
        item_type=ItemType.PENALTY,
        basis="《公共场所卫生管理条例》；《公共场所卫生管理条例实施细则》",
        statutory=None,
        promised=60,
        unit=LimitUnit.NATURAL_DAYS,
        steps=flow(
            accept=3,
            handle=30,
            review=10,
            decide=7,
            complete=None,
            deliver=7,
            names={
                StepKind.ACCEPT: "立案",
                StepKind.HANDLE: "调查取证",
                StepKind.REVIEW: "合议审核",
                StepKind.DECIDE: "处罚决定",
            },
            roles={StepKind.ACCEPT: Role.HANDLER, StepKind.DELIVER: Role.HANDLER},
        ),
        target=Target.ENTERPRISE,
        conditions="公共场所经营者未依法取得公共场所卫生许可证擅自营业的。",
        materials=(material("案件来源材料（投诉举报、监督检查记录等）", source=MaterialSource.OTHER),),
        special_procedures="听证（当事人申请时），所需时间不计入办理时限。",
        online_depth=OnlineDepth.CONSULTATION,
        result_name="行政处罚决定书",
        handling_unit="邯郸市卫生健康综合监督执法局",
    ),
    # ---- 邯郸市民政局 ----
    ItemSpec(
        entry=115,
        name="社会团体成立登记",
        department="civil",
        item_type=ItemType.LICENSING,
        basis="《社会团体登记管理条例》",
        statutory=60,
        promised=20,
        steps=flow(handle=6, review=6, decide=5, complete=2),
        target=Target.ENTERPRISE,
        conditions=(
            "有50个以上的个人会员或者30个以上的单位会员（个人会员、单位会员混合组成的，会员总数不得少于50个）；"
            "有规范的名称和相应的组织机构、固定的住所、与其业务活动相适应的专职工作人员和合法的资产及经费来源；"
            "经业务主管单位审查同意。"
        ),
        materials=(
            material("社会团体成立登记申请书"),
            material("业务主管单位的批准文件", source=MaterialSource.GOVERNMENT),
            material("章程草案"),
            material("验资报告、场所使用权证明", form=MaterialForm.COPY),
            material("发起人和拟任负责人的基本情况、身份证明", form=MaterialForm.COPY),
        ),
        special_procedures="现场核查（需要时），所需时间不计入办理时限。",
        result_type=ResultType.LICENSE,
        result_name="社会团体法人登记证书",
        handling_unit="邯郸市民政局社会组织管理科",
    ),
    # ---- 邯郸市邯山区民政局 ----
    ItemSpec(
        entry=502,
        name="最低生活保障审批",
        department="hs_civil",
        item_type=ItemType.BENEFIT,
        basis="《社会救助暂行办法》；《最低生活保障审核确认办法》",
        statutory=30,
        promised=20,
        steps=flow(
            handle=8,
            review=5,
            decide=4,
            complete=1,
            names={StepKind.HANDLE: "入户调查", StepKind.DECIDE: "审批确认"},
        ),
        target=Target.INDIVIDUAL,
        conditions="持有本地户籍，家庭人均收入低于当地最低生活保障标准，且家庭财产状况符合规定。",
        materials=(
            material("最低生活保障申请书", requirements="由共同生活的家庭成员申请。"),
            resident_id("家庭成员"),
            household_register(),
            material("家庭经济状况核对授权书", requirements="共同生活的家庭成员签字。"),
            conditional("残疾人证、疾病诊断证明等", "家庭成员有重度残疾或者重病的", form=MaterialForm.COPY),
        ),
        special_procedures="审核结果在申请人所在村（社区）公示七日，公示时间不计入办理时限。",
        online_depth=OnlineDepth.ACCEPTANCE,
        result_type=ResultType.OTHER,
        result_name="最低生活保障金发放",
        handling_unit="邯郸市邯山区民政局社会救助股",
    ),
    ItemSpec(
        entry=503,
        name="高龄津贴发放",
        department="hs_civil",
        item_type=ItemType.BENEFIT,
        basis="《中华人民共和国老年人权益保障法》；《河北省老年人权益保障条例》",
        statutory=None,
        promised=15,
        steps=flow(review=5, decide=5, complete=3, names={StepKind.COMPLETE: "津贴发放"}),
        target=Target.INDIVIDUAL,
        conditions="具有本区户籍、年满八十周岁的老年人。",
        materials=(
            resident_id("老年人"),
            household_register(),
            material("本人社会保障卡或者银行卡", form=MaterialForm.COPY),
            *agent_papers(),
        ),
        online_depth=OnlineDepth.HANDLING,
        visits=0,
        result_type=ResultType.OTHER,
        result_name="高龄津贴按月发放",
        handling_unit="邯郸市邯山区民政局养老服务股",
    ),
    ItemSpec(
        entry=705,
        name="结婚登记",
        department="hs_civil",
        item_type=ItemType.CONFIRMATION,
        basis="《中华人民共和国民法典》第一千零四十九条；《婚姻登记条例》",
        statutory=None,
        promised=0,
        limit_note="符合结婚条件的，当场予以登记，发给结婚证。",
        steps=immediate_flow("登记"),
        target=Target.INDIVIDUAL,
        conditions="男女双方完全自愿，达到法定婚龄，均无配偶，且不属于直系血亲或者三代以内的旁系血亲。",
        materials=(
            resident_id("男女双方"),
            material("本人无配偶以及与对方当事人没有直系血亲和三代以内旁系血亲关系的签字声明", copies=2),
            material("双方近期半身免冠合影照片", copies=3, requirements="2寸，红色背景。"),
        ),
        online_depth=OnlineDepth.RECEIPT,
        appointment=True,
        result_type=ResultType.LICENSE,
        result_name="结婚证",
        handling_unit="邯郸市邯山区婚姻登记处",
        faqs=(
            faq(
                "办理结婚登记还需要户口簿吗？",
                "目前双方持本人有效居民身份证即可办理，无需提交户口簿；具体以婚姻登记处现场要求为准。",
            ),
            faq(
                "可以委托别人代办结婚登记吗？",
                "不可以。结婚登记必须男女双方亲自到婚姻登记机关申请。",
            ),
        ),
    ),
    # ---- 其他市直部门 ----
    ItemSpec(
        entry=116,
        name="排污许可证核发",
        department="ecology",
        item_type=ItemType.LICENSING,
        basis="《中华人民共和国环境保护法》；《排污许可管理条例》",
        statutory=20,
        promised=15,
        steps=flow(handle=5, review=5, decide=3, complete=1),
        target=Target.ENTERPRISE,
        conditions="依法取得建设项目环境影响报告书（表）批准文件或者办理环境影响登记备案；污染物排放符合排放标准和总量控制要求。",
        materials=(
            material(
                "排污许可证申请表",
                form=MaterialForm.ELECTRONIC,
                requirements="通过全国排污许可证管理信息平台填报。",
            ),
            material("自行监测方案", form=MaterialForm.ELECTRONIC),
            material("申请前信息公开情况说明"),
            conditional("建设项目环境影响评价批准文件", "属于新建、改建、扩建项目的", form=MaterialForm.COPY),
        ),
        online_depth=OnlineDepth.HANDLING,
        visits=0,
        result_type=ResultType.LICENSE,
        result_name="排污许可证",
    ),
    ItemSpec(
        entry=117,
        name="取水许可",
        department="water",
        item_type=ItemType.LICENSING,
        basis="《中华人民共和国水法》第四十八条；《取水许可和水资源费征收管理条例》",
        statutory=45,
        promised=20,
        steps=flow(handle=7, review=6, decide=5, complete=1),
        target=Target.ENTERPRISE,
        conditions="取水符合水资源综合规划和用水总量控制指标；已编制建设项目水资源论证报告。",
        materials=(
            material("取水许可申请书"),
            material("建设项目水资源论证报告书（表）"),
            material("与第三者利害关系的相关说明"),
            conditional("取水工程所在地的有关批准文件", "需要审批的建设项目", form=MaterialForm.COPY),
        ),
        special_procedures="水资源论证报告专家评审，所需时间不计入办理时限。",
        result_type=ResultType.APPROVAL,
        result_name="取水许可决定书",
    ),
    ItemSpec(
        entry=118,
        name="建筑工程施工许可证核发",
        department="construction",
        item_type=ItemType.LICENSING,
        basis="《中华人民共和国建筑法》第七条；《建筑工程施工许可管理办法》",
        statutory=7,
        promised=3,
        steps=flow(review=1, decide=1, complete=0),
        target=Target.ENTERPRISE,
        conditions="已办理用地批准手续；已取得建设工程规划许可证；施工场地已基本具备施工条件；已确定施工企业；有保证工程质量和安全的具体措施。",
        materials=(
            material("建筑工程施工许可证申请表"),
            material("建设工程规划许可证", form=MaterialForm.COPY, source=MaterialSource.GOVERNMENT),
            material("中标通知书或者直接发包的批准文件", form=MaterialForm.COPY),
            material("施工合同", form=MaterialForm.COPY),
            material("建设资金已经落实承诺书"),
        ),
        online_depth=OnlineDepth.E_LICENSE,
        visits=0,
        result_type=ResultType.LICENSE,
        result_name="建筑工程施工许可证",
    ),
    ItemSpec(
        entry=119,
        name="烟草专卖零售许可",
        department="tobacco",
        item_type=ItemType.LICENSING,
        basis="《中华人民共和国烟草专卖法》；《中华人民共和国烟草专卖法实施条例》；《烟草专卖许可证管理办法》",
        statutory=20,
        promised=10,
        steps=flow(handle=3, review=3, decide=2, complete=1, names={StepKind.HANDLE: "实地核查"}),
        target=Target.BOTH,
        conditions="有与经营烟草制品零售业务相适应的资金和固定的经营场所；符合当地烟草制品零售点合理布局的要求。",
        materials=(
            material("烟草专卖零售许可证申请表"),
            resident_id("经营者"),
            business_license(),
            material("经营场所的使用证明", form=MaterialForm.COPY),
        ),
        result_type=ResultType.LICENSE,
        result_name="烟草专卖零售许可证",
    ),
    ItemSpec(
        entry=2008,
        name="档案查询",
        department="archives",
        item_type=ItemType.PUBLIC_SERVICE,
        basis="《中华人民共和国档案法》",
        statutory=None,
        promised=0,
        limit_note="馆藏已开放档案当场查阅；需调卷的另行约定时间。",
        steps=immediate_flow("调阅"),
        target=Target.INDIVIDUAL,
        conditions="查询本人婚姻、知青、招工、学籍等民生档案，或者利用已开放档案。",
        materials=(resident_id("查询人"), *agent_papers()),
        online_depth=OnlineDepth.RESULT,
        result_type=ResultType.OTHER,
        result_name="档案查询证明或复制件",
        handling_unit="邯郸市档案馆查档接待室",
    ),
    ItemSpec(
        entry=2009,
        name="城乡居民基本医疗保险参保登记",
        department="medical_insurance",
        item_type=ItemType.PUBLIC_SERVICE,
        basis="《中华人民共和国社会保险法》；《国务院关于整合城乡居民基本医疗保险制度的意见》",
        statutory=None,
        promised=0,
        steps=immediate_flow("登记"),
        target=Target.INDIVIDUAL,
        conditions="除职工基本医疗保险应参保人员以外的本市城乡居民。",
        materials=(
            resident_id("参保人"),
            conditional(
                "出生医学证明",
                "新生儿参保的",
                source=MaterialSource.GOVERNMENT,
                license_type=LICENSE_TYPES["出生医学证明"],
            ),
        ),
        online_depth=OnlineDepth.HANDLING,
        visits=0,
        result_type=ResultType.NONE,
        handling_unit="邯郸市医疗保障服务中心",
    ),
    ItemSpec(
        entry=1001,
        name="企业投资项目备案",
        department="approval",
        item_type=ItemType.OTHER,
        basis="《企业投资项目核准和备案管理条例》；《企业投资项目核准和备案管理办法》",
        statutory=None,
        promised=0,
        limit_note="备案信息完整的，即时备案。",
        steps=immediate_flow("备案"),
        target=Target.ENTERPRISE,
        conditions="实行备案管理的企业投资项目，在开工建设前通过在线平台告知项目信息。",
        materials=(
            material(
                "企业投资项目备案信息",
                form=MaterialForm.ELECTRONIC,
                requirements="项目名称、建设地点、建设规模和内容、项目总投资额，并承诺符合国家产业政策。",
            ),
            business_license("项目单位"),
        ),
        online_depth=OnlineDepth.HANDLING,
        visits=0,
        result_type=ResultType.OTHER,
        result_name="企业投资项目备案信息",
    ),
)
