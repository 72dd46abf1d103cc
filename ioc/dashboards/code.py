"""Dashboards as code: each dashboard a YAML file, so a province keeps its charts in version
control (``ioc dashboards export DIR``, ``ioc dashboards import DIR``, and the same from the
UI)::

    slug: y-te
    name: Y tế
    name_en: Health
    sector: y-te            # a sector's code; leave out for the province overview
    order: 1
    public: true            # shown to everyone at /dashboards/<slug>/ (its open-data charts)
    charts:
      - key: luot-kham-theo-thang
        name: Lượt khám theo tháng
        name_en: Visits by month
        kind: line            # see ChartKind
        at: [0, 0, 6, 4]      # x, y, width, height on a 12-column grid
        question:             # the semantic layer's question (ioc.dashboards.semantic)
          dataset: kham_chua_benh
          metrics: [{id: visits, agg: sum, column: luot_kham}]
          dimensions: [{column: ngay, grain: month}]
          time: {last: 24 months}
        options: {}           # display options (colours, thresholds, target line, ...)

An import checks every file and every chart (its dataset exists, its question compiles
against the dataset's schema, its kind and place are valid) and changes nothing unless all
are valid; the errors name the file and the chart, in Vietnamese and English. A dashboard
imported again is updated in place: charts matched by ``key``, missing ones removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.db import transaction
from django.utils.text import slugify

from ioc.core.audit import record
from ioc.core.choices import AuditAction
from ioc.core.models import Sector
from ioc.dashboards.models import TILE_KINDS, Chart, ChartKind, Dashboard
from ioc.dashboards.query import check_question
from ioc.dashboards.semantic import QuestionError
from ioc.warehouse.models import Dataset

if TYPE_CHECKING:
    from ioc.accounts.models import User

GRID_COLUMNS = 12
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_CHARTS = 200  # on one dashboard


def valid_place(x: int, y: int, w: int, h: int) -> bool:
    """A chart's place on the 12-column grid (x, y from 0; width and height in cells)."""
    return 0 <= x < GRID_COLUMNS and 1 <= w <= GRID_COLUMNS - x and 0 <= y <= 1000 and 1 <= h <= 24


class DashboardFileError(ValueError):
    """Files that cannot be imported; ``problems`` lists each, bilingual."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class _Plan:
    dashboard: dict[str, Any]
    sector: Sector | None
    charts: list[dict[str, Any]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------


def dashboard_data(dashboard: Dashboard) -> dict[str, Any]:
    """One dashboard as the plain data its YAML file holds."""
    data: dict[str, Any] = {"slug": dashboard.slug, "name": dashboard.name}
    if dashboard.name_en:
        data["name_en"] = dashboard.name_en
    if dashboard.sector_id:
        data["sector"] = dashboard.sector.code  # type: ignore[union-attr]
    data["order"] = dashboard.order
    if dashboard.public:
        data["public"] = True
    if dashboard.description:
        data["description"] = dashboard.description
    data["charts"] = [
        {
            "key": chart.key,
            "name": chart.name,
            **({"name_en": chart.name_en} if chart.name_en else {}),
            "kind": chart.kind,
            "at": [chart.x, chart.y, chart.w, chart.h],
            **({"question": chart.question} if chart.question else {}),
            **({"options": chart.options} if chart.options else {}),
        }
        for chart in dashboard.charts.all()
    ]
    return data


def dump(dashboard: Dashboard) -> str:
    header = (
        f"# ioc dashboard '{dashboard.slug}' (dashboards as code; see docs/guide/dashboards.md)\n"
    )
    body = yaml.safe_dump(dashboard_data(dashboard), allow_unicode=True, sort_keys=False, width=100)
    return header + body


def export_all(directory: Path, dashboards: Any = None) -> list[Path]:
    """Write one ``<slug>.yaml`` per dashboard into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    queryset = dashboards if dashboards is not None else Dashboard.objects.all()
    for dashboard in queryset.select_related("sector").prefetch_related("charts"):
        path = directory / f"{dashboard.slug}.yaml"
        path.write_text(dump(dashboard), encoding="utf-8")
        written.append(path)
    return written


