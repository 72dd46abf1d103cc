"""Every setting an operator may change, declared once.

Each setting is read from an environment variable (``IOC_*``), has a default that gives the
embedded platform (SQLite + DuckDB under ``var/``), and a description in English and
Vietnamese. ``ioc config docs`` writes ``docs/operations/configuration.md`` and
``.env.example`` from this list; a test keeps them in step.

A bad value stops the process at start with a message in both languages (fail fast).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting has a value the platform cannot run with."""

    def __init__(self, name: str, value: str, en: str, vi: str) -> None:
        self.name, self.value, self.en, self.vi = name, value, en, vi
        super().__init__(f"Cấu hình sai / bad setting {name}={value!r}\n  vi: {vi}\n  en: {en}")


def _bool(name: str, raw: str) -> bool:
    low = raw.strip().lower()
    if low in {"1", "true", "yes", "on"}:
        return True
    if low in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(
        name,
        raw,
        "expected true or false (1/0, yes/no, on/off)",
        "cần giá trị true hoặc false (1/0, yes/no, on/off)",
    )


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(name, raw, "expected a whole number", "cần một số nguyên") from None


def _int_at_least(minimum: int) -> Callable[[str, str], int]:
    def parse(name: str, raw: str) -> int:
        value = _int(name, raw)
        if value < minimum:
            raise ConfigError(
                name,
                raw,
                f"expected a whole number of at least {minimum}",
                f"cần một số nguyên không nhỏ hơn {minimum}",
            )
        return value

    return parse


def _time_zone(name: str, raw: str) -> str:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            name,
            raw,
            "expected an IANA time zone such as Asia/Ho_Chi_Minh",
            "cần một múi giờ IANA, ví dụ Asia/Ho_Chi_Minh",
        ) from None
    return raw


