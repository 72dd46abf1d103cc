"""Dashboards on the full-scale demo: chart answers at the API, the whole chart set, the wall
in a browser, and live updates reaching an open wall.

    IOC_VAR_DIR=/tmp/bench-full .venv/bin/ioc migrate
    IOC_VAR_DIR=/tmp/bench-full /usr/bin/time -v .venv/bin/ioc demo --scale full
    IOC_VAR_DIR=/tmp/bench-full .venv/bin/ioc collectstatic --noinput
    IOC_VAR_DIR=/tmp/bench-full .venv/bin/python benchmarks/charts.py \\
        [--parts rollup,raw,all,wall,live] [--repeat 20] [--wall-repeat 5] [--live-repeat 5] \\
        [--port 8077 | --url http://127.0.0.1:8077] [--chromium /usr/bin/chromium]

Parts (``--parts``, all by default), each printing p50, p95, max and counts against its
target (the dashboards issue's, on 280 million records):

* ``rollup``: charts answered from a rollup, at the API, cache cold. Every chart of the demo
  whose question a rollup answers (``GET /api/dashboards/charts/<id>/data``), and ad-hoc
  questions on the 280-million-row sensor readings that its daily rollup answers
  (``POST /api/dashboards/query``), each ``--repeat`` times through Django's test client in
  this process, with Django's cache cleared before every request. Back to back (as a
  dashboard's tiles come: the process keeps the warehouse file open between them, see
  ``KEEP_OPEN_SECONDS`` in ioc/dashboards/query.py), then alone (a pause longer than that
  before each request, so each one opens the file: every third chart and the sensor
  questions). Target: p95 < 50 ms.
* ``raw``: ad-hoc charts over the raw sensor rows, at the API, cache cold: a year of daily
  averages of one kind of reading (which the daily rollup would answer: rollups are turned
  off for it) and a year of daily counts of distinct stations (which no rollup answers),
  each ``--repeat`` times back to back and ``--repeat``/2 times alone; then every shape of
  chart the demo's dashboards use, asked once each of the raw rows (rollups off), alone.
  Targets: p95 < 0.5 s for a year of daily values; no question over the raw rows over 5 s.
* ``all``: every chart of every dashboard (425 in the demo) answered once through the API
  as the leader (``lanhdao``, whole province), cache cleared before each. Target: < 30 s.
* ``wall``: a 24-chart wall screen (``/ioc/wall/trung-tam/?dashboard=y-te``) in headless
  Chromium at 1920 × 1080, logged in as ``vanhanh``: first paint and first contentful paint
  (the Paint Timing API) and the moment every tile is drawn (``body[data-board-ready]``),
  from navigation start. ``--wall-repeat`` loads on a freshly started server (its answer
  cache, in process memory, empty), then as many on the warm server. Targets: first paint
  < 2 s, all charts < 4 s.
* ``live``: the wall open on the overview (``?dashboard=tong-quan``), a one-row CSV of
  today's visits ingested with ``ioc ingest`` (as ``ioc/tests/test_wall.py`` does), and the
  time from the ingest's commit (its ``DataChange.at``) to the KPI
  ``#chart-kpi-kham-chua-benh .kpi-value`` showing the new figure (a MutationObserver in
  the page notes the moment). ``--live-repeat`` ingests. Target: < 2 s.

``--open-each-time`` makes this process's answers open and close the warehouse file each
time, as they did before ``query._Keeper`` (the server keeps its own behaviour).
``wall`` and ``live`` start ``ioc serve`` on ``--port`` (IOC_EMBEDDED_WORKER=0) in the same
``IOC_VAR_DIR`` and stop it at the end; ``--url`` uses a server already running instead (then
the wall's loads cannot be cache-cold). ``live`` writes into ``kham_chua_benh`` (one row, ward
25747, today): run it on a demo you can throw away. Figures: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ioc.settings")
# Playwright's sync API runs an event loop in this thread; the ORM calls here are plain
# blocking reads between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django

django.setup()

import serving  # noqa: E402  (benchmarks/serving.py)
from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402

from ioc.accounts.models import User  # noqa: E402
from ioc.dashboards import query, rollups  # noqa: E402
from ioc.dashboards.filters import PageFilters  # noqa: E402
from ioc.dashboards.models import Chart  # noqa: E402
from ioc.dashboards.query import KEEP_OPEN_SECONDS, plan  # noqa: E402
from ioc.warehouse.db import read_connection  # noqa: E402
from ioc.warehouse.models import DataChange, Dataset  # noqa: E402

SENSORS = "so_do_cam_bien"
DUST = "Bụi PM2.5 (µg/m³)"
WATER = "Mực nước (cm)"
LEADER = "lanhdao"
OPERATOR = ("vanhanh", "demo-vanhanh-2025")
WALL = "/ioc/wall/trung-tam/?dashboard=y-te"
OVERVIEW = "/ioc/wall/trung-tam/?dashboard=tong-quan"
KPI = "#chart-kpi-kham-chua-benh .kpi-value"

TARGET_ROLLUP_P95 = 0.050
TARGET_RAW_P95 = 0.5
TARGET_RAW_MAX = 5.0
TARGET_ALL = 30.0
TARGET_FIRST_PAINT = 2.0
TARGET_DRAWN = 4.0
TARGET_LIVE = 2.0


# ---------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: list[float], unit: str = "ms") -> str:
    if not values:
        return "no samples"
    scale = 1000 if unit == "ms" else 1
    p50, p95, top = (percentile(values, 50), percentile(values, 95), max(values))
    fmt = "{:.1f} ms" if unit == "ms" else "{:.2f} s"
    return (
        f"n={len(values)}  p50 {fmt.format(p50 * scale)}  p95 {fmt.format(p95 * scale)}"
        f"  max {fmt.format(top * scale)}"
    )


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


# ---------------------------------------------------------------------------------------
# The API in this process (Django's test client), cache cold
# ---------------------------------------------------------------------------------------


def client_for(username: str) -> Client:
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(User.objects.get(username=username))
    return client


class OpenEachTime:
    """``--open-each-time``: every answer opens the warehouse file and closes it, as before
    the process kept it open between answers (``query._Keeper``)."""

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        with read_connection() as con:
            yield con


def let_go() -> None:
    """Wait until this process has closed the warehouse file (see query._Keeper)."""
    time.sleep(KEEP_OPEN_SECONDS + 0.2)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    cache.clear()
    started = time.perf_counter()
    response = call()
    return time.perf_counter() - started, response


def get_chart(client: Client, chart_id: int) -> tuple[float, dict[str, Any]]:
    seconds, response = timed(lambda: client.get(f"/api/dashboards/charts/{chart_id}/data"))
    if response.status_code != 200:
        raise RuntimeError(f"chart {chart_id}: {response.status_code} {response.content[:300]!r}")
    return seconds, response.json()


def post_query(client: Client, question: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    seconds, response = timed(
        lambda: client.post(
            "/api/dashboards/query", json.dumps(question), content_type="application/json"
        )
    )
    if response.status_code != 200:
        raise RuntimeError(f"query: {response.status_code} {response.content[:300]!r}")
    return seconds, response.json()


@contextlib.contextmanager
def no_rollups() -> Iterator[None]:
    """The API as it is, with no rollup chosen: every answer from the raw rows."""
    with mock.patch.object(rollups, "choose", return_value=None):
        yield


def sensor(metrics: list[dict[str, Any]], **rest: Any) -> dict[str, Any]:
    return {"dataset": SENSORS, "metrics": metrics, **rest}


AVG = {"id": "v", "agg": "avg", "column": "gia_tri"}
DAY = {"column": "luc", "grain": "day"}
MONTH = {"column": "luc", "grain": "month"}
ONE_KIND = {"column": "loai", "op": "eq", "value": DUST}

# A year of daily values of one indicator: the daily rollup answers it.
YEAR_OF_DAYS = sensor([AVG], dimensions=[DAY], filters=[ONE_KIND], time={"last": "365 days"})
# A year of daily counts of stations reporting: the per-station daily rollup answers it; with
# rollups off, the heaviest kind of raw question (a distinct count over 140 M rows).
STATIONS_BY_DAY = sensor(
    [{"id": "v", "agg": "count_distinct", "column": "tram"}],
    dimensions=[DAY],
    time={"last": "365 days"},
)

# Questions on the sensor readings that the daily rollup (luc by day, ma_xa, loai) answers.
ROLLUP_QUESTIONS: dict[str, dict[str, Any]] = {
    "year of daily averages, one kind": YEAR_OF_DAYS,
    "this month's average, one kind (KPI)": sensor(
        [AVG], filters=[ONE_KIND], time={"last": "1 months"}
    ),
    "monthly averages by kind, all time": sensor([AVG], dimensions=[MONTH, {"column": "loai"}]),
    "top 10 communes, dust, 30 days": sensor(
        [AVG],
        dimensions=[{"column": "ma_xa"}],
        filters=[ONE_KIND],
        time={"last": "30 days"},
        order=[{"by": "v", "desc": True}],
        limit=10,
    ),
    "daily maximum water level, 90 days": sensor(
        [{"id": "v", "agg": "max", "column": "gia_tri"}],
        dimensions=[DAY],
        filters=[{"column": "loai", "op": "eq", "value": WATER}],
        time={"last": "90 days"},
    ),
    "readings by month, 24 months": sensor(
        [{"id": "v", "agg": "count"}], dimensions=[MONTH], time={"last": "24 months"}
    ),
}

# Every shape of chart the demo's dashboards use, asked of the raw sensor rows.
RAW_SHAPES: dict[str, dict[str, Any]] = {
    "KPI this month": sensor([AVG], time={"last": "1 months"}),
    "KPI this year": sensor([AVG], time={"last": "1 years"}),
    "by month, 36 months": sensor([AVG], dimensions=[MONTH], time={"last": "36 months"}),
    "by year, all time": sensor([AVG], dimensions=[{"column": "luc", "grain": "year"}]),
    "by quarter, 8 quarters": sensor(
        [AVG], dimensions=[{"column": "luc", "grain": "quarter"}], time={"last": "8 quarters"}
    ),
    "growth on the previous month, 24 months": sensor(
        [AVG, {"id": "g", "growth": "v"}], dimensions=[MONTH], time={"last": "24 months"}
    ),
    "top 10 communes, 12 months": sensor(
        [AVG],
        dimensions=[{"column": "ma_xa"}],
        time={"last": "12 months"},
        order=[{"by": "v", "desc": True}],
        limit=10,
    ),
    "communes with share, 12 months": sensor(
        [{"id": "v", "agg": "sum", "column": "gia_tri"}, {"id": "s", "share": "v"}],
        dimensions=[{"column": "ma_xa"}],
        time={"last": "12 months"},
        limit=200,
    ),
    "by former district (a year before July 2025)": sensor(
        [AVG],
        dimensions=[{"column": "ma_xa", "level": "district"}],
        time={"start": "2024-07-01", "end": "2025-07-01"},
    ),
    "share by kind, 12 months": sensor(
        [{"id": "v", "agg": "sum", "column": "gia_tri"}],
        dimensions=[{"column": "loai"}],
        time={"last": "12 months"},
    ),
    "by month and kind, 24 months": sensor(
        [AVG], dimensions=[MONTH, {"column": "loai"}], time={"last": "24 months"}
    ),
    "calendar: a year of days, one kind": YEAR_OF_DAYS,
    "communes reporting by month, 12 months": sensor(
        [{"id": "v", "agg": "count_distinct", "column": "ma_xa"}],
        dimensions=[MONTH],
        time={"last": "12 months"},
    ),
    "stations reporting by day, a year": STATIONS_BY_DAY,
    "records by month, 24 months": sensor(
        [{"id": "v", "agg": "count"}], dimensions=[MONTH], time={"last": "24 months"}
    ),
    "latest value summed (last), by month, 12 months": sensor(
        [{"id": "v", "agg": "last", "column": "gia_tri"}],
        dimensions=[MONTH],
        time={"last": "12 months"},
    ),
    "hourly, one kind, 7 days": sensor(
        [AVG],
        dimensions=[{"column": "luc", "grain": "hour"}],
        filters=[ONE_KIND],
        time={"last": "7 days"},
    ),
    "sum of everything, all time": sensor([{"id": "v", "agg": "sum", "column": "gia_tri"}]),
}


def part_rollup(repeat: int, isolated_every: int = 3) -> bool:
    print("\n== Charts answered from a rollup, at the API, cache cold ==")
    leader = User.objects.get(username=LEADER)
    client = client_for(LEADER)
    charts = []
    for chart in Chart.objects.select_related("dataset").order_by("dashboard__order", "pk"):
        question, _ = PageFilters().apply(chart.question, chart.dataset.parsed_schema)
        _, compiled = plan(question, leader)
        if compiled.rollup:
            charts.append(chart)
    get_chart(client, charts[0].pk)  # the process's first request (imports, first open)
    samples: list[float] = []
    for _ in range(repeat):
        for chart in charts:
            seconds, data = get_chart(client, chart.pk)
            assert data["rollup"] and not data["cached"], (chart.pk, data["rollup"])
            samples.append(seconds)
    print(
        f"demo charts answered by a rollup: {len(charts)} of {Chart.objects.count()}"
        f" ({len({c.dataset_id for c in charts})} datasets), x{repeat}"
    )
    print(f"  GET /api/dashboards/charts/<id>/data: {summary(samples)}")
    sensor_samples: list[float] = []
    print(f"sensor readings ({Dataset.objects.get(slug=SENSORS).row_count:,} rows), daily rollup:")
    for name, question in ROLLUP_QUESTIONS.items():
        times = []
        for _ in range(repeat):
            seconds, data = post_query(client, question)
            assert data["rollup"], name
            times.append(seconds)
        sensor_samples += times
        print(f"  {name:45} {summary(times)}  ({len(data['rows'])} rows, {data['rollup']})")
    print(f"  POST /api/dashboards/query, all: {summary(sensor_samples)}")
    every = samples + sensor_samples
    ok = percentile(every, 95) < TARGET_ROLLUP_P95
    print(f"all rollup answers, back to back: {summary(every)}  target p95 < 50 ms: {verdict(ok)}")
    # Each request alone: the process has let go of the warehouse file, so it opens it again
    # (a single chart opened after a quiet moment).
    alone: list[float] = []
    for chart in charts[::isolated_every]:
        let_go()
        alone.append(get_chart(client, chart.pk)[0])
    for question in ROLLUP_QUESTIONS.values():
        let_go()
        alone.append(post_query(client, question)[0])
    ok_alone = percentile(alone, 95) < TARGET_ROLLUP_P95
    print(
        f"each request alone (the file opened for it; one chart in {isolated_every} and the"
        f" sensor questions): {summary(alone)}  target p95 < 50 ms: {verdict(ok_alone)}"
    )
    return ok and ok_alone


def part_raw(repeat: int) -> bool:
    print("\n== Ad-hoc charts over the raw sensor rows, at the API, cache cold ==")
    client = client_for(LEADER)
    print(f"{Dataset.objects.get(slug=SENSORS).row_count:,} rows in {SENSORS}")
    year: list[float] = []
    post_query(client, STATIONS_BY_DAY)  # a first read of the columns (page cache, metadata)
    with no_rollups():
        for _ in range(repeat):
            seconds, data = post_query(client, YEAR_OF_DAYS)
            assert not data["rollup"] and len(data["rows"]) >= 365
            year.append(seconds)
    print(f"  a year of daily averages, one kind, rollups off: {summary(year, 's')}")
    distinct: list[float] = []
    with no_rollups():
        for _ in range(repeat):
            seconds, data = post_query(client, STATIONS_BY_DAY)
            assert not data["rollup"]
            distinct.append(seconds)
    print(f"  a year of daily distinct stations, rollups off: {summary(distinct, 's')}")
    ok_p95 = percentile(year, 95) < TARGET_RAW_P95
    print(f"  a year of daily values: target p95 < 0.5 s: {verdict(ok_p95)}")
    from_rollup = [post_query(client, STATIONS_BY_DAY)[0] for _ in range(repeat)]
    print(f"  the same distinct stations from the per-station rollup: {summary(from_rollup, 's')}")
    print("each request alone (the warehouse file opened for it, nothing of it in memory):")
    year_alone: list[float] = []
    distinct_alone: list[float] = []
    for _ in range(max(1, repeat // 2)):
        let_go()
        with no_rollups():
            year_alone.append(post_query(client, YEAR_OF_DAYS)[0])
        let_go()
        with no_rollups():
            distinct_alone.append(post_query(client, STATIONS_BY_DAY)[0])
    print(f"  a year of daily averages, one kind, rollups off: {summary(year_alone, 's')}")
    print(f"  a year of daily distinct stations, rollups off: {summary(distinct_alone, 's')}")
    ok_alone = percentile(year_alone, 95) < TARGET_RAW_P95
    print(f"  a year of daily values alone: target p95 < 0.5 s: {verdict(ok_alone)}")
    year += year_alone
    distinct += distinct_alone
    print("every chart shape over the raw rows (rollups off), once each, alone:")
    shapes: list[float] = []
    with no_rollups():
        for name, question in RAW_SHAPES.items():
            let_go()
            seconds, data = post_query(client, question)
            shapes.append(seconds)
            print(f"  {name:50} {seconds:6.2f} s  ({len(data['rows'])} rows)")
    ok_max = max(shapes + year + distinct) < TARGET_RAW_MAX
    print(
        f"  {summary(shapes, 's')}; slowest of all raw questions"
        f" {max(shapes + year + distinct):.2f} s  target < 5 s: {verdict(ok_max)}"
    )
    return ok_p95 and ok_alone and ok_max


def part_all() -> bool:
    print("\n== Every chart of every dashboard, at the API, cache cold ==")
    client = client_for(LEADER)
    charts = list(Chart.objects.select_related("dataset", "dashboard").order_by("pk"))
    get_chart(client, charts[0].pk)  # the process's first request
    times: list[tuple[float, Chart, str]] = []
    failed: list[str] = []
    started = time.perf_counter()
    for chart in charts:
        try:
            seconds, data = get_chart(client, chart.pk)
        except RuntimeError as exc:
            failed.append(str(exc))
            continue
        times.append((seconds, chart, data["rollup"]))
    total = time.perf_counter() - started
    from_rollups = sum(1 for _, _, r in times if r)
    print(
        f"{len(charts)} charts on {len({c.dashboard_id for c in charts})} dashboards:"
        f" {len(times)} answered ({from_rollups} from rollups), {len(failed)} failed"
    )
    for message in failed[:5]:
        print("  failed:", message)
    print(f"  per chart: {summary([t for t, _, _ in times])}")
    for seconds, chart, rollup in sorted(times, key=lambda t: t[0], reverse=True)[:5]:
        print(
            f"  slow: {seconds * 1000:7.1f} ms  {chart.dashboard.slug}/{chart.key}"
            f" ({chart.dataset.slug}, {rollup or 'raw rows'})"
        )
    ok = total < TARGET_ALL and not failed
    print(f"  the whole set: {total:.2f} s  target < 30 s: {verdict(ok)}")
    return ok


# ---------------------------------------------------------------------------------------
# A real server and a real browser
# ---------------------------------------------------------------------------------------


class Server(serving.Server):
    """``ioc serve`` in this IOC_VAR_DIR, or one already running at ``url``."""

    def __init__(self, port: int, url: str = "") -> None:
        super().__init__(port, name="bench-charts")
        self.external = bool(url)
        self.url = url or self.url

    def start(self) -> None:
        if not self.external:
            super().start()

    def restart(self) -> bool:
        """A fresh process (empty answer cache); False when the server is not ours."""
        if self.external:
            return False
        self.stop()
        self.start()
        return True


# Notes when every tile is drawn (body[data-board-ready] set), from navigation start.
READY_OBSERVER = """
new MutationObserver((_, observer) => {
  if (document.body && document.body.dataset.boardReady === "1") {
    window.__boardReadyAt = performance.now();
    observer.disconnect();
  }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ["data-board-ready"]});
