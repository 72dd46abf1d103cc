"""Dashboards and chart answers on /api/dashboards/ (session authentication).

* ``GET /api/dashboards/``: the dashboards the caller may see.
* ``GET /api/dashboards/<slug>/``: one dashboard and its charts (those of datasets the
  caller may see).
* ``GET /api/dashboards/charts/<id>/data?start=&end=&last=&unit=&level=``: a chart's
  answer, with the page's filters applied on top of its question.
* ``POST /api/dashboards/query``: any question of the semantic layer (the chart editor's
  preview, scripts). Body: the question as JSON.

Answers carry their dataset's freshness, the rollup that answered (if any) and whether the
answer came from the cache. A question that cannot be asked answers 400 with a message in
Vietnamese and English; a dataset out of scope answers exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Body, Router, Schema
from ninja.errors import HttpError

from ioc.accounts.access import current_user, permission_reason
from ioc.accounts.scope import ScopeDenied
from ioc.core.audit import record
from ioc.core.choices import AuditAction
from ioc.dashboards.access import (
    can_edit,
    chart_for,
    dashboard_for,
    visible_charts,
    visible_dashboards,
)
from ioc.dashboards.code import valid_place
from ioc.dashboards.exports import CONTENT_TYPES, render
from ioc.dashboards.filters import PageFilters, scope_caption
from ioc.dashboards.models import Chart, Dashboard
from ioc.dashboards.query import Answer, answer, figures
from ioc.dashboards.semantic import QuestionError
from ioc.dashboards.usage import record_view

router = Router(tags=["dashboards"])
NO_FIGURES = "Ô bản đồ, camera không có số liệu / map and camera tiles have no figures"


class DashboardOut(Schema):
    slug: str
    name: str
    name_en: str
    sector: str | None
    charts: int


class ChartOut(Schema):
    id: int
    key: str
    name: str
    name_en: str
    kind: str
    dataset: str | None
    at: list[int]
    question: dict[str, Any]
    options: dict[str, Any]
    data_url: str


class DashboardDetailOut(Schema):
    slug: str
    name: str
    name_en: str
    sector: str | None
    charts: list[ChartOut]


def _user(request: HttpRequest, perm: str) -> Any:
    user = current_user(request)
    if user is None or user.is_citizen or not user.has_perm(perm):
        raise HttpError(403, permission_reason(perm))
    return user


def chart_out(chart: Chart) -> ChartOut:
    return ChartOut(
        id=chart.pk,
        key=chart.key,
        name=chart.name,
        name_en=chart.name_en,
        kind=chart.kind,
        dataset=chart.dataset.slug if chart.dataset else None,
        at=[chart.x, chart.y, chart.w, chart.h],
        question=chart.question,
        options=chart.options,
        data_url=f"/api/dashboards/charts/{chart.pk}/data",
    )


@router.get("/", response=list[DashboardOut])
def list_dashboards(request: HttpRequest) -> list[DashboardOut]:
    user = _user(request, "dashboards.view_dashboard")
    found = visible_dashboards(user).select_related("sector")
    return [
        DashboardOut(
            slug=d.slug,
            name=d.name,
            name_en=d.name_en,
            sector=d.sector.code if d.sector else None,
            charts=visible_charts(user, d).count(),
        )
        for d in found
    ]


@router.get("/{slug}/", response=DashboardDetailOut)
def get_dashboard(request: HttpRequest, slug: str) -> DashboardDetailOut:
    user = _user(request, "dashboards.view_dashboard")
    try:
        dashboard: Dashboard = dashboard_for(user, slug)
    except ScopeDenied:
        raise HttpError(404, "Không có bảng điều khiển này / no such dashboard") from None
    return DashboardDetailOut(
        slug=dashboard.slug,
        name=dashboard.name,
        name_en=dashboard.name_en,
        sector=dashboard.sector.code if dashboard.sector else None,
        charts=[chart_out(c) for c in visible_charts(user, dashboard)],
    )


class PlaceIn(Schema):
    id: int
    x: int
    y: int
    w: int
    h: int


class LayoutIn(Schema):
    charts: list[PlaceIn]


@router.post("/{slug}/layout")
def save_layout(request: HttpRequest, slug: str, layout: LayoutIn) -> dict[str, Any]:
    """New places for a dashboard's charts (the layout editor's "Save"); audited."""
    user = _user(request, "dashboards.change_chart")
    try:
        dashboard = dashboard_for(user, slug)
    except ScopeDenied:
        raise HttpError(404, "Không có bảng điều khiển này / no such dashboard") from None
    if not can_edit(user, dashboard):
        raise HttpError(403, permission_reason("dashboards.change_chart"))
    charts = {c.pk: c for c in dashboard.charts.all()}
    for place in layout.charts:
        if place.id not in charts:
            raise HttpError(
                400, f"biểu đồ {place.id} không thuộc bảng này / chart {place.id} is not here"
            )
        if not valid_place(place.x, place.y, place.w, place.h):
            raise HttpError(
                400, f"vị trí không hợp lệ: biểu đồ {place.id} / invalid place: chart {place.id}"
            )
    before = {pk: [c.x, c.y, c.w, c.h] for pk, c in charts.items()}
    with transaction.atomic():
        for place in layout.charts:
            Chart.objects.filter(pk=place.id).update(x=place.x, y=place.y, w=place.w, h=place.h)
        record(
            actor=user,
            action=AuditAction.UPDATE,
            obj=dashboard,
            changes={"layout": [before, {p.id: [p.x, p.y, p.w, p.h] for p in layout.charts}]},
            message=f"layout: {len(layout.charts)} charts",
        )
    return {"saved": len(layout.charts)}


def _chart_answer(
    user: Any, chart_id: int, page: dict[str, str]
) -> tuple[Chart, dict[str, Any], Answer, list[str]]:
    """A chart the user may see, its question with the page's filters, the answer, and the
    filters that could not apply; HttpError 404 (not found or out of scope) or 400."""
    try:
        chart = chart_for(user, chart_id)
    except ScopeDenied:
        raise HttpError(404, "Không có biểu đồ này / no such chart") from None
    if chart.dataset is None:
        raise HttpError(400, NO_FIGURES)
    try:
        filters = PageFilters.from_values(**page)
        question, ignored = filters.apply(chart.question, chart.dataset.parsed_schema)
        return chart, question, answer(question, user), ignored
    except QuestionError as exc:
        raise HttpError(400, str(exc)) from None


@router.get("/charts/{chart_id}/data")
def chart_data(
    request: HttpRequest,
    chart_id: int,
    start: str = "",
    end: str = "",
    last: str = "",
    unit: str = "",
    level: str = "",
    view: bool = False,
) -> dict[str, Any]:
    """``view=1`` on a chart's first drawing counts an open (not the live refreshes)."""
    user = _user(request, "dashboards.view_chart")
    page = {"start": start, "end": end, "last": last, "unit": unit, "level": level}
    chart, question, result, ignored = _chart_answer(user, chart_id, page)
    if view:
        record_view(user, chart.dashboard, chart=chart)
    return {**figures(chart, question, result, user), "ignored_filters": ignored}


