"""Checks on uploaded materials: the content decides the type, never the file name."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# (content type, extension) by leading bytes. OFD (GB/T 33190, the national e-document
# format) is a ZIP whose root holds OFD.xml.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


@dataclass(frozen=True)
class InspectedFile:
    sha256: str
    size: int
    content_type: str
    extension: str


def max_upload_bytes() -> int:
    return int(getattr(settings, "CASE_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))


def _sniff(head: bytes, data: UploadedFile) -> tuple[str, str] | None:
    for signature, content_type, extension in _SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    if head.startswith(b"PK\x03\x04"):
        data.seek(0)
        try:
            with zipfile.ZipFile(io.BytesIO(data.read())) as archive:
                if "OFD.xml" in archive.namelist():
                    return "application/ofd", "ofd"
        except zipfile.BadZipFile:
            return None
    return None


def inspect_upload(data: UploadedFile) -> InspectedFile:
    """Type, size and SHA-256 of an upload; a specific ``ValidationError`` when refused."""
    limit = max_upload_bytes()
    size = data.size or 0
    if size == 0:
        raise ValidationError(_("The file “%(name)s” is empty.") % {"name": data.name}, code="file_empty")
    if size > limit:
        raise ValidationError(
            _("The file “%(name)s” is %(size)s; the limit is %(limit)s.")
            % {"name": data.name, "size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="file_too_large",
        )
    data.seek(0)
    head = data.read(16)
    sniffed = _sniff(head, data)
    if sniffed is None:
        raise ValidationError(
            _(
                "The file “%(name)s” is not a PDF, JPEG, PNG or OFD document (its content was checked, not its name)."
            )
            % {"name": data.name},
            code="file_type",
        )
    data.seek(0)
    digest = hashlib.sha256()
    for chunk in data.chunks():
        digest.update(chunk)
    data.seek(0)
    return InspectedFile(sha256=digest.hexdigest(), size=size, content_type=sniffed[0], extension=sniffed[1])
