"""The dashboards in the browser: the list, and one dashboard's grid of charts.

The page is server-rendered (titles, places, the filters form, each chart's text
alternative as it loads); ``dashboards.js`` asks the API for each chart's answer and draws
it with ECharts. Every chart shows its own data's freshness. The page's state (time range,
unit) is in the URL, so a link shows what its sender saw.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from ioc.accounts.scope import ScopeDenied
from ioc.core.models import AdministrativeUnit
from ioc.dashboards.access import dashboard_for, visible_charts, visible_dashboards
from ioc.dashboards.filters import PageFilters
from ioc.dashboards.semantic import QuestionError
from ioc.dashboards.usage import record_view

VIEW = "dashboards.view_dashboard"
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
    }


@require_GET
@permission_required(VIEW)
def dashboard_list(request: HttpRequest) -> HttpResponse:
    dashboards = visible_dashboards(request.user).select_related("sector")
    entries = [(d, visible_charts(request.user, d).count()) for d in dashboards]
    return render(request, "dashboards/list.html", {"entries": entries})


def _communes() -> list[tuple[str, str]]:
    """The area's current communes, for the unit filter."""
    return list(
        AdministrativeUnit.objects.in_area()
        .current()
        .filter(level=3)
        .order_by("name")
        .values_list("code", "name")
    )


@require_GET
@permission_required(VIEW)
def dashboard_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        dashboard = dashboard_for(request.user, slug)
    except ScopeDenied:
        raise Http404(_("No such dashboard.")) from None
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
    charts = list(visible_charts(request.user, dashboard))
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
        "unit_name": unit_name,
        "others": visible_dashboards(request.user).exclude(pk=dashboard.pk)[:40],
        "strings": board_strings(),
    }
    return render(request, "dashboards/dashboard.html", context)
