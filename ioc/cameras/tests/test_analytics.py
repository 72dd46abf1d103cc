"""Activity analytics: OpenCV background subtraction measures what moves in the zone, the
alert rule raises and resolves an event, and each minute lands in the warehouse."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from ioc.cameras import analytics
from ioc.cameras.analytics import MotionDetector, check_zone, zone_mask
from ioc.operations.models import Event


def _frames(box_x: list[int], noise: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    frames = []
    for x in box_x:
        frame = np.full((180, 320), 60, np.uint8)
        frame[70:110, x : x + 40] = 230  # a bright "car" crossing
        if noise:
            frame = np.clip(frame + rng.integers(-noise, noise, frame.shape), 0, 255).astype(
                np.uint8
            )
        frames.append(frame)
    return frames


def test_motion_is_measured_inside_the_zone_only() -> None:
    detector = MotionDetector()
    whole = zone_mask([])
    still = detector.measure(_frames([100] * 8, noise=3), whole)
    moving = detector.measure(_frames([20, 50, 80, 110, 140, 170, 200, 230]), whole)
    assert still.activity < 0.5 < 2 < moving.activity
    left = zone_mask([[0, 0], [0.3, 0], [0.3, 1], [0, 1]])  # the box moves on the right
    right_only = detector.measure(_frames([200, 210, 220, 230, 240, 250, 260, 270]), left)
    assert right_only.activity < 0.5
    assert np.count_nonzero(left) < np.count_nonzero(whole)


def test_zones_are_checked() -> None:
    assert check_zone([]) == []
    assert check_zone([[0, 0], [1, 0], [0.5, 1]]) == [[0, 0], [1, 0], [0.5, 1]]
    for bad in ([[0, 0], [1, 1]], [[0, 0], [2, 0], [0, 1]], "abc", [[0, 0, 0], [1, 0], [0, 1]]):
        with pytest.raises(ValueError):
            check_zone(bad)
    with pytest.raises(ValueError, match="detector"):
        analytics.detector("onnx-not-installed")


@pytest.mark.django_db
def test_a_busy_camera_raises_an_alert_that_ends_when_it_calms(
    camera_settings: Any,
    frame_server: Any,
    make_camera: Any,
    groups: dict[str, Any],
    agencies: dict[str, Any],
    warehouse: Any,
    monkeypatch: Any,
) -> None:
    # The test server's snapshots show a box crossing the picture: real movement.
    square = make_camera(
        "square",
        snapshot_url=frame_server.snapshot("square"),
        groups=[groups["order"]],
        analytics=True,
        activity_threshold=0.5,
    )
    monkeypatch.setattr(analytics, "FPS", 8)  # a quicker burst for the test
    now = timezone.now()
    result = analytics.activity(now)
    assert result["measured"] == 1 and result["above"] == 1
    square.refresh_from_db()
    assert square.activity > 0.5 and square.activity_at is not None
    event = Event.objects.get(dedup_key=f"camera-activity:{square.pk}")
    assert event.status == "open" and event.sector == groups["order"].sector

    square.activity_threshold = 99  # calm by this measure: the alert is resolved
    square.save()
    analytics.activity(now + dt.timedelta(minutes=1))  # a row per camera per minute
    event.refresh_from_db()
    assert event.status == "resolved"

    from ioc.warehouse import writer

    rows = writer.execute("SELECT ma_camera, vuot_nguong FROM data.camera_activity ORDER BY 2")
    assert [tuple(r) for r in rows] == [("square", 0), ("square", 1)]


@pytest.mark.django_db
def test_a_stream_burst_comes_from_ffmpeg(
    camera_settings: Any, rtsp: Any, make_camera: Any
) -> None:
    camera = make_camera("ball", rtsp_url=rtsp.url("/cam1"))  # a bouncing ball
    frames = analytics.run(analytics.sample(camera))
    assert len(frames) == analytics.SAMPLES and frames[0].shape == (180, 320)
    assert MotionDetector().measure(frames, zone_mask([])).activity > 0
