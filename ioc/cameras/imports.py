"""The registry from a spreadsheet: what a province has today is a CSV or Excel list of its
cameras. One row per camera, matched by its code (a known code is updated, a new one added);
the headers may be Vietnamese or English, with or without diacritics:

=================  =====================================================================
column             meaning
=================  =====================================================================
ma / code          the camera's code (required; letters, digits, ``.``, ``-``, ``_``)
ten / name         its name (required)
nhom / groups      group codes or names, separated by ``,`` or ``;``
vi_do, kinh_do     latitude, longitude (``10,98`` or ``10.98``); the commune is found from
/ lat, lon         them unless ``ma_xa`` / ``unit`` gives its code
co_quan / agency   owner agency (code or name)
hang / vendor      the maker
rtsp, hls, mjpeg,  its addresses; a user name and password written inside an address are
snapshot           taken out of it and kept apart, the password encrypted
tai_khoan,         user name and password (the password is encrypted, never shown back)
mat_khau
=================  =====================================================================

Nothing is half-written: each row is checked whole, and a row with any problem is left out
and reported with its row number and every reason, in Vietnamese and English.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from ioc.cameras.models import CODE, Camera, CameraGroup
from ioc.cameras.sources import set_password, split_credentials
from ioc.core.audit import record, snapshot
from ioc.core.choices import AuditAction
from ioc.core.models import AdministrativeUnit, Agency
from ioc.core.text import fold

MAX_ROWS = 20_000
HEADERS = {
    "code": {"ma", "ma camera", "code", "camera code", "id"},
    "name": {"ten", "ten camera", "name"},
    "groups": {"nhom", "nhom camera", "groups", "group"},
    "lat": {"vi do", "lat", "latitude"},
    "lon": {"kinh do", "lon", "lng", "longitude"},
    "agency": {"co quan", "co quan quan ly", "don vi quan ly", "agency", "owner"},
    "vendor": {"hang", "hang san xuat", "vendor", "maker"},
    "unit": {"ma xa", "ma don vi hanh chinh", "unit", "unit code"},
    "rtsp_url": {"rtsp", "rtsp url", "dia chi rtsp"},
    "hls_url": {"hls", "hls url", "dia chi hls"},
    "mjpeg_url": {"mjpeg", "mjpeg url", "dia chi mjpeg"},
    "snapshot_url": {"snapshot", "snapshot url", "anh chup", "dia chi anh"},
    "username": {"tai khoan", "ten dang nhap", "username", "user"},
    "password": {"mat khau", "password"},
}
SCHEMES = {
    "rtsp_url": ("rtsp", "rtsps"),
    "hls_url": ("http", "https"),
    "mjpeg_url": ("http", "https"),
    "snapshot_url": ("http", "https"),
}
URLS = tuple(SCHEMES)


@dataclass
class Failed:
    row: int
    code: str
    reasons: list[str]


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    failed: list[Failed] = field(default_factory=list)
    log: list[str] = field(default_factory=list)


def _field(header: str) -> str | None:
    key = fold(str(header)).replace("_", " ").strip()
    for name, names in HEADERS.items():
        if key in names:
            return name
    return None


def _number(text: str) -> float:
    text = text.strip().replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    return float(text)


class _Lookup:
    def __init__(self) -> None:
        self.groups = {}
        for group in CameraGroup.objects.all():
            for key in (group.code, fold(group.name), fold(group.name_en)):
                if key:
                    self.groups[key] = group
        self.agencies = {}
        for agency in Agency.objects.all():
            self.agencies[agency.code] = agency
            self.agencies[fold(agency.name)] = agency
        self.locator: Any = None

    def locate(self, lat: float, lon: float) -> AdministrativeUnit | None:
        if self.locator is None:
            from ioc.core.units.locate import Locator

            self.locator = Locator.for_day()
        unit: AdministrativeUnit | None = self.locator.unit_at(lon, lat)
        return unit


def _check(values: dict[str, str], lookup: _Lookup) -> tuple[dict[str, Any], list[str]]:
    """The camera's fields from one row, and what is wrong with it."""
    problems: list[str] = []
    out: dict[str, Any] = {}
    code = values.get("code", "").strip()
    if not code:
        problems.append("thiếu mã camera / the camera code is missing")
    else:
        try:
            CODE(code)
        except Exception:
            problems.append(
                f"mã '{code}' có ký tự không hợp lệ / the code '{code}' has invalid characters"
            )
    out["code"] = code[:60]
    name = values.get("name", "").strip()
    if not name:
        problems.append("thiếu tên camera / the camera name is missing")
    out["name"] = name[:200]
    username = values.get("username", "").strip()
    password = values.get("password", "")
    for key in URLS:
        raw = values.get(key, "").strip()
        if not raw:
            out[key] = ""
            continue
        clean, user, secret = split_credentials(raw)
        scheme = clean.split("://", 1)[0].lower() if "://" in clean else ""
        if scheme not in SCHEMES[key]:
            allowed = ", ".join(f"{s}://" for s in SCHEMES[key])
            problems.append(
                f"địa chỉ {key.removesuffix('_url')} phải bắt đầu bằng {allowed} /"
                f" the {key.removesuffix('_url')} address must start with {allowed}"
            )
        out[key] = clean[:500]
        username = username or user
        password = password or secret
    if not any(out[key] for key in URLS):
        problems.append(
            "camera cần ít nhất một địa chỉ (RTSP, HLS, MJPEG hoặc ảnh chụp) /"
            " a camera needs at least one address (RTSP, HLS, MJPEG or snapshot)"
        )
    out["username"], out["password"] = username[:150], password
    lat_text, lon_text = values.get("lat", "").strip(), values.get("lon", "").strip()
    out["lat"] = out["lon"] = None
    if lat_text or lon_text:
        try:
            lat, lon = _number(lat_text), _number(lon_text)
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
            out["lat"], out["lon"] = lat, lon
        except ValueError:
            problems.append(
                f"tọa độ không hợp lệ '{lat_text}, {lon_text}' / invalid coordinates"
                f" '{lat_text}, {lon_text}'"
            )
    unit_code = values.get("unit", "").strip()
    out["unit"] = None
    if unit_code:
        out["unit"] = (
            AdministrativeUnit.objects.filter(code=unit_code).order_by("-valid_from").first()
        )
        if out["unit"] is None:
            problems.append(
                f"không có đơn vị hành chính mã '{unit_code}' / no unit with code '{unit_code}'"
            )
    elif out["lat"] is not None:
        out["unit"] = lookup.locate(out["lat"], out["lon"])
    agency = values.get("agency", "").strip()
    out["agency"] = None
    if agency:
        out["agency"] = lookup.agencies.get(agency) or lookup.agencies.get(fold(agency))
        if out["agency"] is None:
            problems.append(f"không có cơ quan '{agency}' / no agency '{agency}'")
    out["groups"] = []
    for part in values.get("groups", "").replace(";", ",").split(","):
        if not part.strip():
            continue
        group = lookup.groups.get(part.strip()) or lookup.groups.get(fold(part))
        if group is None:
            known = ", ".join(sorted({g.code for g in lookup.groups.values()}))
            problems.append(
                f"không có nhóm camera '{part.strip()}' (có: {known}) /"
                f" no camera group '{part.strip()}' (known: {known})"
            )
        else:
            out["groups"].append(group)
    out["vendor"] = values.get("vendor", "").strip()[:100]
    return out, problems


