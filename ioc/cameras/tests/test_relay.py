"""Live relays against the real GStreamer RTSP server: remux without re-encoding, one relay
shared by all viewers, stopped when nobody watches, a limit, and nothing left running."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from ioc.cameras import relay

from .conftest import ffmpeg_under, wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def relays(camera_settings: Any) -> Any:
    yield camera_settings
    for camera_id in list(relay.running()):
        relay.stop(camera_id)


def test_one_relay_per_camera_shared_then_stopped_when_nobody_watches(
    relays: Any, rtsp: Any, make_camera: Any
) -> None:
    camera = make_camera("cam1", rtsp_url=rtsp.url("/cam1"))
    folder = relay.watch(camera)
    text = relay.playlist(camera.pk, wait=15)  # how fast: benchmarks/cameras.py
    assert text is not None and b"#EXTINF" in text, relay.failure(camera.pk)
    assert "-c:v copy" in " ".join(relay.command(camera, folder))  # remuxed, not re-encoded

    pid = relay.running()[camera.pk]
    assert relay.watch(camera) == folder and relay.running()[camera.pk] == pid  # shared
    segments = list(folder.glob("s*.ts"))
    assert segments and segments[0].stat().st_size > 1000

    relays.IOC_CAMERA_RELAY_IDLE_SECONDS = 5
    assert relay.reap(now=time.time() + 2) == []  # watched a moment ago: kept
    assert relay.reap(now=time.time() + 60) == [camera.pk]  # nobody for a minute: stopped
    assert wait_for(lambda: not ffmpeg_under(folder), 5)
    assert camera.pk not in relay.running()


def test_the_relay_limit_refuses_one_more(relays: Any, rtsp: Any, make_camera: Any) -> None:
    relays.IOC_CAMERA_RELAYS = 1
    first = make_camera("cam2", rtsp_url=rtsp.url("/cam2"))
    second = make_camera("cam3", rtsp_url=rtsp.url("/cam3"))
    relay.watch(first)
    with pytest.raises(relay.RelayLimit) as caught:
        relay.watch(second)
    assert "giới hạn" in str(caught.value) and "limit" in str(caught.value)
    relay.stop(first.pk)
    relay.watch(second)  # a free slot again
    assert second.pk in relay.running()


def test_a_source_that_dies_ends_its_relay_by_itself(
    relays: Any, make_camera: Any, ffmpeg: str
) -> None:
    from ioc.cameras.testsources import RtspServer

    server = RtspServer(["/cut:640x360"])
    camera = make_camera("cut", rtsp_url=server.url("/cut"))
    relays.IOC_CAMERA_PROBE_TIMEOUT = 3
    folder: Path = relay.watch(camera)
    assert relay.playlist(camera.pk, wait=15) is not None
    server.stop()  # the camera is cut
    assert wait_for(lambda: not relay.is_running(camera.pk), 15)
    assert not ffmpeg_under(folder)
    assert relay.playlist(camera.pk) is None  # its last files are not served as live
    relay.reap(now=time.time() + 3600)
    assert not folder.exists()


def test_an_unreachable_camera_gives_a_reason_and_no_process(relays: Any, make_camera: Any) -> None:
    camera = make_camera(
        "nowhere", rtsp_url="rtsp://127.0.0.1:9/none", username="admin", password="Pa55-w0rd"
    )
    folder = relay.watch(camera)
    assert relay.playlist(camera.pk, wait=5) is None
    assert wait_for(lambda: not ffmpeg_under(folder), 5)
    assert wait_for(lambda: relay.failure(camera.pk), 5)  # ffmpeg's last words, for the viewer
    log = (folder / "ffmpeg.log").read_text()
    assert "127.0.0.1:9" in log and "Pa55" not in log and "admin" not in log


def test_sources_die_with_the_process_that_started_them(ffmpeg: str, tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    parent = subprocess.Popen(  # a demo server, say, killed without a chance to clean up
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            " from ioc.cameras.testsources import HlsSource;"
            f" s = HlsSource({ffmpeg!r}, Path({str(tmp_path)!r}), 'river');"
            " print(s.ready(), flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    assert parent.stdout is not None and parent.stdout.readline().strip() == b"True"
    assert ffmpeg_under(tmp_path)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert wait_for(lambda: not ffmpeg_under(tmp_path), 5)
