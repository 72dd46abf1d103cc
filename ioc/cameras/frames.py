"""The last frame of each camera, kept on disk and shared by every viewer and process.

A snapshot view asks :func:`latest`: a frame younger than ``IOC_CAMERA_SNAPSHOT_SECONDS`` is
served as it is; an older one is fetched again by exactly one caller (a lock per camera,
across threads and processes) while the others take the frame kept until then. So 100
operators watching the same grid cost one fetch per camera per period. A failed fetch is
remembered for the same period too (the ``.err`` file beside the frame), so an offline camera
is not asked 100 times; the last good frame stays, with its time, for the page to show.
The health probe stores the frames it grabs here as well.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from ioc.cameras.choices import Status
from ioc.cameras.models import Camera
from ioc.cameras.sources import GrabError, grab, run

FETCH_SECONDS = 4.0
_locks: dict[int, threading.Lock] = {}
_locks_guard = threading.Lock()


def folder() -> Path:
    path = Path(settings.VAR_DIR) / "cameras" / "frames"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Cached:
    jpeg: bytes | None  # the last good frame, however old
    taken_at: float | None  # its time (epoch seconds)
    error: str  # the last fetch's error, when it failed after that frame


def _paths(camera_id: int) -> tuple[Path, Path]:
    base = folder()
    return base / f"{camera_id}.jpg", base / f"{camera_id}.err"


def store(camera_id: int, jpeg: bytes) -> None:
    frame, error = _paths(camera_id)
    temporary = frame.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_bytes(jpeg)
    os.replace(temporary, frame)
    error.unlink(missing_ok=True)


def store_error(camera_id: int, message: str) -> None:
    _, error = _paths(camera_id)
    temporary = error.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_text(message, encoding="utf-8")
    os.replace(temporary, error)


def read(camera_id: int) -> Cached:
    frame, error = _paths(camera_id)
    try:
        jpeg, taken = frame.read_bytes(), frame.stat().st_mtime
    except FileNotFoundError:
        jpeg, taken = None, None
    try:
        message = error.read_text(encoding="utf-8")
    except FileNotFoundError:
        message = ""
    return Cached(jpeg, taken, message)


def _fresh(camera_id: int, max_age: float) -> bool:
    now = time.time()
    for path in _paths(camera_id):
        try:
            if now - path.stat().st_mtime < max_age:
                return True
        except FileNotFoundError:
            continue
    return False


def _lock(camera_id: int) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(camera_id, threading.Lock())


def latest(camera: Camera, max_age: float | None = None) -> Cached:
    """The camera's frame, fetched again when the kept one is older than ``max_age``.

    A web thread never waits on a camera that is known to be down (the probe said offline:
    the kept frame and its error are served at once) nor on another thread's fetch of the
    same camera (the kept frame is served, the fresh one comes at the next refresh), and its
    own fetch gives up after ``FETCH_SECONDS``: a grid of dead cameras cannot hold the
    server's few threads."""
    max_age = settings.IOC_CAMERA_SNAPSHOT_SECONDS if max_age is None else max_age
    if camera.status == Status.OFFLINE or _fresh(camera.pk, max_age):
        return read(camera.pk)
    lock = _lock(camera.pk)
    if not lock.acquire(blocking=False):  # this process is fetching it already
        return read(camera.pk)
    try:
        with (folder() / f"{camera.pk}.lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # one process of the machine
            except BlockingIOError:
                return read(camera.pk)
            try:
                if not _fresh(camera.pk, max_age):
                    timeout = min(settings.IOC_CAMERA_PROBE_TIMEOUT, FETCH_SECONDS)
                    try:
                        store(camera.pk, run(grab(camera, timeout)).jpeg)
                    except GrabError as exc:
                        store_error(camera.pk, str(exc))
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        lock.release()
    return read(camera.pk)
