"""The demo's cameras: synthetic sources on 127.0.0.1 that behave like a province's cameras.

| cameras | source | group |
| --- | --- | --- |
| 4 road junctions | RTSP (Debian's GStreamer RTSP server), H.264 640×360 | traffic |
| 2 river gauges | HLS written by ffmpeg | flood points |
| 1 market | HTTP MJPEG | public order |
| 5 squares, parks, bridges | HTTP snapshot (JPEG) | public order, environment |

`ioc demo --serve` starts the sources beside the web server (:class:`CameraSources`), and
one camera (``CAM-CHO-01``, a snapshot camera) drops off for two minutes in every ten and
comes back: its tile turns offline within one probe and an operations event is raised, then
resolved. Without the GStreamer packages (``make browser`` installs them) the RTSP cameras
simply show as offline. The step below only declares the groups and cameras (idempotent).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path
from typing import Any

import pyarrow as pa
import shapely
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from ioc.accounts.choices import Role
from ioc.cameras.choices import Status
from ioc.cameras.models import Camera, CameraGroup
from ioc.cameras.testsources import FrameServer, HlsSource, RtspServer, rtsp_available
from ioc.core.models import Agency, Boundary, Sector
from ioc.demo.registry import DemoContext, demo_step

logger = logging.getLogger(__name__)

RTSP_PORT = 18554
HTTP_PORT = 18555
FLAPPING = "CAM-CHO-01"

GROUPS = [
    # code, name, name_en, sector, roles (none: every role that may view cameras)
    ("giao-thong", "Giao thông", "Traffic", "giao-thong", []),
    ("an-ninh", "An ninh trật tự", "Public order", "an-ninh-trat-tu", [Role.OPERATOR, Role.LEADER]),
    ("moi-truong", "Môi trường", "Environment", "moi-truong", []),
    ("ngap-ung", "Điểm ngập", "Flood points", "phong-chong-thien-tai", []),
]
# code, name, group, agency, kind, source name
CAMERAS = [
    ("CAM-GT-01", "Ngã tư Phú Cường", "giao-thong", "so-gtvt", "rtsp", "/gt1:640x360"),
    ("CAM-GT-02", "Vòng xoay An Phú", "giao-thong", "so-gtvt", "rtsp", "/gt2:640x360"),
    ("CAM-GT-03", "Cầu Ông Cộ", "giao-thong", "so-gtvt", "rtsp", "/gt3:640x360"),
    ("CAM-GT-04", "Quốc lộ 13, Lái Thiêu", "giao-thong", "so-gtvt", "rtsp", "/gt4:640x360"),
    ("CAM-NU-01", "Sông Sài Gòn, bến Bạch Đằng", "ngap-ung", "so-tnmt", "hls", "song-sai-gon"),
    ("CAM-NU-02", "Rạch Bà Lụa", "ngap-ung", "so-tnmt", "hls", "rach-ba-lua"),
    ("CAM-AN-01", "Chợ Thủ Dầu Một", "an-ninh", "cong-an-tinh", "mjpeg", "cho-tdm"),
    (FLAPPING, "Chợ Lái Thiêu", "an-ninh", "cong-an-tinh", "snapshot", "cho-lai-thieu"),
    ("CAM-AN-02", "Quảng trường tỉnh", "an-ninh", "cong-an-tinh", "snapshot", "quang-truong"),
    ("CAM-MT-01", "Công viên Thủ Dầu Một", "moi-truong", "so-tnmt", "snapshot", "cong-vien"),
    ("CAM-MT-02", "Bãi rác Nam Bình Dương", "moi-truong", "so-tnmt", "snapshot", "bai-rac"),
    ("CAM-MT-03", "Hồ Bàu Bàng", "moi-truong", "so-tnmt", "snapshot", "ho-bau-bang"),
]

# Activity analytics on the square: the lower half of its picture, an alert above 10 %.
ANALYTICS: dict[str, dict[str, Any]] = {
    "CAM-AN-02": {
        "analytics": True,
        "zone": [[0, 0.5], [1, 0.5], [1, 1], [0, 1]],
        "activity_threshold": 10.0,
    }
}


def address(kind: str, source: str) -> dict[str, str]:
    base = f"http://127.0.0.1:{HTTP_PORT}"
    return {
        "rtsp": {"rtsp_url": f"rtsp://127.0.0.1:{RTSP_PORT}{source.split(':')[0]}"},
        "hls": {"hls_url": f"{base}/hls/{source}/index.m3u8"},
        "mjpeg": {"mjpeg_url": f"{base}/mjpeg/{source}"},
        "snapshot": {"snapshot_url": f"{base}/snapshot/{source}.jpg"},
    }[kind]


def _places(count: int) -> list[tuple[Any, float, float]]:
    """(unit, lat, lon) inside the first communes of the area that have polygons."""
    found = []
    boundaries = (
        Boundary.objects.filter(unit__level=3, unit__in_area=True, unit__valid_to__isnull=True)
        .select_related("unit")
        .order_by("unit__code")[:count]
    )
    for boundary in boundaries:
        point = shapely.from_wkb(boundary.wkb).representative_point()
        found.append((boundary.unit, round(point.y, 5), round(point.x, 5)))
    return found


@demo_step(order=56, label="Cameras")
def cameras(ctx: DemoContext) -> str:
    sectors = {s.code: s for s in Sector.objects.all()}
    groups = {}
    for code, name, name_en, sector, roles in GROUPS:
        made_group, _ = CameraGroup.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "sector": sectors.get(sector)}
        )
        if roles:
            made_group.roles.set(Group.objects.filter(name__in=[str(r) for r in roles]))
        groups[code] = made_group
    agencies = {a.code: a for a in Agency.objects.filter(code__in={c[3] for c in CAMERAS})}
    places = _places(len(CAMERAS))
    made = 0
    for index, (code, name, group, agency, kind, source) in enumerate(CAMERAS):
        if Camera.objects.filter(code=code).exists():
            continue
        unit, lat, lon = places[index % len(places)] if places else (None, None, None)
        camera = Camera.objects.create(
            code=code,
            name=name,
            agency=agencies.get(agency),
            vendor=("Hikvision", "Dahua", "Axis", "Vivotek")[index % 4],
            unit=unit,
            lat=lat,
            lon=lon,
            **address(kind, source),
            **ANALYTICS.get(code, {}),
        )
        camera.groups.add(groups[group])
        made += 1
    history = _health_history(ctx) if made else 0
    return (
        f"{len(groups)} groups, {made} cameras added ({Camera.objects.count()} in all),"
        f" {history} rows of health history"
    )


def _health_history(ctx: DemoContext, days: int = 7) -> int:
    """A week of hourly probes for the demo's cameras in ``camera_health`` (the dashboards
    chart it from the start; the live probes add to it): now and then a camera drops off,
    the market's one more often."""
    from ioc.cameras import stats

    dataset = stats.ensure_dataset()
    if dataset is None or dataset.row_count:
        return 0
    cameras = list(
        Camera.objects.filter(code__in=[c[0] for c in CAMERAS]).select_related("unit", "agency")
    )
    group_names = {code: name for code, name, *_ in GROUPS}
    by_code = {c[0]: group_names[c[2]] for c in CAMERAS}
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0, tzinfo=None)
    rows: dict[str, list[Any]] = {c["name"]: [] for c in stats.COLUMNS}
    for hour in range(days * 24, 0, -1):
        at = now - dt.timedelta(hours=hour)
        for camera in cameras:
            odds = 0.12 if camera.code == FLAPPING else 0.02
            roll = ctx.rng.random()
            status = "offline" if roll < odds else ("degraded" if roll < odds + 0.03 else "online")
            rows["thoi_diem"].append(at)
            rows["ma_camera"].append(camera.code)
            rows["ma_xa"].append(camera.unit.code if camera.unit else None)
            rows["co_quan"].append(camera.agency.name if camera.agency else None)
            rows["nhom"].append(by_code[camera.code])
            rows["trang_thai"].append(str(Status(status).label))
            rows["so_camera"].append(1)
            rows["truc_tuyen"].append(int(status == "online"))
            rows["gian_doan"].append(int(status == "degraded"))
            rows["mat_tin_hieu"].append(int(status == "offline"))
            rows["ty_le_truc_tuyen"].append(0.0 if status == "offline" else 100.0)
            rows["do_tre_ms"].append(
                None if status == "offline" else float(round(ctx.rng.uniform(80, 900)))
            )
    return stats.write(dataset, pa.table(rows))


