"""Ingesting rows with coordinates: the commune is filled from the point, and points that are
swapped or outside the area are refused with the reason (the rest of the file goes in)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ioc.conftest import WARD_CELLS as CELLS
from ioc.core.choices import BoundaryOrigin
from ioc.core.units import boundaries
from ioc.integrations.services import ingest_file
from ioc.warehouse import quarantine
from ioc.warehouse.db import read_connection

COLUMNS = [
    {"name": "ma", "type": "text", "role": "attribute"},
    {"name": "vi_do", "type": "decimal", "role": "lat"},
    {"name": "kinh_do", "type": "decimal", "role": "lon"},
    {"name": "ma_xa", "type": "text", "role": "unit", "required": True},
    {"name": "so_vu", "type": "integer", "role": "measure"},
]


@pytest.mark.parametrize("key", [["ma"], []], ids=["keyed", "mapped-by-the-writer"])
def test_the_commune_comes_from_the_point(
    units: dict[str, Any], make_dataset: Any, tmp_path: Path, settings: Any, key: list[str]
) -> None:
    settings.VAR_DIR = tmp_path
    for code, cell in CELLS.items():
        boundaries.save(units["old"][code], cell, BoundaryOrigin.IMPORTED, "test")
    boundaries.derive_missing()
    make_dataset("su_co", COLUMNS, key=key)
    csv = tmp_path / "su_co.csv"
    csv.write_text(
        "ma;vi_do;kinh_do;ma_xa;so_vu\n"
        "A1;10,96;106,61;;1\n"  # in the new Thủ Dầu Một ward (formed from 25747): filled
        "A2;10,96;106,69;;2\n"  # in Phú Lợi (25750): filled
        "A3;10,96;106,69;25747;3\n"  # a unit given: kept as given
        "A4;106,69;10,96;;4\n"  # latitude and longitude swapped: refused, said so
        "A5;21,03;105,85;;5\n"  # Hà Nội: outside the area, refused
        "A6;;;25750;6\n",  # no point, a unit: accepted as it is
        encoding="utf-8",
    )
    run = ingest_file(csv, dataset="su_co")
    assert (run.rows_accepted, run.rows_rejected) == (4, 2)
    with read_connection() as con:
        got = dict(con.execute('SELECT ma, ma_xa FROM data."su_co" ORDER BY ma').fetchall())
    assert got == {"A1": "25747", "A2": "25750", "A3": "25747", "A6": "25750"}
    reasons = {r.raw["ma"]: r.reason for r in quarantine.rows("su_co")}
    assert "swapped" in reasons["A4"] and "bị đảo" in reasons["A4"]
    assert "outside the area" in reasons["A5"] and "ngoài địa bàn" in reasons["A5"]
    # what is kept to be fixed and replayed is the source's row, nothing of ours
    assert set(quarantine.rows("su_co")[0].raw) == {"ma", "vi_do", "kinh_do", "ma_xa", "so_vu"}
