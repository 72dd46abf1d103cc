"""Documents uploaded to the CMS are what their names say, and not too big."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from wagtail.documents.models import Document

from ioc.portal.forms import sniff

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "extension", "ok"),
    [
        (PDF, "pdf", True),
        (b"MZ\x90\x00 an executable", "pdf", False),
        (docx(), "docx", True),
        (docx(), "xlsx", False),  # a Word file named as a workbook
        (b"PK\x03\x04 not really a zip", "docx", False),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "doc", True),
        (PDF, "exe", False),
    ],
)
def test_content_must_match_the_extension(content: bytes, extension: str, ok: bool) -> None:
    assert sniff(io.BytesIO(content), extension) is ok


def test_the_cms_refuses_a_disguised_or_oversized_document(
    board: dict[str, Any], settings: Any
) -> None:
    client = Client()
    client.force_login(board["editor"])
    add = "/cms/documents/add/"
    fake = SimpleUploadedFile("nghi-quyet.pdf", b"MZ\x90\x00 this is a program", "application/pdf")
    response = client.post(add, {"title": "Nghị quyết", "file": fake, "collection": 1})
    assert response.status_code == 200
    assert (
        "không phải tài liệu PDF" in response.content.decode()
        or "is not a PDF" in response.content.decode()
    )
    assert not Document.objects.exists()

    settings.IOC_PORTAL_UPLOAD_MB = 1
    big = SimpleUploadedFile("lon.pdf", PDF + b"0" * (1024 * 1024 + 1), "application/pdf")
    response = client.post(add, {"title": "Tệp lớn", "file": big, "collection": 1})
    assert "1 MB" in response.content.decode() and not Document.objects.exists()

    real = SimpleUploadedFile("that.pdf", PDF, "application/pdf")
    response = client.post(add, {"title": "Văn bản thật", "file": real, "collection": 1})
    assert response.status_code == 302 and Document.objects.get().title == "Văn bản thật"
