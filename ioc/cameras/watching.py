"""Who watched which camera, when and for how long (``CameraView``), and the audit entry at
the start of each watch.

A page showing cameras asks for stream addresses when it opens and again every half
``IOC_CAMERA_URL_SECONDS`` while it stays open; each ask extends the user's open watch of
that camera (one that was renewed within the address lifetime) or starts a new one, which is
audited. So a 3 a.m. shift watching a grid for hours is a handful of rows, not one per
frame, and its length is known to the renewal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from ioc.cameras.models import Camera, CameraView
from ioc.core.audit import record
from ioc.core.choices import AuditAction


def watch(user: Any, cameras: list[Camera], kind: str) -> None:
    now = timezone.now()
    since = now - dt.timedelta(seconds=settings.IOC_CAMERA_URL_SECONDS)
    open_ids = set(
        CameraView.objects.filter(
            user=user, kind=kind, camera__in=cameras, last_seen_at__gte=since
        ).values_list("camera_id", flat=True)
    )
    if open_ids:
        CameraView.objects.filter(
            user=user, kind=kind, camera_id__in=open_ids, last_seen_at__gte=since
        ).update(last_seen_at=now)
    new = [camera for camera in cameras if camera.pk not in open_ids]
    CameraView.objects.bulk_create(
        [CameraView(camera=c, user=user, kind=kind, started_at=now, last_seen_at=now) for c in new]
    )
    for camera in new:
        record(
            actor=user,
            action=AuditAction.READ,
            obj=camera,
            message=f"camera {kind} view started",
        )
