"""Who watched which camera, when and for how long (``CameraView``), and the audit entry at
the start of each watch.

A page showing cameras asks for stream addresses when it opens and again every half
``IOC_CAMERA_URL_SECONDS`` while it stays open; each ask extends the user's open watch of
that camera (one that was renewed within the address lifetime) or starts a new one, which is
audited. A watch not renewed for an address lifetime ends (:func:`close_watches`, every
minute), and its length is audited too. So a 3 a.m. shift watching a grid for hours is a
handful of rows, not one per frame.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from ioc.cameras.models import Camera, CameraView
from ioc.core.audit import record
from ioc.core.choices import AuditAction
from ioc.jobs.periodic import periodic


def watch(user: Any, cameras: list[Camera], kind: str) -> None:
    now = timezone.now()
    since = now - dt.timedelta(seconds=settings.IOC_CAMERA_URL_SECONDS)
    open_ids = set(
        CameraView.objects.filter(
            user=user, kind=kind, camera__in=cameras, last_seen_at__gte=since, ended=False
        ).values_list("camera_id", flat=True)
    )
    if open_ids:
        CameraView.objects.filter(
            user=user, kind=kind, camera_id__in=open_ids, last_seen_at__gte=since, ended=False
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


@periodic("cameras.watches", every=dt.timedelta(minutes=1))
def close_watches(now: dt.datetime) -> dict[str, Any]:
    """The watches whose page stopped renewing (closed, gone to sleep, lost its network) end:
    each one's length goes into the audit log, on behalf of its viewer."""
    since = now - dt.timedelta(seconds=settings.IOC_CAMERA_URL_SECONDS)
    ended = 0
    stale = CameraView.objects.filter(ended=False, last_seen_at__lt=since).select_related(
        "camera", "user"
    )
    for view in stale[:5000]:
        view.ended = True
        view.save(update_fields=["ended"])
        record(
            actor=view.user,
            action=AuditAction.READ,
            obj=view.camera,
            changes={
                "seconds": [None, view.seconds],
                "started_at": [None, view.started_at.isoformat()],
            },
            message=f"camera {view.kind} view ended after {view.seconds} s",
        )
        ended += 1
    return {"ended": ended}
