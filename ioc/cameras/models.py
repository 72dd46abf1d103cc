"""The province's cameras: the registry, their groups (who may see them), their health and
who watched them.

A camera is seen by a user who has ``cameras.view_camera``, whose scope (units, sectors,
agencies; ``ioc.accounts.scope``) holds the camera's commune, its groups' sectors and its
agency, and who has one of the roles a group of the camera names (a group that names no role
is open to every role with the permission). A camera in no group is seen by superusers only:
deny by default. See :mod:`ioc.cameras.access`.

Credentials never sit in a URL here: ``username`` is plain, the password is encrypted at rest
(``secret``, the integrations' vault) and put into the stream address only in the process
that opens it (``ioc.cameras.sources``), never shown back, never logged.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ioc.cameras.choices import Source, Status, ViewKind
from ioc.core.models import AdministrativeUnit, Agency, BilingualName, Sector

CODE = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
    _("Letters, digits, dot, dash and underscore only."),
)


# What the health probe writes on a camera (and nobody else: read-only in the admin).
PROBED_FIELDS = [
    "status",
    "status_since",
    "last_probe_at",
    "last_frame_at",
    "latency_ms",
    "last_error",
]


class CameraGroup(BilingualName, models.Model):
    """Traffic, public order, environment, flood points, ...: what a camera watches and
    therefore who may watch it."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    sector = models.ForeignKey(
        Sector, models.PROTECT, null=True, blank=True, verbose_name=_("sector")
    )
    roles = models.ManyToManyField(
        Group,
        blank=True,
        verbose_name=_("roles allowed"),
        help_text=_(
            "Only these roles see the group's cameras; none: every role that may view cameras."
        ),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("camera group")
        verbose_name_plural = _("camera groups")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.label


class Camera(models.Model):
    scope_paths = {"unit": "unit", "sector": "groups__sector", "agency": "agency"}

    code = models.CharField(_("code"), max_length=60, unique=True, validators=[CODE])
    name = models.CharField(_("name"), max_length=200)
    groups = models.ManyToManyField(
        CameraGroup, blank=True, related_name="cameras", verbose_name=_("groups")
    )
    unit = models.ForeignKey(
        AdministrativeUnit,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune"),
    )
    agency = models.ForeignKey(
        Agency, models.PROTECT, null=True, blank=True, verbose_name=_("owner agency")
    )
    vendor = models.CharField(_("vendor"), max_length=100, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    rtsp_url = models.CharField(_("RTSP address"), max_length=500, blank=True)
    hls_url = models.CharField(_("HLS address"), max_length=500, blank=True)
    mjpeg_url = models.CharField(_("MJPEG address"), max_length=500, blank=True)
    snapshot_url = models.CharField(_("snapshot address (JPEG)"), max_length=500, blank=True)
    username = models.CharField(_("user name"), max_length=150, blank=True)
    # The password, encrypted (ioc.integrations.vault); never shown back.
    secret = models.TextField(blank=True, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    # Activity analytics (ioc.cameras.analytics): off unless chosen for this camera.
    analytics = models.BooleanField(
        _("measure activity"),
        default=False,
        help_text=_("Sample frames every minute and measure the movement in the zone."),
    )
    zone = models.JSONField(
        _("watched zone"),
        default=list,
        blank=True,
        help_text=_(
            "A polygon as [[x, y], ...] in fractions of the picture (0 to 1, from the top "
            "left); empty: the whole picture."
        ),
    )
    activity_threshold = models.FloatField(
        _("activity alert threshold (%)"),
        default=20.0,
        help_text=_("An event is raised when the activity in the zone goes above this."),
    )
    activity = models.FloatField(_("last activity (%)"), null=True, blank=True)
    activity_at = models.DateTimeField(_("activity measured at"), null=True, blank=True)

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UNKNOWN
    )
    status_since = models.DateTimeField(_("status since"), default=timezone.now)
    last_probe_at = models.DateTimeField(_("last probe"), null=True, blank=True)
    last_frame_at = models.DateTimeField(_("last frame"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("probe latency (ms)"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        ordering = ["code"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    @property
    def sources(self) -> list[str]:
        """The kinds of address it has, in the order a frame is grabbed."""
        urls = {
            Source.SNAPSHOT: self.snapshot_url,
            Source.RTSP: self.rtsp_url,
            Source.HLS: self.hls_url,
            Source.MJPEG: self.mjpeg_url,
        }
        return [str(kind) for kind, url in urls.items() if url]

    @property
    def has_video(self) -> bool:
        return bool(self.rtsp_url or self.hls_url or self.mjpeg_url)

    @property
    def has_password(self) -> bool:
        return bool(self.secret)


class CameraUptime(models.Model):
    """One camera's probes on one day: uptime is ``online / probes``."""

    camera = models.ForeignKey(Camera, models.CASCADE, related_name="uptime")
    day = models.DateField()
    probes = models.PositiveIntegerField(default=0)
    online = models.PositiveIntegerField(default=0)
    degraded = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["camera", "day"], name="uptime_day")]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.day}"

    @property
    def percent(self) -> float | None:
        return round(100 * self.online / self.probes, 1) if self.probes else None


class CameraView(models.Model):
    """Someone watching a camera: who, which, when and for how long (the page renews its
    stream addresses while it stays open; each renewal moves ``last_seen_at``). Its start
    and, once no renewal came for an address lifetime, its end with its length are in the
    audit log (``ended``)."""

    camera = models.ForeignKey(Camera, models.CASCADE, related_name="views")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=ViewKind.choices)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ended = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("camera view")
        verbose_name_plural = _("camera views")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["user", "camera", "kind", "-last_seen_at"])]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.kind} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def seconds(self) -> int:
        return int((self.last_seen_at - self.started_at).total_seconds())
