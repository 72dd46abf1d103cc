"""One frame from a real source, and every way a camera goes wrong: a clear reason, no
password in the message, no ffmpeg left behind."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import pytest

from ioc.cameras.models import Camera
from ioc.cameras.sources import GrabError, grab, password, redact, split_credentials

from .conftest import ffmpeg_under, wait_for

pytestmark = pytest.mark.django_db


def _grab(camera: Camera, timeout: float = 5) -> Any:
    return asyncio.run(grab(camera, timeout))


def test_a_snapshot_is_a_jpeg_and_basic_credentials_are_sent(
    camera_settings: Any, frame_server: Any, make_camera: Any
) -> None:
    frame_server.require("gate", "admin", "s3cret:/@")
    camera = make_camera(
        "gate", snapshot_url=frame_server.snapshot("gate"), username="admin", password="s3cret:/@"
    )
    frame = _grab(camera)
    assert frame.jpeg.startswith(b"\xff\xd8") and frame.source == "snapshot"
    assert password(camera) == "s3cret:/@" and "s3cret" not in camera.secret  # encrypted


def test_wrong_credentials_unreachable_hosts_and_pages_that_are_not_pictures(
    camera_settings: Any, frame_server: Any, make_camera: Any
) -> None:
    frame_server.require("gate", "admin", "right")
    wrong = make_camera(
        "wrong", snapshot_url=frame_server.snapshot("gate"), username="admin", password="bad"
    )
    with pytest.raises(GrabError) as caught:
        _grab(wrong)
    assert caught.value.reason == "auth" and "bad" not in str(caught.value)
    assert "mật khẩu" in str(caught.value) and "password" in str(caught.value)

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    gone = make_camera("gone", snapshot_url=f"http://127.0.0.1:{closed}/snap.jpg")
    with pytest.raises(GrabError) as caught:
        _grab(gone)
    assert caught.value.reason == "unreachable"

    page = make_camera("page", snapshot_url=f"{frame_server.base}/not-video")
    with pytest.raises(GrabError) as caught:
        _grab(page)
    assert caught.value.reason == "not_video"

    # A "stream" that is an HTML page, read by ffmpeg: not a video, and ffmpeg is gone.
    html = make_camera("html", mjpeg_url=f"{frame_server.base}/not-video")
    with pytest.raises(GrabError) as caught:
        _grab(html)
    assert caught.value.reason in {"not_video", "unreachable"}
    assert not ffmpeg_under(frame_server.base)


def test_a_stream_that_stalls_times_out_and_leaves_no_ffmpeg(
    camera_settings: Any, make_camera: Any
) -> None:
    listener = socket.socket()  # accepts the connection and never says a word
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(listener.accept()[0]), daemon=True).start()
    url = f"rtsp://127.0.0.1:{port}/stalled"
    camera = make_camera("stalled", rtsp_url=url)
    with pytest.raises(GrabError) as caught:
        _grab(camera, timeout=2)
    assert caught.value.reason in {"timeout", "unreachable"}
    assert wait_for(lambda: not ffmpeg_under(f"127.0.0.1:{port}"), 3)
    listener.close()


def test_rtsp_and_hls_frames_come_through_ffmpeg(
    camera_settings: Any, rtsp: Any, frame_server: Any, make_camera: Any, tmp_path: Any
) -> None:
    from ioc.cameras.testsources import HlsSource

    camera = make_camera("rtsp", rtsp_url=rtsp.url("/cam2"))
    frame = _grab(camera, timeout=10)
    assert frame.jpeg.startswith(b"\xff\xd8") and frame.source == "rtsp"

    source = HlsSource(camera_settings.IOC_FFMPEG, tmp_path / "hls", "river")
    try:
        assert source.ready()
        hls = make_camera("hls", hls_url=frame_server.hls("river"))
        assert _grab(hls, timeout=10).source == "hls"
    finally:
        source.stop()


def test_ffmpeg_failures_are_told_apart_by_their_words_not_by_digits_in_the_address() -> None:
    from ioc.cameras.sources import _ffmpeg_error

    said = {
        "http://127.0.0.1:40123/x: Server returned 401 Unauthorized (authorization failed)": "auth",
        "[rtsp @ 0x5] method DESCRIBE failed: 401 Unauthorized": "auth",
        "http://127.0.0.1:40123/not-video: Invalid data found when processing input": "not_video",
        "http://127.0.0.1:44013/x: Server returned 404 Not Found": "not_video",
        "rtsp://127.0.0.1:40401/x: Connection refused": "unreachable",
        "http://10.4.0.1:403/x: Connection timed out": "timeout",
    }
    for stderr, reason in said.items():
        assert _ffmpeg_error(stderr).reason == reason, stderr


def test_credentials_come_out_of_addresses_and_out_of_messages() -> None:
    clean, user, secret = split_credentials("rtsp://admin:p%40ss@10.0.0.5:554/Streaming/101")
    assert (clean, user, secret) == ("rtsp://10.0.0.5:554/Streaming/101", "admin", "p@ss")
    assert redact("cannot open rtsp://admin:p@10.0.0.5/x") == "cannot open rtsp://10.0.0.5/x"
