"""Reaching a camera: its addresses with their credentials, and one frame grabbed from it.

``grab(camera)`` fetches one JPEG: from the snapshot URL when the camera has one (HTTP, basic
or digest authentication, no redirects, at most ``MAX_SNAPSHOT_BYTES``), otherwise with
ffmpeg from its RTSP, HLS or MJPEG stream. It is a coroutine, so the health probe runs many
at once with bounded concurrency; the ffmpeg process is killed (its whole process group)
when the time is up, and always waited for, so none is left behind.

Every failure is a :class:`GrabError` with a reason (``unreachable``, ``auth``,
``not_video``, ``timeout``, ``http``) and a "Vietnamese / English" message that never holds
a password: addresses in it are shown without their credentials (:func:`redact`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import os
import re
import signal
import ssl
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx
from django.conf import settings

from ioc.cameras.models import Camera

T = TypeVar("T")
MAX_SNAPSHOT_BYTES = 10 * 1024 * 1024
JPEG = b"\xff\xd8"
USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.I)

MESSAGES = {
    "unreachable": ("không kết nối được tới camera", "the camera cannot be reached"),
    "auth": ("sai tên đăng nhập hoặc mật khẩu camera", "wrong camera user name or password"),
    "not_video": (
        "địa chỉ không trả về hình ảnh hay video",
        "the address gives no picture or video",
    ),
    "timeout": (
        "camera không trả hình trong thời gian cho phép",
        "the camera sent no frame in time",
    ),
    "http": ("camera trả lỗi", "the camera answered with an error"),
}


class GrabError(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        vi, en = MESSAGES[reason]
        detail = redact(detail)[:150]
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"{vi} / {en}{suffix}")


def redact(text: str) -> str:
    """Text with the user name and password of every address in it removed."""
    return USERINFO.sub(r"\g<scheme>", text)


def split_credentials(url: str) -> tuple[str, str, str]:
    """(the address without user info, user name, password)."""
    parts = urlsplit(url.strip())
    if not parts.username and not parts.password:
        return url.strip(), "", ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return clean, unquote(parts.username or ""), unquote(parts.password or "")


def password(camera: Camera) -> str:
    from ioc.integrations import vault

    return vault.decrypt(camera.secret).get("password", "") if camera.secret else ""


def set_password(camera: Camera, value: str) -> None:
    from ioc.integrations import vault

    camera.secret = vault.encrypt({"password": value}) if value else ""


def with_credentials(camera: Camera, url: str) -> str:
    """The address with the camera's user name and password in it (for ffmpeg only)."""
    if not camera.username:
        return url
    parts = urlsplit(url)
    userinfo = quote(camera.username, safe="")
    secret = password(camera)
    if secret:
        userinfo += ":" + quote(secret, safe="")
    return urlunsplit(
        (parts.scheme, f"{userinfo}@{parts.netloc}", parts.path, parts.query, parts.fragment)
    )


def stream_url(camera: Camera) -> tuple[str, str]:
    """(kind, address with credentials) of the stream ffmpeg reads: RTSP, HLS, then MJPEG."""
    for kind, url in (
        ("rtsp", camera.rtsp_url),
        ("hls", camera.hls_url),
        ("mjpeg", camera.mjpeg_url),
    ):
        if url:
            return kind, with_credentials(camera, url)
    raise GrabError("not_video", "no stream address")


