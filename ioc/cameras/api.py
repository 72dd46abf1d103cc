"""/api/cameras/: the cameras the caller may see, with their status (no address, no
credential: those stay on the server). For apps, the map and other tools."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Router

from ioc.accounts.scope import ScopeDenied
from ioc.cameras.access import camera_for, cameras_for
from ioc.cameras.models import Camera

router = Router(tags=["cameras"])


def _out(camera: Camera) -> dict[str, Any]:
    return {
        "id": camera.pk,
        "code": camera.code,
        "name": camera.name,
        "status": camera.status,
        "status_since": camera.status_since,
        "last_frame_at": camera.last_frame_at,
        "latency_ms": camera.latency_ms,
        "lat": camera.lat,
        "lon": camera.lon,
        "unit": camera.unit.code if camera.unit else None,
        "agency": camera.agency.code if camera.agency else None,
        "groups": [g.code for g in camera.groups.all()],
        "sources": camera.sources,
        "page": reverse("cameras:camera", args=[camera.pk]),
    }


@router.get("/")
def cameras(request: HttpRequest, status: str = "", group: str = "") -> list[dict[str, Any]]:
    found = cameras_for(request.user).select_related("unit", "agency").prefetch_related("groups")
    if status:
        found = found.filter(status=status)
    if group:
        found = found.filter(groups__code=group)
    return [_out(c) for c in found.order_by("code")[:5000]]


@router.get("/{camera_id}")
def camera(request: HttpRequest, camera_id: int) -> dict[str, Any]:
    try:
        return _out(camera_for(request.user, camera_id))
    except ScopeDenied:
        raise Http404 from None
