"""MJPEG passthrough, for cameras that offer nothing else: the camera's multipart JPEG stream
relayed to the browser as it comes (no re-encoding), one connection to the camera however
many watch.

Each server process keeps one :class:`Hub` per camera being watched: it reads the camera's
stream, cuts it into whole JPEG frames and hands the latest to every viewer's queue (a slow
viewer skips frames rather than holding the others back). When the last viewer leaves, the
hub closes the camera's connection (a few seconds later, so a page that reloads does not
reconnect to the camera). The view is async and goes through Django's ASGI handler
(``ioc.asgi``), so a long stream holds no thread.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from ioc.accounts.scope import ScopeDenied
from ioc.cameras import access
from ioc.cameras.choices import ViewKind
from ioc.cameras.models import Camera
from ioc.cameras.sources import password

BOUNDARY = "iocframe"
SOI, EOI = b"\xff\xd8", b"\xff\xd9"
MAX_FRAME = 8 * 1024 * 1024
PREFIX = "/ioc/cameras/mjpeg/"  # ioc.asgi sends these paths to the async handler
GRACE_SECONDS = 3.0  # the camera's connection outlives its last viewer by this much

_hubs: dict[int, Hub] = {}


def frames_in(buffer: bytearray) -> list[bytes]:
    """Whole JPEG frames cut off the front of ``buffer`` (what is left stays in it)."""
    found: list[bytes] = []
    while True:
        start = buffer.find(SOI)
        if start < 0:
            del buffer[: max(0, len(buffer) - 1)]
            return found
        end = buffer.find(EOI, start + 2)
        if end < 0:
            del buffer[:start]
            if len(buffer) > MAX_FRAME:  # no end in sight: not a picture stream
                buffer.clear()
            return found
        found.append(bytes(buffer[start : end + 2]))
        del buffer[: end + 2]


class Hub:
    def __init__(self, camera: Camera) -> None:
        self.camera = camera
        self.viewers: set[asyncio.Queue[bytes | None]] = set()
        self.task: asyncio.Task[None] | None = None

    def join(self) -> asyncio.Queue[bytes | None]:
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=2)
        self.viewers.add(queue)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._read())
        return queue

    def leave(self, queue: asyncio.Queue[bytes | None]) -> None:
        self.viewers.discard(queue)
        if not self.viewers:  # a page reloading or the next tile of a tour: wait a moment
            asyncio.get_running_loop().call_later(GRACE_SECONDS, self._close_if_unwatched)

    def _close_if_unwatched(self) -> None:
        if not self.viewers and self.task is not None:
            self.task.cancel()
            if _hubs.get(self.camera.pk) is self:
                _hubs.pop(self.camera.pk, None)

    def _give(self, item: bytes | None) -> None:
        for queue in list(self.viewers):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()  # drop the oldest: a slow viewer skips frames
            queue.put_nowait(item)

    async def _read(self) -> None:
        camera = self.camera
        auth = httpx.BasicAuth(camera.username, password(camera)) if camera.username else None
        timeout = httpx.Timeout(settings.IOC_CAMERA_PROBE_TIMEOUT)
        try:
            async with (
                httpx.AsyncClient(
                    timeout=timeout, follow_redirects=False, trust_env=False
                ) as client,
                client.stream("GET", camera.mjpeg_url, auth=auth) as response,
            ):
                if response.status_code != 200:
                    return
                buffer = bytearray()
                async for chunk in response.aiter_bytes():
                    buffer.extend(chunk)
                    for frame in frames_in(buffer):
                        self._give(frame)
        except (httpx.HTTPError, OSError):
            pass
        finally:
            self._give(None)  # the end: every viewer's stream closes
            if _hubs.get(camera.pk) is self:
                _hubs.pop(camera.pk, None)


def _check(pk: int, token: str) -> Camera:
    grant = access.check(token, pk, ViewKind.LIVE)
    return access.still_allowed(grant)


async def stream(request: HttpRequest, pk: int, token: str) -> HttpResponseBase:
    if not isinstance(request, ASGIRequest):  # a WSGI server would read the endless stream whole
        return HttpResponse(
            "Cần máy chủ ASGI (ioc serve) / MJPEG passthrough needs the ASGI server (ioc serve)",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    try:
        camera = await sync_to_async(_check)(pk, token)
    except (access.TokenRefused, ScopeDenied):
        return HttpResponse(
            "Đường dẫn đã hết hạn hoặc không hợp lệ / this address has expired or is not valid",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    if not camera.mjpeg_url:
        return HttpResponse(status=404)
    hub = _hubs.get(camera.pk)
    if hub is None:
        hub = _hubs[camera.pk] = Hub(camera)
    queue = hub.join()

    async def parts() -> AsyncIterator[bytes]:
        try:
            while True:
                frame = await queue.get()
                if frame is None:
                    return
                yield (
                    (
                        f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                        f"Content-Length: {len(frame)}\r\n\r\n"
                    ).encode()
                    + frame
                    + b"\r\n"
                )
        finally:
            hub.leave(queue)

    response = StreamingHttpResponse(
        parts(), content_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}"
    )
    response["Cache-Control"] = "no-store"
    return response
