"""Activity analytics without a downloaded model: how much moves in a camera's picture.

Every minute, for each camera with ``analytics`` on (and not offline), a short burst of
frames is sampled (``SAMPLES`` frames at ``FPS`` a second, grey, 320×180: ffmpeg from the
stream, or the snapshot URL polled) and handed to the detector. The built-in one,
``motion``, is OpenCV's background subtraction (MOG2): it learns the first frame as the
background, then the share of the watched zone's pixels that differ from it in the next
frames, cleaned of specks, is the activity in percent (0: still, 100: all moving).

The result is the camera's ``activity``, a row per camera per minute in the warehouse dataset
``camera_activity`` (so dashboards chart it), and an alert rule: above the camera's
``activity_threshold`` in its zone (a crowd at a square, water rising over a flood point's
marker) an operations event is raised, resolved when the activity falls back below.

A real detector (an ONNX model the province supplies, counting people or vehicles) plugs in
as another :class:`Detector`: register it with :func:`register` from a module of its own, or
from another package through the ``ioc.camera_detectors`` entry point, and name it in
``IOC_CAMERA_DETECTOR``. It receives the same frames and zone and answers a
:class:`Measure` (its ``objects`` count goes into the dataset too).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.metadata
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
from django.conf import settings
from django.utils import timezone

from ioc.cameras.choices import Status
from ioc.cameras.models import Camera
from ioc.cameras.sources import (
    GrabError,
    as_jpeg,
    fetch_snapshot,
    ffmpeg_reading,
    run,
    run_ffmpeg,
    stream_url,
)
from ioc.jobs.periodic import periodic

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 320, 180
SAMPLES, FPS = 8, 4
SLUG = "camera_activity"


@dataclass(frozen=True)
class Measure:
    activity: float  # percent of the zone that moves
    objects: int | None = None  # people or vehicles, for detectors that count them


class Detector(Protocol):
    name: str

    def measure(self, frames: list[np.ndarray], zone: np.ndarray) -> Measure: ...


_detectors: dict[str, Callable[[], Detector]] = {}
_entry_points_loaded = False


def register(name: str) -> Callable[[Callable[[], Detector]], Callable[[], Detector]]:
    def add(factory: Callable[[], Detector]) -> Callable[[], Detector]:
        _detectors[name] = factory
        return factory

    return add


def detector(name: str | None = None) -> Detector:
    global _entry_points_loaded
    if not _entry_points_loaded:
        _entry_points_loaded = True
        for ep in importlib.metadata.entry_points(group="ioc.camera_detectors"):
            try:
                register(ep.name)(ep.load())
            except Exception:
                logger.exception("camera detector entry point %s failed to load", ep.name)
    name = name or settings.IOC_CAMERA_DETECTOR
    try:
        return _detectors[name]()
    except KeyError:
        raise ValueError(
            f"Không có bộ phân tích camera '{name}' / there is no camera detector '{name}'"
        ) from None


@register("motion")
class MotionDetector:
    """OpenCV's MOG2 background subtraction over the burst, inside the zone."""

    name = "motion"

    def measure(self, frames: list[np.ndarray], zone: np.ndarray) -> Measure:
        import cv2

        if len(frames) < 2:
            return Measure(0.0)
        subtractor = cv2.createBackgroundSubtractorMOG2(
            history=50, varThreshold=32, detectShadows=False
        )
        subtractor.apply(frames[0], learningRate=1.0)  # the first frame is the background
        kernel = np.ones((3, 3), np.uint8)
        inside = max(int(np.count_nonzero(zone)), 1)
        shares = []
        for frame in frames[1:]:
            moving = subtractor.apply(frame, learningRate=0.05)
            moving = cv2.morphologyEx(moving, cv2.MORPH_OPEN, kernel)  # specks are noise
            shares.append(np.count_nonzero(moving[zone > 0]) / inside)
        return Measure(round(100.0 * float(np.mean(shares)), 2))


