"""MJPEG passthrough through the real ASGI server (uvicorn running ioc.asgi): whole frames
as the camera sends them, one connection to the camera for every viewer, closed when the last
one leaves; a refused address gets no stream."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ioc.cameras import access, mjpeg
from ioc.cameras.testsources import free_port

from .conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def asgi_server() -> Iterator[str]:
    import uvicorn

    from ioc.asgi import application

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(application, port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_for(lambda: server.started, 10)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def _frames(url: str, count: int) -> list[bytes]:
    got: list[bytes] = []
    with httpx.stream("GET", url, timeout=10) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("multipart/x-mixed-replace")
        buffer = bytearray()
        for chunk in response.iter_bytes():
            buffer.extend(chunk)
            got.extend(mjpeg.frames_in(buffer))
            if len(got) >= count:
                break
    return got


def test_mjpeg_is_passed_through_once_for_every_viewer(
    camera_settings: Any,
    frame_server: Any,
    make_camera: Any,
    make_user: Any,
    groups: dict[str, Any],
    asgi_server: str,
) -> None:
    from ioc.accounts.choices import Role

    camera = make_camera("market", mjpeg_url=frame_server.mjpeg("market"), groups=[groups["order"]])
    viewer = make_user("boss", roles=[Role.OPERATOR], scope_all=True)
    url = asgi_server + mjpeg.PREFIX + f"{camera.pk}/{access.sign(camera, viewer, 'live')}/"
    results: list[list[bytes]] = []
    viewers = [threading.Thread(target=lambda: results.append(_frames(url, 5))) for _ in range(3)]
    for thread in viewers:
        thread.start()
    for thread in viewers:
        thread.join(20)
    assert len(results) == 3
    for frames in results:
        assert len(frames) >= 3 and all(
            f.startswith(b"\xff\xd8") and f.endswith(b"\xff\xd9") for f in frames
        )
    assert frame_server.httpd.hits["/mjpeg/market"] == 1  # one connection to the camera
    # closed a few seconds after the last viewer
    assert wait_for(lambda: camera.pk not in mjpeg._hubs, mjpeg.GRACE_SECONDS + 5)

    refused = httpx.get(asgi_server + mjpeg.PREFIX + f"{camera.pk}/forged/", timeout=5)
    assert refused.status_code == 403
    other = make_user("traffic", roles=[Role.OPERATOR])  # no scope: sees nothing
    token = access.sign(camera, other, "live")
    assert (
        httpx.get(asgi_server + mjpeg.PREFIX + f"{camera.pk}/{token}/", timeout=5).status_code
        == 403
    )


def test_frames_are_cut_whole_from_any_chunking() -> None:
    stream = b"--x\r\n\r\n\xff\xd8AAA\xff\xd9\r\n--x\r\n\r\n\xff\xd8BB"
    buffer = bytearray(stream)
    assert mjpeg.frames_in(buffer) == [b"\xff\xd8AAA\xff\xd9"]
    buffer.extend(b"B\xff\xd9--x")
    assert mjpeg.frames_in(buffer) == [b"\xff\xd8BBB\xff\xd9"]
