"""Uploads to the CMS: a document is what its name says it is, and not too big.

Wagtail checks a document's extension only; an executable renamed ``.pdf`` would pass. The
form below (``WAGTAILDOCS_DOCUMENT_FORM_BASE``) reads the file's first bytes: PDF, Office Open
XML and OpenDocument (ZIP with the right parts), or legacy Office (OLE2), each only under its
own extensions. Images are decoded by Wagtail (Willow) already; their size limit is
``WAGTAILIMAGES_MAX_UPLOAD_SIZE``.
"""

from __future__ import annotations

import zipfile
from pathlib import PurePath
from typing import IO, Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from wagtail.documents.forms import BaseDocumentForm

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_PARTS = {
    "docx": "word/document.xml",
    "xlsx": "xl/workbook.xml",
    "odt": "content.xml",
    "ods": "content.xml",
}


def sniff(upload: IO[bytes], extension: str) -> bool:
    """True when the file's content matches its extension."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if extension == "pdf":
        return head.startswith(b"%PDF-")
    if extension in {"doc", "xls"}:
        return head == OLE2
    if extension in ZIP_PARTS:
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return False
        finally:
            upload.seek(0)
        return ZIP_PARTS[extension] in names
    return False


def check_document(upload: Any) -> None:
    """Raise a ValidationError (Vietnamese by default) unless the upload may be kept."""
    limit = settings.IOC_PORTAL_UPLOAD_MB * 1024 * 1024
    if upload.size > limit:
        raise forms.ValidationError(
            _("The file is %(size).1f MB; the limit is %(limit)d MB.")
            % {"size": upload.size / 1024 / 1024, "limit": settings.IOC_PORTAL_UPLOAD_MB}
        )
    extension = PurePath(upload.name).suffix.lower().lstrip(".")
    if not sniff(upload, extension):
        raise forms.ValidationError(
            _(
                "This file's content is not a %(kind)s document: it is refused. "
                "Save it again as PDF or Word and upload that."
            )
            % {"kind": extension.upper() or "?"}
        )


class DocumentForm(BaseDocumentForm):
    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload and "file" in self.changed_data:
            check_document(upload)
        return upload
