"""The wall left running for hours (issue 4: "no memory growth in the browser over hours").

    IOC_VAR_DIR=/tmp/bench-soak .venv/bin/python benchmarks/wall_soak.py \\
        [--hours 2] [--dwell 20] [--ingest-every 60] [--port 8046] [--csv FILE]

Builds the tiny demo in ``IOC_VAR_DIR`` (``ioc migrate``, ``ioc demo --scale tiny``), starts
``ioc serve`` and opens the centre's playlist (``/ioc/wall/trung-tam/``, 20 dashboards, a
map tile among them) in headless Chromium at 1920×1080 as the operator, with ``--dwell``
seconds a dashboard: the wall as it runs in the centre, only faster. Every
``--ingest-every`` seconds an agency's file arrives (``ioc ingest``), so live updates redraw
charts the whole time.

At the start of every turn (the first dashboard coming on screen, the one before it
disposed) it records, after a full collection (CDP ``HeapProfiler.collectGarbage``): the JS
heap in use, the event listeners and DOM nodes alive, the tiles that failed, the live
stream's state, and the server's resident memory. It prints one line a turn and, at the end,
the heap's floor in the second hour against the first (turns after the first 10 minutes,
which warm up: code compiled, answers cached) and the heap's slope in MB an hour.
Target: the floor rises less than 10 % and no tile fails.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ioc.settings")
os.environ.setdefault("IOC_VAR_DIR", os.path.join(tempfile.gettempdir(), "ioc-bench-soak"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from serving import Server, processes  # noqa: E402  (benchmarks/serving.py)

from ioc.dashboards.models import Dashboard  # noqa: E402

OPERATOR = ("vanhanh", "demo-vanhanh-2025")
IOC = [sys.executable, "-m", "ioc.cli"]


def setup() -> None:
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if not Dashboard.objects.exists():
        call_command("demo", scale="tiny", stdout=open(os.devnull, "w"))  # noqa: SIM115


def ingest(visits: int) -> subprocess.Popen[str]:
    """Today's visits in one ward, as an agency's file arrives (the wall's test does the same),
    started and not waited for (the wall is watched meanwhile): see :func:`landed`."""
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).strftime("%d/%m/%Y")
    path = Path(os.environ["IOC_VAR_DIR"]) / "soak_visits.csv"
    path.write_text(
        f"Ngày;Phường/xã;Loại hình;Lượt khám;Chi phí (triệu đồng)\n{today};25747;Nội trú;"
        f"{visits};1,5\n",
        encoding="utf-8",
    )
    return subprocess.Popen(  # noqa: S603 (our own command line)
        [*IOC, "ingest", str(path), "--dataset", "kham_chua_benh", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def landed(load: subprocess.Popen[str] | None) -> None:
    if load is None:
        return
    out = load.communicate(timeout=120)[0]
    if load.returncode != 0 or json.loads(out.strip().splitlines()[-1])["accepted"] != 1:
        raise RuntimeError(out)


def resident_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (hours, MB): MB an hour."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--dwell", type=int, default=20)
    parser.add_argument("--ingest-every", type=int, default=60)
    parser.add_argument("--port", type=int, default=8046)
    parser.add_argument("--csv", default="")
    args = parser.parse_args()
    setup()
    from playwright.sync_api import sync_playwright

    rows: list[dict[str, float | int | str]] = []
    with Server(args.port, {}, 1, name="bench-soak") as server, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu"],
        )
        page = browser.new_context(
            base_url=server.url, viewport={"width": 1920, "height": 1080}, locale="vi-VN"
        ).new_page()
        page.goto("/accounts/login/")
        page.fill("input[name=username]", OPERATOR[0])
        page.fill("input[name=password]", OPERATOR[1])
        page.click("main button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"/ioc/wall/trung-tam/?dwell={args.dwell}")
        page.wait_for_function("window.iocWall && document.body.dataset.slide", timeout=30_000)
        page.evaluate("window.__sameDocument = true")
        slides = int(page.evaluate("window.iocWall.slides.length"))
        session = page.context.new_cdp_session(page)
        started = time.monotonic()
        end = started + args.hours * 3600
        next_ingest = started + args.ingest_every
        visits = 100_000
        turn = 0
        loading: subprocess.Popen[str] | None = None
        print(f"soak: {slides} dashboards, {args.dwell} s each, {args.hours} h", flush=True)
        while time.monotonic() < end:
            # wait for the first dashboard to come on screen, ingesting on the way
            while page.evaluate("document.body.dataset.slide") != "0":
                if time.monotonic() >= next_ingest:
                    landed(loading)
                    visits += 1
                    loading = ingest(visits)
                    next_ingest += args.ingest_every
                page.wait_for_timeout(500)
            session.send("HeapProfiler.collectGarbage")
            counters = session.send("Memory.getDOMCounters")
            row: dict[str, float | int | str] = {
                "turn": turn,
                "minutes": round((time.monotonic() - started) / 60, 1),
                "heap_mb": round(session.send("Runtime.getHeapUsage")["usedSize"] / 1e6, 2),
                "listeners": counters["jsEventListeners"],
                "nodes": counters["nodes"],
                "failed_tiles": page.locator(".tile-failed").count(),
                "live": page.evaluate("document.body.dataset.live || ''"),
                "same_page": bool(page.evaluate("window.__sameDocument === true")),
                "server_mb": round(resident_mb(processes(server.process.pid)), 1)
                if server.process
                else 0,
            }
            rows.append(row)
            print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)
            turn += 1
            page.wait_for_function(
                "document.body.dataset.slide !== '0'", timeout=(args.dwell + 30) * 1000
            )
        landed(loading)
        browser.close()
    if args.csv:
        with open(args.csv, "w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    warm = [r for r in rows if float(r["minutes"]) >= 10]
    if len(warm) < 4:
        print("soak: too short to judge (fewer than 4 turns after the first 10 minutes)")
        return 1
    half = len(warm) // 2
    first = min(float(r["heap_mb"]) for r in warm[:half])
    last = min(float(r["heap_mb"]) for r in warm[half:])
    per_hour = slope([(float(r["minutes"]) / 60, float(r["heap_mb"])) for r in warm])
    failed = max(int(r["failed_tiles"]) for r in rows)
    reloaded = not all(r["same_page"] for r in rows)
    ok = last < first * 1.10 and failed == 0 and not reloaded
    print(
        f"soak: {len(rows)} turns in {rows[-1]['minutes']} min; heap floor {first:.2f} MB "
        f"(first half after warm-up) -> {last:.2f} MB (second half), slope {per_hour:+.2f} MB/h; "
        f"listeners {warm[0]['listeners']} -> {warm[-1]['listeners']}; nodes "
        f"{warm[0]['nodes']} -> {warm[-1]['nodes']}; server RSS {warm[0]['server_mb']} -> "
        f"{warm[-1]['server_mb']} MB; failed tiles {failed}; reloaded {reloaded}  "
        f"[target: floor +<10 %, no failed tile: {'met' if ok else 'NOT met'}]"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