def _list(name: str, raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _url(schemes: tuple[str, ...]) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        parsed = urlparse(raw)
        if parsed.scheme not in schemes:
            raise ConfigError(
                name,
                raw,
                f"expected a URL starting with one of: {', '.join(s + '://' for s in schemes)}",
                f"cần một URL bắt đầu bằng: {', '.join(s + '://' for s in schemes)}",
            )
        return raw

    return parse


def _path(name: str, raw: str) -> Path:
    path = Path(raw)
    return path if path.is_absolute() else BASE_DIR / path


def _str(name: str, raw: str) -> str:
    return raw


def _choice(*choices: str) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        if raw not in choices:
            raise ConfigError(
                name,
                raw,
                f"expected one of: {', '.join(choices)}",
                f"cần một trong các giá trị: {', '.join(choices)}",
            )
        return raw

    return parse


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    en: str
    vi: str
    parse: Callable[[str, str], Any] = _str
    example: str = ""
    secret: bool = False

    def read(self, environ: Mapping[str, str]) -> Any:
        raw = environ.get(self.name, self.default)
        return self.parse(self.name, raw)


SETTINGS: list[Setting] = [
    Setting(
        "IOC_DEBUG",
        "false",
        "Django debug mode. Never true in production: it shows stack traces to visitors.",
        "Chế độ gỡ lỗi của Django. Không bao giờ bật khi vận hành thật.",
        _bool,
        "true",
    ),
    Setting(
        "IOC_VAR_DIR",
        "var",
        "Folder for the embedded databases, the generated secret key, uploads and caches "
        "(relative to the project folder, or absolute).",
        "Thư mục chứa CSDL nhúng, khóa bí mật sinh tự động, tệp tải lên và bộ đệm.",
        _path,
        "/srv/ioc/var",
    ),
    Setting(
        "IOC_DATABASE_URL",
        "",
        "The operational database. Empty: SQLite (WAL mode) at IOC_VAR_DIR/ioc.sqlite3. "
        "Production: a PostgreSQL URL.",
        "CSDL nghiệp vụ. Để trống: SQLite (chế độ WAL) trong IOC_VAR_DIR. "
        "Vận hành thật: URL PostgreSQL.",
        lambda n, r: _url(("sqlite", "postgres", "postgresql"))(n, r) if r else "",
        "postgresql://ioc@127.0.0.1:5432/ioc",
    ),
    Setting(
        "IOC_WEB_THREADS",
        "4",
        "Threads each web process runs pages and API calls in, one request at a time each "
        "(docs/adr/0010). More let requests wait less behind a slow one; fewer waste less "
        "CPU switching between them.",
        "Số luồng xử lý yêu cầu của mỗi tiến trình web, mỗi luồng một yêu cầu một lúc.",
        _int_at_least(1),
        "4",
    ),
    Setting(
        "IOC_DATABASE_POOL",
        "10",
        "PostgreSQL only: connections each web or worker process keeps in its pool (psycopg's "
        "pool), shared by its web threads, the live streams and the background worker. "
        "0: no pool (a connection per thread, closed after each request).",
        "Chỉ với PostgreSQL: số kết nối mỗi tiến trình web hoặc worker giữ trong bể kết nối, "
        "dùng chung cho các luồng web, luồng cập nhật trực tiếp và tác vụ nền. 0: không dùng "
        "bể (mỗi luồng một kết nối, đóng sau mỗi yêu cầu).",
        _int_at_least(0),
        "20",
    ),
    Setting(
        "IOC_WAREHOUSE_PATH",
        "",
        "The warehouse (DuckDB file) holding integrated records. "
        "Empty: IOC_VAR_DIR/warehouse.duckdb.",
        "Kho dữ liệu dùng chung (tệp DuckDB). Để trống: IOC_VAR_DIR/warehouse.duckdb.",
        lambda n, r: _path(n, r) if r else None,
        "/srv/ioc/warehouse.duckdb",
    ),
    Setting(
        "IOC_WAREHOUSE_URL",
        "",
        "The warehouse on a PostgreSQL server instead of the DuckDB file (the same datasets, "
        "writer and quarantine). Empty: the DuckDB file at IOC_WAREHOUSE_PATH.",
        "Đặt kho dữ liệu trên máy chủ PostgreSQL thay cho tệp DuckDB (cùng bộ dữ liệu, cùng "
        "cách ghi và cách ly). Để trống: tệp DuckDB tại IOC_WAREHOUSE_PATH.",
        lambda n, r: _url(("postgres", "postgresql"))(n, r) if r else "",
        "postgresql://ioc@127.0.0.1:5432/ioc_warehouse",
    ),
    Setting(
        "IOC_SECRET_KEY",
        "",
        "Django's secret key (signing sessions and links). Empty: generated once into "
        "IOC_VAR_DIR/secret_key and reused; never commit it.",
        "Khóa bí mật của Django. Để trống: sinh một lần vào IOC_VAR_DIR/secret_key.",
        _str,
        "a-long-random-string",
        secret=True,
    ),
    Setting(
        "IOC_ALLOWED_HOSTS",
        "127.0.0.1,localhost",
        "Host names this site answers to, comma-separated.",
        "Các tên miền mà hệ thống phục vụ, cách nhau bởi dấu phẩy.",
        _list,
        "ioc.binhduong.gov.vn,127.0.0.1",
    ),
    Setting(
        "IOC_CSRF_TRUSTED_ORIGINS",
        "",
        "Origins trusted for form posts when behind a proxy (https://host), comma-separated.",
        "Các nguồn (origin) được tin cậy khi gửi biểu mẫu qua proxy.",
        _list,
        "https://ioc.binhduong.gov.vn",
    ),
    Setting(
        "IOC_PROXY_COUNT",
        "0",
        "Number of reverse proxies in front of the platform. 0: the client address is the "
        "connection's; N: it is the N-th address from the right of X-Forwarded-For (used by "
        "the audit log and the login throttle). Never set it without a proxy: clients could "
        "forge their address.",
        "Số máy chủ proxy ngược đứng trước hệ thống. 0: địa chỉ người dùng là địa chỉ kết "
        "nối; N: lấy địa chỉ thứ N từ bên phải của X-Forwarded-For.",
        _int_at_least(0),
        "1",
    ),
    Setting(
        "IOC_SECURE_COOKIES",
        "false",
        "Send session and CSRF cookies over HTTPS only and set HSTS. True in production.",
        "Chỉ gửi cookie qua HTTPS và bật HSTS. Bật khi vận hành thật.",
        _bool,
        "true",
    ),
    Setting(
        "IOC_REDIS_URL",
        "",
        "Redis for the shared cache and live-update fan-out across several web processes. "
        "Empty: an in-process cache (one web process).",
        "Redis cho bộ đệm dùng chung và đẩy cập nhật trực tiếp khi có nhiều tiến trình web.",
        lambda n, r: _url(("redis", "rediss", "unix"))(n, r) if r else "",
        "redis://127.0.0.1:6379/0",
    ),
    Setting(
        "IOC_AREA",
        "74",
        "The area this deployment governs: comma-separated administrative unit codes (a "
        "province, districts or communes, in the old or the new tree). Their sub-units and the "
        "units they became after merges are in the area too. The default is the former Bình "
        "Dương province (74), now part of Hồ Chí Minh City.",
        "Địa bàn hệ thống quản lý: mã đơn vị hành chính, cách nhau bởi dấu phẩy. Mặc định: "
        "tỉnh Bình Dương cũ (74), nay thuộc TP. Hồ Chí Minh.",
        _list,
        "74",
    ),
    Setting(
        "IOC_MAP_TILE_URL",
        "",
        "Base map tiles for the digital map, as a {z}/{x}/{y} URL template (OpenStreetMap or "
        "the province's own tile server). Empty: no tiles; the map draws the administrative "
        "boundaries as vector shapes, which works on a closed network.",
        "Nền bản đồ dạng ô {z}/{x}/{y} (OpenStreetMap hoặc máy chủ bản đồ của tỉnh). Để "
        "trống: không dùng nền, bản đồ vẽ ranh giới hành chính dạng véc-tơ (chạy được trên "
        "mạng nội bộ khép kín).",
        _str,
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    ),
    Setting(
        "IOC_MAP_TILE_ATTRIBUTION",
        "",
        "The attribution shown on the map for the tiles (required by most tile licences).",
        "Ghi nguồn nền bản đồ hiển thị trên bản đồ (hầu hết giấy phép yêu cầu).",
        _str,
        "© OpenStreetMap contributors",
    ),
    Setting(
        "IOC_TIME_ZONE",
        "Asia/Ho_Chi_Minh",
        "The local time zone for display and for working-day calendars.",
        "Múi giờ địa phương.",
        _time_zone,
        "Asia/Ho_Chi_Minh",
    ),
    Setting(
        "IOC_LOGIN_FAILURE_LIMIT",
        "5",
        "Failed logins from one user name and address before the account is locked for "
        "IOC_LOGIN_COOLOFF_MINUTES.",
        "Số lần đăng nhập sai trước khi khóa tạm thời.",
        _int_at_least(1),
        "5",
    ),
    Setting(
        "IOC_LOGIN_COOLOFF_MINUTES",
        "15",
        "Minutes a locked login stays locked.",
        "Số phút khóa đăng nhập sau khi sai quá số lần cho phép.",
        _int_at_least(1),
        "15",
    ),
    Setting(
        "IOC_STAFF_REQUIRE_OTP",
        "false",
        "Require a TOTP code (authenticator app) for staff on the admin site.",
        "Bắt buộc mã OTP (ứng dụng xác thực) cho cán bộ khi vào trang quản trị.",
        _bool,
        "true",
    ),
    Setting(
        "IOC_TASKS_BACKEND",
        "database",
        "Where background jobs (scheduled syncs) queue: database (the operational database, "
        "no server needed), redis (RQ on IOC_REDIS_URL) or rabbitmq (on IOC_AMQP_URL), for "
        "`ioc worker` processes on several machines, or immediate (run at once in the caller: "
        "tests and debugging).",
        "Nơi xếp hàng các tác vụ nền (đồng bộ theo lịch): database (cơ sở dữ liệu vận hành, "
        "không cần máy chủ), redis (RQ trên IOC_REDIS_URL) hoặc rabbitmq (trên IOC_AMQP_URL), "
        "cho các tiến trình `ioc worker` trên nhiều máy, hoặc immediate (chạy ngay trong tiến "
        "trình gọi: kiểm thử, gỡ lỗi).",
        _choice("database", "redis", "rabbitmq", "immediate"),
        "database",
    ),
    Setting(
        "IOC_AMQP_URL",
        "",
        "RabbitMQ for background jobs when IOC_TASKS_BACKEND=rabbitmq.",
        "RabbitMQ cho tác vụ nền khi IOC_TASKS_BACKEND=rabbitmq.",
        lambda n, r: _url(("amqp", "amqps"))(n, r) if r else "",
        "amqp://ioc:secret@127.0.0.1:5672/%2F",
    ),
    Setting(
        "IOC_EMBEDDED_WORKER",
        "true",
        "Run the scheduler and one task worker inside `ioc serve` (the embedded default). "
        "Set false when `ioc worker` processes run beside the web processes.",
        "Chạy bộ lập lịch và một tiến trình xử lý tác vụ ngay trong `ioc serve` (mặc định). "
        "Đặt false khi đã chạy riêng các tiến trình `ioc worker`.",
        _bool,
        "false",
    ),
    Setting(
        "IOC_SCHEDULER_SECONDS",
        "15",
        "Seconds between two looks of the scheduler for connections that are due.",
        "Số giây giữa hai lần bộ lập lịch tìm các kết nối đến hạn chạy.",
        _int_at_least(1),
        "15",
    ),
    Setting(
        "IOC_PUBLIC_URL",
        "http://127.0.0.1:8000",
        "The platform's public address, for links in e-mails and text messages to citizens.",
        "Địa chỉ công khai của hệ thống, dùng cho đường dẫn trong thư và tin nhắn gửi người dân.",
        _url(("http", "https")),
        "https://ioc.binhduong.gov.vn",
    ),
    Setting(
        "IOC_EMAIL_HOST",
        "",
        "SMTP server for e-mails to citizens and handlers; empty: e-mails are written to the log.",
        "Máy chủ SMTP gửi thư cho người dân và cán bộ; để trống: thư được ghi vào nhật ký.",
        _str,
        "smtp.binhduong.gov.vn",
    ),
    Setting(
        "IOC_EMAIL_PORT",
        "587",
        "SMTP port (STARTTLS).",
        "Cổng SMTP (STARTTLS).",
        _int_at_least(1),
        "587",
    ),
    Setting(
        "IOC_EMAIL_USER",
        "",
        "SMTP user name.",
        "Tên đăng nhập SMTP.",
        _str,
        "ioc@binhduong.gov.vn",
    ),
    Setting(
        "IOC_EMAIL_PASSWORD",
        "",
        "SMTP password.",
        "Mật khẩu SMTP.",
        _str,
        "",
        secret=True,
    ),
    Setting(
        "IOC_EMAIL_FROM",
        "IOC <no-reply@ioc.local>",
        "Sender of the platform's e-mails.",
        "Địa chỉ người gửi thư của hệ thống.",
        _str,
        "Trung tâm IOC <no-reply@binhduong.gov.vn>",
    ),
    Setting(
        "IOC_SMS_BACKEND",
        "console",
        "Text messages to citizens: 'console' writes them to the log; otherwise the dotted path "
        "of a class with send(phone, text), the province's SMS gateway.",
        "Tin nhắn SMS cho người dân: 'console' ghi vào nhật ký; hoặc đường dẫn tới lớp có "
        "send(phone, text) của cổng SMS của tỉnh.",
        _str,
        "province.sms.Gateway",
    ),
    Setting(
        "IOC_FEEDBACK_PER_HOUR",
        "10",
        "Citizen reports accepted in an hour from one IP address or one account (the web form).",
        "Số phản ánh nhận trong một giờ từ một địa chỉ IP hoặc một tài khoản (biểu mẫu web).",
        _int_at_least(1),
        "10",
    ),
    Setting(
        "IOC_FEEDBACK_CAPTCHA_AFTER",
        "3",
        "From this many reports in an hour from one sender, the form asks for the captcha.",
        "Từ số phản ánh này trong một giờ của một người gửi, biểu mẫu yêu cầu mã xác nhận.",
        _int_at_least(0),
        "3",
    ),
    Setting(
        "IOC_OPEN311_JURISDICTION",
        "",
        "The Open311 jurisdiction_id this server answers to, besides its host name and the "
        "area's codes (e.g. binhduong.gov.vn). Empty: those two only.",
        "jurisdiction_id của Open311 mà máy chủ này phục vụ, ngoài tên máy và mã địa bàn "
        "(ví dụ binhduong.gov.vn). Để trống: chỉ hai giá trị đó.",
        lambda n, r: r.strip(),
        "binhduong.gov.vn",
    ),
    Setting(
        "IOC_FFMPEG",
        "ffmpeg",
        "The ffmpeg program that grabs camera frames and relays live video (a path or a name "
        "on PATH; Debian's package is installed by the set-up).",
        "Chương trình ffmpeg dùng để lấy hình và chuyển tiếp video trực tiếp của camera.",
        lambda n, r: r.strip() or "ffmpeg",
        "/usr/bin/ffmpeg",
    ),
    Setting(
        "IOC_CAMERA_PROBE_SECONDS",
        "60",
        "Every camera is probed (one frame grabbed) this often; an offline camera shows so "
        "within one period.",
        "Chu kỳ kiểm tra mỗi camera (lấy một khung hình), tính bằng giây.",
        _int_at_least(5),
        "60",
    ),
    Setting(
        "IOC_CAMERA_PROBE_TIMEOUT",
        "10",
        "Seconds a camera has to send a frame before it counts as offline (over half of it: "
        "degraded); also the time-out of a live relay's silent source.",
        "Số giây tối đa chờ camera gửi hình; quá thời gian này camera bị coi là mất tín hiệu.",
        _int_at_least(1),
        "10",
    ),
    Setting(
        "IOC_CAMERA_PROBE_CONCURRENCY",
        "100",
        "Camera probes in flight at once.",
        "Số camera được kiểm tra cùng lúc.",
        _int_at_least(1),
        "100",
    ),
    Setting(
        "IOC_CAMERA_SNAPSHOT_SECONDS",
        "5",
        "A camera's snapshot is fetched again when the kept one is older than this; all "
        "viewers share it.",
        "Ảnh chụp camera được lấy lại khi ảnh đang giữ cũ hơn số giây này; mọi người xem "
        "dùng chung.",
        _int_at_least(1),
        "5",
    ),
    Setting(
        "IOC_CAMERA_URL_SECONDS",
        "120",
        "Lifetime of the signed stream addresses handed to browsers; pages renew theirs.",
        "Thời hạn (giây) của đường dẫn video đã ký gửi cho trình duyệt.",
        _int_at_least(10),
        "120",
    ),
    Setting(
        "IOC_CAMERA_RELAYS",
        "16",
        "Live video relays (ffmpeg processes) allowed at once on the machine.",
        "Số luồng video trực tiếp (tiến trình ffmpeg) được chạy cùng lúc.",
        _int_at_least(1),
        "16",
    ),
    Setting(
        "IOC_CAMERA_RELAY_IDLE_SECONDS",
        "30",
        "A live relay nobody has watched for this long is stopped.",
        "Luồng video trực tiếp không ai xem trong số giây này thì dừng.",
        _int_at_least(5),
        "30",
    ),
    Setting(
        "IOC_CAMERA_DETECTOR",
        "motion",
        "The activity detector of the cameras with analytics on: motion (OpenCV background "
        "subtraction, built in) or one a province registers (ioc.camera_detectors).",
        "Bộ phân tích hoạt động của camera: motion (trừ nền OpenCV, có sẵn) hoặc bộ do tỉnh "
        "đăng ký thêm.",
        lambda n, r: r.strip() or "motion",
        "motion",
    ),
    Setting(
        "IOC_PORTAL_NAME",
        "Cổng thông tin điện tử Tỉnh ủy",
        "The portal's name, in its pages' titles, feeds and the CMS.",
        "Tên cổng thông tin, trong tiêu đề trang, bản tin RSS và trang quản trị nội dung.",
        lambda n, r: r.strip() or "Cổng thông tin điện tử Tỉnh ủy",
        "Cổng thông tin điện tử Tỉnh ủy Bình Dương",
    ),
    Setting(
        "IOC_PORTAL_UPLOAD_MB",
        "20",
        "The largest image or document an editor may upload to the portal, in MB.",
        "Dung lượng tối đa của ảnh hoặc tài liệu tải lên cổng thông tin (MB).",
        _int_at_least(1),
        "20",
    ),
    Setting(
        "IOC_PORTAL_CACHE_SECONDS",
        "300",
        "How long a public portal page is kept in the cache at most (0: no cache). A publish "
        "replaces every kept page within a second, whatever this is.",
        "Thời gian tối đa giữ một trang công khai của cổng trong bộ nhớ đệm (0: không dùng). "
        "Khi đăng bài, mọi trang được làm mới trong vòng một giây.",
        _int_at_least(0),
        "300",
    ),
    Setting(
        "IOC_PORTAL_VIDEO_HOSTS",
        "",
        "Hosts of the province's own video service that articles may embed videos from "
        "(comma-separated); none by default.",
        "Máy chủ video của tỉnh mà bài viết được nhúng video (cách nhau bằng dấu phẩy).",
        _list,
        "video.binhduong.gov.vn",
    ),
    Setting(
        "IOC_LOG_LEVEL",
        "INFO",
        "Log level: DEBUG, INFO, WARNING, ERROR.",
        "Mức ghi nhật ký.",
        _choice("DEBUG", "INFO", "WARNING", "ERROR"),
        "INFO",
    ),
]


def load(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every declared setting; raise ConfigError on the first bad one."""
    env = os.environ if environ is None else environ
    unknown = sorted(
        key for key in env if key.startswith("IOC_") and key not in {s.name for s in SETTINGS}
    )
    values = {s.name: s.read(env) for s in SETTINGS}
    values["_unknown"] = unknown
    return values


def secret_key(var_dir: Path, configured: str) -> str:
    """The configured key, or one generated once into var/ and reused after."""
    if configured:
        if len(configured) < 32:
            raise ConfigError(
                "IOC_SECRET_KEY",
                "***",
                "must be at least 32 characters long",
                "phải dài ít nhất 32 ký tự",
            )
        return configured
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def render_markdown() -> str:
    lines = [
        "# Configuration",
        "",
        "<!-- Generated by `ioc config docs` from ioc/config.py; do not edit by hand. -->",
        "",
        "The platform is configured by environment variables only. Every variable has a "
        "default that runs the embedded platform (SQLite and DuckDB files under `var/`, no "
        "server to install). A bad value stops the platform at start with a message in "
        "Vietnamese and English. `.env.example` lists the same variables.",
        "",
        "| variable | default | description | mô tả | example |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in SETTINGS:
        default = f"`{s.default}`" if s.default else "(empty)"
        lines.append(f"| `{s.name}` | {default} | {s.en} | {s.vi} | `{s.example}` |")
    return "\n".join(lines) + "\n"


def render_env_example() -> str:
    out = [
        "# Every setting of ioc, with its default. Copy to .env or export in your service manager.",
        "# Generated by `ioc config docs` from ioc/config.py.",
        "",
    ]
    for s in SETTINGS:
        out.append(f"# {s.en}")
        out.append(f"# {s.vi}")
        out.append(f"# example: {s.name}={s.example}")
        out.append(f"{s.name}={'' if s.secret else s.default}")
        out.append("")
    return "\n".join(out)
