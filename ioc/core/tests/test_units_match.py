"""Names as people write them, matched against the real units of the whole country."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ioc.core.models import AdministrativeUnit as U
from ioc.core.tests._units_data import loaded_country
from ioc.core.units.resolve import ParsedName, expand_query, match_unit_name, parse_name

NEW_START = dt.date(2025, 7, 1)


@pytest.fixture(scope="module")
def country(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    yield from loaded_country(django_db_blocker)


def best(text: str, **kwargs: Any) -> U:
    found = match_unit_name(text, **kwargs)
    assert found, f"nothing matched {text!r}"
    return found[0]


@pytest.mark.parametrize(
    "text",
    ["P. Phú Cường", "phuong phu cuong", "Phường Phú Cường", "Phu Cuong", "P.Phú Cường"],
)
def test_phu_cuong(country: dict[str, Any], db: Any, text: str) -> None:
    unit = best(text)
    assert (unit.code, unit.name, unit.level) == ("25747", "Phường Phú Cường", 3)
    # Other Phú Cường communes of the country follow, out of the area.
    others = match_unit_name(text)[1:]
    assert others and all(not u.in_area for u in others)
    assert all("Phú Cường" in u.name for u in others)


@pytest.mark.parametrize(
    ("text", "code", "name"),
    [
        ("TP. Thủ Dầu Một", "718", "Thành phố Thủ Dầu Một"),
        ("tp thu dau mot", "718", "Thành phố Thủ Dầu Một"),
        # Bến Cát was a town (thị xã) until 2024; people still write TX.
        ("TX Bến Cát", "721", "Thành phố Bến Cát"),
        ("H. Dầu Tiếng", "720", "Huyện Dầu Tiếng"),
        ("huyen dau tieng", "720", "Huyện Dầu Tiếng"),
        ("Q.1", "760", "Quận 1"),
        ("Q. 1", "760", "Quận 1"),
        ("quan 1", "760", "Quận 1"),
        ("xã An Bình", "25870", "Xã An Bình"),  # Phú Giáo, Bình Dương: in the area
        ("X. An Bình", "25870", "Xã An Bình"),
        ("TT. Dầu Tiếng", "25777", "Thị trấn Dầu Tiếng"),
        ("Tỉnh Bình Dương", "74", "Tỉnh Bình Dương"),
    ],
)
def test_abbreviations(country: dict[str, Any], db: Any, text: str, code: str, name: str) -> None:
    unit = best(text)
    assert (unit.code, unit.name) == (code, name)


def test_without_kind_prefers_current_within_area(country: dict[str, Any], db: Any) -> None:
    first, second = match_unit_name("Thu Dau Mot")[:2]
    assert (first.name, first.valid_from) == ("Phường Thủ Dầu Một", NEW_START)
    assert second.name == "Thành phố Thủ Dầu Một"


def test_filters(country: dict[str, Any], db: Any) -> None:
    assert [u.code for u in match_unit_name("Thủ Dầu Một", level=2)] == ["718"]
    current = match_unit_name("Phú Cường", on=dt.date(2025, 8, 1))
    assert current and all(u.valid_to is None for u in current)
    assert "25747" not in {u.code for u in current}
    phu_giao = U.objects.get(code="722", level=2)
    assert [u.code for u in match_unit_name("An Bình", parent=phu_giao)] == ["25870"]
    bd = U.objects.get(code="74")
    assert [u.code for u in match_unit_name("An Bình", parent=bd)] == ["25870", "25960"]


def test_context_after_a_comma(country: dict[str, Any], db: Any) -> None:
    # Several communes named An Bình; "Dĩ An" says which one.
    unit = best("An Bình, Dĩ An")
    assert (unit.code, unit.parent.name if unit.parent else None) == ("25960", "Thành phố Dĩ An")


def test_unknown_name(country: dict[str, Any], db: Any) -> None:
    assert match_unit_name("Phường Không Có Thật Nào") == []
    assert match_unit_name("   ") == []


def test_parse_name() -> None:
    assert parse_name("TP. Thủ Dầu Một")[0] == ParsedName("thanh pho", "thu dau mot")
    assert parse_name("Q.01")[0] == ParsedName("quan", "1")
    assert parse_name("thi xa Ben Cat")[0] == ParsedName("thi xa", "ben cat")
    assert parse_name("Phu Cuong") == [ParsedName(None, "phu cuong")]
    assert expand_query("P. Phu Cuong") == "phuong phu cuong"


def test_command_match(country: dict[str, Any], db: Any) -> None:
    out = StringIO()
    call_command("units", "match", "P. Phú Cường", "--limit", "2", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and "Phường Phú Cường" in lines[0] and "25747" in lines[0]
    with pytest.raises(CommandError) as nothing:
        call_command("units", "match", "Không Có Thật")
    assert "Không có đơn vị nào khớp" in str(nothing.value)
    assert "No unit matches" in str(nothing.value)


@pytest.mark.parametrize(
    "q",
    [
        "a," * 99 + "a",  # 100 parts, 199 characters
        ",".join(f"{chr(97 + i % 26)}{i}" for i in range(60)),  # 60 different places
        "Phú Cường, " * 40,  # longer than 200 characters
    ],
)
def test_match_costs_a_bounded_number_of_queries(country: dict[str, Any], db: Any, q: str) -> None:
    """The endpoint is public: whatever the text, a match reads the name and at most three
    places after it, each one bounded match (no recursion per comma)."""
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/units/match", {"q": q})
    assert response.status_code == 200
    assert len(queries) <= 20, len(queries)
    with CaptureQueriesContext(connection) as direct:
        match_unit_name(q)
    assert len(direct) <= 20, len(direct)


def test_context_reads_three_places(country: dict[str, Any], db: Any) -> None:
    # The place that says which An Bình is meant still counts among the first three...
    unit = best("An Bình, qqq, zzz, Dĩ An")
    assert (unit.code, unit.parent.name if unit.parent else None) == ("25960", "Thành phố Dĩ An")
    # ...but not after them.
    assert best("An Bình, qqq, zzz, www, Dĩ An").code == best("An Bình").code != "25960"


@pytest.mark.parametrize("limit", ["0", "-3", "two"])
def test_command_match_limit_is_at_least_one(limit: str) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("units", "match", "Phú Cường", "--limit", limit)
    message = str(refused.value)
    assert "--limit" in message
    assert "not a whole number of at least 1" in message
    assert "không phải là số nguyên từ 1 trở lên" in message
