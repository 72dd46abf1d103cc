"""Synthetic cameras for the demo, the tests and the benchmarks: real servers on 127.0.0.1.

- :class:`FrameServer`: HTTP snapshots (``/snapshot/<name>.jpg``, a JPEG drawn with the time
  and a moving box; ``?auth=user:pass`` cameras answer 401 without basic credentials),
  an MJPEG stream (``/mjpeg/<name>``), HLS files written by ffmpeg (``/hls/<name>/...``),
  and ``/not-video`` (an HTML page). ``cut(name)`` makes a camera stop answering (its
  connections are dropped) until ``restore(name)``.
- :class:`RtspServer`: the GStreamer RTSP server of Debian (``rtsp_server.py``), when its
  packages are installed (``make browser`` installs them).
- :class:`HlsSource`: ffmpeg encoding a test picture into rolling HLS files.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ioc.cameras.processes import die_with_parent

SYSTEM_PYTHON = "/usr/bin/python3"
RTSP_SCRIPT = Path(__file__).with_name("rtsp_server.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def jpeg(text: str, width: int = 640, height: int = 360) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (20, 40, 60))
    draw = ImageDraw.Draw(image)
    x = int(time.time() * 40) % (width - 60)
    draw.rectangle([x, height // 2 - 30, x + 60, height // 2 + 30], fill=(240, 180, 0))
    draw.text((12, 12), f"{text} {time.strftime('%H:%M:%S')}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        parts = [p for p in path.split("/") if p]
        name = parts[1].removesuffix(".jpg") if len(parts) > 1 else ""
        self.server.hits[path] = self.server.hits.get(path, 0) + 1  # cut ones count too
        if name in self.server.cut_names:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if parts[:1] == ["snapshot"] and name:
            if not self._authorised(name):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="camera"')
                self.end_headers()
                return
            self._send(200, "image/jpeg", jpeg(name))
        elif parts[:1] == ["mjpeg"] and name:
            self._mjpeg(name)
        elif parts[:1] == ["hls"] and len(parts) == 3:
            file = self.server.hls_root / parts[1] / parts[2]
            if parts[1] in self.server.cut_names or not file.is_file():
                self._send(404, "text/plain", b"not found")
                return
            kind = "application/vnd.apple.mpegurl" if file.suffix == ".m3u8" else "video/mp2t"
            self._send(200, kind, file.read_bytes())
        elif parts[:1] == ["not-video"]:
            self._send(200, "text/html", b"<html><body>router login</body></html>")
        else:
            self._send(404, "text/plain", b"not found")

    def _authorised(self, name: str) -> bool:
        wanted = self.server.credentials.get(name)
        if wanted is None:
            return True
        import base64

        given = self.headers.get("Authorization", "")
        return given == "Basic " + base64.b64encode(wanted.encode()).decode()

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _mjpeg(self, name: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        with contextlib.suppress(OSError):
            while name not in self.server.cut_names and not self.server.stopping:
                frame = jpeg(name)
                self.wfile.write(
                    b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                    + str(len(frame)).encode()
                    + b"\r\n\r\n"
                    + frame
                    + b"\r\n"
                )
                time.sleep(0.2)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # a thousand cameras probed at once
    cut_names: set[str]
    credentials: dict[str, str]
    hits: dict[str, int]
    hls_root: Path
    stopping: bool


class FrameServer:
    def __init__(self, hls_root: Path | None = None, port: int = 0) -> None:
        self.httpd = _Server(("127.0.0.1", port), _Handler)
        self.httpd.cut_names = set()
        self.httpd.credentials = {}
        self.httpd.hits = {}
        self.httpd.stopping = False
        self.httpd.hls_root = hls_root or Path("/nonexistent")
        self.port = int(self.httpd.server_address[1])
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def snapshot(self, name: str) -> str:
        return f"{self.base}/snapshot/{name}.jpg"

    def mjpeg(self, name: str) -> str:
        return f"{self.base}/mjpeg/{name}"

    def hls(self, name: str) -> str:
        return f"{self.base}/hls/{name}/index.m3u8"

    def require(self, name: str, user: str, password: str) -> None:
        self.httpd.credentials[name] = f"{user}:{password}"

    def cut(self, name: str) -> None:
        self.httpd.cut_names.add(name)

    def restore(self, name: str) -> None:
        self.httpd.cut_names.discard(name)

    def close(self) -> None:
        self.httpd.stopping = True
        self.httpd.shutdown()
        self.httpd.server_close()


def rtsp_available() -> bool:
    if not (Path(SYSTEM_PYTHON).exists() and shutil.which("gst-inspect-1.0") is not None):
        return False
    probe = subprocess.run(  # noqa: S603
        [
            SYSTEM_PYTHON,
            "-c",
            "import gi; gi.require_version('GstRtspServer', '1.0');"
            " from gi.repository import GstRtspServer",
        ],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        return False
    x264 = subprocess.run(["gst-inspect-1.0", "x264enc"], capture_output=True, check=False)  # noqa: S607
    return x264.returncode == 0


class RtspServer:
    """``mounts`` like ["/cam1", "/small:640x360"]; ``url(mount)`` to read one."""

    def __init__(self, mounts: list[str], port: int | None = None) -> None:
        self.port = port or free_port()
        self.mounts = mounts
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [SYSTEM_PYTHON, str(RTSP_SCRIPT), str(self.port), *self.mounts],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if b"ready" not in line:
            self.stop()
            raise RuntimeError("the GStreamer RTSP server did not start")

    def url(self, mount: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}{mount.split(':')[0]}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None


class HlsSource:
    """ffmpeg writing ``root/name/index.m3u8`` from a test picture (serve it with a FrameServer)."""

    def __init__(self, ffmpeg: str, root: Path, name: str, size: str = "640x360") -> None:
        self.folder = root / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603
            [
                ffmpeg,
                "-nostdin",
                "-loglevel",
                "error",
                "-re",
                "-f",
                "lavfi",
                "-i",
                f"testsrc2=size={size}:rate=15",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-tune",
                "zerolatency",
                "-g",
                "15",
                "-f",
                "hls",
                "-hls_time",
                "1",
                "-hls_list_size",
                "5",
                "-hls_flags",
                "delete_segments+temp_file",
                str(self.folder / "index.m3u8"),
            ],
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )

    def ready(self, timeout: float = 15) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (self.folder / "index.m3u8").exists():
                return True
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
