"""Camera health: every camera probed (one frame grabbed) every ``IOC_CAMERA_PROBE_SECONDS``.

A probe that brings a frame within ``IOC_CAMERA_PROBE_TIMEOUT`` is *online*, or *degraded*
when it took more than half of it; one that fails is *offline*, with the reason (unreachable,
wrong credentials, not a video, no frame in time). Probes are I/O: they run as coroutines,
``IOC_CAMERA_PROBE_CONCURRENCY`` at a time (benchmarks/cameras.py: 1,000 cameras a minute).

After a round: each camera's status, last frame time and latency are saved, its frame goes
into the shared frame cache (the snapshot grid shows it without another fetch), its day's
uptime counts one more probe, a camera that went offline raises an operations event (one
per outage: the event counts repeats) and one that came back resolves it. The round's rows
go into the warehouse dataset ``camera_health`` (status by camera, commune, agency and group
every round), so dashboards chart uptime like any other figure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from ioc.cameras import frames
from ioc.cameras.choices import Status
from ioc.cameras.models import PROBED_FIELDS, Camera, CameraUptime
from ioc.cameras.sources import GrabError, grab, run, snapshot_client
from ioc.jobs.periodic import periodic

# ffmpeg grabs at once (RTSP-only cameras): each waits about a second for a key frame, then
# decodes it (~0.1 s of CPU); snapshots are I/O only.
DECODERS = max(4, 8 * (os.cpu_count() or 1))


@dataclass(frozen=True)
class Probe:
    camera_id: int
    status: str
    latency_ms: int | None
    error: str
    jpeg: bytes | None


def status_for(latency_ms: int) -> str:
    slow = settings.IOC_CAMERA_PROBE_TIMEOUT * 1000 / 2
    return Status.DEGRADED if latency_ms > slow else Status.ONLINE


async def probe_many(cameras: Iterable[Camera], concurrency: int | None = None) -> list[Probe]:
    gate_size = concurrency or settings.IOC_CAMERA_PROBE_CONCURRENCY
    gate = asyncio.Semaphore(gate_size)
    decoders = asyncio.Semaphore(DECODERS)

    async def one(camera: Camera, client: httpx.AsyncClient) -> Probe:
        async with gate:
            started = time.monotonic()
            try:
                frame = await grab(camera, decoders=decoders, client=client)
            except GrabError as exc:
                spent = int((time.monotonic() - started) * 1000)
                return Probe(camera.pk, Status.OFFLINE, spent, str(exc), None)
            except Exception as exc:
                return Probe(camera.pk, Status.OFFLINE, None, f"{type(exc).__name__}", None)
            return Probe(camera.pk, status_for(frame.latency_ms), frame.latency_ms, "", frame.jpeg)

    async with snapshot_client(gate_size) as client:
        return list(await asyncio.gather(*(one(camera, client) for camera in cameras)))


def probe(
    cameras: Iterable[Camera] | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Probe ``cameras`` (every enabled one) and record what was found."""
    now = now or timezone.now()
    chosen = list(
        cameras
        if cameras is not None
        else Camera.objects.filter(enabled=True).select_related("unit", "agency")
    )
    started = time.monotonic()
    results = run(probe_many(chosen))
    record(chosen, results, now)
    counts = {str(s): 0 for s in (Status.ONLINE, Status.DEGRADED, Status.OFFLINE)}
    for result in results:
        counts[result.status] += 1
    return {"probed": len(results), **counts, "seconds": round(time.monotonic() - started, 2)}


def record(cameras: list[Camera], results: list[Probe], now: dt.datetime) -> None:
    by_id = {camera.pk: camera for camera in cameras}
    went_down: list[tuple[Camera, Probe]] = []
    came_back: list[Camera] = []
    for result in results:
        camera = by_id[result.camera_id]
        if result.jpeg is not None:
            frames.store(camera.pk, result.jpeg)
            camera.last_frame_at = now
        else:
            frames.store_error(camera.pk, result.error)
        if result.status != camera.status:
            if result.status == Status.OFFLINE:
                went_down.append((camera, result))
            elif camera.status == Status.OFFLINE:
                came_back.append(camera)
            camera.status = result.status
            camera.status_since = now
        camera.last_probe_at = now
        camera.latency_ms = result.latency_ms
        camera.last_error = result.error[:300]
    with transaction.atomic():
        Camera.objects.bulk_update(cameras, PROBED_FIELDS, batch_size=500)
        _count_uptime(results, timezone.localdate(now))
    for camera, result in went_down:
        _raise_offline(camera, result, now)
    for camera in came_back:
        from ioc.operations.services import clear_events

        clear_events(offline_key(camera), "camera back online / camera đã hoạt động lại")
    from ioc.cameras import stats

    stats.write_round(cameras, results, now)


def _count_uptime(results: list[Probe], day: dt.date) -> None:
    ids = [r.camera_id for r in results]
    existing = set(
        CameraUptime.objects.filter(day=day, camera_id__in=ids).values_list("camera_id", flat=True)
    )
    CameraUptime.objects.bulk_create(
        [CameraUptime(camera_id=i, day=day) for i in ids if i not in existing],
        ignore_conflicts=True,
    )
    for status, online, degraded in (
        (Status.ONLINE, 1, 0),
        (Status.DEGRADED, 0, 1),
        (Status.OFFLINE, 0, 0),
    ):
        chosen = [r.camera_id for r in results if r.status == status]
        if chosen:
            CameraUptime.objects.filter(day=day, camera_id__in=chosen).update(
                probes=F("probes") + 1,
                online=F("online") + online,
                degraded=F("degraded") + degraded,
            )


def offline_key(camera: Camera) -> str:
    return f"camera-offline:{camera.pk}"


def raise_for(
    camera: Camera,
    *,
    category: str,
    headline: str,
    description: str,
    severity: str,
    now: dt.datetime,
    key: str,
) -> None:
    """An operations event about a camera: at its commune, agency and first group's sector,
    linking to its page, one per ``key`` until it is resolved."""
    from ioc.operations.services import raise_event

    group = camera.groups.select_related("sector").first()
    raise_event(
        source="cameras",
        category=category,
        headline=headline,
        description=description,
        severity=severity,
        urgency="immediate",
        certainty="observed",
        occurred_at=now,
        link=reverse("cameras:camera", args=[camera.pk]),
        obj=camera,
        unit=camera.unit,
        agency=camera.agency,
        sector=group.sector if group else None,
        dedup_key=key,
    )


def _raise_offline(camera: Camera, result: Probe, now: dt.datetime) -> None:
    raise_for(
        camera,
        category="camera-offline",
        headline=f"Camera {camera.code} mất tín hiệu / offline: {camera.name}",
        description=result.error,
        severity="minor",
        now=now,
        key=offline_key(camera),
    )


@periodic("cameras.health", every=dt.timedelta(seconds=settings.IOC_CAMERA_PROBE_SECONDS))
def health(now: dt.datetime) -> dict[str, Any]:
    return probe(now=now)
