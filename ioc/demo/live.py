"""The demo's live sources: data that keeps arriving while the demo runs.

Five simulated agency systems, one per kind of connection, each feeding a dataset that the
scheduler syncs every minute:

| dataset | source (simulated) | connector |
| --- | --- | --- |
| ho_so_truc_tuyen | the public-service portal's REST API (new files every 30 s) | rest |
| nhap_vien | a hospital's database (a row every 15 s, SQLite) | sql |
| muc_nuoc_cam_bien | water-level sensors on MQTT (every 5 s; needs a broker) | mqtt |
| thoi_tiet | weather stations pushing to /api/push/<id>/ (every 30 s) | push |
| luot_xe_truc_tiep | traffic counters dropping a CSV file (every minute) | file |

`ioc demo --serve` starts the simulators as threads beside the web server. The step below
only declares the datasets and connections (idempotent).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import random
import sqlite3
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.utils import timezone

from ioc.core.models import AdministrativeUnit, Agency, Sector
from ioc.demo.registry import DemoContext, demo_step
from ioc.integrations.models import Connection
from ioc.integrations.services import configure_connection, issue_push_token
from ioc.warehouse.models import Dataset
from ioc.warehouse.schema import parse_schema
from ioc.warehouse.services import create_dataset

logger = logging.getLogger(__name__)

MQTT_PREFIX = "ioc-demo"
PROCEDURES = ["Đăng ký khai sinh", "Cấp giấy phép xây dựng", "Đăng ký kinh doanh", "Chứng thực"]
WARDS_FALLBACK = ["25747"]


def demo_dir() -> Path:
    return Path(settings.VAR_DIR) / "demo"


def _cols(*specs: tuple[str, str, str, str]) -> list[dict[str, Any]]:
    return [{"name": n, "type": t, "role": r, "label": label} for n, t, r, label in specs]


LIVE: list[dict[str, Any]] = [
    {
        "slug": "ho_so_truc_tuyen",
        "name": "Hồ sơ dịch vụ công trực tuyến",
        "name_en": "Online public-service files",
        "sector": "dich-vu-cong",
        "owner": "tt-hanh-chinh-cong",
        "columns": _cols(
            ("ma_ho_so", "text", "attribute", "Mã hồ sơ"),
            ("tiep_nhan_luc", "timestamp", "time", "Tiếp nhận lúc"),
            ("ma_xa", "text", "unit", "Phường/xã"),
            ("thu_tuc", "text", "dimension", "Thủ tục"),
            ("trang_thai", "text", "dimension", "Trạng thái"),
        ),
        "key": ["ma_ho_so"],
        "kind": "rest",
        "mapping": {
            "fields": [
                {"column": "ma_ho_so", "source": "id"},
                {"column": "tiep_nhan_luc", "source": "received_at"},
                {"column": "ma_xa", "source": "ward_code"},
                {"column": "thu_tuc", "source": "procedure"},
                {"column": "trang_thai", "source": "status"},
            ]
        },
    },
    {
        "slug": "nhap_vien",
        "name": "Bệnh nhân nhập viện",
        "name_en": "Hospital admissions",
        "sector": "y-te",
        "owner": "so-y-te",
        "columns": _cols(
            ("ma", "integer", "attribute", "Mã"),
            ("luc", "timestamp", "time", "Lúc"),
            ("ma_xa", "text", "unit", "Phường/xã"),
            ("khoa", "text", "dimension", "Khoa"),
            ("so_benh_nhan", "integer", "measure", "Số bệnh nhân"),
        ),
        "key": ["ma"],
        "kind": "sql",
        "mapping": {},
    },
    {
        "slug": "muc_nuoc_cam_bien",
        "name": "Mực nước (cảm biến)",
        "name_en": "Water levels (sensors)",
        "sector": "phong-chong-thien-tai",
        "owner": "bch-pctt",
        "columns": _cols(
            ("tram", "text", "dimension", "Trạm"),
            ("luc", "timestamp", "time", "Lúc"),
            ("muc_nuoc_cm", "decimal", "measure", "Mực nước (cm)"),
        ),
        "key": ["tram", "luc"],
        "kind": "mqtt",
        "mapping": {},
    },
    {
        "slug": "thoi_tiet",
        "name": "Thời tiết (trạm đo đẩy lên)",
        "name_en": "Weather (pushed by stations)",
        "sector": "moi-truong",
        "owner": "so-tnmt",
        "columns": _cols(
            ("tram", "text", "dimension", "Trạm"),
            ("luc", "timestamp", "time", "Lúc"),
            ("nhiet_do", "decimal", "measure", "Nhiệt độ (°C)"),
            ("do_am", "decimal", "measure", "Độ ẩm (%)"),
        ),
        "key": ["tram", "luc"],
        "kind": "push",
        "mapping": {},
    },
    {
        "slug": "luot_xe_truc_tiep",
        "name": "Lượt xe qua trạm đếm (trực tiếp)",
        "name_en": "Traffic counters (live)",
        "sector": "giao-thong",
        "owner": "so-gtvt",
        "columns": _cols(
            ("thoi_diem", "timestamp", "time", "Thời điểm"),
            ("tram_dem", "text", "dimension", "Trạm đếm"),
            ("luot_xe", "integer", "measure", "Lượt xe"),
        ),
        "key": ["thoi_diem", "tram_dem"],
        "kind": "file",
        "mapping": {},
    },
]


def initial_config(kind: str) -> dict[str, Any]:
    base = demo_dir()
    if kind == "rest":  # the port is set when the simulator starts
        return {
            "url": "http://127.0.0.1:1/api/ho-so?cap_nhat_tu={since}",
            "records_path": "data",
            "pagination": {"type": "page", "page_param": "page", "size_param": "size", "size": 50},
            "watermark_field": "updated_at",
            "allow_private": True,
        }
    if kind == "sql":
        return {
            "url": f"sqlite:///{base / 'benh_vien.sqlite3'}",
            "table": "nhap_vien",
            "watermark_column": "ma",
        }
    if kind == "mqtt":
        return {
            "host": "127.0.0.1",
            "topics": [f"{MQTT_PREFIX}/quan-trac/{{tram}}/muc-nuoc"],
            "window_seconds": 5,
        }
    if kind == "push":
        return {"format": "auto"}
    return {"path": str(base / "drop" / "luot_xe_truc_tiep")}


@demo_step(order=55, label="Live connections")
def live_connections(ctx: DemoContext) -> str:
    sectors = {s.code: s for s in Sector.objects.all()}
    made = 0
    for spec in LIVE:
        dataset = Dataset.objects.filter(slug=spec["slug"]).first()
        if dataset is None:
            dataset = create_dataset(
                actor=None,
                slug=spec["slug"],
                name=spec["name"],
                name_en=spec["name_en"],
                schema=parse_schema({"columns": spec["columns"], "key": spec["key"]}),
                sector_id=sectors[spec["sector"]].pk,
                owner_id=Agency.objects.get(code=spec["owner"]).pk,
                cadence="continuous",
                description="Dữ liệu mẫu trực tiếp: nguồn mô phỏng gửi liên tục khi chạy demo.",
            )
        if Connection.objects.filter(dataset=dataset, kind=spec["kind"]).exists():
            continue
        connection = Connection.objects.create(
            name=f"Mô phỏng: {spec['name']}",
            kind=spec["kind"],
            dataset=dataset,
            interval_minutes=None if spec["kind"] == "push" else 1,  # a push needs no schedule
            mapping=spec["mapping"],
        )
        configure_connection(connection, initial_config(spec["kind"]), actor=None)
        made += 1
    return f"{len(LIVE)} live connections ({made} new)"


# --- the simulators -------------------------------------------------------------------------


def _wards() -> list[str]:
    codes = list(
        AdministrativeUnit.objects.filter(in_area=True, level=3, valid_to__isnull=True)
        .order_by("code")
        .values_list("code", flat=True)[:12]
    )
    return codes or WARDS_FALLBACK


class PortalApi(BaseHTTPRequestHandler):
    """GET /api/ho-so?cap_nhat_tu=<iso>&page=N&size=M: files received since then."""

    wards: list[str] = WARDS_FALLBACK
    started = timezone.now() - dt.timedelta(hours=2)

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        since_text = (query.get("cap_nhat_tu") or [""])[0]
        page = int((query.get("page") or ["1"])[0])
        size = int((query.get("size") or ["50"])[0])
        now = timezone.now()
        since = self.started
        if since_text:
            with contextlib.suppress(ValueError):
                since = max(since, dt.datetime.fromisoformat(since_text))
        records = []
        bucket = int((since - self.started).total_seconds() // 30)
        while True:
            at = self.started + dt.timedelta(seconds=30 * bucket)
            if at > now:
                break
            rng = random.Random(bucket)
            for j in range(rng.randint(1, 3)):
                if at > since:
                    records.append(
                        {
                            "id": f"HS-{at:%Y%m%d%H%M%S}-{j}",
                            "received_at": at.isoformat(),
                            "updated_at": at.isoformat(),
                            "ward_code": rng.choice(self.wards),
                            "procedure": rng.choice(PROCEDURES),
                            "status": rng.choice(["Đã tiếp nhận", "Đang xử lý", "Đã trả kết quả"]),
                        }
                    )
            bucket += 1
        chunk = records[(page - 1) * size : page * size]
        body = json.dumps({"data": chunk}, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Simulators:
    """The five simulated sources, as daemon threads; ``stop()`` ends them."""

    def __init__(self, *, web_url: str = "", every: float = 1.0) -> None:
        self.stop_event = threading.Event()
        self.web_url = web_url.rstrip("/")
        self.every = every  # 1.0 = the documented pace; tests go faster
        self.server: ThreadingHTTPServer | None = None
        self.threads: list[threading.Thread] = []
        self.mqtt: Any = None

    def _loop(self, seconds: float, step: Any, delay: float) -> None:
        self.stop_event.wait(delay)  # e.g. until the web server listens
        while not self.stop_event.is_set():
            try:
                step()
            except Exception:  # a simulator must not stop the demo
                logger.exception("demo simulator step failed")
            self.stop_event.wait(seconds * self.every)

    def _spawn(self, seconds: float, step: Any, name: str, delay: float = 0.0) -> None:
        thread = threading.Thread(
            target=self._loop, args=(seconds, step, delay), name=name, daemon=True
        )
        thread.start()
        self.threads.append(thread)

    def start(self) -> None:
        demo_dir().mkdir(parents=True, exist_ok=True)
        PortalApi.wards = _wards()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), PortalApi)
        threading.Thread(target=self.server.serve_forever, name="demo-portal", daemon=True).start()
        port = self.server.server_address[1]
        rest = Connection.objects.filter(kind="rest", dataset__slug="ho_so_truc_tuyen").first()
        if rest is not None:
            config = dict(rest.config)
            config["url"] = f"http://127.0.0.1:{port}/api/ho-so?cap_nhat_tu={{since}}"
            configure_connection(rest, config, actor=None)
        self._hospital_db()
        self._spawn(15, self.hospital_row, "demo-hospital")
        self._spawn(60, self.traffic_file, "demo-traffic")
        self._spawn(5, self.sensors, "demo-sensors")
        self._spawn(120, self.citizen_report, "demo-reports", delay=10.0)
        if self.web_url:
            push = Connection.objects.filter(kind="push", dataset__slug="thoi_tiet").first()
            if push is not None:
                self.push_token = issue_push_token(push, actor=None)
                self.push_url = f"{self.web_url}/api/push/{push.pk}/"
                self._spawn(30, self.weather, "demo-weather", delay=5.0)

    def stop(self) -> None:
        self.stop_event.set()
        if self.server is not None:
            self.server.shutdown()
        if self.mqtt is not None:
            self.mqtt.loop_stop()
            self.mqtt.disconnect()

    # each source's one step

    def citizen_report(self) -> None:
        """A citizen files a report now and then, through the same checks as the web form."""
        import random

        from ioc.demo.feedback import file_one

        file_one(random.Random())

    def _hospital_db(self) -> None:
        with sqlite3.connect(demo_dir() / "benh_vien.sqlite3") as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS nhap_vien (ma INTEGER PRIMARY KEY, luc TEXT,"
                " ma_xa TEXT, khoa TEXT, so_benh_nhan INTEGER)"
            )

    def hospital_row(self) -> None:
        rng = random.Random()
        with sqlite3.connect(demo_dir() / "benh_vien.sqlite3") as db:
            db.execute(
                "INSERT INTO nhap_vien (luc, ma_xa, khoa, so_benh_nhan) VALUES (?, ?, ?, ?)",
                [
                    timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
                    rng.choice(PortalApi.wards),
                    rng.choice(["Nội", "Ngoại", "Nhi", "Sản", "Cấp cứu"]),
                    rng.randint(1, 6),
                ],
            )

    def traffic_file(self) -> None:
        folder = demo_dir() / "drop" / "luot_xe_truc_tiep"
        folder.mkdir(parents=True, exist_ok=True)
        now = timezone.localtime().replace(second=0, microsecond=0)
        rng = random.Random(now.isoformat())
        lines = ["Thời điểm;Trạm đếm;Lượt xe"]
        for station in ("QL13 - Thủ Dầu Một", "ĐT743 - Dĩ An", "QL1K - Tân Đông Hiệp"):
            lines.append(
                f"{now:%d/%m/%Y %H:%M};{station};{rng.randint(300, 1500):,}".replace(",", ".")
            )
        (folder / f"{now:%Y%m%d_%H%M}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def sensors(self) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        if self.mqtt is None:
            client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2)
            try:
                client.connect("127.0.0.1", 1883)
            except OSError:
                return  # no broker here: the MQTT connection shows the error on its page
            client.loop_start()
            self.mqtt = client
        now = timezone.localtime().replace(microsecond=0)
        for i, station in enumerate(("cau-ong-co", "ben-suc", "bach-dang", "tan-uyen")):
            level = 150 + 40 * i + 25 * random.random()
            payload = json.dumps({"luc": now.isoformat(), "muc_nuoc_cm": round(level, 1)})
            self.mqtt.publish(f"{MQTT_PREFIX}/quan-trac/{station}/muc-nuoc", payload, qos=1)

    def weather(self) -> None:
        now = timezone.localtime().replace(second=0, microsecond=0)
        rows = [
            {
                "tram": station,
                "luc": now.strftime("%d/%m/%Y %H:%M"),
                "nhiet_do": round(27 + 6 * random.random(), 1),
                "do_am": round(60 + 30 * random.random()),
            }
            for station in ("Thủ Dầu Một", "Dĩ An", "Bến Cát")
        ]
        request = urllib.request.Request(  # noqa: S310  (our own server, http)
            self.push_url,
            data=json.dumps(rows, ensure_ascii=False).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.push_token}",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310
            pass
