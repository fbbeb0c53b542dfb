"""The documents of an efficiency complaint (seed 004 part 1, 投诉处理制度): the
registration form (附件3), the supervision recommendation and decision (附件4) and the
archive (立卷归档).

张投诉 complains to 邯山区电子监察室 about 孙窗口 of 邯山区市场监督管理局; 王监察 of the
room registers and handles it, 赵领导 (a leader of 邯郸市) approves. The PDFs are read back
with pypdf: writing one subsets the CJK fonts and takes a couple of seconds, so each test
renders only what it checks.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from yiwang.cases.tests.conftest import APPLICANT_ID
from yiwang.core.identifiers import mask_resident_id
from yiwang.core.models import Notification
from yiwang.org.models import Staff
from yiwang.supervision import complaint_documents as docs
from yiwang.supervision import complaints
from yiwang.supervision.complaints import MeasureSpec
from yiwang.supervision.models import (
    Alert,
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintDocumentKind,
    ComplaintEvent,
    ComplaintMode,
    ComplaintStatus,
    InvestigationKind,
    MeasureKind,
    Notice,
)
from yiwang.supervision.services import SupervisionError, SupervisionErrorCode, sweep
from yiwang.supervision.tests.conftest import at

pytestmark = pytest.mark.django_db

NAME = "张投诉"
MOBILE = "13812345678"
ADDRESS = "邯山区光明南大街88号"


@pytest.fixture(autouse=True)
def english_messages() -> Any:
    """The services' messages are checked in English; the documents are Chinese anyway."""
    with translation.override("en"):
        yield


def squeeze(text: str) -> str:
    return "".join(text.split())


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF, without white space (pypdf breaks lines anywhere)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "".join(squeeze(page.extract_text()) for page in reader.pages)


