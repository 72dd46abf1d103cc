"""The dashboards in the browser: the list, and one dashboard's grid of charts.

The page is server-rendered (titles, places, the filters form, each chart's text
alternative as it loads); ``dashboards.js`` asks the API for each chart's answer and draws
it with ECharts. Every chart shows its own data's freshness. The page's state (time range,
unit) is in the URL, so a link shows what its sender saw.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ioc.accounts.access import current_user, permission_reason, permission_required
from ioc.accounts.scope import ScopeDenied, scope_for
from ioc.core.audit import record
from ioc.core.choices import AuditAction
from ioc.core.models import AdministrativeUnit
from ioc.core.text import fold
from ioc.dashboards import pdf
from ioc.dashboards.access import can_edit, dashboard_for, visible_charts, visible_dashboards
from ioc.dashboards.code import DashboardFileError, dump, import_texts
from ioc.dashboards.filters import PageFilters, scope_caption
from ioc.dashboards.forms import ChartForm, representable
from ioc.dashboards.models import Chart, Dashboard, Wall
from ioc.dashboards.query import answer
from ioc.dashboards.semantic import QuestionError
from ioc.dashboards.usage import record_view
from ioc.dashboards.usage import summary as usage_summary
from ioc.warehouse.access import visible_datasets

VIEW = "dashboards.view_dashboard"
MIN_DWELL = 10  # seconds a dashboard stays on the wall, at least
MAX_UPLOAD = 20 * 1024 * 1024  # bytes of YAML in one import
MAX_FILES = 500
TIME_PRESETS = [
    ("", _("Each chart's own period")),
    ("30 days", _("Last 30 days")),
    ("3 months", _("Last 3 months")),
    ("12 months", _("Last 12 months")),
    ("1 years", _("This year")),
    ("5 years", _("Last 5 years")),
]


def board_strings() -> dict[str, str]:
    """The words dashboards.js writes on the page, in the user's language."""
    return {
        "lastArrived": str(_("Last data arrived")),
        "never": str(_("No data has arrived yet")),
        "noData": str(_("No data for this period.")),
        "failed": str(_("This chart could not be drawn:")),
        "notByUnit": str(_("Not kept by commune: the whole province is shown.")),
        "previous": str(_("on the previous period")),
        "target": str(_("Target")),
        "total": str(_("Total")),
        "filterUnit": str(_("Click a commune to show it only")),
        "stale": str(_("Stale data")),
        "open": str(_("Live")),
        "reconnecting": str(_("Reconnecting…")),
    }


@require_GET
@permission_required(VIEW)
def dashboard_list(request: HttpRequest) -> HttpResponse:
    dashboards = visible_dashboards(request.user).select_related("sector")
    entries = [(d, visible_charts(request.user, d).count()) for d in dashboards]
    return render(
        request,
        "dashboards/list.html",
        {"entries": entries, "can_manage": can_manage(request.user)},
    )


def _communes() -> list[tuple[str, str]]:
    """The area's current communes, for the unit filter."""
    return list(
        AdministrativeUnit.objects.in_area()
        .current()
        .filter(level=3)
        .order_by("name")
        .values_list("code", "name")
    )


def _dashboard(request: HttpRequest, slug: str) -> Dashboard:
    """The dashboard, if the user may see it; otherwise not found (as if it did not exist)."""
    try:
        return dashboard_for(request.user, slug)
    except ScopeDenied:
        raise Http404(_("No such dashboard.")) from None


