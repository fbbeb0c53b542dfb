"""Demo consultations (在线咨询) and an online complaint, built through the portal and
complaint services on top of the demo: on the items of the department where ``handler``
(李志强) works, three questions answered and published to the guide's FAQ, one asked
today and awaiting its answer, and one whose answer is overdue; and, when the demo
citizen ``zhangsan`` exists, an efficiency complaint filed online by them.

Running it again changes nothing: it does nothing when consultations already exist (and
files the complaint only if zhangsan has none online).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from yiwang.catalog.models import ItemVersion
from yiwang.core import calendar
from yiwang.org.models import Staff
from yiwang.portal import consultations as service
from yiwang.portal.errors import PortalError
from yiwang.portal.models import Account, Consultation
from yiwang.supervision import complaints
from yiwang.supervision.models import Complaint
from yiwang.supervision.services import SupervisionError

ANSWERED = (
    (
        "请问这个事项从提交申请到拿到结果一般需要多长时间？我叫刘洋，电话13831000011。",
        "办理时限是多久？",
        "自受理之日起在承诺时限内办结，申请材料需补正的，补正期间不计入时限。办理进度可在“我的办件”中查看。",
    ),
    (
        "我在外地出差，能不能委托家人帮我去窗口办理？需要带什么？",
        "可以委托他人代为办理吗？",
        "可以。受托人需携带本人身份证原件和申请人签字的授权委托书，其余材料与本人办理相同。",
    ),
    (
        "材料都是扫描件，能直接在网上提交吗？还用再跑一趟窗口吗？",
        "申请材料可以网上提交吗？",
        "可以在网上提交电子材料；材料齐全、符合法定形式的，全程网办无需到窗口，结果可邮寄送达。",
    ),
)
OPEN_QUESTION = "营业执照上的经营范围变更后，这个许可证需要同步变更吗？"
OVERDUE_QUESTION = "原许可证丢失了，补办需要登报声明吗？"
COMPLAINT = "网上提交申请后超过承诺时限仍未受理，打电话咨询也没有人答复。"


def _moment(today: dt.date, workdays_ago: int, hour: int) -> dt.datetime:
    day = calendar.add_workdays(today, -workdays_ago) if workdays_ago else today
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def seed_consultations(now: dt.datetime | None = None) -> int:
    """Create the demo consultations (and zhangsan's complaint); returns how many rows."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    created = 0
    staff = Staff.objects.filter(user__username="handler").select_related("user", "department").first()
    if staff is None:
        return 0
    if not Consultation.objects.exists():
        versions = list(
            ItemVersion.objects.in_force(today)
            .filter(item__department_id=staff.department_id)
            .select_related("item")
            .order_by("item__code")[:3]
        )
        if versions:
            created += _consultations(versions, staff, now, today)
    created += _complaint(staff, now, today)
    return created


def _consultations(versions: list[ItemVersion], staff: Staff, now: dt.datetime, today: dt.date) -> int:
    count = 0
    for n, (question, published, answer) in enumerate(ANSWERED):
        item = versions[n % len(versions)].item
        asked = min(_moment(today, 8 + n, 9), now)
        c = service.consult_ask(
            item=item, question=question, contact_name="刘洋", contact_mobile="13831000011", at=asked
        )
        c = service.consult_answer(
            consultation=c, user=staff.user, answer=answer, at=min(_moment(today, 7 + n, 15), now)
        )
        service.consult_publish(
            consultation=c, user=staff.user, question_as_published=published, at=c.answered_at
        )
        count += 1
    first = versions[0].item
    service.consult_ask(
        item=first, question=OPEN_QUESTION, contact_name="陈先生", contact_email="chen@example.com", at=now
    )
    service.consult_ask(
        item=first,
        question=OVERDUE_QUESTION,
        contact_name="赵女士",
        contact_mobile="13831000012",
        at=_moment(today, settings.PORTAL_CONSULT_ANSWER_WORKDAYS + 2, 10),
    )
    return count + 2


def _complaint(staff: Staff, now: dt.datetime, today: dt.date) -> int:
    user = get_user_model().objects.filter(username="zhangsan").first()
    account = Account.objects.filter(user=user).first() if user is not None else None
    if account is None or Complaint.objects.filter(complainant_user=user, channel="portal").exists():
        return 0
    try:
        complaints.complaint_register(
            user=user,
            channel="portal",
            category="efficiency",
            department=staff.department,
            content=COMPLAINT,
            request="请督促尽快受理并说明延误原因。",
            complainant_name=account.name,
            complainant_mobile=account.mobile,
            at=min(_moment(today, 1, 11), now),
        )
    except (SupervisionError, PortalError):  # no supervision room covers the department
        return 0
    return 1
