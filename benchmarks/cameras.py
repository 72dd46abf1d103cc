"""Cameras (issue 8): health probes of 1,000 cameras a minute, 16 live relays under one CPU
core, a new viewer within 3 s and a cold camera within 6 s.

    IOC_VAR_DIR=/tmp/bench-cameras .venv/bin/python benchmarks/cameras.py \\
        [--parts probes,rtsp-probes,relays,startup] [--cameras 1000] [--rtsp-cameras 50] \\
        [--relays 16] [--seconds 20]

Builds its own fixtures in ``IOC_VAR_DIR`` (migrate; cameras are made anew each run). The
sources are real servers in other processes: ``FrameServer`` (HTTP snapshots, a JPEG drawn
per request) and Debian's GStreamer RTSP server (``make browser`` installs it).

* ``probes``: ``--cameras`` snapshot cameras, one whole round of ``ioc.cameras.health.probe``
  (the grabs at ``IOC_CAMERA_PROBE_CONCURRENCY``, then the statuses, the uptime counts, the
  frames into the cache and the ``camera_health`` rows into the warehouse), 3 rounds.
  Target: 1,000 cameras a minute (a round of 1,000 in under 60 s).
* ``rtsp-probes``: the same with ``--rtsp-cameras`` RTSP cameras (one ffmpeg per grab): the
  figure for cameras that have no snapshot address.
* ``relays``: ``--relays`` cameras on one 1280×720 H.264 RTSP stream (shared by the server,
  so its encoding is paid once), a relay each, held for ``--seconds`` while a viewer reads
  each playlist every second; the relays' CPU (their ffmpeg processes' user + system time
  from /proc) over that time. Target: under one core in all.
* ``startup``: through the Django test client, signed in: the live view's first call
  (``POST /ioc/cameras/<id>/live/``), its playlist and its first segment, for a cold camera
  (no relay yet) and for a new viewer of a running relay, 5 times each. Targets: cold < 6 s,
  running < 3 s.

Percentiles are nearest rank. Figures: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ioc.settings")
os.environ.setdefault("IOC_VAR_DIR", os.path.join(tempfile.gettempdir(), "ioc-bench-cameras"))

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from ioc.accounts.models import User  # noqa: E402
from ioc.cameras import health, relay  # noqa: E402
from ioc.cameras.models import Camera, CameraGroup  # noqa: E402
from ioc.cameras.testsources import RtspServer, free_port, rtsp_available  # noqa: E402
from ioc.core.models import AdministrativeUnit, Agency, Sector  # noqa: E402

TARGET_PER_MINUTE = 1000
TARGET_CORES = 1.0
TARGET_COLD, TARGET_RUNNING = 6.0, 3.0
TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def setup() -> tuple[CameraGroup, User]:
    call_command("migrate", verbosity=0)
    sector, _ = Sector.objects.get_or_create(code="giao-thong", defaults={"name": "Giao thông"})
    province, _ = AdministrativeUnit.objects.get_or_create(
        code="74", defaults={"name": "Tỉnh Bình Dương", "level": 1, "kind": "tỉnh"}
    )
    Agency.objects.get_or_create(
        code="ubnd-tinh", defaults={"name": "UBND tỉnh", "kind": "committee", "unit": province}
    )
    group, _ = CameraGroup.objects.get_or_create(
        code="bench", defaults={"name": "Benchmark", "sector": sector}
    )
    user = User.objects.filter(username="bench-cameras").first()
    if user is None:  # signed in by force_login: no password
        user = User.objects.create_superuser("bench-cameras", password=None)
    Camera.objects.all().delete()
    settings.IOC_FFMPEG = settings.IOC_FFMPEG or "ffmpeg"
    return group, user


def make_cameras(group: CameraGroup, prefix: str, count: int, **address: str) -> list[Camera]:
    cameras = Camera.objects.bulk_create(
        [
            Camera(
                code=f"{prefix}-{i:05d}",
                name=f"{prefix} {i}",
                **{k: v.format(i=i) for k, v in address.items()},
            )
            for i in range(count)
        ]
    )
    Camera.groups.through.objects.bulk_create(
        [Camera.groups.through(camera_id=c.pk, cameragroup_id=group.pk) for c in cameras]
    )
    return list(Camera.objects.filter(code__startswith=prefix).select_related("unit", "agency"))


def frame_server() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    code = (
        "import time; from ioc.cameras.testsources import FrameServer; "
        f"FrameServer(port={port}); time.sleep(10**6)"
    )
    process = subprocess.Popen([sys.executable, "-c", code])  # noqa: S603
    time.sleep(1.0)
    return process, f"http://127.0.0.1:{port}"


def probes(group: CameraGroup, count: int, rounds: int = 3) -> None:
    server, base = frame_server()
    try:
        cameras = make_cameras(group, "snap", count, snapshot_url=base + "/snapshot/cam{i}.jpg")
        print(
            f"probes: {count} snapshot cameras, concurrency {settings.IOC_CAMERA_PROBE_CONCURRENCY}"
        )
        for n in range(rounds):
            started = time.monotonic()
            grabbed = health.run(health.probe_many(cameras))
            grabbing = time.monotonic() - started
            health.record(cameras, grabbed, timezone.now())
            spent = time.monotonic() - started
            result = {
                s: sum(1 for g in grabbed if g.status == s)
                for s in ("online", "degraded", "offline")
            }
            print(
                f"  round {n + 1}: {spent:.2f} s ({result['online']} online,"
                f" {result['degraded']} degraded, {result['offline']} offline)"
                f" = {count / spent * 60:,.0f} cameras a minute (target {TARGET_PER_MINUTE:,});"
                f" grabs {grabbing:.2f} s, recording {spent - grabbing:.2f} s"
            )
    finally:
        server.kill()
        Camera.objects.filter(code__startswith="snap").delete()


def rtsp_probes(group: CameraGroup, count: int, server: RtspServer) -> None:
    cameras = make_cameras(group, "rtsp", count, rtsp_url=server.url("/probe"))
    before = os.times()
    started = time.monotonic()
    result = health.probe(cameras)
    spent = time.monotonic() - started
    after = os.times()
    children = (after.children_user + after.children_system) - (
        before.children_user + before.children_system
    )
    print(
        f"rtsp-probes: {count} RTSP cameras in {spent:.2f} s ({result['online']} online,"
        f" {result['offline']} offline) = {count / spent * 60:,.0f} a minute;"
        f" ffmpeg CPU {children:.1f} s ({children / count * 1000:.0f} ms a grab)"
    )
    Camera.objects.filter(code__startswith="rtsp").delete()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def relays(group: CameraGroup, count: int, seconds: float, server: RtspServer) -> None:
    settings.IOC_CAMERA_RELAYS = max(settings.IOC_CAMERA_RELAYS, count)
    cameras = make_cameras(group, "relay", count, rtsp_url=server.url("/hd"))
    try:
        for camera in cameras:
            relay.watch(camera)
        ready = [relay.playlist(c.pk, wait=10) is not None for c in cameras]
        pids = relay.running()
        print(f"relays: {sum(ready)} of {count} playing, {len(pids)} ffmpeg processes")
        start_cpu = {pid: cpu_seconds(pid) for pid in pids.values()}
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            for camera in cameras:
                relay.playlist(camera.pk)  # a viewer: keeps each relay watched
            time.sleep(1)
        spent = time.monotonic() - started
        used = sum(cpu_seconds(pid) - start_cpu[pid] for pid in pids.values())
        print(
            f"  {used:.2f} CPU seconds in {spent:.1f} s = {used / spent:.3f} cores for {count}"
            f" relays of 1280x720 H.264 ({used / spent / count * 100:.1f} % of a core each;"
            f" target under {TARGET_CORES:.0f} core in all)"
        )
        mode = " ".join(relay.command(cameras[0], relay.folder(cameras[0].pk)))
        print(f"  remux only: {'-c:v copy' in mode}")
    finally:
        for camera in cameras:
            relay.stop(camera.pk)
        Camera.objects.filter(code__startswith="relay").delete()


def startup(group: CameraGroup, user: User, server: RtspServer, repeat: int = 5) -> None:
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    cold: list[float] = []
    running: list[float] = []
    for n in range(repeat):
        camera = make_cameras(group, f"start{n}", 1, rtsp_url=server.url("/hd"))[0]
        for bucket in (cold, running):
            started = time.monotonic()
            answer = client.post(f"/ioc/cameras/{camera.pk}/live/").json()
            playlist = client.get(answer["playlist"])
            assert playlist.status_code == 200, playlist.content[:200]
            text = b"".join(playlist.streaming_content) if playlist.streaming else playlist.content
            first = re.search(rb"^(s\d{6}\.ts)$", text, re.M)
            assert first is not None
            segment = client.get(answer["playlist"].replace("index.m3u8", first.group(1).decode()))
            assert segment.status_code == 200
            b"".join(segment.streaming_content)
            bucket.append(time.monotonic() - started)
        relay.stop(camera.pk)
        camera.delete()
    for name, values, target in (
        ("cold camera", cold, TARGET_COLD),
        ("running relay", running, TARGET_RUNNING),
    ):
        print(
            f"startup, {name}: median {statistics.median(values):.2f} s, worst {max(values):.2f} s"
            f" (live call + playlist + first segment; target {target:.0f} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", default="probes,rtsp-probes,relays,startup")
    parser.add_argument("--cameras", type=int, default=1000)
    parser.add_argument("--rtsp-cameras", type=int, default=50)
    parser.add_argument("--relays", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    group, user = setup()
    print(
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]},"
        f" database {settings.DATABASES['default']['ENGINE']}"
    )
    if "probes" in parts:
        probes(group, args.cameras)
    if parts & {"rtsp-probes", "relays", "startup"}:
        if not rtsp_available():
            sys.exit("the GStreamer RTSP server is missing: make browser")
        server = RtspServer(["/probe:640x360", "/hd:1280x720"])
        try:
            if "rtsp-probes" in parts:
                rtsp_probes(group, args.rtsp_cameras, server)
            if "relays" in parts:
                relays(group, args.relays, args.seconds, server)
            if "startup" in parts:
                startup(group, user, server)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
