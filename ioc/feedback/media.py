"""Photos and videos citizens send: checked, cleaned, and only then stored.

* A photo must decode as JPEG, PNG or WebP (not just carry the extension or the type the
  browser claims), weigh at most ``MAX_PHOTO_BYTES`` and hold at most ``MAX_PIXELS``
  (decompression bombs). It is turned upright from its EXIF orientation, scaled down to
  ``MAX_SIDE`` and re-encoded as JPEG *without* its metadata: the GPS position, the camera's
  make and serial number and the time never reach anyone. A WebP thumbnail goes with it.
* A video must be MP4/MOV or WebM by its first bytes, at most ``MAX_VIDEO_BYTES`` and
  ``MAX_VIDEO_SECONDS`` long, and ffmpeg must be able to read it; it is rewritten without
  its metadata (``-map_metadata -1``, no re-encoding). Without ffmpeg on the server videos
  are refused with a clear message.

Each failure raises :class:`MediaError` with a message in the user's language.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_VIDEO_BYTES = 30 * 1024 * 1024
MAX_VIDEO_SECONDS = 60
MAX_PIXELS = 40_000_000
MAX_SIDE = 2560
THUMB_SIDE = 480
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}  # MPO: phones' JPEG with a depth map


class MediaError(ValueError):
    def __init__(self, message: object, name: str = "") -> None:
        super().__init__(str(message))
        self.message = message
        self.name = name

    def __str__(self) -> str:
        text = str(self.message)
        return f"{self.name}: {text}" if self.name else text


@dataclass
class Cleaned:
    kind: str  # photo | video
    data: bytes
    thumbnail: bytes
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None


def _read(upload: IO[bytes], limit: int, name: str) -> bytes:
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise MediaError(
            _("the file is larger than %(mb)d MB") % {"mb": limit // (1024 * 1024)}, name
        )
    if not data:
        raise MediaError(_("the file is empty"), name)
    return data


def is_video(head: bytes) -> bool:
    return head[4:8] == b"ftyp" or head[:4] == b"\x1a\x45\xdf\xa3"


def clean(upload: IO[bytes], name: str = "") -> Cleaned:
    """A photo or a video, by its content (never by its name or claimed type)."""
    head = upload.read(16)
    upload.seek(0)
    if is_video(head):
        return clean_video(upload, name)
    return clean_photo(upload, name)


def clean_photo(upload: IO[bytes], name: str = "") -> Cleaned:
    data = _read(upload, MAX_PHOTO_BYTES, name)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format or ""
            size = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise MediaError(_("this is not a photo (JPEG, PNG or WebP)"), name) from None
    except Image.DecompressionBombError:
        raise MediaError(_("the photo has too many pixels"), name) from None
    if fmt not in PHOTO_FORMATS:
        raise MediaError(_("this is not a photo (JPEG, PNG or WebP)"), name)
    if size[0] * size[1] > MAX_PIXELS:
        raise MediaError(_("the photo has too many pixels"), name)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            rgb = upright.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        raise MediaError(_("the photo is damaged and cannot be read"), name) from None
    rgb.thumbnail((MAX_SIDE, MAX_SIDE))
    full = io.BytesIO()
    rgb.save(full, "JPEG", quality=85, optimize=True)  # no exif= : the metadata stays behind
    thumb = rgb.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    small = io.BytesIO()
    thumb.save(small, "WEBP", quality=75)
    return Cleaned(
        "photo", full.getvalue(), small.getvalue(), "image/jpeg", "jpg", rgb.width, rgb.height
    )


def ffmpeg() -> str | None:
    return shutil.which("ffmpeg")


def clean_video(upload: IO[bytes], name: str = "") -> Cleaned:
    data = _read(upload, MAX_VIDEO_BYTES, name)
    tool = ffmpeg()
    if tool is None:
        raise MediaError(_("videos are not accepted on this server; send photos"), name)
    webm = data[:4] == b"\x1a\x45\xdf\xa3"
    extension = "webm" if webm else "mp4"
    with tempfile.TemporaryDirectory(prefix="ioc-video-") as tmp:
        source = Path(tmp) / f"in.{extension}"
        target = Path(tmp) / f"out.{extension}"
        poster = Path(tmp) / "poster.webp"
        source.write_bytes(data)
        probe = subprocess.run(
            [
                str(Path(tool).with_name("ffprobe")),
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
                str(source),
            ],
            capture_output=True,
            timeout=30,
            check=False,
        )
        try:
            info = json.loads(probe.stdout or b"{}")
            seconds = float(info.get("format", {}).get("duration") or 0)
            streams = [s for s in info.get("streams", []) if s.get("codec_type") == "video"]
        except (ValueError, TypeError):
            streams, seconds = [], 0.0
        if probe.returncode != 0 or not streams:
            raise MediaError(_("this is not a video ffmpeg can read (MP4 or WebM)"), name)
        if seconds > MAX_VIDEO_SECONDS:
            raise MediaError(
                _("the video is longer than %(s)d seconds") % {"s": MAX_VIDEO_SECONDS}, name
            )
        strip = subprocess.run(
            [
                tool,
                "-v",
                "error",
                "-y",
                "-i",
                str(source),
                "-map",
                "0",
                "-map_metadata",
                "-1",
                "-c",
                "copy",
                str(target),
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
        frame = subprocess.run(
            [
                tool,
                "-v",
                "error",
                "-y",
                "-i",
                str(target),
                "-frames:v",
                "1",
                "-vf",
                f"scale='min({THUMB_SIDE},iw)':-2",
                str(poster),
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
        if strip.returncode != 0 or frame.returncode != 0 or not target.exists():
            raise MediaError(_("this is not a video ffmpeg can read (MP4 or WebM)"), name)
        return Cleaned(
            "video",
            target.read_bytes(),
            poster.read_bytes() if poster.exists() else b"",
            "video/webm" if webm else "video/mp4",
            extension,
            int(streams[0].get("width") or 0) or None,
            int(streams[0].get("height") or 0) or None,
        )
