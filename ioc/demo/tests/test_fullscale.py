"""The full-scale step at a small size: the same code that builds 280 million readings and
28,881 connections for `ioc demo --scale full`."""

from __future__ import annotations

import dataclasses
import random

from ioc.demo import fullscale
from ioc.demo.registry import SCALES, DemoContext
from ioc.demo.tests.test_live import province  # noqa: F401  (fixture)
from ioc.integrations.models import Connection
from ioc.warehouse import db, writer
from ioc.warehouse.models import Dataset


def test_the_full_scale_step_reaches_its_figures_and_runs_once(
    province: None,  # noqa: F811
) -> None:
    scale = dataclasses.replace(SCALES["tiny"], connections=120, records=250_000)
    ctx = DemoContext(scale=scale, rng=random.Random(1), out=lambda _s: None)
    summary = fullscale.full_scale(ctx)
    assert Connection.objects.count() == 120
    if db.engine() != "duckdb":
        # 280 million generated rows would take hours on PostgreSQL: the step says so.
        assert "sensor history skipped: it needs the DuckDB warehouse" in summary
        return
    assert "sensor readings" in summary and "reporting connections" in summary

    dataset = Dataset.objects.get(slug=fullscale.SLUG)
    rows, stations, kinds, first, last = writer.execute(
        "SELECT count(*), count(DISTINCT tram), count(DISTINCT loai), min(luc), max(luc)"
        " FROM data.so_do_cam_bien"
    )[0]
    assert rows >= 250_000 and rows == dataset.row_count
    assert rows - 250_000 < stations  # whole steps of every station, no more
    assert kinds == len(fullscale.KINDS)
    assert (last - first).total_seconds() == 60 * fullscale.EVERY_MINUTES * (rows // stations - 1)
    assert dataset.last_arrival_at is not None
    # Deterministic values in believable ranges, with a daily cycle.
    low, high = writer.execute("SELECT min(gia_tri), max(gia_tri) FROM data.so_do_cam_bien")[0]
    assert 0 < low < high < 1_000

    # Reporting connections: staggered through the day, folders ready, searchable by name.
    reporting = Connection.objects.filter(name__startswith="Điểm báo cáo ")
    assert reporting.count() == 120 - 1  # and the MQTT gateway
    times = sorted(reporting.values_list("next_run_at", flat=True))
    assert (times[-1] - times[0]).total_seconds() > 20 * 3600
    assert all(c.name_folded for c in reporting)

    assert "already there" in fullscale.full_scale(ctx)  # idempotent
    assert Connection.objects.count() == 120
    assert writer.execute("SELECT count(*) FROM data.so_do_cam_bien")[0][0] == rows
