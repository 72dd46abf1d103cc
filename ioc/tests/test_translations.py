"""Vietnamese first: the catalogue is complete, and the interface really speaks it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

PO = Path(__file__).resolve().parents[1] / "locale" / "vi" / "LC_MESSAGES" / "django.po"


def entries() -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) for every entry but the header."""
    out = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        fuzzy = "#, fuzzy" in block
        msgid = "".join(
            re.findall(r'^(?:msgid|msgid_plural)?\s*"(.*)"$', block.split("msgstr")[0], re.M)
        )
        msgstr = (
            "".join(re.findall(r'"(.*)"$', "msgstr" + block.split("msgstr", 1)[1], re.M))
            if "msgstr" in block
            else ""
        )
        if msgid:
            out.append((msgid, msgstr, fuzzy))
    return out


def test_every_message_has_a_vietnamese_translation():
    missing = [msgid for msgid, msgstr, fuzzy in entries() if not msgstr or fuzzy]
    assert missing == []
    assert len(entries()) > 400


@pytest.mark.parametrize(
    ("english", "vietnamese"),
    [
        ("Log in", "Đăng nhập"),
        ("Administrative units", "Đơn vị hành chính"),
        ("Audit log", "Nhật ký hệ thống"),
    ],
)
def test_compiled_catalogue_is_used(english, vietnamese):
    with translation.override("vi"):
        assert translation.gettext(english) == vietnamese
    with translation.override("en"):
        assert translation.gettext(english) == english
