"""Searching Vietnamese works with and without diacritics, in any case and normal form."""

from __future__ import annotations

import unicodedata

import pytest

from ioc.core.text import compact, fold, matches


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Nghị quyết", "nghi quyet"),
        ("ĐƯỜNG  Đồng Khởi", "duong dong khoi"),
        ("Phường Phú Cường", "phuong phu cuong"),
        ("Thủ Dầu Một", "thu dau mot"),
        ("already plain", "already plain"),
    ],
    ids=["nghi-quyet", "d-stroke-and-spaces", "phu-cuong", "thu-dau-mot", "ascii"],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_fold_is_the_same_for_composed_and_decomposed_input():
    composed = "Nghị quyết"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert fold(composed) == fold(decomposed) == "nghi quyet"


def test_compact_drops_separators():
    assert compact("P. Phú-Cường") == "pphucuong"


@pytest.mark.parametrize(
    ("query", "expected"),
    [("nghi quyet", True), ("NGHỊ QUYẾT", True), ("quyet nghi", True), ("nghi dinh", False)],
)
def test_matches_every_word_anywhere(query, expected):
    assert matches(query, "Nghị quyết số 12 về phát triển") is expected
