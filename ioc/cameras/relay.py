"""Live video: RTSP (or HLS) remuxed to HLS by ffmpeg, one relay per camera, on demand.

The first viewer of a camera starts its relay: ffmpeg reads the camera's stream and writes a
short rolling HLS playlist (1 s segments, the last 6 kept) under
``var/cameras/live/<camera id>/``; the video is copied, never re-encoded (an MJPEG-only
camera is passed through as it is instead: ``ioc.cameras.mjpeg``). Every viewer after that
reads the same files: one relay however many watch. Each playlist fetch marks the relay as
watched; a relay nobody fetched for ``IOC_CAMERA_RELAY_IDLE_SECONDS`` is stopped, and at most
``IOC_CAMERA_RELAYS`` run at once on the machine (a new one beyond that is refused with a
clear message, after idle ones are stopped).

Across the server's processes a relay is known by its pid file (checked against the
process's command line, so a reused pid is not taken for it), and starting one is serialised
by a file lock. ffmpeg is started by one long-lived thread of the process with
``PR_SET_PDEATHSIG``: if the server process dies, its relays die with it. ffmpeg gives up by
itself when the camera stops sending (its I/O time-out), and the reaper, in every web
process, clears what a dead relay left. Nothing is left running: tested.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

from django.conf import settings

from ioc.cameras.models import Camera
from ioc.cameras.processes import die_with_parent
from ioc.cameras.sources import GrabError, ffmpeg_reading, stream_url

PLAYLIST = "index.m3u8"


class RelayError(Exception):
    pass


class RelayLimit(RelayError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"Đã đạt giới hạn {limit} luồng video trực tiếp cùng lúc, hãy thử lại sau /"
            f" the limit of {limit} live video relays at once is reached; try again later"
        )


def root() -> Path:
    path = Path(settings.VAR_DIR) / "cameras" / "live"
    path.mkdir(parents=True, exist_ok=True)
    return path


def folder(camera_id: int) -> Path:
    return root() / str(int(camera_id))


def _pid(directory: Path) -> int | None:
    try:
        return int((directory / "relay.pid").read_text())
    except (FileNotFoundError, ValueError):
        return None


def _alive(pid: int, directory: Path) -> bool:
    """The process is an ffmpeg writing into ``directory`` (not a reused pid, not a zombie)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z" and str(directory).encode() in cmdline


def running() -> dict[int, int]:
    """{camera id: pid} of the relays running on this machine."""
    found = {}
    for directory in root().iterdir():
        if directory.is_dir() and directory.name.isdigit():
            pid = _pid(directory)
            if pid and _alive(pid, directory):
                found[int(directory.name)] = pid
    return found


@contextlib.contextmanager
def _machine_lock() -> Iterator[None]:
    with _process_lock, (root() / "relays.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_process_lock = threading.Lock()


def command(camera: Camera, directory: Path) -> list[str]:
    try:
        kind, url = stream_url(camera)
    except GrabError as exc:
        raise RelayError(str(exc)) from None
    if kind == "mjpeg":  # passed through as it is (ioc.cameras.mjpeg), never re-encoded here
        raise RelayError("MJPEG: no relay")
    return [
        *ffmpeg_reading(kind, url, settings.IOC_CAMERA_PROBE_TIMEOUT),
        "-map",
        "0:v:0",
        "-c:v",
        "copy",
        "-an",
        "-f",
        "hls",
        "-hls_time",
        "1",
        "-hls_list_size",
        "6",
        "-hls_flags",
        "delete_segments+independent_segments+temp_file+omit_endlist",
        "-hls_segment_filename",
        str(directory / "s%06d.ts"),
        str(directory / PLAYLIST),
    ]


def watch(camera: Camera) -> Path:
    """Make sure the camera's relay runs (starting it if needed) and count a viewer; the
    folder its playlist appears in."""
    directory = folder(camera.pk)
    pid = _pid(directory)
    if pid and _alive(pid, directory):
        touch(camera.pk)
        return directory
    with _machine_lock():
        pid = _pid(directory)
        if pid and _alive(pid, directory):
            touch(camera.pk)
            return directory
        reap()
        if len(running()) >= settings.IOC_CAMERA_RELAYS:
            raise RelayLimit(settings.IOC_CAMERA_RELAYS)
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        (directory / "viewers").touch()
        process = _manager().spawn(command(camera, directory), directory / "ffmpeg.log")
        (directory / "relay.pid").write_text(str(process.pid))
    return directory


def touch(camera_id: int) -> None:
    with contextlib.suppress(FileNotFoundError):
        (folder(camera_id) / "viewers").touch()


def playlist(camera_id: int, wait: float = 0.0) -> bytes | None:
    """The relay's playlist, waiting up to ``wait`` seconds for its first segment; None once
    the relay has stopped (its last files are not served as if it still ran)."""
    path = folder(camera_id) / PLAYLIST
    deadline = time.monotonic() + wait
    while True:
        running = is_running(camera_id)
        try:
            text = path.read_bytes()
        except FileNotFoundError:
            text = b""
        if b"#EXTINF" in text and running:
            touch(camera_id)
            return text
        if time.monotonic() >= deadline or not running:
            return None
        time.sleep(0.2)


def is_running(camera_id: int) -> bool:
    directory = folder(camera_id)
    pid = _pid(directory)
    return bool(pid and _alive(pid, directory))


def failure(camera_id: int) -> str:
    """What a relay that stopped by itself said (its ffmpeg log, without credentials)."""
    from ioc.cameras.sources import redact

    try:
        text = (folder(camera_id) / "ffmpeg.log").read_text(errors="replace").strip()
    except FileNotFoundError:
        return ""
    return redact(text.splitlines()[-1])[:200] if text else ""


def stop(camera_id: int) -> None:
    directory = folder(camera_id)
    pid = _pid(directory)
    if pid and _alive(pid, directory):
        _kill(pid, directory)
    shutil.rmtree(directory, ignore_errors=True)


def _kill(pid: int, directory: Path) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 3
    while _alive(pid, directory) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid, directory):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _manager().collect()


