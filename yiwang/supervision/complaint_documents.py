"""The documents of an efficiency complaint (seed 004 part 1, 投诉处理制度): the
registration form (附件3 效能投诉受理登记表) as a PDF, the supervision recommendation and
decision about a complaint (附件4 效能监察建议/决定书), and the archive (三(三) 立卷归档).

The PDFs are official documents, so their text is Chinese whatever the viewer's language
(as the notices of ``documents.py``), set in the Noto CJK fonts. A full resident ID
number is never printed. The form comes in two versions: the room's, with the
complainant's particulars, and one for everyone else (the department complained about
above all), where they are replaced by "投诉人信息已依规保护" and scrubbed from the
free text.

The archive is one ZIP kept with the complaint: the room's registration form, a record of
the whole handling (办理情况记录), every document of the complaint, every notice about
it, and a manifest (清单.txt and manifest.json) giving each file's name, kind, size and
SHA-256. Its own SHA-256 is stored on the complaint and written into its history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yiwang.core.identifiers import mask
from yiwang.supervision import complaints
from yiwang.supervision.complaints import TEXT_LIMIT, User, room_of
from yiwang.supervision.documents import NOTICE_TITLES, chinese_date
from yiwang.supervision.models import (
    Alert,
    Complaint,
    ComplaintDocument,
    ComplaintMode,
    ComplaintStatus,
    Notice,
    NoticeKind,
)
from yiwang.supervision.services import (
    SupervisionError,
    SupervisionErrorCode,
    _new_notices,
    issue_pdf,
    reply_deadline,
)

# --------------------------------------------------------------------------- Chinese wording

CHANNELS = {
    "portal": "网上投诉",
    "phone": "来电",
    "letter": "来函",
    "visit": "来访",
    "hotline": "12345热线转办",
}

CATEGORIES = {
    "not_disclosed": "不履行公开、告知义务",
    "refused": "对符合条件的申请不予受理或故意刁难",
    "no_notice": "材料不全未出具一次性告知通知书",
    "lost_materials": "丢失损毁申请人申办资料",
    "not_transferred": "对不属本单位职权范围的事项不说明、不请示、不移送",
    "buck_passing": "推诿扯皮",
    "attitude": "服务态度差",
    "efficiency": "办事效率低、超时限审批",
    "fees": "随意变更收费范围和标准",
    "ignored": "对群众正当要求和合理意见置之不理",
    "retaliation": "打击报复投诉人",
    "other": "其他",
}

STATUSES = {
    "registered": "已登记，待受理",
    "handling": "办理中",
    "proposed": "处理意见待审核",
    "consented": "处理意见已同意，承办单位办理中",
    "handled": "已办结",
    "closed": "已答复，未立案调查",
    "archived": "已立卷归档",
}

MODES = {"self": "自办（电子监察室办理）", "transfer": "转办"}

MEASURES = {
    "self_examination": "责令作出书面检查",
    "criticism": "通报批评",
    "rectification": "限期整改",
    "honours": "取消年终评先选优资格",
    "removal": "责令调离审批岗位",
    "disciplinary": "给予相应的纪律处分",
}

INVESTIGATIONS = {"talk": "谈话", "inquiry": "询问", "documents": "查阅资料", "site": "现场核查"}

DOCUMENT_KINDS = {
    "attachment": "投诉人提交的材料",
    "record": "调查记录",
    "report": "承办单位书面报告",
    "feedback": "书面反馈",
    "other": "其他材料",
}

ACTIONS = {
    "registered": "登记",
    "repeat": "关联为重复投诉",
    "attached": "添加材料",
    "answered": "现场答复",
    "declined": "不属受理范围，已解释并提出建议",
    "accepted": "受理，电子监察室自办",
    "transferred": "受理并转办",
    "investigated": "调查记录",
    "extended": "延长办理时限",
    "proposed": "提出处理意见",
    "reported": "承办单位报送调查情况和处理意见",
    "returned": "处理意见退回",
    "approved": "领导审核同意",
    "consented": "电子监察室同意处理意见",
    "result": "承办单位书面报告处理结果",
    "interim": "向投诉人说明情况",
    "feedback": "向投诉人反馈办理结果",
    "reinvestigate": "责成重新调查处理",
    "notice": "制发监察文书",
    "talk": "安排约谈",
    "archived": "立卷归档",
    "notified": "通知有关人员",
}

LEVELS = {"warning": "预警", "yellow": "黄牌", "red": "红牌"}

TARGETS = {
    "complaint_ack": "告知投诉人受理情况",
    "complaint_handling": "投诉件办理",
    "complaint_feedback": "向投诉人反馈",
}

ALERT_STATUSES = {
    "raised": "已发出",
    "explained": "已提交情况说明",
    "accepted": "情况说明已采纳",
    "rejected": "情况说明未采纳",
    "escalated": "已升级",
}

PROTECTED = "投诉人信息已依规保护"
NOTICE_KINDS = (NoticeKind.RECOMMENDATION.value, NoticeKind.DECISION.value)

# A resident ID number in full (18 characters, or the old 15 digits).
_FULL_ID = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9Xx])")
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


# --------------------------------------------------------------------------- text helpers


def _no_full_ids(text: str) -> str:
    return _FULL_ID.sub(lambda m: mask(m.group(0), 6, 4), text or "")


class _Printer:
    """Makes free text safe to print: full ID numbers masked always, and the
    complainant's particulars replaced when the copy is not the room's."""

    def __init__(self, complaint: Complaint, *, with_identity: bool) -> None:
        self.replacements: list[tuple[str, str]] = []
        if not with_identity:
            for value, by in (
                (complaint.complainant_mobile, "***"),
                (complaint.complainant_phone, "***"),
                (complaint.complainant_address, "***"),
                (complaint.complainant_name, "投诉人"),
            ):
                value = (value or "").strip()
                if len(value) >= 2:
                    self.replacements.append((value, by))

    def __call__(self, text: str | None) -> str:
        text = _no_full_ids(text or "")
        for value, by in self.replacements:
            text = text.replace(value, by)
        return text

    def lines(self, text: str | None) -> list[str]:
        return [line.strip() for line in self(text).splitlines() if line.strip()]


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment)


def _day_text(moment: dt.datetime | dt.date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, dt.datetime):
        return chinese_date(_local(moment).date())
    return chinese_date(moment)


def _moment_text(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    local = _local(moment)
    return f"{chinese_date(local.date())} {local:%H:%M}"


def _name(user: Any) -> str:
    """A person as printed: their staff name, else the account name."""
    if user is None:
        return "系统"
    staff = getattr(user, "staff", None)
    return staff.name if staff is not None else user.get_username()


def _note_lines(action: str, note: str) -> list[str]:
    """A history note as printed: the proposal's stored measures (a JSON last line) and a
    bare count of people told are put in words."""
    if action == "notified" and note.isdigit():
        return [f"通知{note}人"]
    lines = [line for line in (note or "").splitlines() if line.strip()]
    if action in ("proposed", "reported") and lines and lines[-1].startswith("["):
        try:
            rows = json.loads(lines[-1])
        except ValueError:
            rows = None
        if isinstance(rows, list):
            lines = lines[:-1]
            if rows:
                lines.append(
                    "拟采取措施："
                    + "；".join(MEASURES.get(str(r.get("kind")), str(r.get("kind"))) for r in rows)
                )
    return lines


def _render_pdf(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML  # heavy import, only when a PDF is made

    with translation.override("zh-hans"):
        html = render_to_string(template, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- what the form says


def _region_name(complaint: Complaint) -> str:
    room = room_of(complaint.region)
    return (room.region if room is not None else complaint.region).name


def _taken_up(complaint: Complaint, say: _Printer) -> list[str]:
    """受理情况: how the complaint was taken up."""
    c = complaint
    actions = dict(c.events.filter(action__in=("answered", "declined")).values_list("action", "at"))
    if c.status == ComplaintStatus.CLOSED or actions:
        how = "不属于电子监察室受理范围，已向投诉人解释并提出建议" if "declined" in actions else "现场答复"
        lines = [f"{_day_text(c.acked_at or c.closed_at)}{how}。"]
        lines += [f"答复内容：{line}" for line in say.lines(c.answer)]
        return lines
    if c.accepted_on is None:
        return [f"待受理（应于{chinese_date(c.ack_due)}前告知投诉人受理情况）。"]
    lines = [f"{chinese_date(c.accepted_on)}受理，{MODES.get(c.mode, c.mode)}。"]
    if c.mode == ComplaintMode.TRANSFER and c.handling_unit is not None:
        lines.append(f"经分管领导批示，转{c.handling_unit.name}办理。")
        lines += [f"领导批示：{line}" for line in say.lines(c.transfer_instruction)]
    if c.handling_due is not None:
        limit = f"（{c.handling_limit}个工作日）" if c.handling_limit else ""
        lines.append(f"办理时限：{chinese_date(c.handling_due)}前{limit}。")
    if c.mode == ComplaintMode.SELF and c.handling_limit and c.handling_limit > complaints.SELF_WORKDAYS:
        lines.append("经领导批准延长办理时限。")
    if c.feedback_due is not None:
        lines.append(f"反馈时限：{chinese_date(c.feedback_due)}前。")
    if c.acked_at is not None:
        lines.append(f"已于{_day_text(c.acked_at)}告知投诉人受理情况。")
    if c.reinvestigations:
        lines.append(f"责成重新调查处理{c.reinvestigations}次。")
    return lines


def _investigations(complaint: Complaint, say: _Printer) -> list[str]:
    lines = []
    for inv in complaint.investigations.order_by("held_on", "pk"):
        people = f"（{say(inv.people)}）" if inv.people else ""
        lines.append(
            f"{chinese_date(inv.held_on)} {INVESTIGATIONS.get(inv.kind, inv.kind)}{people}：{say(inv.record)}"
        )
    return lines


def _verdict(complaint: Complaint) -> str:
    if complaint.substantiated is None:
        return ""
    return "投诉属实" if complaint.substantiated else "投诉不属实"


def _opinion(complaint: Complaint, say: _Printer) -> list[str]:
    """处理意见: the findings, whether substantiated, the proposed handling."""
    lines = []
    if complaint.substantiated is not None:
        lines.append(f"经调查，{_verdict(complaint)}。")
    lines += [f"调查结论：{line}" for line in say.lines(complaint.findings)[:1]] + say.lines(
        complaint.findings
    )[1:]
    proposal = say.lines(complaint.proposal)
    if proposal:
        lines.append(f"处理意见：{proposal[0]}")
        lines += proposal[1:]
    rows = complaint.proposed_measures or []
    if rows:
        lines.append(
            "拟采取措施：" + "；".join(MEASURES.get(str(r.get("kind")), str(r.get("kind"))) for r in rows)
        )
    return lines


def _approvals(complaint: Complaint, say: _Printer) -> list[str]:
    """领导审核意见: the head's approval (自办) or the room's consent (转办), and any
    proposal sent back, with who and when."""
    decided = set(complaint.measures.values_list("decided_at", flat=True))
    lines = []
    for event in complaint.events.filter(action__in=("approved", "consented", "returned")).select_related(
        "actor__staff"
    ):
        head = {
            "approved": "同意",
            "consented": "同意承办单位处理意见",
            "returned": "退回，重新提出处理意见",
        }[event.action]
        note = say.lines(event.note)
        if event.action == "approved" and event.at in decided and note:
            note = note[:-1]  # the measures taken, printed with the result
        text = "；".join(line.rstrip("。；;") for line in note)
        lines.append(f"{head}{'：' + text if text else ''}。（{_name(event.actor)}，{_day_text(event.at)}）")
    return lines


def _measure_lines(complaint: Complaint, say: _Printer) -> list[str]:
    lines = []
    for m in complaint.measures.select_related("staff", "department"):
        who = m.staff.name if m.staff is not None else m.department.name
        text = f"{MEASURES.get(m.kind, m.kind)}（{who}）"
        if m.rectify_by is not None:
            text += f"，{chinese_date(m.rectify_by)}前整改到位"
        if m.note:
            text += f"：{say(m.note)}"
        lines.append(text)
    return lines


def _result(complaint: Complaint, say: _Printer) -> list[str]:
    lines = say.lines(complaint.result)
    if complaint.handled_at is not None:
        lines.append(f"办结时间：{_day_text(complaint.handled_at)}")
    measures = _measure_lines(complaint, say)
    if measures:
        lines.append("处理措施：" + "；".join(measures) + "。")
    return lines


def _feedback(complaint: Complaint, say: _Printer) -> list[str]:
    lines = []
    if complaint.interim_at is not None:
        lines.append(f"{_day_text(complaint.interim_at)}已向投诉人说明情况。")
    if complaint.feedback_at is not None:
        lines += say.lines(complaint.feedback)
        by = _name(complaint.feedback_by) if complaint.feedback_by_id else ""
        lines.append(f"反馈时间：{_day_text(complaint.feedback_at)}" + (f"；反馈人：{by}" if by else ""))
    elif complaint.feedback_due is not None:
        lines.append(f"尚未反馈（应于{chinese_date(complaint.feedback_due)}前反馈）。")
    return lines


def _registered_by(complaint: Complaint) -> str:
    if complaint.registered_by_id is None:
        return "系统"
    if complaint.registered_by_id == complaint.complainant_user_id:
        return "投诉人网上提交"
    return _name(complaint.registered_by)


def _form_context(
    complaint: Complaint,
    *,
    with_identity: bool,
    archived_at: dt.datetime | None = None,
    archived_by: Any = None,
) -> dict[str, Any]:
    """What the registration form prints; ``archived_at``/``archived_by`` fill the 归档
    row of the copy made while archiving, before they are saved."""
    c = complaint
    say = _Printer(c, with_identity=with_identity)
    region = _region_name(c)
    archived = archived_at or c.archived_at
    archiver = archived_by if archived_at is not None else c.archived_by
    case = f"{c.case.number}（{c.case.item_version.name}）" if c.case is not None else ""
    category = CATEGORIES.get(c.category, c.category) + ("（优先办理）" if c.priority else "")
    about = [category]
    if c.repeat_of_id is not None:
        about.append(f"重复投诉，与{c.repeat_of.number}为同一事项。")  # type: ignore[union-attr]
    phones = "；".join(x for x in (c.complainant_mobile, c.complainant_phone) if x)
    return {
        "title": f"{region}政务服务中心效能投诉受理登记表",
        "complaint": c,
        "with_identity": with_identity,
        "protected": PROTECTED,
        "number": c.number,
        "channel": CHANNELS.get(c.channel, c.channel),
        "received": _moment_text(c.received_at),
        "name": say(c.complainant_name),
        "phones": say(phones) or "—",
        "address": say(c.complainant_address) or "—",
        "department": c.department.name,
        "staff": c.staff.name if c.staff_id is not None else "—",  # type: ignore[union-attr]
        "case": case or "无",
        "category": about,
        "content": say.lines(c.content),
        "request": say.lines(c.request),
        "registered_by": _registered_by(c),
        "registered_on": _day_text(c.created_at),
        "taken_up": _taken_up(c, say),
        "investigations": _investigations(c, say),
        "opinion": _opinion(c, say),
        "approvals": _approvals(c, say),
        "result": _result(c, say),
        "feedback": _feedback(c, say),
        "archived": (
            f"{_day_text(archived)}立卷归档"
            + (f"（归档人：{_name(archiver)}）" if archiver is not None else "")
            if archived is not None
            else ""
        ),
    }


def registration_form_pdf(complaint: Complaint, *, with_identity: bool) -> bytes:
    """The 效能投诉受理登记表 of ``complaint`` as an A4 PDF (Chinese). With
    ``with_identity`` (the supervision room's copy) it shows the complainant's name,
    telephone and address; without, "投诉人信息已依规保护" in their place, and their
    particulars are scrubbed from the free text, so that the department complained about
    cannot learn who complained."""
    return _render_pdf(
        "supervision/complaints/pdf/registration_form.html",
        _form_context(complaint, with_identity=with_identity),
    )


# --------------------------------------------------------------------------- the record of the handling


def _history_rows(complaint: Complaint) -> list[dict[str, Any]]:
    rows = []
    for line in complaints.complaint_history(complaint):
        entry: Any = line.entry
        rows.append(
            {
                "at": _moment_text(entry.at),
                "what": ACTIONS.get(entry.action, entry.action),
                "who": _name(entry.actor),
                "note": [_no_full_ids(x) for x in _note_lines(entry.action, entry.note)],
            }
        )
    return rows


def _alert_rows(complaint: Complaint) -> list[dict[str, Any]]:
    rows = []
    for alert in Alert.objects.filter(complaint_id=complaint.pk).order_by("raised_at", "pk"):
        rows.append(
            {
                "raised": _moment_text(alert.raised_at),
                "level": LEVELS.get(alert.level, alert.level),
                "target": TARGETS.get(alert.target, alert.target),
                "due": chinese_date(alert.due_date),
                "status": ALERT_STATUSES.get(alert.status, alert.status),
                "explanation": _no_full_ids(alert.explanation),
                "resolution": _no_full_ids(alert.resolution),
            }
        )
    return rows


def _record_context(
    complaint: Complaint,
    *,
    documents: list[ComplaintDocument],
    notices: list[Notice],
    archived_at: dt.datetime,
    archived_by: Any,
) -> dict[str, Any]:
    c = complaint
    say = _Printer(c, with_identity=True)
    facts = [
        ("被投诉单位", c.department.name),
        ("被投诉人", c.staff.name if c.staff_id is not None else "—"),  # type: ignore[union-attr]
        ("投诉类别", CATEGORIES.get(c.category, c.category)),
        ("投诉方式", CHANNELS.get(c.channel, c.channel)),
        ("收到时间", _moment_text(c.received_at)),
        ("受理日期", chinese_date(c.accepted_on) if c.accepted_on else "—"),
        ("办理方式", MODES.get(c.mode, "—") if c.mode else "—"),
        ("承办单位", c.handling_unit.name if c.handling_unit_id is not None else "—"),  # type: ignore[union-attr]
        ("投诉结论", _verdict(c) or "—"),
        ("归档时间", f"{_moment_text(archived_at)}（{_name(archived_by)}）"),
    ]
    return {
        "title": "效能投诉办理情况记录",
        "unit": f"{_region_name(c)}政务服务中心电子监察室",
        "number": c.number,
        "facts": [facts[i : i + 2] for i in range(0, len(facts), 2)],
        "history": _history_rows(c),
        "investigations": _investigations(c, say),
        "opinion": _opinion(c, say),
        "approvals": _approvals(c, say),
        "measures": _measure_lines(c, say),
        "result": say.lines(c.result),
        "feedback": _feedback(c, say),
        "alerts": _alert_rows(c),
        "notices": [
            {
                "number": n.number,
                "title": NOTICE_TITLES.get(n.kind, n.kind),
                "issued": _day_text(n.issued_at),
                "sha256": n.sha256,
            }
            for n in notices
        ],
        "documents": [
            {
                "title": _no_full_ids(d.title),
                "kind": DOCUMENT_KINDS.get(d.kind, d.kind),
                "uploaded": _day_text(d.uploaded_at),
                "sha256": d.sha256,
            }
            for d in documents
        ],
    }


# --------------------------------------------------------------------------- supervision recommendation / decision


@transaction.atomic
def complaint_notice_issue(
    *,
    complaint: Complaint,
    user: User | None,
    kind: str,
    facts: str,
    requirement: str = "",
    reply_by: dt.date | None = None,
    at: dt.datetime | None = None,
) -> Notice:
    """The supervision room issues a supervision recommendation (监察建议书, ``kind``
    "recommendation") or decision (监察决定书, "decision") about a complaint, addressed to
    the department complained about, numbered in the complaint's region (邯山监建〔2025〕1号)
    and rendered at once; the issuing is written into the complaint's history with the
    PDF's SHA-256.

    A recommendation may be made once the complaint is accepted and until it is archived;
    a decision only on a substantiated complaint whose handling is done. Without
    ``reply_by`` the written reply is due in the usual number of working days."""
    at = complaints.moment(at)
    complaint = complaints.lock(complaint)
    complaints.require_room(user, complaint)
    if kind not in NOTICE_KINDS:
        raise SupervisionError(
            _("Choose a supervision recommendation or a supervision decision."),
            SupervisionErrorCode.BAD_INPUT,
            "kind",
        )
    if kind == NoticeKind.DECISION:
        if complaint.status not in (ComplaintStatus.HANDLED, ComplaintStatus.ARCHIVED):
            raise SupervisionError(
                _("This complaint is “%(status)s”: a supervision decision is made once its handling is done.")
                % {"status": complaint.get_status_display()},
                SupervisionErrorCode.ILLEGAL_IN_STATE,
            )
        if not complaint.substantiated:
            raise SupervisionError(
                _("A supervision decision is made only on a substantiated complaint."),
                SupervisionErrorCode.ILLEGAL_IN_STATE,
            )
    else:
        complaints.require_status(
            complaint,
            (
                ComplaintStatus.HANDLING,
                ComplaintStatus.PROPOSED,
                ComplaintStatus.CONSENTED,
                ComplaintStatus.HANDLED,
            ),
            _("given a supervision recommendation"),
        )
    facts = (facts or "").strip()
    if not facts:
        raise SupervisionError(
            _("State the facts the notice is about."), SupervisionErrorCode.BAD_INPUT, "facts"
        )
    requirement = (requirement or "").strip()
    for field, text in (("facts", facts), ("requirement", requirement)):
        if len(text) > TEXT_LIMIT:
            raise SupervisionError(
                _("Keep it within %(n)d characters.") % {"n": TEXT_LIMIT},
                SupervisionErrorCode.BAD_INPUT,
                field,
            )
    if reply_by is not None and reply_by < timezone.localtime(at).date():
        raise SupervisionError(
            _("The reply date cannot be in the past."), SupervisionErrorCode.BAD_INPUT, "reply_by"
        )
    notice = _new_notices(
        [(kind, complaint, None, facts, requirement, reply_by or reply_deadline(at))],
        at=at,
        user=user,
        region=complaint.region,
    )[0]
    return issue_pdf(notice)


# --------------------------------------------------------------------------- the archive (立卷归档)


@dataclass(frozen=True)
class ArchiveEntry:
    """One file of a complaint's archive, as its manifest lists it."""

    name: str
    kind: str
    size: int
    sha256: str


MANIFEST = "manifest.json"
MANIFEST_TEXT = "清单.txt"
_KIND_WORDS = {"registration_form": "登记表", "handling_record": "办理情况记录"}


def _safe_name(text: str, limit: int = 60) -> str:
    text = _UNSAFE_NAME.sub("_", _no_full_ids(text)).strip(" ._") or "file"
    return text[:limit]


def _extension(name: str) -> str:
    tail = name.rsplit(".", 1)
    return tail[1].lower() if len(tail) == 2 and 0 < len(tail[1]) <= 5 else "bin"


def _read(field: Any) -> bytes:
    with field.open("rb") as handle:
        return handle.read()  # type: ignore[no-any-return]


def _checked(data: bytes, expected: str, what: str) -> bytes:
    if expected and hashlib.sha256(data).hexdigest() != expected:
        raise SupervisionError(
            _("The stored file of “%(what)s” no longer matches its SHA-256: it cannot be archived.")
            % {"what": what},
            SupervisionErrorCode.ILLEGAL_IN_STATE,
        )
    return data


def _zip(files: list[tuple[str, bytes]], moment: dt.datetime) -> bytes:
    """A ZIP whose bytes depend only on the files and ``moment`` (every entry carries it)."""
    local = _local(moment)
    stamp = (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second // 2 * 2)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compresslevel=9)
    return buffer.getvalue()


def _manifest_text(complaint: Complaint, entries: list[ArchiveEntry], moment: dt.datetime, by: str) -> str:
    lines = [
        f"效能投诉卷宗清单  {complaint.number}",
        f"被投诉单位：{complaint.department.name}",
        f"归档时间：{_moment_text(moment)}  归档人：{by}",
        f"共{len(entries)}个文件（SHA-256 为各文件内容的摘要）",
        "",
    ]
    for i, entry in enumerate(entries, 1):
        kind = _KIND_WORDS.get(entry.kind) or (
            DOCUMENT_KINDS.get(entry.kind.split(".", 1)[-1], entry.kind)
            if entry.kind.startswith("document.")
            else NOTICE_TITLES.get(entry.kind.split(".", 1)[-1], entry.kind)
        )
        lines.append(f"{i}. {entry.name}")
        lines.append(f"   类别：{kind}  大小：{entry.size}字节")
        lines.append(f"   SHA-256：{entry.sha256}")
    return "\n".join(lines) + "\n"


def _archive_files(
    complaint: Complaint, moment: dt.datetime, user: User | None
) -> tuple[list[tuple[str, bytes]], list[ArchiveEntry]]:
    documents = list(complaint.documents.order_by("uploaded_at", "pk"))
    notices = list(Notice.objects.filter(complaint_id=complaint.pk).order_by("issued_at", "pk"))
    actor = user if user is not None and user.is_authenticated else None
    # The stored files first: a file that no longer matches its SHA-256 stops the archive
    # before anything is rendered.
    kept: list[tuple[str, str, bytes]] = []
    for i, notice in enumerate(notices, 1):
        data = _checked(_read(notice.pdf), notice.sha256, notice.number)
        title = NOTICE_TITLES.get(notice.kind, notice.kind)
        kept.append((f"文书/{i:02d}-{title}-{_safe_name(notice.number)}.pdf", f"notice.{notice.kind}", data))
    for i, doc in enumerate(documents, 1):
        data = _checked(_read(doc.file), doc.sha256, doc.title)
        extension = _extension(doc.file.name or "")
        title = doc.title[: -len(extension) - 1] if doc.title.lower().endswith(f".{extension}") else doc.title
        name = f"材料/{i:02d}-{_safe_name(title)}.{extension}"
        kept.append((name, f"document.{doc.kind}", data))
    files: list[tuple[str, str, bytes]] = [
        (
            f"01-效能投诉受理登记表-{complaint.number}.pdf",
            "registration_form",
            _render_pdf(
                "supervision/complaints/pdf/registration_form.html",
                _form_context(complaint, with_identity=True, archived_at=moment, archived_by=actor),
            ),
        ),
        (
            f"02-办理情况记录-{complaint.number}.pdf",
            "handling_record",
            _render_pdf(
                "supervision/complaints/pdf/handling_record.html",
                _record_context(
                    complaint, documents=documents, notices=notices, archived_at=moment, archived_by=actor
                ),
            ),
        ),
        *kept,
    ]
    entries = [
        ArchiveEntry(name=name, kind=kind, size=len(data), sha256=hashlib.sha256(data).hexdigest())
        for name, kind, data in files
    ]
    by = _name(actor)
    manifest = {
        "complaint": complaint.number,
        "department": complaint.department.name,
        "archived_at": _local(moment).isoformat(),
        "archived_by": by,
        "files": [{"name": e.name, "kind": e.kind, "size": e.size, "sha256": e.sha256} for e in entries],
    }
    out = [(name, data) for name, _kind, data in files]
    out.append((MANIFEST_TEXT, _manifest_text(complaint, entries, moment, by).encode("utf-8")))
    out.append((MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")))
    return out, entries


@transaction.atomic
def complaint_archive(*, complaint: Complaint, user: User | None, at: dt.datetime | None = None) -> Complaint:
    """File the complaint (立卷归档): the supervision room, once the complaint is handled
    and the complainant has had the feedback. Renders any of its notices not yet
    rendered, builds the ZIP (registration form, record of the handling, documents,
    notices, manifest), stores it with its SHA-256, marks the complaint archived (its
    deadlines stop) and tells the room. A refusal changes nothing."""
    at = complaints.moment(at)
    complaint = complaints.lock(complaint)
    complaints.require_room(user, complaint)
    if complaint.status == ComplaintStatus.ARCHIVED:
        raise SupervisionError(
            _("This complaint was archived on %(date)s: it cannot be archived again.")
            % {"date": _local(complaint.archived_at).date().isoformat() if complaint.archived_at else "?"},
            SupervisionErrorCode.ILLEGAL_IN_STATE,
        )
    if complaint.status not in (ComplaintStatus.HANDLED, ComplaintStatus.CLOSED):
        raise SupervisionError(
            _(
                "This complaint is “%(status)s”: it is archived once its handling is done (approved, or "
                "the handling unit's result reported)."
            )
            % {"status": complaint.get_status_display()},
            SupervisionErrorCode.ILLEGAL_IN_STATE,
        )
    # A complaint answered at once or outside the remit was answered when it was closed.
    if complaint.status == ComplaintStatus.HANDLED and complaint.feedback_at is None:
        raise SupervisionError(
            _("Give the complainant feedback before archiving."), SupervisionErrorCode.ILLEGAL_IN_STATE
        )
    for notice in Notice.objects.filter(complaint_id=complaint.pk, sha256=""):
        issue_pdf(notice)
    files, entries = _archive_files(complaint, at, user)
    data = _zip(files, at)
    digest = hashlib.sha256(data).hexdigest()
    complaint.archive.save(
        f"{complaint.year}-{complaint.serial}-{digest[:16]}.zip", ContentFile(data), save=False
    )
    complaint.archive_sha256 = digest
    complaint.status = ComplaintStatus.ARCHIVED
    complaint.archived_at = at
    complaint.archived_by = user if user is not None and user.is_authenticated else None  # type: ignore[assignment]
    complaint.save(update_fields=["archive", "archive_sha256", "status", "archived_at", "archived_by"])
    complaints.record_event(
        complaint,
        "archived",
        user,
        at,
        _("%(n)d files, SHA-256 %(sha256)s") % {"n": len(entries), "sha256": digest},
    )
    complaints.refresh(complaint)
    complaints.tell_room(
        complaint,
        _("Complaint %(number)s archived") % {"number": complaint.number},
        _("The complaint about %(department)s is archived: %(n)d files, SHA-256 %(sha256)s.")
        % {"department": complaint.department.name, "n": len(entries), "sha256": digest},
        "complaint.archived",
        at,
    )
    return complaint


def archive_entries(complaint: Complaint) -> list[ArchiveEntry]:
    """The files of the complaint's stored archive, from its manifest; empty when the
    complaint has not been archived."""
    if not complaint.archive:
        return []
    with zipfile.ZipFile(io.BytesIO(_read(complaint.archive))) as archive:
        manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    return [
        ArchiveEntry(name=str(f["name"]), kind=str(f["kind"]), size=int(f["size"]), sha256=str(f["sha256"]))
        for f in manifest.get("files", [])
    ]


__all__ = [
    "ArchiveEntry",
    "archive_entries",
    "complaint_archive",
    "complaint_notice_issue",
    "registration_form_pdf",
]
