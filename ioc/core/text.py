"""Vietnamese text helpers: fold diacritics and case, so "nghi quyet" finds "Nghị quyết"."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ → d), collapse spaces. Stable across NFC/NFD input."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped.lower()).strip()


def compact(text: str) -> str:
    """fold() without any separator: "Phường Phú Cường" → "phuongphucuong"."""
    return re.sub(r"[^0-9a-z]", "", fold(text))


def matches(query: str, text: str) -> bool:
    """True when every folded word of query appears in the folded text."""
    haystack = fold(text)
    return all(word in haystack for word in fold(query).split())