@router.get("/charts/{chart_id}/export.{fmt}")
def chart_export(
    request: HttpRequest,
    chart_id: int,
    fmt: str,
    start: str = "",
    end: str = "",
    last: str = "",
    unit: str = "",
    level: str = "",
) -> HttpResponse:
    """The chart's figures as CSV or XLSX, with the page's filters; audited."""
    user = _user(request, "dashboards.view_chart")
    if fmt not in CONTENT_TYPES:
        raise HttpError(404, "Chỉ có csv, xlsx / only csv and xlsx")
    page = {"start": start, "end": end, "last": last, "unit": unit, "level": level}
    chart, _question, result, _ignored = _chart_answer(user, chart_id, page)
    when = timezone.localtime(result.computed_at).strftime("%H:%M %d/%m/%Y")
    scope = scope_caption(user)
    start_text, end_text = result.time_range
    period = f"{start_text[:10] or '…'} – {end_text[:10] or '…'}"
    caption = f"{period} · {scope} · {when}"
    record(
        actor=user,
        action=AuditAction.READ,
        obj=chart,
        message=f"{fmt}: {len(result.rows)} rows",
    )
    response = HttpResponse(render(chart, result, fmt, caption), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{chart.key}.{fmt}"'
    return response


@router.post("/query")
def query(request: HttpRequest, question: Body[dict[str, Any]]) -> dict[str, Any]:
    user = _user(request, "warehouse.view_dataset")
    try:
        return answer(question, user).as_json()
    except QuestionError as exc:
        raise HttpError(400, str(exc)) from None