def reap(now: float | None = None) -> list[int]:
    """Stop the relays nobody watched for the idle time; clear what dead ones left."""
    now = time.time() if now is None else now
    idle = settings.IOC_CAMERA_RELAY_IDLE_SECONDS
    stopped = []
    for directory in root().iterdir():
        if not (directory.is_dir() and directory.name.isdigit()):
            continue
        pid = _pid(directory)
        alive = bool(pid and _alive(pid, directory))
        try:
            watched = (directory / "viewers").stat().st_mtime
        except FileNotFoundError:
            watched = 0.0
        if alive and now - watched <= idle:
            continue
        if alive and pid:
            _kill(pid, directory)
            stopped.append(int(directory.name))
        elif now - watched > idle:
            shutil.rmtree(directory, ignore_errors=True)
    _manager().collect()
    return stopped


def _keep_log(child: subprocess.Popen[bytes], log: Path) -> None:
    """ffmpeg's messages into the relay's log, each line without the camera's credentials
    (ffmpeg names its input, password included, when it fails)."""
    from ioc.cameras.sources import redact

    assert child.stderr is not None
    with child.stderr, contextlib.suppress(OSError), log.open("a", encoding="utf-8") as out:
        for line in child.stderr:
            out.write(redact(line.decode("utf-8", "replace")))
            out.flush()


class _Manager(threading.Thread):
    """The process's one thread that starts relays (so PDEATHSIG ties them to the process,
    not to a request thread that may end), waits for the ones that end, and reaps idle ones
    every few seconds."""

    def __init__(self) -> None:
        super().__init__(name="ioc-camera-relays", daemon=True)
        self.requests: queue.Queue[tuple[list[str], Path, Future[subprocess.Popen[bytes]]]] = (
            queue.Queue()
        )
        self.children: list[subprocess.Popen[bytes]] = []
        self.lock = threading.Lock()

    def spawn(self, argv: list[str], log: Path) -> subprocess.Popen[bytes]:
        future: Future[subprocess.Popen[bytes]] = Future()
        self.requests.put((argv, log, future))
        return future.result(timeout=10)

    def collect(self) -> None:
        with self.lock:
            self.children = [child for child in self.children if child.poll() is None]

    def run(self) -> None:
        last_reap = time.monotonic()
        while True:
            try:
                argv, log, future = self.requests.get(timeout=1)
            except queue.Empty:
                pass
            else:
                try:
                    child = subprocess.Popen(  # noqa: S603  (our own ffmpeg command)
                        argv,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE,
                        preexec_fn=die_with_parent,
                    )
                    threading.Thread(
                        target=_keep_log, args=(child, log), name="ioc-relay-log", daemon=True
                    ).start()
                    with self.lock:
                        self.children.append(child)
                    future.set_result(child)
                except Exception as exc:
                    future.set_exception(exc)
            self.collect()
            if time.monotonic() - last_reap > 5:
                last_reap = time.monotonic()
                with contextlib.suppress(Exception), _machine_lock():
                    reap()


_started: _Manager | None = None
_start_lock = threading.Lock()


def _manager() -> _Manager:
    global _started
    with _start_lock:
        if _started is None or not _started.is_alive():
            _started = _Manager()
            _started.start()
        return _started