@require_GET
@permission_required(VIEW)
def dashboard_detail(request: HttpRequest, slug: str) -> HttpResponse:
    dashboard = _dashboard(request, slug)
    try:
        page = PageFilters.from_values(
            start=request.GET.get("start", ""),
            end=request.GET.get("end", ""),
            last=request.GET.get("last", ""),
            unit=request.GET.get("unit", ""),
            level=request.GET.get("level", ""),
        )
    except QuestionError:
        page = PageFilters()
    charts = list(visible_charts(request.user, dashboard).select_related("dataset__sector"))
    # The overview spans every sector: a sector filter keeps that sector's charts.
    sectors = sorted(
        {c.dataset.sector for c in charts if c.dataset}, key=lambda s: (s.order, s.code)
    )
    sector = request.GET.get("sector", "")
    if dashboard.sector_id is None and sector:
        charts = [c for c in charts if c.dataset and c.dataset.sector.code == sector]
    record_view(request.user, dashboard)  # type: ignore[arg-type]
    unit_name = ""
    if page.unit:
        unit_name = (
            AdministrativeUnit.objects.filter(code=page.unit)
            .order_by("-id")
            .values_list("name", flat=True)
            .first()
            or page.unit
        )
    context: dict[str, Any] = {
        "dashboard": dashboard,
        "charts": charts,
        "rows": max((c.y + c.h for c in charts), default=0),
        "page": page,
        "presets": TIME_PRESETS,
        "communes": _communes(),
        "sectors": sectors if dashboard.sector_id is None and len(sectors) > 1 else [],
        "sector": sector,
        "unit_name": unit_name,
        "others": visible_dashboards(request.user).exclude(pk=dashboard.pk)[:40],
        "strings": board_strings(),
        "printed_at": timezone.localtime(),
        "editable": can_edit(request.user, dashboard),
        "scope": scope_caption(request.user),
    }
    return render(request, "dashboards/dashboard.html", context)


@require_GET
@permission_required(VIEW)
def dashboard_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """The dashboard, with the page's filters, as an A4 PDF file made on the server."""
    dashboard = _dashboard(request, slug)
    page = reverse("dashboards:dashboard", args=[dashboard.slug])
    query = request.GET.urlencode()
    url = request.build_absolute_uri(f"{page}?{query}" if query else page)
    names = (settings.SESSION_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME)
    try:
        data = pdf.render(url, {n: request.COOKIES[n] for n in names if n in request.COOKIES})
    except pdf.PdfUnavailable as error:
        messages.error(request, str(error))
        return redirect(url)
    record(
        actor=current_user(request),
        action=AuditAction.READ,
        obj=dashboard,
        message=f"printed as PDF ({query or 'no filters'})",
    )
    response = HttpResponse(data, content_type="application/pdf")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{dashboard.slug}-{stamp}.pdf"'
    return response


@dataclass
class Slide:
    dashboard: Dashboard
    charts: list[Chart]
    rows: int
    dwell: int


def _slides(user: Any, wall: Wall | None, dwell: int | None) -> list[Slide]:
    """The dashboards the wall shows in turn, among those the user may see."""
    visible = visible_dashboards(user)
    if wall is not None:
        pairs = [
            (item.dashboard, item.dwell_seconds)
            for item in wall.items.select_related("dashboard").filter(dashboard__in=visible)
        ]
    else:  # no playlist yet: the overview for a minute, then each sector for half a minute
        pairs = [(d, 60 if d.sector_id is None else 30) for d in visible.order_by("order")]
    slides = []
    for dashboard, seconds in pairs:
        charts = list(visible_charts(user, dashboard))
        if charts:
            rows = max(c.y + c.h for c in charts)
            slides.append(Slide(dashboard, charts, rows, dwell or max(seconds, MIN_DWELL)))
    return slides


@require_GET
@permission_required(VIEW)
def wall(request: HttpRequest, slug: str = "") -> HttpResponse:
    """The wall in kiosk mode: full screen, dark, a clock and the centre's alerts, dashboards
    in turn. ``?screen=N`` shows screen N (1 = top left, row by row) of a video wall of the
    playlist's columns × rows screens; every screen turns by the clock, so they stay in step.
    ``?dwell=S`` overrides each dashboard's time, ``?dashboard=SLUG`` shows that one only
    (previews, a screen kept on one dashboard, tests)."""
    walls = Wall.objects.all()
    chosen = walls.filter(slug=slug).first() if slug else walls.first()
    if slug and chosen is None:
        raise Http404(_("No such wall."))
    columns, rows = (chosen.columns, chosen.rows) if chosen else (1, 1)
    screen = request.GET.get("screen", "")
    index = int(screen) - 1 if screen.isdigit() and 0 < int(screen) <= columns * rows else None
    dwell_text = request.GET.get("dwell", "")
    dwell = min(int(dwell_text), 3600) if dwell_text.isdigit() and int(dwell_text) > 0 else None
    slides = _slides(request.user, chosen, dwell)
    if only := request.GET.get("dashboard", ""):
        slides = [s for s in slides if s.dashboard.slug == only]
    context = {
        "wall": chosen,
        "walls": walls,
        "slides": slides,
        "columns": columns if index is not None else 1,
        "rows": rows if index is not None else 1,
        "column": index % columns if index is not None else 0,
        "row": index // columns if index is not None else 0,
        "spread": index is not None and columns * rows > 1,
        "strings": board_strings(),
        "sees_events": request.user.has_perm("operations.view_event"),
    }
    return render(request, "dashboards/wall.html", context)