# ---------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------


def load_text(text: str, name: str) -> dict[str, Any]:
    """The YAML of one file, or DashboardFileError."""
    if len(text.encode()) > MAX_FILE_BYTES:
        raise DashboardFileError(
            [f"{name}: tệp quá lớn (tối đa 2 MB) / file too large (2 MB at most)"]
        )
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (dòng/line {mark.line + 1})" if mark is not None else ""
        raise DashboardFileError(
            [f"{name}{where}: YAML không đọc được / YAML cannot be read: {exc}"]
        ) from None
    if not isinstance(data, dict):
        raise DashboardFileError(
            [f"{name}: cần một bảng điều khiển (slug, name, charts) /"
             " expected a dashboard (slug, name, charts)"]
        )  # fmt: skip
    return data


def _check(
    data: dict[str, Any], name: str, datasets: dict[str, Dataset]
) -> tuple[_Plan, list[str]]:
    problems: list[str] = []

    def problem(where: str, vi: str, en: str) -> None:
        problems.append(f"{name}{where}: {vi} / {en}")

    unknown = sorted(
        set(data)
        - {"slug", "name", "name_en", "sector", "order", "public", "description", "charts"}
    )
    if unknown:
        problem("", f"khoá không biết: {', '.join(unknown)}", f"unknown keys: {', '.join(unknown)}")
    slug = str(data.get("slug") or "")
    if not slug or slugify(slug) != slug or len(slug) > 80:
        problem("", "slug thiếu hoặc không hợp lệ", "slug missing or invalid")
    if not str(data.get("name") or "").strip():
        problem("", "thiếu tên (name)", "name is missing")
    sector = None
    if data.get("sector"):
        sector = Sector.objects.filter(code=str(data["sector"])).first()
        if sector is None:
            problem("", f"không có lĩnh vực '{data['sector']}'", f"no sector '{data['sector']}'")
    order = data.get("order", 0)
    if not isinstance(order, int) or isinstance(order, bool) or not 0 <= order <= 32767:
        problem("", "order phải là số nguyên 0–32767", "order must be an integer 0–32767")
    if not isinstance(data.get("public", False), bool):
        problem("", "public phải là true hoặc false", "public must be true or false")
    charts = data.get("charts") or []
    if not isinstance(charts, list) or len(charts) > MAX_CHARTS:
        problem(
            "",
            f"charts phải là danh sách tối đa {MAX_CHARTS}",
            f"charts must be a list of at most {MAX_CHARTS}",
        )
        charts = []
    plan = _Plan(dashboard=data, sector=sector)
    keys: set[str] = set()
    for index, chart in enumerate(charts):
        where = (
            f" › {chart.get('key', f'#{index + 1}')}"
            if isinstance(chart, dict)
            else f" › #{index + 1}"
        )
        before = len(problems)
        if not isinstance(chart, dict):
            problem(where, "biểu đồ phải là một bảng khoá", "a chart must be a mapping")
            continue
        extra = sorted(set(chart) - {"key", "name", "name_en", "kind", "at", "question", "options"})
        if extra:
            problem(
                where, f"khoá không biết: {', '.join(extra)}", f"unknown keys: {', '.join(extra)}"
            )
        key = str(chart.get("key") or "")
        if not key or slugify(key) != key or len(key) > 80:
            problem(where, "key thiếu hoặc không hợp lệ", "key missing or invalid")
        elif key in keys:
            problem(where, f"key '{key}' trùng", f"key '{key}' is used twice")
        keys.add(key)
        if not str(chart.get("name") or "").strip():
            problem(where, "thiếu tên (name)", "name is missing")
        if chart.get("kind") not in ChartKind.values:
            problem(
                where,
                f"loại biểu đồ '{chart.get('kind')}' không có",
                f"chart kind '{chart.get('kind')}' does not exist"
                f" (one of {', '.join(ChartKind.values)})",
            )
        at = chart.get("at", [0, 0, 4, 3])
        if not (
            isinstance(at, list)
            and len(at) == 4
            and all(isinstance(v, int) and not isinstance(v, bool) for v in at)
            and valid_place(*at)
        ):
            problem(
                where,
                "at phải là [x, y, rộng, cao] trên lưới 12 cột",
                "at must be [x, y, width, height] on the 12-column grid",
            )
        if not isinstance(chart.get("options", {}), dict):
            problem(where, "options phải là một bảng khoá", "options must be a mapping")
        if chart.get("kind") in TILE_KINDS:  # a map or camera tile: no data question
            if chart.get("question"):
                problem(
                    where,
                    "ô bản đồ, camera không có câu hỏi",
                    "map and camera tiles ask no question",
                )
            if len(problems) == before:
                plan.charts.append({**chart, "_dataset": None})
            continue
        dataset, trouble = _check_question(chart.get("question"), datasets)
        if trouble:
            problems.append(f"{name}{where}: {trouble}")
        if len(problems) == before and dataset is not None:
            plan.charts.append({**chart, "_dataset": dataset})
    return plan, problems