def import_rows(rows: list[dict[str, Any]], actor: Any = None, first_row: int = 2) -> Report:
    report = Report()
    lookup = _Lookup()
    seen: set[str] = set()
    for number, raw in enumerate(rows[:MAX_ROWS], start=first_row):
        values: dict[str, str] = {}
        for header, value in raw.items():
            name = _field(header)
            if name and value is not None and str(value).strip():
                values[name] = str(value)
        if not values:
            continue  # an empty line
        fields, problems = _check(values, lookup)
        code = fields["code"]
        if code in seen:
            problems.append(
                f"mã '{code}' trùng trong tệp / the code '{code}' is repeated in the file"
            )
        if problems:
            report.failed.append(Failed(number, fields["code"], problems))
            continue
        seen.add(fields["code"])
        _save(fields, actor, report)
    if len(rows) > MAX_ROWS:
        report.log.append(f"only the first {MAX_ROWS} rows were read")
    return report


def _save(fields: dict[str, Any], actor: Any, report: Report) -> None:
    groups = fields.pop("groups")
    secret = fields.pop("password")
    with transaction.atomic():
        camera = Camera.objects.filter(code=fields["code"]).first()
        created = camera is None
        camera = camera or Camera(code=fields["code"])
        before = {} if created else snapshot(camera, AUDITED)
        for key, value in fields.items():
            setattr(camera, key, value)
        if secret:
            set_password(camera, secret)
        camera.save()
        if groups:
            camera.groups.set(groups)
        after = snapshot(camera, AUDITED)
        record(
            actor=actor,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            obj=camera,
            changes={k: [before.get(k), v] for k, v in after.items() if before.get(k) != v},
            message="camera imported" + ("; password set" if secret else ""),
        )
    if created:
        report.created += 1
    else:
        report.updated += 1


AUDITED = ["code", "name", "unit", "agency", "vendor", "lat", "lon", *URLS, "username", "enabled"]


def import_file(path: Path, actor: Any = None) -> Report:
    """Read a CSV or Excel file (the integrations' readers: encodings, separators, merged
    headers) and import its rows."""
    from ioc.integrations.connectors.base import ConnectorError
    from ioc.integrations.connectors.files import FileConfig, read_path

    rejects: list[Any] = []
    log: list[str] = []
    rows: list[dict[str, Any]] = []
    try:
        for batch in read_path(path, FileConfig(), rejects, log):
            rows.extend(batch.to_pylist())
            if len(rows) > MAX_ROWS:
                break
    except ConnectorError as exc:
        report = Report()
        report.failed.append(Failed(0, "", [str(exc)]))
        return report
    report = import_rows(rows, actor)
    for reject in rejects:
        report.failed.append(Failed(0, "", [reject.reason]))
    report.log.extend(log)
    return report


def import_upload(data: bytes, filename: str, actor: Any = None) -> Report:
    suffix = Path(filename).suffix.lower()
    if suffix not in {".csv", ".tsv", ".txt", ".xlsx"}:
        report = Report()
        report.failed.append(
            Failed(0, "", ["chỉ nhận tệp CSV hoặc XLSX / only CSV or XLSX files are accepted"])
        )
        return report
    with tempfile.TemporaryDirectory(prefix="ioc-cameras-") as tmp:
        path = Path(tmp) / f"cameras{suffix if suffix != '.txt' else '.csv'}"
        path.write_bytes(data)
        return import_file(path, actor)
