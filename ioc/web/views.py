"""The shell: the public home, the IOC home, health checks and the friendly error pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import render
from django.template import loader
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_safe

from ioc.accounts.choices import Role
from ioc.accounts.scope import visible
from ioc.core.middleware import language_from_address
from ioc.core.models import Agency, Sector
from ioc.operations.models import Event


@require_safe
@language_from_address
def home(request: HttpRequest) -> HttpResponse:
    """The public face: the portal's home page, or, on a site without one yet, a landing page
    with the way to the operations centre and the citizen reports."""
    from wagtail.models import Site
    from wagtail.views import serve

    from ioc.portal.models import HomePage

    site = Site.find_for_request(request)
    if site is not None and issubclass(site.root_page.specific_class, HomePage):
        response: HttpResponse = serve(request, "")
        return response
    return render(request, "web/home.html", {"sectors": Sector.objects.all()})


@require_safe
@never_cache
def switch_language(request: HttpRequest, code: str) -> HttpResponse:
    """The language switch: a link, so that public pages hold no form and can be cached.

    Choosing a language is not a change anyone could abuse (it sets a cookie of the
    visitor's own), so it needs no CSRF token; ``next`` must stay on this site.
    """
    if code not in dict(settings.LANGUAGES):
        raise Http404(code)
    target = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 86400,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
    )
    return response


@dataclass(frozen=True)
class QuickLink:
    label: Any
    description: Any
    url: str


def _url(name: str, fallback: str) -> str:
    """The named URL, or its documented address while the module behind it is being built."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


def inbox_url() -> str:
    return _url("operations:inbox", "/ioc/events/")


def agencies_url() -> str:
    return _url("core:agency-list", "/ioc/agencies/")


def quick_links(user: Any) -> list[QuickLink]:
    """The IOC home's shortcuts that this user may follow."""
    links = [
        QuickLink(
            _("Events inbox"),
            _("Open events from every module, newest first."),
            inbox_url(),
        ),
        QuickLink(
            _("Administrative units"),
            _("Provinces, communes and wards, before and after the 2025 merger."),
            _url("units:list", "/ioc/units/"),
        ),
        QuickLink(
            _("Agencies"),
            _("Departments, committees and offices, and the sectors they own."),
            agencies_url(),
        ),
    ]
    if user.has_perm("warehouse.view_dataset"):
        links.insert(
            1,
            QuickLink(
                _("Shared database"),
                _("Datasets and indicators of every sector: freshness, preview, downloads."),
                _url("integrations:catalogue", "/ioc/data/"),
            ),
        )
    if user.has_perm("integrations.view_connection"):
        links.insert(
            2,
            QuickLink(
                _("Data connections"),
                _("Feeds from agencies' systems, files and sensors, and their health."),
                _url("integrations:connections", "/ioc/data/connections/"),
            ),
        )
    if user.has_perm("dashboards.view_dashboard"):
        links.insert(
            0,  # the first place an operator goes
            QuickLink(
                _("Dashboards"),
                _("The province at a glance and every sector's charts, with their freshness."),
                _url("dashboards:list", "/ioc/dashboards/"),
            ),
        )
    if user.has_perm("maps.view_savedmap"):
        links.insert(
            1,
            QuickLink(
                _("Digital map"),
                _("Boundaries, figures by commune and any dataset's points on the map."),
                _url("maps:map", "/ioc/map/"),
            ),
        )
    if user.has_perm("cameras.view_camera"):
        links.insert(
            2,
            QuickLink(
                _("Cameras"),
                _("Every camera you may watch: live status, snapshots, live video, the wall."),
                _url("cameras:grid", "/ioc/cameras/"),
            ),
        )
    if user.has_perm("feedback.view_report"):
        links.insert(
            0 if user.has_role(Role.FEEDBACK_HANDLER) else 2,  # a handler's first stop
            QuickLink(
                _("Citizen reports"),
                _("Reports routed to you, their deadlines, and the answers to give."),
                _url("reports:inbox", "/ioc/feedback/"),
            ),
        )
    if user.has_role(Role.SYSTEM_ADMIN):
        links.append(
            QuickLink(
                _("Audit log"),
                _("Who did what, and when: sign-ins, changes and exports."),
                _url("audit:list", "/ioc/audit/"),
            )
        )
    if user.is_staff:
        links.append(
            QuickLink(
                _("Administration"),
                _("Users, roles, scopes and reference data."),
                reverse("admin:index"),
            )
        )
    return links


@require_safe
@login_required
def ioc_home(request: HttpRequest) -> HttpResponse:
    """The operations centre's front page for staff: who I am, what is open, where to go.

    Open events (their count, headlines and the inbox link) are shown only to accounts that
    may read events (operations.view_event)."""
    user: Any = request.user
    if getattr(user, "is_citizen", False):
        raise PermissionDenied(_("The operations centre is for staff accounts."))
    sees_events = user.has_perm("operations.view_event")
    links = quick_links(user)
    context: dict[str, Any] = {"sees_events": sees_events, "open_events": [], "open_count": None}
    if sees_events:
        events = (
            visible(user, Event.objects.filter(status="open"))
            .select_related("unit")
            .order_by("-occurred_at")
        )
        context.update(open_events=events[:8], open_count=events.count())
    else:
        links = [link for link in links if link.url != inbox_url()]
    return render(
        request,
        "web/ioc_home.html",
        {
            **context,
            "agencies": visible(user, Agency.objects.all()).count(),
            "quick_links": links,
            "inbox_url": inbox_url(),
            "agencies_url": agencies_url(),
        },
    )


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. No database touched."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
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


# --- error pages (ioc/urls.py points handler403/404/500 here) ---------------------------------


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    reason = str(exception) if exception and str(exception) else ""
    return render(request, "web/403.html", {"reason": reason}, status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/404.html", {"request_path": request.path}, status=404)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without the request's context: the database may be what failed."""
    from django.utils import timezone

    template = loader.get_template("web/500.html")
    return HttpResponseServerError(template.render({"now": timezone.now()}))


@requires_csrf_token
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: usually a form left open past the end of a session."""
    return render(request, "web/403.html", {"csrf_failure": True}, status=403)