def can_manage(user: Any) -> bool:
    """Importing and exporting dashboards as files: whole-province accounts that may change
    dashboards (an import may touch every sector's)."""
    return bool(
        user.has_perm("dashboards.change_dashboard")
        and user.has_perm("dashboards.add_dashboard")
        and scope_for(user).everything
    )


@require_GET
@permission_required(VIEW)
def export_files(request: HttpRequest) -> HttpResponse:
    """Every dashboard the user may see, as a zip of YAML files (dashboards as code)."""
    if not can_manage(request.user):
        raise PermissionDenied(permission_reason("dashboards.change_dashboard"))
    buffer = io.BytesIO()
    dashboards = (
        visible_dashboards(request.user).select_related("sector").prefetch_related("charts")
    )
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for dashboard in dashboards:
            archive.writestr(f"dashboards/{dashboard.slug}.yaml", dump(dashboard))
    record(
        actor=current_user(request),
        action=AuditAction.READ,
        object_type="dashboards.dashboard",
        message=f"exported {dashboards.count()} dashboards as YAML",
    )
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="dashboards-{stamp}.zip"'
    return response


@require_http_methods(["GET", "POST"])
@permission_required(VIEW)
def import_files(request: HttpRequest) -> HttpResponse:
    """Upload YAML files (or a zip of them); all or nothing, every problem listed."""
    if not can_manage(request.user):
        raise PermissionDenied(permission_reason("dashboards.change_dashboard"))
    problems: list[str] = []
    saved: list[Dashboard] = []
    if request.method == "POST":
        try:
            texts = uploaded_texts(request.FILES.getlist("files"))
            saved = import_texts(texts, actor=request.user)  # type: ignore[arg-type]
        except DashboardFileError as exc:
            problems = exc.problems
        else:
            messages.success(
                request,
                _("Imported %(n)s dashboards.") % {"n": len(saved)},
            )
            return redirect("dashboards:list")
    return render(request, "dashboards/import.html", {"problems": problems})


def uploaded_texts(files: list[Any]) -> dict[str, str]:
    """{name: YAML text} from uploaded .yaml files and .zip archives of them, checked."""
    if not files:
        raise DashboardFileError([str(_("Choose one or more .yaml files, or a .zip of them."))])
    texts: dict[str, str] = {}
    total = 0
    for upload in files:
        name = Path(upload.name).name
        if upload.size > MAX_UPLOAD:
            raise DashboardFileError([f"{name}: " + str(_("the file is larger than 20 MB"))])
        data = upload.read()
        if name.lower().endswith(".zip"):
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    for info in archive.infolist():
                        if not info.filename.lower().endswith((".yaml", ".yml")):
                            continue
                        total += info.file_size
                        if total > MAX_UPLOAD or len(texts) >= MAX_FILES:
                            raise DashboardFileError(
                                [f"{name}: " + str(_("too many or too large files inside"))]
                            )
                        texts[Path(info.filename).name] = _text(archive.read(info), info.filename)
            except zipfile.BadZipFile:
                raise DashboardFileError([f"{name}: " + str(_("not a zip file"))]) from None
        elif name.lower().endswith((".yaml", ".yml")):
            texts[name] = _text(data, name)
        else:
            raise DashboardFileError([f"{name}: " + str(_("only .yaml, .yml and .zip files"))])
    return texts


def _text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DashboardFileError([f"{name}: " + str(_("not UTF-8 text"))]) from None


def _editable(request: HttpRequest, slug: str) -> Dashboard:
    dashboard = _dashboard(request, slug)
    if not can_edit(request.user, dashboard):
        raise PermissionDenied(permission_reason("dashboards.change_chart"))
    return dashboard