def zone_mask(points: Any, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """The zone as a mask (255 inside); the whole picture when no valid polygon is given."""
    import cv2

    mask = np.zeros((height, width), np.uint8)
    try:
        polygon = np.array(
            [
                [
                    min(max(float(x), 0.0), 1.0) * (width - 1),
                    min(max(float(y), 0.0), 1.0) * (height - 1),
                ]
                for x, y in points
            ],
            np.int32,
        )
    except (TypeError, ValueError):
        polygon = np.zeros((0, 2), np.int32)
    if len(polygon) < 3:
        mask[:] = 255
        return mask
    cv2.fillPoly(mask, [polygon], 255)
    return mask


def check_zone(points: Any) -> list[list[float]]:
    """A zone as stored: [[x, y], ...] of 3 or more points in 0..1, or [] (the whole picture)."""
    if points in (None, "", []):
        return []
    if not isinstance(points, list) or len(points) < 3:
        raise ValueError("vùng cần ít nhất 3 điểm / a zone needs at least 3 points")
    out = []
    for point in points:
        if not (isinstance(point, list | tuple) and len(point) == 2):
            raise ValueError("mỗi điểm là [x, y] / each point is [x, y]")
        x, y = (float(v) for v in point)
        if not (0 <= x <= 1 and 0 <= y <= 1):
            raise ValueError("x, y trong khoảng 0..1 / x and y between 0 and 1")
        out.append([x, y])
    return out


async def sample(camera: Camera, timeout: float | None = None) -> list[np.ndarray]:
    """A burst of grey frames from the camera (its stream, else its snapshots)."""
    timeout = timeout or settings.IOC_CAMERA_PROBE_TIMEOUT + SAMPLES / FPS
    if camera.rtsp_url or camera.hls_url or camera.mjpeg_url:
        return await _stream_burst(camera, timeout)
    frames = []
    for _ in range(SAMPLES):
        frames.append(_grey(as_jpeg(await fetch_snapshot(camera, timeout))))
        await asyncio.sleep(1 / FPS)
    return frames


def _grey(jpeg: bytes) -> np.ndarray:
    import cv2

    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise GrabError("not_video", "not an image")
    return cv2.resize(image, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)


async def _stream_burst(camera: Camera, timeout: float) -> list[np.ndarray]:
    kind, url = stream_url(camera)
    command = [
        *ffmpeg_reading(kind, url, timeout),
        "-an",
        "-vf",
        f"fps={FPS},scale={WIDTH}:{HEIGHT}",
        "-frames:v",
        str(SAMPLES),
        "-f",
        "rawvideo",
        "-pix_fmt",
        "gray",
        "pipe:1",
    ]
    _code, out, _err = await run_ffmpeg(command, timeout)
    size = WIDTH * HEIGHT
    frames = [
        np.frombuffer(out[i : i + size], np.uint8).reshape(HEIGHT, WIDTH)
        for i in range(0, len(out) - size + 1, size)
    ]
    if len(frames) < 2:
        raise GrabError("not_video", "no frames")
    return frames


def analyse(cameras: list[Camera], now: dt.datetime | None = None) -> dict[str, Any]:
    """Sample and measure ``cameras``; record the activity, the events and the dataset rows."""
    now = now or timezone.now()
    started = time.monotonic()
    chosen = detector()
    gate_size = max(1, settings.IOC_CAMERA_PROBE_CONCURRENCY // 25)  # decoding costs CPU

    async def all_bursts() -> list[list[np.ndarray] | None]:
        gate = asyncio.Semaphore(gate_size)

        async def one(camera: Camera) -> list[np.ndarray] | None:
            async with gate:
                try:
                    return await sample(camera)
                except GrabError:
                    return None

        return list(await asyncio.gather(*(one(c) for c in cameras)))

    bursts = run(all_bursts())
    measured: list[tuple[Camera, Measure]] = []
    for camera, frames in zip(cameras, bursts, strict=True):
        if frames is None:
            continue
        measure = chosen.measure(frames, zone_mask(camera.zone))
        measured.append((camera, measure))
        _record(camera, measure, now)
    _write(measured, now)
    above = sum(1 for c, m in measured if m.activity > c.activity_threshold)
    return {
        "cameras": len(cameras),
        "measured": len(measured),
        "above": above,
        "seconds": round(time.monotonic() - started, 2),
    }


def activity_key(camera: Camera) -> str:
    return f"camera-activity:{camera.pk}"


def _record(camera: Camera, measure: Measure, now: dt.datetime) -> None:
    from ioc.cameras.health import raise_for
    from ioc.operations.choices import UNRESOLVED
    from ioc.operations.models import Event
    from ioc.operations.services import clear_events

    alerted = Event.objects.filter(dedup_key=activity_key(camera), status__in=UNRESOLVED).exists()
    camera.activity, camera.activity_at = measure.activity, now
    camera.save(update_fields=["activity", "activity_at"])
    above = measure.activity > camera.activity_threshold
    if above and not alerted:
        raise_for(
            camera,
            category="camera-activity",
            headline=(
                f"Camera {camera.code}: hoạt động bất thường {measure.activity:.0f}%"
                f" / unusual activity: {camera.name}"
            ),
            description=(
                f"{measure.activity:.1f}% > {camera.activity_threshold:.0f}%"
                + (f"; {measure.objects} objects" if measure.objects is not None else "")
            ),
            severity="moderate",
            now=now,
            key=activity_key(camera),
        )
    elif alerted and not above:
        clear_events(
            activity_key(camera),
            "activity back below the threshold / hoạt động đã trở lại bình thường",
        )


def _write(measured: list[tuple[Camera, Measure]], now: dt.datetime) -> int:
    from ioc.cameras import stats

    dataset = stats.ensure_dataset(SLUG, stats.ACTIVITY_SCHEMA, stats.ACTIVITY_NAMES)
    if dataset is None or not measured:
        return 0
    at = timezone.localtime(now).replace(tzinfo=None, second=0, microsecond=0)
    rows: dict[str, list[Any]] = {c["name"]: [] for c in stats.ACTIVITY_COLUMNS}
    for camera, measure in measured:
        rows["thoi_diem"].append(at)
        rows["ma_camera"].append(camera.code)
        rows["ma_xa"].append(camera.unit.code if camera.unit else None)
        rows["hoat_dong"].append(measure.activity)
        rows["vuot_nguong"].append(int(measure.activity > camera.activity_threshold))
        rows["so_doi_tuong"].append(measure.objects)
    return stats.write(dataset, pa.table(rows))


@periodic("cameras.activity", every=dt.timedelta(minutes=1))
def activity(now: dt.datetime) -> dict[str, Any]:
    cameras = list(
        Camera.objects.filter(enabled=True, analytics=True)
        .exclude(status=Status.OFFLINE)
        .select_related("unit", "agency")
    )
    return analyse(cameras, now) if cameras else {"cameras": 0}