class CameraSources:
    """The demo cameras' sources, started beside the web server; ``stop()`` ends them."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or Path(settings.VAR_DIR) / "demo" / "camera-sources"
        self.http: FrameServer | None = None
        self.rtsp: RtspServer | None = None
        self.hls: list[HlsSource] = []
        self.stopping = threading.Event()

    def start(self) -> str:
        try:
            self.http = FrameServer(hls_root=self.folder, port=HTTP_PORT)
        except OSError as exc:  # the port is taken: the demo runs on, its cameras offline
            logger.warning("the demo's camera server cannot listen on %s: %s", HTTP_PORT, exc)
            return "none (port taken)"
        for _code, _name, _group, _agency, kind, source in CAMERAS:
            if kind == "hls":
                self.hls.append(HlsSource(settings.IOC_FFMPEG, self.folder, source))
        mounts = [c[5] for c in CAMERAS if c[4] == "rtsp"]
        said = "HTTP, MJPEG, HLS"
        if rtsp_available():
            try:
                self.rtsp = RtspServer(mounts, port=RTSP_PORT)
                said += ", RTSP"
            except RuntimeError:
                logger.warning("the demo's RTSP server did not start")
        threading.Thread(target=self._flap, name="demo-camera-flap", daemon=True).start()
        return said

    def _flap(self) -> None:
        """One camera drops off for two minutes in every ten, and comes back."""
        name = next(c[5] for c in CAMERAS if c[0] == FLAPPING)
        while not self.stopping.wait(480):
            if self.http is not None:
                self.http.cut(name)
            if self.stopping.wait(120):
                break
            if self.http is not None:
                self.http.restore(name)

    def stop(self) -> None:
        self.stopping.set()
        for source in self.hls:
            source.stop()
        if self.rtsp is not None:
            self.rtsp.stop()
        if self.http is not None:
            self.http.close()