@require_http_methods(["GET", "POST"])
@permission_required(VIEW)
def chart_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    """The chart editor: pick the dataset, what to compute, by what, over which period; see
    the preview; save. A chart whose question holds more than the form shows keeps it."""
    dashboard = _editable(request, slug)
    chart = get_object_or_404(Chart, pk=pk, dashboard=dashboard) if pk else None
    if chart is not None and chart.is_tile:
        raise Http404(_("Map and camera tiles are set in the dashboard's YAML file."))
    datasets = list(visible_datasets(request.user).select_related("sector").order_by("name"))
    whole = chart is None or representable(chart.question)
    initial = (
        ChartForm.initial_from(chart)
        if chart
        else {"dataset": _default_dataset(dashboard, datasets)}
    )
    form = ChartForm(request.POST or None, initial=initial, datasets=datasets)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            if chart is None:
                bottom = max((c.y + c.h for c in dashboard.charts.all()), default=0)
                chart = Chart(
                    dashboard=dashboard, x=0, y=bottom, key=_new_key(dashboard, data["name"])
                )
                action = AuditAction.CREATE
            else:
                action = AuditAction.UPDATE
            before = chart.question if chart.pk else None
            chart.name, chart.name_en, chart.kind = data["name"], data["name_en"], data["kind"]
            chart.w, chart.h = data["w"], data["h"]
            chart.x = min(chart.x, 12 - chart.w)
            if whole:
                chart.question, chart.dataset = form.question, data["dataset_obj"]
            chart.save()
            record(
                actor=current_user(request),
                action=action,
                obj=chart,
                changes={"question": [before, chart.question]},
            )
        messages.success(request, _("The chart is saved."))
        return redirect(
            f"{reverse('dashboards:dashboard', args=[dashboard.slug])}#chart-{chart.key}"
        )
    return render(
        request,
        "dashboards/chart_form.html",
        {
            "dashboard": dashboard,
            "chart": chart,
            "form": form,
            "whole": whole,
            "strings": board_strings(),
            "preview_url": reverse("dashboards:chart-preview", args=[dashboard.slug]),
        },
    )


def _default_dataset(dashboard: Dashboard, datasets: list[Any]) -> str:
    mine = [d for d in datasets if dashboard.sector_id and d.sector_id == dashboard.sector_id]
    return (mine or datasets or [None])[0].slug if (mine or datasets) else ""


def _new_key(dashboard: Dashboard, name: str) -> str:
    base = (slugify(fold(name)) or "bieu-do")[:60]
    key, n = base, 1
    while dashboard.charts.filter(key=key).exists():
        n += 1
        key = f"{base}-{n}"
    return key


@require_POST
@permission_required(VIEW)
def chart_preview(request: HttpRequest, slug: str) -> JsonResponse:
    """The editor's preview: the form's question answered for this user (nothing saved)."""
    _editable(request, slug)
    datasets = list(visible_datasets(request.user))
    form = ChartForm(request.POST, datasets=datasets)
    if not form.is_valid():
        errors = [str(e) for errs in form.errors.values() for e in errs]
        return JsonResponse({"detail": " ".join(errors)}, status=400)
    try:
        result = answer(form.question, request.user)
    except QuestionError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    return JsonResponse(
        {**result.as_json(), "question": form.question, "kind": form.cleaned_data["kind"]}
    )


@require_POST
@permission_required(VIEW)
def chart_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    dashboard = _editable(request, slug)
    chart = get_object_or_404(Chart, pk=pk, dashboard=dashboard)
    record(
        actor=current_user(request),
        action=AuditAction.DELETE,
        obj=chart,
        changes={"question": [chart.question, None]},
    )
    chart.delete()
    messages.success(request, _("The chart is removed."))
    return redirect("dashboards:dashboard", slug=dashboard.slug)


@require_GET
@permission_required("dashboards.view_usage")
def usage_view(request: HttpRequest) -> HttpResponse:
    """Which dashboards and charts are opened, by which roles, how often (30 days)."""
    data = usage_summary(30)
    top = max((d["views"] for d in data["dashboards"]), default=1)
    return render(request, "dashboards/usage.html", {"usage": data, "top": top})
