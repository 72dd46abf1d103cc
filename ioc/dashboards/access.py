"""Who sees which dashboards and charts. Deny by default.

* A dashboard is listed for a user holding ``dashboards.view_dashboard`` whose scope is not
  empty: the overview always, a sector's dashboard when the user's scope does not restrict
  sectors or names that sector.
* A chart is shown when its dataset is one the user may see (``visible_datasets``); its
  rows are then limited by the semantic layer to the user's units. Charts of other
  datasets are left out of the page, not shown as errors.
* A public dashboard is shown to everyone (``public_charts``): only its charts of open
  datasets, answered for ``PUBLIC`` (every row of an open dataset, nothing of the others).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from ioc.accounts.scope import ScopeDenied, scope_for
from ioc.dashboards.models import TILE_KINDS, Chart, Dashboard
from ioc.warehouse.access import PUBLIC, visible_datasets

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ioc.accounts.models import User


def visible_dashboards(user: User | AnonymousUser | None) -> QuerySet[Dashboard]:
    if user is None or not user.is_authenticated or not user.has_perm("dashboards.view_dashboard"):
        return Dashboard.objects.none()
    scope = scope_for(user)
    if scope.empty:
        return Dashboard.objects.none()
    if scope.everything or not scope.sectors:
        return Dashboard.objects.all()
    return Dashboard.objects.filter(Q(sector__isnull=True) | Q(sector__in=scope.sectors))


def visible_charts(user: User | AnonymousUser | None, dashboard: Dashboard) -> QuerySet[Chart]:
    if not user or not user.has_perm("dashboards.view_chart"):
        return Chart.objects.none()
    readable = Q(dataset__in=visible_datasets(user)) | Q(dataset__isnull=True, kind__in=TILE_KINDS)
    return dashboard.charts.filter(readable).select_related("dataset")


def dashboard_for(user: User | AnonymousUser | None, slug: str) -> Dashboard:
    dashboard = visible_dashboards(user).select_related("sector").filter(slug=slug).first()
    if dashboard is None:
        raise ScopeDenied(slug)
    return dashboard


def chart_for(user: User | AnonymousUser | None, pk: int) -> Chart:
    chart = (
        Chart.objects.filter(pk=pk, dashboard__in=visible_dashboards(user))
        .select_related("dashboard", "dataset")
        .first()
    )
    if chart is None or not visible_charts(user, chart.dashboard).filter(pk=pk).exists():
        raise ScopeDenied(pk)
    return chart


def can_edit(user: User | AnonymousUser | None, dashboard: Dashboard) -> bool:
    """Arranging a dashboard and editing its charts: accounts that may change charts, over
    the whole province, or over the dashboard's sector (never the overview's then)."""
    if user is None or not user.is_authenticated or not user.has_perm("dashboards.change_chart"):
        return False
    scope = scope_for(user)
    if scope.everything:
        return True
    return (
        dashboard.sector_id is not None
        and dashboard.sector_id in scope.sectors
        and not scope.units
        and not scope.agencies
    )


def public_charts() -> QuerySet[Chart]:
    """Charts everyone may see: on a public dashboard, over an open dataset."""
    readable = visible_datasets(PUBLIC)
    return Chart.objects.filter(dashboard__public=True, dataset__in=readable).select_related(
        "dataset", "dashboard"
    )


def public_dashboards() -> QuerySet[Dashboard]:
    """Dashboards shown to everyone: marked public, with at least one chart of open data."""
    shown = Count("charts", filter=Q(charts__dataset__in=visible_datasets(PUBLIC)))
    return (
        Dashboard.objects.filter(public=True)
        .select_related("sector")
        .annotate(shown=shown)
        .filter(shown__gt=0)
    )
