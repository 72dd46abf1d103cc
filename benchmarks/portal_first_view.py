"""The first view of the portal's home page after a publish: what drawing it costs, and what
making every picture it lists would have cost (Wagtail's ``{% picture %}`` did that inside
the render; ``ioc.portal.pictures`` leaves each file to the browser that asks for it).

    IOC_VAR_DIR=/tmp/bench-first .venv/bin/python benchmarks/portal_first_view.py [--rounds 3]

Builds the tiny demo in ``IOC_VAR_DIR`` if it is not there. Each round drops every
rendition (files and rows), then times, in this process (Django's test client, no cache):
the first drawing of ``/``, the second, and fetching every picture address the page wrote
(every format and width, one after another: the work the old tag did before answering).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ioc.settings")
os.environ.setdefault("IOC_PORTAL_CACHE_SECONDS", "0")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from wagtail.images.models import Rendition

    from ioc.portal.models import ArticlePage

    call_command("migrate", verbosity=0)
    if not ArticlePage.objects.exists():
        call_command("demo", scale="tiny", stdout=io.StringIO())
    call_command("collectstatic", interactive=False, verbosity=0)
    client = Client(HTTP_HOST="localhost")
    client.get("/healthz")  # the process's own warm-up, not the page's
    first, second, every, counts = [], [], [], []
    for _ in range(args.rounds):
        for rendition in Rendition.objects.all():
            rendition.file.delete(save=False)
        Rendition.objects.all().delete()
        started = time.perf_counter()
        html = client.get("/").content.decode()
        first.append(time.perf_counter() - started)
        made_by_drawing = Rendition.objects.count()
        started = time.perf_counter()
        client.get("/")
        second.append(time.perf_counter() - started)
        addresses = sorted(set(re.findall(r"/media/renditions/[^\" ,]+", html)))
        started = time.perf_counter()
        for address in addresses:
            response = client.get(address)
            assert response.status_code == 200, address
            b"".join(response.streaming_content)
        every.append(time.perf_counter() - started)
        counts.append((made_by_drawing, len(addresses)))
    print(f"renditions made by drawing the page / addresses it lists: {counts}")
    print(f"first drawing of /: median {statistics.median(first) * 1000:.0f} ms {first}")
    print(f"second drawing:     median {statistics.median(second) * 1000:.0f} ms")
    print(f"every picture it lists, made: median {statistics.median(every):.2f} s")
    ratio = statistics.median(every) / statistics.median(first)
    print(f"ratio (all pictures made / first drawing): {ratio:.1f}x")


if __name__ == "__main__":
    main()
