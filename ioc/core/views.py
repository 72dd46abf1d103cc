from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ioc.accounts.scope import visible
from ioc.core.models import Agency, Sector
from ioc.operations.models import Event


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The public face (the portal takes it over in the portal issue)."""
    return render(request, "core/home.html", {"sectors": Sector.objects.all()})


@require_GET
@login_required
def ioc_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    events = visible(user, Event.objects.filter(status="open")).select_related("unit")
    return render(
        request,
        "core/ioc_home.html",
        {
            "open_events": events[:8],
            "open_count": events.count(),
            "agencies": visible(user, Agency.objects.all()).count(),
            "sectors": Sector.objects.all(),
        },
    )


@require_GET
def feedback_home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/feedback_home.html")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. No database touched."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: both stores answer. 503 with the failing check otherwise."""
    from ioc.warehouse import db as warehouse

    checks: dict[str, str] = {}
    ok = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # readiness reports, never raises
        checks["database"] = f"error: {type(exc).__name__}"
        ok = False
    try:
        warehouse.check()
        checks["warehouse"] = "ok"
    except Exception as exc:
        checks["warehouse"] = f"error: {type(exc).__name__}"
        ok = False
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )
