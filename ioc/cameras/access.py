"""Who sees which camera, and the short-lived signed addresses handed to the browser.

``cameras_for(user)`` is the one query every page, API call and stream uses: the permission,
the user's scope (``ioc.accounts.scope``: the camera's commune, its groups' sectors, its
agency) and the groups' roles. ``camera_for(user, pk)`` answers one camera or ``ScopeDenied``
(views turn it into 404: a camera one may not see does not exist for one).

A stream address carries a token signed with the secret key: the camera, the viewer and the
time it was made. It is refused after ``IOC_CAMERA_URL_SECONDS`` (a copied link stops
working), for another camera, and once the viewer may no longer see the camera (checked again
on every playlist and snapshot; segments, fetched every second, rely on the playlist's check).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet

from ioc.accounts.scope import ScopeDenied, visible
from ioc.cameras.models import Camera, CameraGroup

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ioc.accounts.models import User

VIEW_PERMISSION = "cameras.view_camera"
SALT = "ioc.cameras.stream"


def cameras_for(user: User | AnonymousUser | None) -> QuerySet[Camera]:
    if user is None or not user.is_authenticated or not user.has_perm(VIEW_PERMISSION):
        return Camera.objects.none()
    cameras = visible(user, Camera.objects.filter(enabled=True))
    if user.is_superuser:
        return cameras
    open_groups = CameraGroup.objects.filter(
        Q(roles__isnull=True) | Q(roles__in=user.groups.values("pk"))
    ).values("pk")
    allowed = Camera.objects.filter(groups__in=open_groups).values("pk")
    return cameras.filter(pk__in=allowed)


def camera_for(user: User | AnonymousUser | None, pk: Any) -> Camera:
    try:
        return cameras_for(user).get(pk=pk)
    except (Camera.DoesNotExist, ValueError, TypeError):
        raise ScopeDenied(f"camera {pk!r}") from None


@dataclass(frozen=True)
class Grant:
    camera_id: int
    user_id: int
    kind: str


class TokenRefused(Exception):
    pass


def sign(camera: Camera, user: User, kind: str) -> str:
    return signing.dumps([camera.pk, user.pk, kind], salt=SALT, compress=False)


def check(token: str, camera_id: int, kind: str) -> Grant:
    """The grant a token holds, or TokenRefused (expired, forged, another camera or kind)."""
    try:
        camera, user, signed_kind = signing.loads(
            token, salt=SALT, max_age=settings.IOC_CAMERA_URL_SECONDS
        )
    except (signing.BadSignature, ValueError, TypeError):
        raise TokenRefused(token[:16]) from None
    if camera != camera_id or signed_kind != kind:
        raise TokenRefused(token[:16])
    return Grant(int(camera), int(user), str(signed_kind))


def still_allowed(grant: Grant) -> Camera:
    """The grant's camera if its viewer may still see it (active, permission, scope)."""
    from ioc.accounts.models import User

    user = User.objects.filter(pk=grant.user_id, is_active=True).first()
    return camera_for(user, grant.camera_id)