def input_options(kind: str, timeout: float) -> list[str]:
    """ffmpeg's options before ``-i``: give up on a silent source instead of hanging."""
    micros = str(int(timeout * 1_000_000))
    if kind == "rtsp":
        return ["-rtsp_transport", "tcp", "-timeout", micros]
    return ["-rw_timeout", micros]


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from sync code, also from a thread whose event loop is
    already running (then in a thread of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@dataclass(frozen=True)
class Frame:
    jpeg: bytes
    latency_ms: int
    source: str


async def grab(
    camera: Camera,
    timeout: float | None = None,
    decoders: asyncio.Semaphore | None = None,
    client: httpx.AsyncClient | None = None,
) -> Frame:
    """One frame. ``decoders`` bounds the ffmpeg processes running at once (decoding costs
    CPU, unlike a snapshot's fetch); the latency counts from when one is free. ``client``: a
    snapshot client shared by a round of grabs."""
    timeout = timeout or settings.IOC_CAMERA_PROBE_TIMEOUT
    if camera.snapshot_url:
        started = time.monotonic()
        jpeg = await fetch_snapshot(camera, timeout, client)
        return Frame(jpeg, int((time.monotonic() - started) * 1000), "snapshot")
    source, url = stream_url(camera)
    async with decoders or contextlib.nullcontext():
        started = time.monotonic()
        jpeg = await _ffmpeg_frame(source, url, timeout)
    return Frame(jpeg, int((time.monotonic() - started) * 1000), source)


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every snapshot client: building one reads the system's CA store
    (25 ms), which a new client per grab would pay a thousand times a minute."""
    return ssl.create_default_context()


def snapshot_client(connections: int = 10) -> httpx.AsyncClient:
    """A client for camera snapshots: no redirects, no proxy from the environment."""
    return httpx.AsyncClient(
        verify=_tls(),
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


async def fetch_snapshot(
    camera: Camera, timeout: float, client: httpx.AsyncClient | None = None
) -> bytes:
    if client is None:
        async with snapshot_client(1) as own:
            return await fetch_snapshot(camera, timeout, own)
    auth: httpx.Auth | None = None
    if camera.username:
        auth = httpx.BasicAuth(camera.username, password(camera))
    try:
        async with asyncio.timeout(timeout):
            response = await _get(client, camera.snapshot_url, auth, timeout)
            if response.status_code == 401 and camera.username:
                challenge = response.headers.get("www-authenticate", "").lower()
                if challenge.startswith("digest"):
                    response = await _get(
                        client,
                        camera.snapshot_url,
                        httpx.DigestAuth(camera.username, password(camera)),
                        timeout,
                    )
            body = response.content
    except (TimeoutError, httpx.TimeoutException):
        raise GrabError("timeout") from None
    except httpx.HTTPError as exc:
        raise GrabError("unreachable", type(exc).__name__) from None
    if response.status_code in (401, 403):
        raise GrabError("auth", f"HTTP {response.status_code}")
    if response.status_code != 200:
        raise GrabError("http", f"HTTP {response.status_code}")
    return as_jpeg(body)


async def _get(
    client: httpx.AsyncClient, url: str, auth: httpx.Auth | None, timeout: float
) -> httpx.Response:
    limits = httpx.Timeout(timeout, connect=min(timeout, 5.0))
    async with client.stream("GET", url, auth=auth, timeout=limits) as response:
        size = int(response.headers.get("content-length") or 0)
        if size > MAX_SNAPSHOT_BYTES:
            raise GrabError("not_video", f"{size} bytes")
        chunks, total = [], 0
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > MAX_SNAPSHOT_BYTES:
                raise GrabError("not_video", "too large")
            chunks.append(chunk)
        response._content = b"".join(chunks)
        return response


def as_jpeg(body: bytes) -> bytes:
    if body.startswith(JPEG):
        return body
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(body)) as image:
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=80)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError):
        raise GrabError("not_video", "not an image") from None


# What ffmpeg says (HTTP: "Server returned 401 Unauthorized (authorization failed)"; RTSP:
# "method DESCRIBE failed: 401 Unauthorized"), matched as words: an address's port or path
# may hold the same digits ("127.0.0.1:40123").
AUTH_FAILED = re.compile(r"\b(401|403) (unauthorized|forbidden)|authorization failed|access denied")
NOT_FOUND = re.compile(r"\b404 not found|invalid data found|no such file")


def _ffmpeg_error(stderr: str) -> GrabError:
    low = stderr.lower()
    if AUTH_FAILED.search(low):
        return GrabError("auth")
    if NOT_FOUND.search(low):
        return GrabError("not_video", stderr.strip().splitlines()[-1] if stderr.strip() else "")
    if "timed out" in low or "timeout" in low:
        return GrabError("timeout")
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    return GrabError("unreachable", last)


def ffmpeg_reading(kind: str, url: str, timeout: float) -> list[str]:
    """ffmpeg's command up to its input: quiet, no stdin, giving up on a silent source."""
    return [
        settings.IOC_FFMPEG,
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        *input_options(kind, timeout),
        "-i",
        url,
    ]


async def run_ffmpeg(command: list[str], timeout: float) -> tuple[int, bytes, str]:
    """(exit code, standard output, standard error) of an ffmpeg run; at ``timeout`` its
    whole process group is killed (GrabError "timeout"), and it is always waited for."""
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,  # its own process group: killed whole on time-out
    )
    try:
        async with asyncio.timeout(timeout):
            out, err = await process.communicate()
    except TimeoutError:
        raise GrabError("timeout") from None
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
    return int(process.returncode or 0), out, err.decode("utf-8", "replace")


async def _ffmpeg_frame(kind: str, url: str, timeout: float) -> bytes:
    command = [
        *ffmpeg_reading(kind, url, timeout),
        "-frames:v",
        "1",
        "-an",
        "-vf",
        "scale='min(1280,iw)':-2",
        "-q:v",
        "5",
        "-f",
        "image2pipe",
        "-vcodec",
        "mjpeg",
        "pipe:1",
    ]
    started = time.monotonic()
    code, out, err = await run_ffmpeg(command, timeout)
    if code != 0 or not out.startswith(JPEG):
        if time.monotonic() - started >= 0.9 * timeout:
            # ffmpeg's own I/O time-out came first: whatever it says then ("Invalid data
            # found", often), a source silent that long has stalled.
            raise GrabError("timeout")
        raise _ffmpeg_error(err)
    return out
