"""kill -9 in the middle of `ioc ingest`: committed batches stay whole, nothing doubles, and
running the load again completes it exactly. Real processes, real files, real signal."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from ioc.integrations.pipeline import WRITE_ROWS

ROWS = 2_300_000  # two writes of WRITE_ROWS and a bit

SETUP = """
from ioc.core.models import AdministrativeUnit, Agency, Sector
unit = AdministrativeUnit.objects.create(code="74", name="Tỉnh Bình Dương", level=1, in_area=True)
sector = Sector.objects.create(code="giao-thong", name="Giao thông")
agency = Agency.objects.create(code="so-gtvt", name="Sở GTVT", kind="department", unit=unit)
agency.sectors.add(sector)
"""


def ioc(env: dict[str, str], *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ioc.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


@pytest.fixture
def env(tmp_path: Path, warehouse: Any, settings: Any) -> dict[str, str]:
    """The CLI's environment: its own SQLite and DuckDB files under a fresh IOC_VAR_DIR, or
    (the PostgreSQL pass) this worker's PostgreSQL warehouse, emptied by ``warehouse``."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ioc.settings",
        "IOC_VAR_DIR": str(tmp_path / "var"),
        "IOC_SECRET_KEY": "crash-test-secret-key-0123456789-0123456789",
    }
    environment.pop("IOC_DATABASE_URL", None)
    environment.pop("IOC_WAREHOUSE_PATH", None)
    environment["IOC_WAREHOUSE_URL"] = settings.WAREHOUSE_URL
    for args in (["migrate", "-v0"], ["shell", "-c", SETUP]):
        done = ioc(environment, *args)
        _out, err = done.communicate(timeout=120)
        assert done.returncode == 0, err
    return environment


def warehouse_row(env: dict[str, str], sql: str) -> tuple[Any, ...]:
    """One row read from the CLI's warehouse, whichever engine it is."""
    if url := env["IOC_WAREHOUSE_URL"]:
        with psycopg.connect(url) as pg:
            row = pg.execute(sql).fetchone()
    else:
        path = Path(env["IOC_VAR_DIR"]) / "warehouse.duckdb"
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute(sql).fetchone()
    assert row is not None
    return tuple(row)


def accepted_so_far(db: Path) -> int:
    with sqlite3.connect(db) as con:
        row = con.execute("SELECT max(rows_accepted) FROM integrations_syncrun").fetchone()
    return int(row[0] or 0)


def test_kill_9_mid_load_then_rerun(env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "luot_xe.csv"
    duckdb.sql(
        "COPY (SELECT lpad((1 + i % 28)::VARCHAR, 2, '0') || '/02/2026' AS \"Ngày\","
        ' \'Trạm \' || (i % 40) AS "Trạm", i % 997 AS "Lượt xe" FROM range(?) t(i))'
        f" TO '{data}' (HEADER, DELIMITER ';')",
        params=[ROWS],
    )
    var = Path(env["IOC_VAR_DIR"])
    args = ["ingest", str(data), "--dataset", "luot_xe", "--create", "--sector", "giao-thong"]
    victim = ioc(env, *args)
    deadline = time.monotonic() + 120
    while accepted_so_far(var / "ioc.sqlite3") == 0:
        assert victim.poll() is None, victim.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL

    (partial,) = warehouse_row(env, "SELECT count(*) FROM data.luot_xe")
    assert 0 < partial < ROWS
    # Whole writes only: the table holds what the run recorded as committed, or one whole
    # write more if the kill fell between the warehouse commit and the run's record.
    recorded = accepted_so_far(var / "ioc.sqlite3")
    assert recorded >= WRITE_ROWS
    assert partial == recorded or partial - recorded >= WRITE_ROWS

    again = ioc(env, "ingest", str(data), "--dataset", "luot_xe", "--json")
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert json.loads(out) == {"read": ROWS, "accepted": ROWS, "rejected": 0}
    total, distinct, per_day = warehouse_row(
        env, "SELECT count(*), count(DISTINCT _row), sum(luot_xe) FROM data.luot_xe"
    )
    assert total == distinct == ROWS
    assert per_day == sum(i % 997 for i in range(ROWS))
