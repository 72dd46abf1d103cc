"""The cameras' pages: the snapshot grid, one camera with its live video, the camera wall, the
import; and the signed stream addresses they use (snapshots, HLS playlists and segments).

Every page asks :mod:`ioc.cameras.access` which cameras the user may see; a camera outside
that answers 404 (it does not exist for them), through the page, the API or a guessed URL.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ioc.accounts.scope import ScopeDenied
from ioc.cameras import access, frames, relay, watching
from ioc.cameras.choices import Status, ViewKind
from ioc.cameras.models import Camera, CameraGroup, CameraUptime
from ioc.core.text import matches

LAYOUTS = (1, 4, 9, 16)
SEGMENT = re.compile(r"^s\d{6}\.ts$")


def _visible(request: HttpRequest) -> QuerySet[Camera]:
    if not request.user.has_perm(access.VIEW_PERMISSION):
        raise PermissionDenied(_("You may not view cameras."))
    return access.cameras_for(request.user)


def _one(request: HttpRequest, pk: int) -> Camera:
    _visible(request)
    try:
        return access.camera_for(request.user, pk)
    except ScopeDenied:
        raise Http404(_("No such camera.")) from None


def _groups(cameras: QuerySet[Camera]) -> QuerySet[CameraGroup]:
    return CameraGroup.objects.filter(cameras__in=cameras.values("pk")).distinct()


def _snapshot_url(camera: Camera, user: Any) -> str:
    token = access.sign(camera, user, ViewKind.SNAPSHOT)
    return reverse("cameras:frame", args=[camera.pk, token])


def _filtered(request: HttpRequest, cameras: QuerySet[Camera]) -> QuerySet[Camera]:
    group = request.GET.get("group", "")
    if group:
        cameras = cameras.filter(groups__code=group)
    status = request.GET.get("status", "")
    if status in Status.values:
        cameras = cameras.filter(status=status)
    q = request.GET.get("q", "").strip()
    if q:  # with or without diacritics: "cho thu dau mot" finds "Chợ Thủ Dầu Một"
        found = [
            pk
            for pk, code, name in cameras.values_list("pk", "code", "name")
            if matches(q, f"{code} {name}")
        ]
        cameras = cameras.filter(pk__in=found)
    return cameras


@login_required
@require_GET
def grid(request: HttpRequest) -> HttpResponse:
    """Many cameras at once, their frames refreshed every few seconds from the server's cache."""
    visible = _visible(request)
    cameras = list(
        _filtered(request, visible).select_related("unit", "agency").order_by("code")[:200]
    )
    counts = dict(visible.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return render(
        request,
        "cameras/grid.html",
        {
            "cameras": cameras,
            "groups": _groups(visible),
            "statuses": Status.choices,
            "counts": [(value, label, counts.get(value, 0)) for value, label in Status.choices],
            "chosen": request.GET,
            "config": _page_config(request),
            "can_import": request.user.has_perm("cameras.add_camera"),
        },
    )


def _page_config(request: HttpRequest) -> dict[str, Any]:
    return {
        "grants": reverse("cameras:grants"),
        "refresh": settings.IOC_CAMERA_SNAPSHOT_SECONDS,
        "renew": max(5, settings.IOC_CAMERA_URL_SECONDS // 2),
        "tz": settings.TIME_ZONE,
    }


@login_required
@require_GET
def camera(request: HttpRequest, pk: int) -> HttpResponse:
    chosen = _one(request, pk)
    since = timezone.localdate() - dt.timedelta(days=6)
    uptime = CameraUptime.objects.filter(camera=chosen, day__gte=since).order_by("day")
    return render(
        request,
        "cameras/camera.html",
        {
            "camera": chosen,
            "groups": chosen.groups.all(),
            "uptime": uptime,
            "config": _page_config(request),
        },
    )


@login_required
@require_GET
def wall(request: HttpRequest) -> HttpResponse:
    """Camera tiles for the big screens: 1, 4, 9 or 16 at a time; with more cameras than
    tiles, a tour that turns to the next ones every ``tour`` seconds."""
    visible = _visible(request)
    try:
        layout = int(request.GET.get("layout", "4"))
    except ValueError:
        layout = 4
    layout = layout if layout in LAYOUTS else 4
    try:
        tour = max(5, min(600, int(request.GET.get("tour", "20"))))
    except ValueError:
        tour = 20
    codes = [c for c in request.GET.get("cameras", "").split(",") if c]
    cameras = _filtered(request, visible)
    if codes:
        cameras = cameras.filter(code__in=codes)
    chosen = list(cameras.order_by("code")[:256])
    if codes:  # the order the wall's author gave
        chosen.sort(key=lambda c: codes.index(c.code))
    return render(
        request,
        "cameras/wall.html",
        {
            "cameras": chosen,
            "layout": layout,
            "side": int(layout**0.5),
            "tour": tour,
            "groups": _groups(visible),
            "group": CameraGroup.objects.filter(code=request.GET.get("group", "")).first(),
            "embed": request.GET.get("embed") == "1",
            "live": request.GET.get("live") == "1",
            "layouts": LAYOUTS,
            "chosen": request.GET,
            "config": _page_config(request),
        },
    )


@login_required
@require_GET
@never_cache
def grants(request: HttpRequest) -> JsonResponse:
    """Fresh signed snapshot addresses for the cameras a page shows (``?ids=1,2,3``), and the
    viewing recorded; a page calls it when it opens and every half address lifetime."""
    visible = _visible(request)
    try:
        ids = [int(i) for i in request.GET.get("ids", "").split(",") if i][:256]
    except ValueError:
        return JsonResponse({"error": "ids"}, status=400)
    cameras = list(visible.filter(pk__in=ids))
    watching.watch(request.user, cameras, ViewKind.SNAPSHOT)
    return JsonResponse(
        {
            "cameras": {
                str(c.pk): {
                    "frame": _snapshot_url(c, request.user),
                    "status": c.status,
                    "status_label": str(Status(c.status).label),
                    "last_frame_at": c.last_frame_at.isoformat() if c.last_frame_at else None,
                    "error": c.last_error,
                }
                for c in cameras
            },
            "seconds": settings.IOC_CAMERA_URL_SECONDS,
        }
    )


@require_GET
@never_cache
def frame(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """The camera's latest frame for a signed snapshot address (from the shared cache)."""
    try:
        grant = access.check(token, pk, ViewKind.SNAPSHOT)
        chosen = access.still_allowed(grant)
    except (access.TokenRefused, ScopeDenied):
        return _refused()
    cached = frames.latest(chosen)
    if cached.jpeg is None:
        response = HttpResponse(
            cached.error or _("No frame yet."), status=503, content_type="text/plain; charset=utf-8"
        )
        response["Retry-After"] = str(settings.IOC_CAMERA_SNAPSHOT_SECONDS)
        return response
    response = HttpResponse(cached.jpeg, content_type="image/jpeg")
    if cached.taken_at:
        response["X-Frame-Time"] = dt.datetime.fromtimestamp(cached.taken_at, dt.UTC).isoformat()
    if cached.error:
        response["X-Frame-Error"] = cached.error.encode("ascii", "replace").decode()[:200]
    response["Cache-Control"] = "private, no-store"
    return response


def _refused() -> HttpResponse:
    return HttpResponse(
        "Đường dẫn đã hết hạn hoặc không hợp lệ / this address has expired or is not valid",
        status=403,
        content_type="text/plain; charset=utf-8",
    )


@login_required
@require_POST
def live(request: HttpRequest, pk: int) -> JsonResponse:
    """Start (or join) the camera's live relay; the signed playlist address to play."""
    chosen = _one(request, pk)
    if not (chosen.rtsp_url or chosen.hls_url or chosen.mjpeg_url):
        return JsonResponse(
            {"error": _("This camera has no video stream, only snapshots.")}, status=409
        )
    token = access.sign(chosen, request.user, ViewKind.LIVE)  # type: ignore[arg-type]
    answer: dict[str, Any] = {"token": token, "seconds": settings.IOC_CAMERA_URL_SECONDS}
    if chosen.rtsp_url or chosen.hls_url:
        try:
            relay.watch(chosen)
        except relay.RelayError as exc:
            return JsonResponse({"error": str(exc)}, status=503)
        answer["playlist"] = reverse("cameras:playlist", args=[chosen.pk, token])
    else:  # MJPEG only: passed through as it comes
        answer["mjpeg"] = reverse("cameras:mjpeg", args=[chosen.pk, token])
    watching.watch(request.user, [chosen], ViewKind.LIVE)
    return JsonResponse(answer)


@require_GET
@never_cache
def playlist(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    try:
        grant = access.check(token, pk, ViewKind.LIVE)
        access.still_allowed(grant)
    except (access.TokenRefused, ScopeDenied):
        return _refused()
    text = relay.playlist(pk, wait=6.0)
    if text is None:
        reason = relay.failure(pk) or _("The live video is starting; try again in a moment.")
        response = HttpResponse(reason, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "2"
        return response
    response = HttpResponse(text, content_type="application/vnd.apple.mpegurl")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def segment(request: HttpRequest, pk: int, token: str, name: str) -> HttpResponseBase:
    try:
        access.check(token, pk, ViewKind.LIVE)
    except access.TokenRefused:
        return _refused()
    if not SEGMENT.match(name):
        raise Http404
    path = relay.folder(pk) / name
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="video/mp2t")
    response["Cache-Control"] = "private, max-age=60"
    return response
