"""The map page: /ioc/map/ (a fresh map) and /ioc/map/<slug>/ (a saved one)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ioc.dashboards.access import visible_dashboards
from ioc.maps.api import _saved_out
from ioc.maps.models import SavedMap


def map_strings() -> dict[str, str]:
    return {
        "boundaries": _("Boundaries"),
        "choropleth": _("Figures by commune"),
        "points": _("Points"),
        "opacity": _("Opacity"),
        "measure": _("Measure"),
        "heatmap": _("Heatmap"),
        "rollup": _("from a rollup"),
        "saved": _("Map saved."),
        "failed": _("Could not do it:"),
        "operational": _("Operations"),
        "selection_title": _("Inside the shape"),
        "nearest_title": _("Nearest to the point"),
        "no_layers": _("Turn on a layer to see what the shape holds."),
        "no_point_layers": _("Turn on a point layer to find what is nearest."),
        "and_more": _("… and %(n)s more"),
        "open_dashboard": _("dashboard"),
        "hint_circle": _("Click the centre, then click the edge of the circle. Esc cancels."),
        "hint_polygon": _(
            "Click each corner; double-click or click the first corner to close. Esc cancels."
        ),
        "hint_nearest": _("Click a point on the map. Esc cancels."),
        "replay": _("Replay a period"),
        "from": _("From"),
        "to": _("To"),
        "month": _("by month"),
        "week": _("by week"),
        "day": _("by day"),
        "play": _("Play"),
        "pause": _("Pause"),
        "period": _("Period shown"),
        "close": _("Close"),
    }


@require_GET
@login_required
@permission_required("maps.view_savedmap", raise_exception=True)
def map_page(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    saved = None
    if slug is not None:
        found = SavedMap.objects.filter(slug=slug).first()
        if found is None:
            raise Http404(_("No such map."))
        saved = _saved_out(found)
    overview = visible_dashboards(request.user).filter(sector__isnull=True).first()
    context: dict[str, Any] = {
        "saved": saved,
        "saved_maps": SavedMap.objects.all()[:50],
        "strings": map_strings(),
        "dashboard_url": reverse("dashboards:dashboard", args=[overview.slug]) if overview else "",
        "can_save": request.user.has_perm("maps.change_savedmap"),
    }
    return render(request, "maps/map.html", context)
