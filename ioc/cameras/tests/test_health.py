"""Probes: status, uptime, an event when a camera goes offline and its end when it is back,
the frame kept for the grid, and the round in the warehouse."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from ioc.cameras import frames
from ioc.cameras.health import probe
from ioc.cameras.models import Camera, CameraUptime
from ioc.operations.models import Event

pytestmark = pytest.mark.django_db


def test_a_camera_cut_goes_offline_raises_one_event_and_recovers(
    camera_settings: Any,
    frame_server: Any,
    make_camera: Any,
    groups: dict[str, Any],
    agencies: dict[str, Any],
    warehouse: Any,
) -> None:
    gate = make_camera(
        "gate",
        snapshot_url=frame_server.snapshot("gate"),
        groups=[groups["traffic"]],
        agency=agencies["traffic"],
    )
    make_camera("park", snapshot_url=frame_server.snapshot("park"), groups=[groups["order"]])
    now = timezone.now()

    assert probe(now=now)["online"] == 2
    gate.refresh_from_db()
    assert gate.status == "online" and gate.last_frame_at == now and gate.latency_ms is not None
    assert frames.read(gate.pk).jpeg is not None  # the grid has its frame already

    frame_server.cut("gate")
    result = probe(now=now + dt.timedelta(minutes=1))
    assert result["offline"] == 1 and result["online"] == 1
    gate.refresh_from_db()
    assert gate.status == "offline" and gate.last_error
    assert "không kết nối" in gate.last_error or "trong thời gian" in gate.last_error
    event = Event.objects.get(dedup_key=f"camera-offline:{gate.pk}")
    assert event.status == "open" and event.agency == agencies["traffic"]
    assert event.sector == groups["traffic"].sector

    probe(now=now + dt.timedelta(minutes=2))  # still down: the same event, not another
    assert Event.objects.filter(dedup_key=f"camera-offline:{gate.pk}").count() == 1

    frame_server.restore("gate")
    probe(now=now + dt.timedelta(minutes=3))
    gate.refresh_from_db()
    assert gate.status == "online" and not gate.last_error
    event.refresh_from_db()
    assert event.status == "resolved"

    uptime = CameraUptime.objects.get(camera=gate, day=timezone.localdate(now))
    assert (uptime.probes, uptime.online) == (4, 2) and uptime.percent == 50.0

    from ioc.warehouse import writer

    rows = writer.execute(
        "SELECT ma_camera, sum(truc_tuyen), sum(mat_tin_hieu), count(*)"
        " FROM data.camera_health GROUP BY 1 ORDER BY 1"
    )
    assert [tuple(r) for r in rows] == [("gate", 2, 2, 4), ("park", 4, 0, 4)]


def test_a_slow_camera_is_degraded(camera_settings: Any, make_camera: Any) -> None:
    from ioc.cameras.health import Probe, record

    camera = make_camera("slow", snapshot_url="http://127.0.0.1:9/x.jpg")
    record([camera], [Probe(camera.pk, "degraded", 4000, "", b"\xff\xd8x")], timezone.now())
    assert Camera.objects.get(pk=camera.pk).status == "degraded"
