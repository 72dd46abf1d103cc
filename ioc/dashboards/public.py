"""The public dashboards: what the province publishes of its figures, for everyone.

A dashboard marked public is shown at ``/dashboards/<slug>/`` without an account, with
only its charts of open datasets, answered for ``PUBLIC`` (every row of an open dataset,
nothing of any other). Each such chart also has an embeddable page
(``/dashboards/charts/<id>/embed/``), which the portal's articles show in a frame and
other sites may frame too; its figures come from ``/dashboards/charts/<id>/data``.
Nothing here writes, so nothing here needs a session or a token.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from ioc.dashboards.access import public_charts, public_dashboards
from ioc.dashboards.models import Chart
from ioc.dashboards.query import answer, figures
from ioc.dashboards.semantic import QuestionError
from ioc.dashboards.views import board_strings
from ioc.warehouse.access import PUBLIC

SECONDS = 60  # how long a browser or a proxy may keep a public answer
INTERNAL = ("rollup", "cached", "seconds")  # how the answer was made: not the public's business


def chart(pk: int) -> Chart:
    found = public_charts().filter(pk=pk).first()
    if found is None:
        raise Http404(pk)
    return found


@require_safe
def dashboard_list(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboards/public_list.html", {"dashboards": public_dashboards()})


@require_safe
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    found = public_dashboards().filter(slug=slug).first()
    if found is None:
        raise Http404(slug)
    charts = list(public_charts().filter(dashboard=found).select_related("dataset__sector"))
    context = {
        "dashboard": found,
        "charts": charts,
        "rows": max((c.y + c.h for c in charts), default=0),
        "public": True,
        "strings": board_strings(),
        "others": public_dashboards().exclude(pk=found.pk)[:40],
    }
    return render(request, "dashboards/public.html", context)


@require_safe
@xframe_options_exempt
def embed(request: HttpRequest, pk: int) -> HttpResponse:
    """One chart alone, filling its frame: for the portal's articles and other sites."""
    context = {"chart": chart(pk), "public": True, "strings": board_strings()}
    return render(request, "dashboards/embed.html", context)


@require_safe
@cache_control(max_age=SECONDS, public=True)
def data(request: HttpRequest, pk: int) -> JsonResponse:
    shown = chart(pk)
    try:
        result = answer(shown.question, PUBLIC)
        payload = figures(shown, shown.question, result, PUBLIC)
    except QuestionError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    for key in INTERNAL:
        payload.pop(key, None)
    return JsonResponse(payload)