"""

PAGE_FIGURES = """() => {
  const paint = Object.fromEntries(performance.getEntriesByType("paint")
    .map((e) => [e.name, e.startTime]));
  const nav = performance.getEntriesByType("navigation")[0];
  const api = performance.getEntriesByType("resource")
    .filter((e) => e.name.includes("/api/dashboards/charts/"));
  return {
    firstPaint: paint["first-paint"], firstContentfulPaint: paint["first-contentful-paint"],
    ready: window.__boardReadyAt, html: nav ? nav.responseEnd : null,
    domContentLoaded: nav ? nav.domContentLoadedEventEnd : null,
    apiCalls: api.length, apiSlowest: Math.max(0, ...api.map((e) => e.duration)),
    apiLastEnd: Math.max(0, ...api.map((e) => e.responseEnd)),
    tiles: document.querySelectorAll(".wall-slide:not([hidden]) .tile").length,
    drawn: document.querySelectorAll(".wall-slide:not([hidden]) .tile[data-drawn]").length,
    failed: document.querySelectorAll(".tile-failed").length,
  };
}"""


@contextlib.contextmanager
def browser_page(server: Server, chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            context = browser.new_context(
                base_url=server.url, viewport={"width": 1920, "height": 1080}, locale="vi-VN"
            )
            context.add_init_script(READY_OBSERVER)
            page = context.new_page()
            page.goto("/accounts/login/")
            page.fill("input[name=username]", OPERATOR[0])
            page.fill("input[name=password]", OPERATOR[1])
            page.click("main button[type=submit]")
            page.wait_for_load_state("networkidle")
            yield page
        finally:
            browser.close()


def load_wall(page: Any, path: str) -> dict[str, Any]:
    page.goto("about:blank")
    page.goto(path)
    page.wait_for_function("window.__boardReadyAt !== undefined", timeout=60_000)
    return dict(page.evaluate(PAGE_FIGURES))


def part_wall(server: Server, chromium: str, repeat: int) -> bool:
    print(f"\n== A wall screen in headless Chromium: {WALL} ==")
    rows: list[tuple[str, dict[str, Any]]] = []
    for label in ["cold"] * repeat + ["warm"] * repeat:
        if label == "cold" and not server.restart():
            label = "as found"
        with browser_page(server, chromium) as page:
            if label == "warm":
                load_wall(page, WALL)  # the server's cache filled by a first load
            figures = load_wall(page, WALL)
        rows.append((label, figures))
        print(
            f"  {label:8} first paint {figures['firstPaint']:7.0f} ms, FCP"
            f" {figures['firstContentfulPaint']:7.0f} ms, all drawn {figures['ready']:7.0f} ms"
            f" ({figures['drawn']}/{figures['tiles']} tiles, {figures['failed']} failed;"
            f" {figures['apiCalls']} API calls, slowest {figures['apiSlowest']:.0f} ms,"
            f" last answer at {figures['apiLastEnd']:.0f} ms)"
        )
    ok = True
    for label in ("cold", "as found", "warm"):
        chosen = [f for lab, f in rows if lab == label]
        if not chosen:
            continue
        paint = [f["firstPaint"] / 1000 for f in chosen]
        fcp = [f["firstContentfulPaint"] / 1000 for f in chosen]
        ready = [f["ready"] / 1000 for f in chosen]
        tiles = {f["tiles"] for f in chosen}
        good = (
            max(paint) < TARGET_FIRST_PAINT
            and max(ready) < TARGET_DRAWN
            and all(f["failed"] == 0 and f["drawn"] == f["tiles"] for f in chosen)
        )
        ok = ok and good
        print(f"  {label}: tiles {sorted(tiles)}")
        print(f"    first paint            {summary(paint, 's')}  target < 2 s")
        print(f"    first contentful paint {summary(fcp, 's')}")
        print(f"    all charts drawn       {summary(ready, 's')}  target < 4 s: {verdict(good)}")
    return ok


def kham_csv(directory: Path, visits: int) -> Path:
    """Today's visits in one ward, the way an agency's file arrives (ioc/tests/test_wall.py)."""
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).strftime("%d/%m/%Y")
    path = directory / f"kham_{visits}.csv"
    path.write_text(
        f"Ngày;Phường/xã;Loại hình;Lượt khám;Chi phí (triệu đồng)\n{today};25747;Nội trú;"
        f"{visits};1,5\n",
        encoding="utf-8",
    )
    return path


KPI_OBSERVER = """(selector) => {
  const tile = document.querySelector(selector).closest(".tile");
  const before = document.querySelector(selector).textContent;
  window.__kpi = {before, at: null, text: null};
  const observer = new MutationObserver(() => {
    const now = document.querySelector(selector)?.textContent;
    if (now !== undefined && now !== before && window.__kpi.at === null) {
      window.__kpi.at = Date.now();
      window.__kpi.text = now;
      observer.disconnect();
    }
  });
  observer.observe(tile, {subtree: true, childList: true, characterData: true});
  return before;
}"""


def part_live(server: Server, chromium: str, repeat: int) -> bool:
    print(f"\n== A live update reaching an open wall: {OVERVIEW} ==")
    dataset = Dataset.objects.get(slug="kham_chua_benh")
    work = Path(tempfile.mkdtemp(prefix="ioc-bench-live-"))
    env = dict(os.environ)
    latencies: list[float] = []
    whole: list[float] = []
    with browser_page(server, chromium) as page:
        load_wall(page, OVERVIEW)
        page.wait_for_function("document.body.dataset.live === 'open'", timeout=15_000)
        for i in range(repeat):
            page.wait_for_timeout(1500)  # the previous update's answers settled
            before = page.evaluate(KPI_OBSERVER, KPI)
            last = DataChange.objects.filter(dataset=dataset).order_by("-id").first()
            path = kham_csv(work, 1_000_000 * (i + 2))
            started = time.time()
            done = subprocess.run(  # noqa: S603 (our own command line)
                [sys.executable, "-m", "ioc.cli", "ingest", str(path), "--dataset",
                 "kham_chua_benh", "--json"],
                env=env, capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
            ingested = time.time()
            if done.returncode != 0:
                raise RuntimeError(done.stdout + done.stderr)
            assert json.loads(done.stdout.strip().splitlines()[-1])["accepted"] == 1
            page.wait_for_function("window.__kpi.at !== null", timeout=30_000)
            kpi = page.evaluate("window.__kpi")
            change = (
                DataChange.objects.filter(dataset=dataset, id__gt=last.pk if last else 0)
                .order_by("id")
                .first()
            )
            assert change is not None
            committed = change.at.timestamp()
            latency = kpi["at"] / 1000 - committed
            latencies.append(latency)
            whole.append(kpi["at"] / 1000 - started)
            print(
                f"  {before} -> {kpi['text']}: {latency * 1000:6.0f} ms after the commit"
                f" (ingest command {ingested - started:.2f} s, committed"
                f" {committed - started:.2f} s after its start, returned"
                f" {ingested - committed:.2f} s after the commit)"
            )
    ok = max(latencies) < TARGET_LIVE
    print(f"  commit -> KPI changed:  {summary(latencies)}  target < 2 s: {verdict(ok)}")
    print(f"  ingest command started -> KPI changed: {summary(whole)}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parts", default="rollup,raw,all,wall,live")
    parser.add_argument("--repeat", type=int, default=20, help="samples per API question")
    parser.add_argument("--wall-repeat", type=int, default=5, help="wall loads, cold and warm")
    parser.add_argument("--live-repeat", type=int, default=5, help="ingests seen live")
    parser.add_argument("--port", type=int, default=8077, help="for the server started here")
    parser.add_argument("--url", default="", help="a server already running (no restarts)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument(
        "--open-each-time",
        action="store_true",
        help="API parts: open the warehouse file for every answer (the behaviour before"
        " query._Keeper), for a before/after in one run",
    )
    args = parser.parse_args()
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(parts) - {"rollup", "raw", "all", "wall", "live"}
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    sensors = Dataset.objects.filter(slug=SENSORS).first()
    print(
        f"IOC_VAR_DIR={os.environ.get('IOC_VAR_DIR', '')}; {Chart.objects.count()} charts;"
        f" {SENSORS}: {sensors.row_count if sensors else 0:,} rows"
    )
    if args.open_each_time:
        query._keeper = OpenEachTime()  # type: ignore[assignment]
        print("every answer opens the warehouse file (--open-each-time)")
    results: dict[str, bool] = {}
    if "rollup" in parts:
        results["rollup"] = part_rollup(args.repeat)
    if "raw" in parts:
        results["raw"] = part_raw(args.repeat)
    if "all" in parts:
        results["all"] = part_all()
    if {"wall", "live"} & set(parts):
        server = Server(args.port, args.url)
        server.start()
        try:
            if "wall" in parts:
                results["wall"] = part_wall(server, args.chromium, args.wall_repeat)
            if "live" in parts:
                results["live"] = part_live(server, args.chromium, args.live_repeat)
        finally:
            server.stop()
    print("\n" + "  ".join(f"{name}: {verdict(ok)}" for name, ok in results.items()))


if __name__ == "__main__":
    main()
