from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    UNKNOWN = "unknown", _("Not probed yet")
    ONLINE = "online", _("Online")
    DEGRADED = "degraded", _("Degraded")
    OFFLINE = "offline", _("Offline")


class ViewKind(models.TextChoices):
    SNAPSHOT = "snapshot", _("Snapshots")
    LIVE = "live", _("Live video")


class Source(models.TextChoices):
    """Where a camera's pictures come from, in the order a frame is grabbed."""

    SNAPSHOT = "snapshot", _("Snapshot URL (JPEG)")
    RTSP = "rtsp", _("RTSP")
    HLS = "hls", _("HLS")
    MJPEG = "mjpeg", _("HTTP MJPEG")
