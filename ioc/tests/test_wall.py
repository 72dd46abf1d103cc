"""The wall in a real browser against a real server process (`ioc serve`, uvicorn): charts
drawn, new data shown without a reload, the server killed and started again and the wall
reconnecting by itself, and no memory growth while it turns through its dashboards.

The server runs in its own var directory with the tiny demo (SQLite + DuckDB), as
`make demo` would run it, so that it can be killed with SIGKILL like a crashed machine.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

pytestmark = [pytest.mark.browser]

IOC = [sys.executable, "-m", "ioc.cli"]
OPERATOR = ("vanhanh", "demo-vanhanh-2025")
SCREENSHOTS = os.environ.get("IOC_SCREENSHOTS") == "1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Platform:
    """`ioc` in a var directory of its own: commands, and the server started and killed."""

    def __init__(self, var: Path) -> None:
        self.var = var
        self.port = free_port()
        self.server: subprocess.Popen[bytes] | None = None
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("IOC_", "TEST_IOC_", "DJANGO_", "PYTEST_"))
        }
        self.env |= {"IOC_VAR_DIR": str(var), "IOC_EMBEDDED_WORKER": "0"}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [*IOC, *args], env=self.env, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def start(self) -> None:
        self.server = subprocess.Popen(
            [*IOC, "serve", "--port", str(self.port)],
            env=self.env,
            stdout=(self.var / "serve.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("the server did not start: " + (self.var / "serve.log").read_text())

    def kill(self) -> None:
        assert self.server is not None
        self.server.send_signal(signal.SIGKILL)
        self.server.wait(10)

    def ingest_visits(self, visits: int) -> None:
        """Today's visits in one ward, the way an agency's file arrives."""
        # The wall's "this month" is the server's local time (Asia/Ho_Chi_Minh).
        today = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).strftime("%d/%m/%Y")
        path = self.var / f"kham_{visits}.csv"
        path.write_text(
            f"Ngày;Phường/xã;Loại hình;Lượt khám;Chi phí (triệu đồng)\n{today};25747;Nội trú;"
            f"{visits};1,5\n",
            encoding="utf-8",
        )
        out = self.run("ingest", str(path), "--dataset", "kham_chua_benh", "--json")
        assert json.loads(out.strip().splitlines()[-1])["accepted"] == 1


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    ioc = Platform(tmp_path_factory.mktemp("wall"))
    ioc.run("migrate", "-v", "0")
    ioc.run("demo", "--scale", "tiny")
    ioc.run("collectstatic", "--noinput", "-v", "0")
    ioc.start()
    yield ioc
    if ioc.server and ioc.server.poll() is None:
        ioc.server.terminate()
        ioc.server.wait(10)


@pytest.fixture
def wall_page(platform: Platform, chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(
            base_url=platform.url, viewport={"width": 1920, "height": 1080}, locale="vi-VN"
        )
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("input[name=username]", OPERATOR[0])
        page.fill("input[name=password]", OPERATOR[1])
        page.click("main button[type=submit]")
        page.wait_for_load_state("networkidle")
        yield page
        browser.close()


def kpi_text(page: Any) -> str:
    return str(page.inner_text("#chart-kpi-kham-chua-benh .kpi-value"))


def test_the_wall_draws_updates_live_and_reconnects_after_a_server_kill(platform, wall_page):
    page = wall_page
    page.goto("/ioc/wall/trung-tam/?dashboard=tong-quan")  # the overview only
    page.wait_for_function("document.body.dataset.boardReady === '1'", timeout=30_000)
    tiles = page.locator(".wall-slide:not([hidden]) .tile")
    assert tiles.count() >= 20
    drawn = page.locator(
        ".wall-slide:not([hidden]) .tile svg, .wall-slide:not([hidden]) .kpi-value"
    )
    assert drawn.count() >= 20
    assert page.locator(".tile-failed").count() == 0
    assert page.inner_text("[data-wall-clock]").strip()
    shot = page.screenshot()
    assert len(shot) > 100_000  # a drawn wall, not a blank page
    if SCREENSHOTS:
        (Path(settings.BASE_DIR) / "docs" / "img" / "wall.png").write_bytes(shot)
    page.wait_for_function("document.body.dataset.live === 'open'", timeout=10_000)
    page.evaluate("window.__sameDocument = true")

    before = kpi_text(page)
    platform.ingest_visits(500_000)
    page.wait_for_function(
        "document.querySelector('#chart-kpi-kham-chua-benh .kpi-value').textContent"
        f" !== {before!r}",
        timeout=10_000,
    )
    assert page.evaluate("window.__sameDocument") is True  # no reload

    platform.kill()
    page.wait_for_function("document.body.dataset.live === 'reconnecting'", timeout=15_000)
    assert page.locator(".tile-failed").count() == 0  # the charts stay on the screen
    platform.start()
    page.wait_for_function("document.body.dataset.live === 'open'", timeout=30_000)
    after_restart = kpi_text(page)
    platform.ingest_visits(900_000)
    page.wait_for_function(
        "document.querySelector('#chart-kpi-kham-chua-benh .kpi-value').textContent"
        f" !== {after_restart!r}",
        timeout=10_000,
    )
    assert page.evaluate("window.__sameDocument") is True


def test_the_wall_turns_through_its_dashboards_without_growing(platform, wall_page):
    page = wall_page
    # At one second a dashboard, a slide of 20-30 charts often leaves the screen before all its
    # answers are in (the server answers one chart in about 30 ms, beside the browser on two
    # cores): the wall is seen ready once, on the overview, and then only its turning counts.
    page.goto("/ioc/wall/trung-tam/?dashboard=tong-quan")
    page.wait_for_function("document.body.dataset.boardReady === '1'", timeout=30_000)
    page.goto("/ioc/wall/trung-tam/?dwell=1")
    page.wait_for_function("window.iocWall && document.body.dataset.slide", timeout=10_000)
    slides = page.evaluate("window.iocWall.slides.length")
    assert slides == 20
    session = page.context.new_cdp_session(page)

    def shown() -> int:
        return int(page.evaluate("Number(document.body.dataset.slide)"))

    def measure() -> tuple[float, int]:
        """The heap after a full collection (MB), and the event listeners alive."""
        session.send("HeapProfiler.collectGarbage")
        used = session.send("Runtime.getHeapUsage")["usedSize"] / 1e6
        return used, int(session.send("Memory.getDOMCounters")["jsEventListeners"])

    # The same dashboards are measured in each turn, each the moment it comes on screen: the
    # one before it disposed, its own answers not yet drawn. So what is measured is what the
    # wall keeps from turn to turn, not the dashboard showing (8-13 MB between them, drawn).
    measured = set(range(0, slides, 2))
    turns: list[dict[int, tuple[float, int]]] = [{} for _ in range(6)]
    seen = {shown()}
    page.wait_for_function("document.body.dataset.slide === '0'", timeout=(slides + 10) * 1000)
    slide, turn = 0, 0
    while True:
        if turn in (2, 5) and slide in measured:
            turns[turn][slide] = measure()
        seen.add(slide)
        page.wait_for_function(f"document.body.dataset.slide !== '{slide}'", timeout=10_000)
        previous, slide = slide, shown()
        if slide < previous:  # a new turn
            turn += 1
            if turn == len(turns):
                break
    assert seen == set(range(slides)), f"the wall showed {len(seen)} of {slides} dashboards"
    # The third turn (the first two warm up: every dashboard's code compiled, its data cached)
    # is compared with the sixth, three turns of 20 dashboards later (about 900 charts drawn
    # and disposed, the map tile made and removed three times), each by its floor over the
    # dashboards measured. Measured over 6 to 16 turns, quiet and beside a busy CPU: the heap's
    # floor rises 3-6 % over those three turns as the JIT compiles more (about 0.4 MB in all,
    # level after ten turns), and the listeners' floor does not move. 10 % is about 0.75 MB: a
    # leak of 12 kB a dashboard (0.24 MB a turn) fails it; the Leaflet map kept at each turn,
    # which this test found, raised the heap's floor 11-13 % and the listeners' by 66.
    third, sixth = turns[2].values(), turns[5].values()
    assert len(third) >= 5 and len(sixth) >= 5, turns
    heap = min(h for h, _ in third), min(h for h, _ in sixth)
    listeners = min(n for _, n in third), min(n for _, n in sixth)
    assert heap[1] < heap[0] * 1.10, f"heap floor {heap[0]:.2f} -> {heap[1]:.2f} MB: {turns}"
    assert listeners[1] <= listeners[0] + 20, f"listeners {listeners}: {turns}"


def test_the_calendar_heatmap_reads_at_wall_size(platform, wall_page):
    """A year of days in a wall tile: month labels that do not run into each other, and a
    colour scale that one outlier day does not wash out (its top is the 95th percentile)."""
    page = wall_page
    page.goto("/ioc/wall/trung-tam/?dashboard=y-te")
    page.wait_for_function("document.body.dataset.boardReady === '1'", timeout=30_000)
    tile = "#chart-luot-kham-lich"
    page.wait_for_function(f"document.querySelectorAll('{tile} svg path').length > 300")
    labels = page.evaluate(
        f"""[...document.querySelectorAll('{tile} svg text')]
        .filter((t) => /^\\d{{1,2}}(\\/\\d\\d)?$/.test(t.textContent))
        .filter((t) => {{  // above the days (the scale's figures are below them)
          const svg = t.closest('svg').getBoundingClientRect();
          return t.getBoundingClientRect().bottom < svg.top + svg.height / 2; }})
        .map((t) => {{
          const b = t.getBoundingClientRect(); return [t.textContent, b.left, b.right]; }})"""
    )
    assert len(labels) >= 3, labels  # months are named...
    ordered = sorted(labels, key=lambda label: label[1])
    for (one, _, right), (other, left, _) in itertools.pairwise(ordered):
        assert right <= left, f"month labels {one!r} and {other!r} overlap: {ordered}"  # ...apart
    # The scale's top is a typical busy day, not the largest (the other tests' big ingests).
    option = page.evaluate(
        "(() => { const o = [...window.iocWall.charts]"
        ".find(([t]) => t.id === 'chart-luot-kham-lich')[1].getOption();"
        " return [o.visualMap[0].max, o.series[0].data.map((d) => d[1])]; })()"
    )
    top, days = option[0], [d for d in option[1] if d is not None]
    assert top < max(days), (top, max(days))
    assert sum(1 for d in days if d > top) <= len(days) * 0.06


def test_a_dashboard_prints_to_a_pdf_file_on_the_server(platform, wall_page):
    """The PDF for the leaders' meeting: made by the server's Chromium as the person asking,
    every chart drawn, with the time of printing and the scope on it."""
    import io

    from pypdf import PdfReader

    response = wall_page.request.get("/ioc/dashboards/y-te/pdf/", timeout=120_000)
    assert response.status == 200, response.text()[:500]
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="y-te-' in response.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(response.body()))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # A4 landscape
    assert "Y tế" in text and "In lúc" in text  # the dashboard, printed when...
    assert "Phạm vi" in text  # ...and for whom
    assert "Lượt khám từng ngày" in text  # the charts' titles, and their drawings:
    strokes = sum(
        len(re.findall(rb"\s(?:l|c|re)\n", page.get_contents().get_data())) for page in reader.pages
    )
    assert strokes > 1000, strokes  # lines, curves and boxes as vectors (five pages: ~1,900)
