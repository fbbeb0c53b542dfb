"""Demo efficiency complaints (效能投诉) of 邯山区, handled by its supervision room (account
``supervisor_hs``) with the city leader (``leader``) approving, through the complaint
services at moments counted back in working days from today, so the console shows every
state: one waiting to be taken up past its 3 working days (a card), one being
investigated, one transferred whose unit awaits the room's consent, one handled on time
with a measure, one whose feedback came late (its cards raised when they fell due), one
answered as outside the room's remit, and a retaliation complaint at the top of the list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.utils import timezone

from yiwang.core import calendar
from yiwang.org.models import Department, Staff
from yiwang.supervision import complaints as service
from yiwang.supervision.models import Complaint
from yiwang.supervision.services import SweepReport

MARKER = "【演示】"


def _moment(today: dt.date, workdays_ago: int, hour: int, minute: int = 0) -> dt.datetime:
    day = calendar.add_workdays(today, -workdays_ago) if workdays_ago else today
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def seed_complaints(*, now: dt.datetime | None = None) -> int:
    """Create the demo complaints unless they exist; returns how many were created."""
    if Complaint.objects.filter(content__startswith=MARKER).exists():
        return 0
    users = {u.username: u for u in get_user_model().objects.filter(username__in=("supervisor_hs", "leader"))}
    room, head = users.get("supervisor_hs"), users.get("leader")
    if room is None or head is None:
        return 0
    staff = {s.user.username: s for s in Staff.objects.select_related("user", "department")}
    market = (
        Department.objects.filter(pk=staff["hs_window"].department_id).first()
        if "hs_window" in staff
        else None
    )
    civil = staff["hs_civil_handler"].department if "hs_civil_handler" in staff else None
    if market is None or civil is None:
        return 0
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    at: Callable[[int, int], dt.datetime] = lambda ago, hour: _moment(today, ago, hour)  # noqa: E731

    def register(ago: int, department: Department, **fields: object) -> Complaint:
        fields["content"] = MARKER + str(fields["content"])
        return service.complaint_register(
            user=room,
            department=department,
            complainant_mobile=str(fields.pop("mobile", "13831000000")),
            at=min(at(ago, 9), now),
            **fields,  # type: ignore[arg-type]
        )

    made = 0
    # 1. Waiting to be taken up, past its 3 working days.
    register(
        6,
        market,
        channel="phone",
        category="attitude",
        staff=staff["hs_window"],
        complainant_name="赵春燕",
        mobile="13831000101",
        content="在综合受理窗口咨询食品经营许可所需材料，工作人员态度生硬，不作解释。",
        request="要求窗口人员改进服务态度。",
    )
    made += 1
    # 2. Self-handled, under investigation.
    c = register(
        5,
        market,
        channel="visit",
        category="no_notice",
        staff=staff["hs_window"],
        complainant_name="孙建国",
        mobile="13831000102",
        content="申请个体工商户登记时材料被退回三次，每次只说一项问题，没有一次性告知。",
        request="要求一次性告知所缺材料并尽快受理。",
    )
    c = service.complaint_accept(complaint=c, user=room, mode="self", at=at(4, 10))
    service.complaint_investigate(
        complaint=c,
        user=room,
        kind="talk",
        held_on=at(2, 15).date(),
        people=staff["hs_window"].name,
        record="当事窗口人员承认未出具一次性告知书，称系业务不熟。",
        at=at(2, 16),
    )
    made += 1
    # 3. Transferred; the unit has reported and awaits the room's consent.
    c = register(
        9,
        civil,
        channel="hotline",
        category="efficiency",
        complainant_name="钱慧敏",
        mobile="13831000103",
        content="办理低保待遇审核已超过承诺时限，多次电话询问无人答复。",
        request="要求尽快办结并说明超时原因。",
    )
    c = service.complaint_accept(
        complaint=c,
        user=room,
        mode="transfer",
        handling_unit=civil,
        instruction="请区民政局调查核实，处理意见报电子监察室同意后执行。（分管领导批示）",
        at=at(8, 11),
    )
    service.complaint_propose(
        complaint=c,
        user=staff["hs_civil_handler"].user,
        substantiated=True,
        findings="经查，该件因入户核查安排延误超时2个工作日，属实。",
        proposal="责令经办人作出书面检查，3个工作日内办结。",
        measures=[service.MeasureSpec("self_examination", note="经办人书面检查")],
        at=at(2, 14),
    )
    made += 1
    # 4. Handled on time with a measure, and fed back.
    c = register(
        22,
        market,
        channel="letter",
        category="fees",
        staff=staff["hs_window"],
        complainant_name="周丽",
        mobile="13831000104",
        content="办理营业执照变更时被要求缴纳复印费20元，未见收费依据。",
        request="要求退还费用。",
    )
    c = service.complaint_accept(complaint=c, user=room, mode="self", at=at(21, 9))
    service.complaint_investigate(
        complaint=c,
        user=room,
        kind="documents",
        held_on=at(19, 10).date(),
        record="查阅收费台账，确有收取复印费且无收费依据。",
        at=at(19, 11),
    )
    c = service.complaint_propose(
        complaint=c,
        user=room,
        substantiated=True,
        findings="擅自收取复印费属实。",
        proposal="责令退还费用，对当事人通报批评，限期5个工作日整改。",
        measures=[
            service.MeasureSpec("criticism", note="通报批评"),
            service.MeasureSpec("rectification", note="清理收费项目", rectify_workdays=5),
        ],
        at=at(17, 15),
    )
    c = service.complaint_approve(complaint=c, user=head, note="同意。", at=at(16, 10))
    service.complaint_feedback(
        complaint=c, user=room, text="经查属实，已责令退还费用并通报批评。感谢您的监督。", at=at(15, 10)
    )
    made += 1
    # 5. Fed back late: the cards were raised when they fell due.
    c = register(
        30,
        civil,
        channel="phone",
        category="buck_passing",
        complainant_name="吴海波",
        mobile="13831000105",
        content="办理临时救助在区民政局与街道之间来回推诿。",
    )
    c = service.complaint_accept(complaint=c, user=room, mode="self", at=at(29, 9))
    c = service.complaint_propose(
        complaint=c,
        user=room,
        substantiated=False,
        findings="经查，系申请材料不全所致，已一次性告知，投诉不属实。",
        proposal="向投诉人说明情况。",
        at=at(23, 10),
    )
    c = service.complaint_approve(complaint=c, user=head, at=at(22, 10))
    due = c.feedback_due or today
    late = timezone.make_aware(dt.datetime.combine(calendar.add_workdays(due, 5), dt.time(0, 5)))
    service.sweep_complaints(late, SweepReport(at=late), notify=False)
    service.complaint_feedback(
        complaint=Complaint.objects.get(pk=c.pk),
        user=room,
        text="经查，材料不全已一次性告知，请补齐后办理。",
        at=late + dt.timedelta(hours=9),
    )
    made += 1
    # 6. Outside the room's remit.
    c = register(
        3,
        market,
        channel="letter",
        category="other",
        complainant_name="郑明",
        mobile="13831000106",
        content="反映邻居商铺占道经营。",
    )
    service.complaint_answer(
        complaint=c,
        user=room,
        outside_remit=True,
        answer="占道经营不属于电子监察室受理范围，建议向区城市管理综合行政执法局反映，或拨打12345热线。",
        at=at(2, 10),
    )
    made += 1
    # 7. Retaliation, registered today: priority.
    register(
        0,
        market,
        channel="visit",
        category="retaliation",
        staff=staff["hs_window"],
        complainant_name="冯秀兰",
        mobile="13831000107",
        content="投诉窗口人员后，再次办理业务时被故意刁难，要求提交无关材料。",
        request="要求保护投诉人，纠正刁难行为。",
    )
    made += 1
    return made