def pdf_pages(data: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def png(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf_upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% a scanned letter\n%%EOF\n", content_type="application/pdf")


# --------------------------------------------------------------------------- people and complaints


@pytest.fixture
def supervisor(county_supervisor: Staff) -> Any:
    return county_supervisor.user


@pytest.fixture
def leader(city_leader: Staff) -> Any:
    return city_leader.user


@pytest.fixture
def clerk(window_user: Any) -> Staff:
    """孙窗口, the window operator complained about."""
    return window_user.staff


def register(supervisor: Any, market_dept: Any, clerk: Staff, **extra: Any) -> Complaint:
    fields: dict[str, Any] = {
        "user": supervisor,
        "channel": ComplaintChannel.VISIT,
        "category": ComplaintCategory.ATTITUDE,
        "department": market_dept,
        "staff": clerk,
        "content": f"{NAME}来窗口办理食品经营许可，窗口人员态度恶劣，拒不说明缺少的材料。"
        f"投诉人身份证号码{APPLICANT_ID}。",
        "request": "要求窗口人员道歉并一次性告知所需材料。",
        "complainant_name": NAME,
        "complainant_mobile": MOBILE,
        "complainant_address": ADDRESS,
        "attachments": [png("现场照片.png")],
        "received_at": at("2025-10-09", "08:40"),
        "at": at("2025-10-09", "09:00"),
    }
    fields.update(extra)
    return complaints.complaint_register(**fields)


def accept(complaint: Complaint, supervisor: Any) -> Complaint:
    return complaints.complaint_accept(
        complaint=complaint, user=supervisor, mode=ComplaintMode.SELF, at=at("2025-10-09", "10:00")
    )


def handle(
    complaint: Complaint, supervisor: Any, leader: Any, clerk: Staff, *, substantiated: bool = True
) -> Complaint:
    """Investigate, propose (substantiated: a written self-examination by 孙窗口) and approve."""
    complaints.complaint_investigate(
        complaint=complaint,
        user=supervisor,
        kind=InvestigationKind.TALK,
        held_on=at("2025-10-10").date(),
        record="孙窗口承认未一次性告知所需材料，态度生硬。",
        people="孙窗口",
        upload=pdf_upload("谈话笔录.pdf"),
        at=at("2025-10-10", "15:00"),
    )
    complaints.complaint_propose(
        complaint=complaint,
        user=supervisor,
        substantiated=substantiated,
        findings="投诉反映的问题基本属实。" if substantiated else "经核查，窗口已按规定一次性告知。",
        proposal="责令孙窗口作出书面检查，并向投诉人道歉。" if substantiated else "向投诉人解释说明。",
        measures=[MeasureSpec(MeasureKind.SELF_EXAMINATION, staff=clerk, note="三日内提交")]
        if substantiated
        else [],
        at=at("2025-10-13", "09:30"),
    )
    return complaints.complaint_approve(
        complaint=complaint, user=leader, note="同意处理意见。", at=at("2025-10-14", "11:00")
    )


def feedback(complaint: Complaint, supervisor: Any) -> Complaint:
    return complaints.complaint_feedback(
        complaint=complaint,
        user=supervisor,
        text="经调查，您反映的问题属实，已责令有关人员作出书面检查。",
        at=at("2025-10-15", "16:00"),
    )


@pytest.fixture
def handled(supervisor: Any, leader: Any, clerk: Staff, market_dept: Any) -> Complaint:
    complaint = accept(register(supervisor, market_dept, clerk), supervisor)
    return handle(complaint, supervisor, leader, clerk)


def snapshot(complaint: Complaint) -> tuple[Any, ...]:
    complaint.refresh_from_db()
    return (
        complaint.status,
        complaint.archive.name,
        complaint.archive_sha256,
        complaint.archived_at,
        complaint.events.count(),
        Notice.objects.count(),
    )


# --------------------------------------------------------------------------- the registration form


def test_the_form_for_others_does_not_say_who_complained(
    supervisor: Any, clerk: Staff, market_dept: Any
) -> None:
    complaint = accept(register(supervisor, market_dept, clerk), supervisor)

    data = docs.registration_form_pdf(complaint, with_identity=False)

    text = pdf_text(data)
    assert data.startswith(b"%PDF-") and 1 <= pdf_pages(data) <= 2
    assert "邯山区政务服务中心效能投诉受理登记表" in text
    assert "邯山效投〔2025〕1号" in text
    assert "投诉人信息已依规保护" in text
    assert "邯山区市场监督管理局" in text and "孙窗口" in text
    assert "服务态度差" in text and "来访" in text
    assert "要求窗口人员道歉" in text
    assert "2025年10月9日受理" in text
    # Not the name (also scrubbed from the content), the mobile, the address, the full ID.
    assert NAME not in text
    assert MOBILE not in text
    assert squeeze(ADDRESS) not in text
    assert APPLICANT_ID not in text
    assert mask_resident_id(APPLICANT_ID) in text


def test_the_rooms_form_has_the_complainant_and_the_whole_handling(
    handled: Complaint, supervisor: Any
) -> None:
    complaint = feedback(handled, supervisor)

    text = pdf_text(docs.registration_form_pdf(complaint, with_identity=True))

    assert NAME in text and MOBILE in text and squeeze(ADDRESS) in text
    assert "投诉人信息已依规保护" not in text
    assert APPLICANT_ID not in text and mask_resident_id(APPLICANT_ID) in text
    assert "登记人王监察" in text
    assert "2025年10月10日谈话（孙窗口）：孙窗口承认未一次性告知所需材料" in text
    assert "经调查，投诉属实。" in text and "处理意见：责令孙窗口作出书面检查" in text
    assert "同意：同意处理意见。" in text and "赵领导，2025年10月14日" in text
    assert "处理措施：责令作出书面检查（孙窗口）" in text
    assert "已责令有关人员作出书面检查" in text and "反馈时间：2025年10月15日" in text
    assert "未归档" in text


# --------------------------------------------------------------------------- recommendation and decision


def test_a_recommendation_is_numbered_addressed_and_written_into_the_history(
    supervisor: Any, clerk: Staff, market_dept: Any
) -> None:
    complaint = accept(register(supervisor, market_dept, clerk), supervisor)

    notice = docs.complaint_notice_issue(
        complaint=complaint,
        user=supervisor,
        kind="recommendation",
        facts="你单位窗口工作人员在受理食品经营许可申请时未一次性告知所需材料，服务态度生硬。",
        at=at("2025-10-10", "10:00"),
    )

    assert notice.number == "邯山监建〔2025〕1号"
    assert notice.department == market_dept and notice.complaint == complaint and notice.case is None
    data = notice.pdf.read()
    assert hashlib.sha256(data).hexdigest() == notice.sha256
    text = pdf_text(data)
    assert "监察建议书" in text and "邯山监建〔2025〕1号" in text
    assert "邯山区市场监督管理局：" in text and "未一次性告知所需材料" in text
    assert "邯山区政务服务中心电子监察室" in text
    event = complaint.events.get(action="notice")
    assert notice.number in event.note and notice.sha256 in event.note
    assert event.actor == supervisor and event.at == at("2025-10-10", "10:00")


def test_a_decision_is_made_on_a_substantiated_handled_complaint(handled: Complaint, supervisor: Any) -> None:
    notice = docs.complaint_notice_issue(
        complaint=handled,
        user=supervisor,
        kind="decision",
        facts="经查，你单位窗口工作人员孙窗口未履行一次性告知义务，服务态度差，投诉属实。",
        reply_by=at("2025-10-24").date(),
        at=at("2025-10-15", "09:00"),
    )

    assert notice.number == "邯山监决〔2025〕1号"
    text = pdf_text(notice.pdf.read())
    assert "监察决定书" in text and "作出如下监察决定" in text and "2025年10月24日" in text


def test_notices_refused_change_nothing(
    supervisor: Any, leader: Any, clerk: Staff, market_dept: Any, window_user: Any
) -> None:
    registered = register(supervisor, market_dept, clerk)
    facts = "你单位窗口工作人员服务态度差。"

    def refused(complaint: Complaint, user: Any, **fields: Any) -> SupervisionError:
        before = snapshot(complaint)
        with pytest.raises(SupervisionError) as caught:
            docs.complaint_notice_issue(
                complaint=complaint, user=user, at=at("2025-10-15", "09:00"), **{"facts": facts, **fields}
            )
        assert snapshot(complaint) == before
        return caught.value

    error = refused(registered, supervisor, kind="recommendation")
    assert error.code == SupervisionErrorCode.ILLEGAL_IN_STATE
    assert "it cannot be given a supervision recommendation now" in error.text

    complaint = accept(registered, supervisor)
    assert refused(complaint, window_user, kind="recommendation").code == SupervisionErrorCode.FORBIDDEN
    assert refused(complaint, leader, kind="recommendation").code == SupervisionErrorCode.FORBIDDEN
    error = refused(complaint, supervisor, kind="recommendation", facts="  ")
    assert (error.code, error.field) == (SupervisionErrorCode.BAD_INPUT, "facts")
    error = refused(complaint, supervisor, kind="recommendation", reply_by=at("2025-10-14").date())
    assert (error.text, error.field) == ("The reply date cannot be in the past.", "reply_by")
    error = refused(complaint, supervisor, kind="urging")
    assert error.field == "kind"
    error = refused(complaint, supervisor, kind="decision")
    assert "a supervision decision is made once its handling is done" in error.text

    unfounded = handle(complaint, supervisor, leader, clerk, substantiated=False)
    error = refused(unfounded, supervisor, kind="decision")
    assert error.text == "A supervision decision is made only on a substantiated complaint."
    assert not Notice.objects.exists()

    # Nothing was numbered: the first recommendation issued is still number 1.
    notice = docs.complaint_notice_issue(
        complaint=unfounded, user=supervisor, kind="recommendation", facts=facts, at=at("2025-10-15", "10:00")
    )
    assert notice.number == "邯山监建〔2025〕1号"


# --------------------------------------------------------------------------- the archive


def test_archiving_files_every_document_with_a_manifest(
    handled: Complaint, supervisor: Any, county_supervisor: Staff
) -> None:
    complaints.complaint_attach(
        complaint=handled,
        user=supervisor,
        upload=pdf_upload("检查.pdf"),
        kind=ComplaintDocumentKind.OTHER,
        title="孙窗口的书面检查",
        at=at("2025-10-15", "10:00"),
    )
    notice = docs.complaint_notice_issue(
        complaint=handled,
        user=supervisor,
        kind="recommendation",
        facts="建议你单位加强窗口人员服务规范培训。",
        at=at("2025-10-15", "11:00"),
    )
    # The feedback (due 22 October) is late: the sweep raises a yellow card on the complaint.
    sweep(at("2025-10-24", "09:00"))
    assert Alert.objects.filter(complaint=handled, level="yellow").exists()
    complaint = complaints.complaint_feedback(
        complaint=handled, user=supervisor, text="经调查，您反映的问题属实。", at=at("2025-10-24", "10:00")
    )
    Notification.objects.all().delete()

    archived = docs.complaint_archive(complaint=complaint, user=supervisor, at=at("2025-10-27", "09:00"))

    archived.refresh_from_db()
    assert archived.status == ComplaintStatus.ARCHIVED
    assert archived.archived_at == at("2025-10-27", "09:00") and archived.archived_by == supervisor
    assert archived.subjects == [] and archived.next_at is None
    data = archived.archive.read()
    assert hashlib.sha256(data).hexdigest() == archived.archive_sha256
    event = archived.events.get(action="archived")
    assert archived.archive_sha256 in event.note and event.actor == supervisor
    assert Notification.objects.filter(recipient=supervisor, kind="complaint.archived").exists()

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        files = {name: zf.read(name) for name in names}
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in zf.infolist())
    manifest = json.loads(files["manifest.json"])
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(names) == set(listed) | {"manifest.json", "清单.txt"}
    for name, entry in listed.items():
        assert entry["size"] == len(files[name])
        assert entry["sha256"] == hashlib.sha256(files[name]).hexdigest()
        assert entry["sha256"] in files["清单.txt"].decode()
    kinds = sorted(f["kind"] for f in manifest["files"])
    assert kinds == [
        "document.attachment",
        "document.other",
        "document.record",
        "handling_record",
        "notice.recommendation",
        "registration_form",
    ]
    # Every stored document and notice, byte for byte.
    stored = {d.sha256 for d in archived.documents.all()} | {notice.sha256}
    assert stored == {f["sha256"] for f in manifest["files"] if f["kind"].startswith(("document", "notice"))}
    assert docs.archive_entries(archived) == [
        docs.ArchiveEntry(f["name"], f["kind"], f["size"], f["sha256"]) for f in manifest["files"]
    ]

    form = pdf_text(files[next(n for n in names if "登记表" in n)])
    assert NAME in form and MOBILE in form
    assert "2025年10月27日立卷归档（归档人：王监察）" in form
    record = pdf_text(files[next(n for n in names if "办理情况记录" in n)])
    assert "效能投诉办理情况记录" in record and "邯山效投〔2025〕1号" in record
    for step in (
        "登记",
        "受理，电子监察室自办",
        "调查记录",
        "提出处理意见",
        "领导审核同意",
        "向投诉人反馈办理结果",
    ):
        assert step in record
    assert "拟采取措施：责令作出书面检查" in record
    assert notice.number in record and notice.sha256 in record
    assert "孙窗口的书面检查" in record
    assert "2025年10月24日09:00黄牌向投诉人反馈2025年10月22日" in record
    assert APPLICANT_ID not in record and APPLICANT_ID not in form


def test_archiving_is_refused_until_the_feedback_and_only_once(
    handled: Complaint, supervisor: Any, leader: Any, window_user: Any
) -> None:
    def refused(user: Any) -> SupervisionError:
        before = snapshot(handled)
        with pytest.raises(SupervisionError) as caught:
            docs.complaint_archive(complaint=handled, user=user, at=at("2025-10-16", "09:00"))
        assert snapshot(handled) == before
        return caught.value

    error = refused(supervisor)
    assert (error.code, error.text) == (
        SupervisionErrorCode.ILLEGAL_IN_STATE,
        "Give the complainant feedback before archiving.",
    )
    assert docs.archive_entries(handled) == []

    feedback(handled, supervisor)
    assert refused(leader).code == SupervisionErrorCode.FORBIDDEN
    assert refused(window_user).code == SupervisionErrorCode.FORBIDDEN

    archived = docs.complaint_archive(complaint=handled, user=supervisor, at=at("2025-10-16", "09:00"))
    assert archived.status == ComplaintStatus.ARCHIVED
    error = refused(supervisor)
    assert error.text == "This complaint was archived on 2025-10-16: it cannot be archived again."
    assert ComplaintEvent.objects.filter(complaint=handled, action="archived").count() == 1


def test_an_open_complaint_is_not_archived(supervisor: Any, clerk: Staff, market_dept: Any) -> None:
    complaint = accept(register(supervisor, market_dept, clerk), supervisor)
    before = snapshot(complaint)

    with pytest.raises(SupervisionError) as caught:
        docs.complaint_archive(complaint=complaint, user=supervisor, at=at("2025-10-16", "09:00"))

    assert "This complaint is “being handled”: it is archived once its handling is done" in caught.value.text
    assert snapshot(complaint) == before


def test_a_document_altered_in_storage_stops_the_archive(handled: Complaint, supervisor: Any) -> None:
    complaint = feedback(handled, supervisor)
    photo = complaint.documents.get(kind=ComplaintDocumentKind.ATTACHMENT)
    with open(photo.file.path, "ab") as handle:
        handle.write(b"tampered")
    before = snapshot(complaint)

    with pytest.raises(SupervisionError) as caught:
        docs.complaint_archive(complaint=complaint, user=supervisor, at=at("2025-10-16", "09:00"))

    assert (
        caught.value.text
        == "The stored file of “现场照片.png” no longer matches its SHA-256: it cannot be archived."
    )
    assert snapshot(complaint) == before


def test_a_complaint_answered_outside_the_remit_is_archived_with_its_answer(
    supervisor: Any, clerk: Staff, market_dept: Any
) -> None:
    complaint = register(supervisor, market_dept, clerk)
    complaints.complaint_answer(
        complaint=complaint,
        user=supervisor,
        outside_remit=True,
        answer="占道经营不属于电子监察室受理范围，建议向城市管理部门反映。",
        at=at("2025-10-09", "10:00"),
    )
    archived = docs.complaint_archive(complaint=complaint, user=supervisor, at=at("2025-10-10", "09:00"))
    assert archived.status == ComplaintStatus.ARCHIVED
    names = [entry.name for entry in docs.archive_entries(archived)]
    assert any("登记表" in name for name in names)
    with zipfile.ZipFile(archived.archive.open("rb")) as bundle:
        form = next(n for n in bundle.namelist() if "登记表" in n)
        assert "不属于电子监察室受理范围" in squeeze(pdf_text(bundle.read(form)))
