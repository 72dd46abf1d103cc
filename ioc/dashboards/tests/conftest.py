from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest

from ioc.warehouse import writer
from ioc.warehouse.services import announce_change

COLUMNS = [
    {"name": "ngay", "type": "date", "role": "time", "label": "Ngày"},
    {"name": "ma_xa", "type": "text", "role": "unit", "label": "Phường/xã"},
    {"name": "loai", "type": "text", "role": "dimension", "label": "Loại"},
    {"name": "luot", "type": "integer", "role": "measure", "label": "Lượt khám"},
    {"name": "chi_phi", "type": "decimal", "role": "measure", "label": "Chi phí"},
]
OLD_WARDS = ["25744", "25753", "25756"]  # before 1 July 2025 (Phú Lợi, Phú Thọ, Chánh Nghĩa)
NEW_WARDS = ["25747", "25750"]  # from 1 July 2025 (Thủ Dầu Một, Phú Lợi)
KINDS = ["Nội trú", "Ngoại trú"]


def make_rows(start: dt.date, days: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        wards = NEW_WARDS if day >= dt.date(2025, 7, 1) else OLD_WARDS
        for ward in wards:
            for kind in KINDS:
                rows.append(
                    {
                        "ngay": day,
                        "ma_xa": ward,
                        "loai": kind,
                        "luot": rng.randint(0, 200),
                        "chi_phi": round(rng.random() * 50, 2) if rng.random() > 0.1 else None,
                    }
                )
    return rows


def load(dataset: Any, rows: list[dict[str, Any]], first_row: int = 1) -> Any:
    """Rows into the dataset through the writer, announced like a sync run does."""
    table = pa.table(
        {
            "ngay": pa.array([r["ngay"] for r in rows], pa.date32()),
            "ma_xa": pa.array([r["ma_xa"] for r in rows], pa.string()),
            "loai": pa.array([r["loai"] for r in rows], pa.string()),
            "luot": pa.array([r["luot"] for r in rows], pa.int64()),
            "chi_phi": pa.array([r["chi_phi"] for r in rows], pa.float64()),
            "_row": pa.array(range(first_row, first_row + len(rows)), pa.int64()),
        }
    )
    result = writer.write_batch(dataset.slug, dataset.parsed_schema, table, source="test")
    announce_change(dataset, result)
    return result


@pytest.fixture
def kham(make_dataset: Callable[..., Any]) -> Any:
    """Daily visits by ward and kind, 2025-05-01 to 2025-08-31 (across the July merger)."""
    dataset = make_dataset("kham", COLUMNS, key=["ngay", "ma_xa", "loai"], name="Khám bệnh")
    dataset.rows = make_rows(dt.date(2025, 5, 1), 123)
    load(dataset, dataset.rows)
    return dataset