def _check_question(question: Any, datasets: dict[str, Dataset]) -> tuple[Dataset | None, str]:
    """The chart's dataset, or the bilingual reason its question cannot be asked."""
    try:
        _q, dataset = check_question(question, datasets)
    except QuestionError as exc:
        return None, str(exc)
    return dataset, ""


def import_texts(files: dict[str, str], *, actor: User | None) -> list[Dashboard]:
    """Import dashboards from {file name: YAML text}; all or nothing."""
    datasets = {d.slug: d for d in Dataset.objects.all()}
    plans: list[_Plan] = []
    problems: list[str] = []
    slugs: dict[str, str] = {}
    for name, text in sorted(files.items()):
        try:
            data = load_text(text, name)
        except DashboardFileError as exc:
            problems += exc.problems
            continue
        plan, found = _check(data, name, datasets)
        problems += found
        slug = str(data.get("slug") or "")
        if slug in slugs:
            problems.append(
                f"{name}: slug '{slug}' trùng với {slugs[slug]} /"
                f" slug '{slug}' is also in {slugs[slug]}"
            )
        slugs[slug] = name
        plans.append(plan)
    if problems:
        raise DashboardFileError(problems)
    saved = []
    with transaction.atomic():
        for plan in plans:
            saved.append(_save(plan, actor))
    return saved


def _save(plan: _Plan, actor: User | None) -> Dashboard:
    data = plan.dashboard
    dashboard, created = Dashboard.objects.update_or_create(
        slug=data["slug"],
        defaults={
            "name": str(data["name"]).strip(),
            "name_en": str(data.get("name_en") or "").strip(),
            "sector": plan.sector,
            "order": data.get("order", 0),
            "public": data.get("public", False),
            "description": str(data.get("description") or ""),
        },
    )
    keep = []
    for chart in plan.charts:
        x, y, w, h = chart.get("at", [0, 0, 4, 3])
        Chart.objects.update_or_create(
            dashboard=dashboard,
            key=chart["key"],
            defaults={
                "name": str(chart["name"]).strip(),
                "name_en": str(chart.get("name_en") or "").strip(),
                "kind": chart["kind"],
                "dataset": chart["_dataset"],
                "question": chart.get("question") or {},
                "options": chart.get("options") or {},
                "x": x,
                "y": y,
                "w": w,
                "h": h,
            },
        )
        keep.append(chart["key"])
    removed, _ = dashboard.charts.exclude(key__in=keep).delete()
    record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        obj=dashboard,
        message=f"imported: {len(keep)} charts" + (f", {removed} removed" if removed else ""),
    )
    return dashboard


def import_directory(directory: Path, *, actor: User | None) -> list[Dashboard]:
    """Every ``*.yaml`` / ``*.yml`` file of ``directory``; all or nothing."""
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    if not files:
        raise DashboardFileError([f"{directory}: không có tệp .yaml / no .yaml files"])
    return import_texts({f.name: f.read_text(encoding="utf-8") for f in files}, actor=actor)
