# ruff: noqa: E501  (the Lua template is one line per call)
"""The portal (issue 7): public pages under load while an editor publishes, the server time
of a cached article, and the weight of an article page.

    IOC_VAR_DIR=/tmp/bench-portal .venv/bin/python benchmarks/portal.py \\
        [--seconds 20] [--connections 32] [--workers 2] [--port 8051]

Builds its own portal in ``IOC_VAR_DIR`` (``ioc migrate``, ``ioc demo --scale tiny``: the
skeleton, 40 articles with pictures, 16 documents), starts ``ioc serve`` with ``--workers``
processes (no embedded worker), opens every page once (its template and queries warm),
then:

* ``wrk`` (``make bench-tools``) on ``--connections`` connections for ``--seconds``, each
  request the home page or one of the articles in turn, as anonymous readers;
* during that run, an editor's article is published (in this process, as the CMS does:
  ``save_revision().publish()``) and the home page and the RSS feed are polled until it
  shows: the delay is printed;
* 200 sequential requests for one cached article (httpx, keep-alive): the server's time per
  answer (p50/p95), and the same with a session cookie (never cached: the page built);
* the article's HTML plus its stylesheets, in bytes.

Targets: 500 requests/s with p95 under 100 ms while publishing; the new article on the home
page and in the feeds within 5 s; a cached article under 20 ms; HTML + CSS under 100 KB.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ioc.settings")
os.environ.setdefault("IOC_VAR_DIR", os.path.join(tempfile.gettempdir(), "ioc-bench-portal"))

import django

django.setup()

import httpx  # noqa: E402
from django.core.management import call_command  # noqa: E402
from serving import Server  # noqa: E402  (benchmarks/serving.py)
from wagtail.rich_text import RichText  # noqa: E402

from ioc.portal.models import ArticlePage, SectionPage  # noqa: E402

LUA = """
paths = {%(paths)s}
i = 0
init = function(args) math.randomseed(os.time()) ; i = math.random(1, #paths) end
request = function() i = i + 1; return wrk.format("GET", paths[(i %% #paths) + 1]) end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%%d seconds=%%.3f p50=%%.1f p95=%%.1f p99=%%.1f max=%%.1f status=%%d connect=%%d read=%%d write=%%d timeout=%%d\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout))
end
"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def setup() -> None:
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if not ArticlePage.objects.exists():
        started = time.monotonic()
        call_command("demo", scale="tiny", stdout=open(os.devnull, "w"))  # noqa: SIM115
        print(f"demo province and portal built in {time.monotonic() - started:.0f} s")


def publish_during(server: Server, delay: float, found: dict[str, float]) -> None:
    """After `delay` s, publish an article; note when it shows on the home page and in RSS."""
    time.sleep(delay)
    section = SectionPage.objects.get(slug="kinh-te")
    title = f"Tin vừa đăng lúc {time.strftime('%H:%M:%S')}"
    article = ArticlePage(
        title=title,
        summary="Bài đăng trong lúc đo tải.",
        live=False,
        body=[("paragraph", RichText("<p>Nội dung.</p>"))],
    )
    section.add_child(instance=article)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        started = time.monotonic()
        article.save_revision().publish()
        waiting = {"home": "/", "rss": "/feeds/rss.xml"}
        while waiting and time.monotonic() - started < 30:
            for name, address in list(waiting.items()):
                if title in client.get(address).text:
                    found[name] = time.monotonic() - started
                    del waiting[name]
            time.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8051)
    args = parser.parse_args()
    setup()
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is not installed (make bench-tools)")
        return 1
    demo = ArticlePage.objects.live().exclude(title__startswith="Tin vừa đăng")  # a past run's
    articles = [a.url for a in demo.order_by("-date")[:30]]
    paths = ["/", *articles]
    ok = True
    with Server(args.port, workers=args.workers, name="bench-portal") as server:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for address in paths:  # renditions made, each process's caches warmed
                for _ in range(args.workers * 2):
                    client.get(address).raise_for_status()
            article = articles[0]
            html = client.get(article).text
            styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
            css = sum(len(client.get(href).content) for href in styles)
            weight = len(html.encode()) + css
            print(
                f"article page: HTML {len(html.encode()):,} B + CSS {css:,} B = {weight / 1024:.1f} KiB (target < 100 KB)"
            )
            ok &= weight < 100_000

            for label, cookies in (
                ("cached (anonymous)", {}),
                ("built (signed-in session)", {"sessionid": "x"}),
            ):
                times = []
                for _ in range(200):
                    started = time.perf_counter()
                    response = client.get(article, cookies=cookies)
                    times.append((time.perf_counter() - started) * 1000)
                    response.raise_for_status()
                print(
                    f"one article, {label}, 200 in a row: p50 {percentile(times, 50):.1f} ms, p95 {percentile(times, 95):.1f} ms, cache: {response.headers.get('x-portal-cache', '-')}"
                )
                if label.startswith("cached"):
                    ok &= percentile(times, 50) < 20
        script = Path(tempfile.gettempdir()) / "ioc-bench-portal.lua"
        script.write_text(LUA % {"paths": ", ".join(f'"{p}"' for p in paths)})
        found: dict[str, float] = {}
        publisher = threading.Thread(target=publish_during, args=(server, args.seconds / 3, found))
        publisher.start()
        out = subprocess.run(  # noqa: S603 (our own command line)
            [
                wrk,
                "-t2",
                f"-c{args.connections}",
                f"-d{args.seconds}s",
                "--latency",
                "-s",
                str(script),
                server.url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        publisher.join()
    result = dict(re.findall(r"(\w+)=([\d.]+)", out.split("RESULT", 1)[1]))
    rate = float(result["requests"]) / float(result["seconds"])
    errors = sum(int(result[k]) for k in ("status", "connect", "read", "write", "timeout"))
    print(
        f"home + {len(articles)} articles, wrk {args.connections} connections, {args.seconds} s, {args.workers} workers: "
        f"{rate:.0f} requests/s, p50 {result['p50']} ms, p95 {result['p95']} ms, p99 {result['p99']} ms, max {result['max']} ms, errors {errors}"
    )
    print(
        f"the article published during the run: on the home page after {found.get('home', float('nan')):.2f} s, in RSS after {found.get('rss', float('nan')):.2f} s"
    )
    ok &= rate >= 500 and float(result["p95"]) < 100 and errors == 0
    ok &= found.get("home", 99) < 5 and found.get("rss", 99) < 5
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
