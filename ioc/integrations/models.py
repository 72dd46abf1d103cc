"""Connections (one feed from a source into a dataset) and their sync runs.

Run records, health and schedules live here, in the operational database, never in the
warehouse: they are many small writes, which an OLTP database does well.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ioc.core.text import fold
from ioc.warehouse.models import Dataset


class ConnectionState(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    BROKEN = "broken", _("Paused after repeated failures")


class Connection(models.Model):
    """One feed from a source system into a dataset, with its mapping and schedule."""

    scope_paths = {
        "unit": "dataset__owner__unit",
        "sector": "dataset__sector",
        "agency": "dataset__owner",
    }

    name = models.CharField(_("name"), max_length=200)
    name_folded = models.CharField(max_length=400, editable=False, db_index=True, default="")
    kind = models.CharField(_("connector"), max_length=40, db_index=True)
    dataset = models.ForeignKey(
        Dataset, models.PROTECT, related_name="connections", verbose_name=_("dataset")
    )
    config = models.JSONField(_("settings"), default=dict, blank=True)
    # The config's secrets (passwords, keys, database URLs), encrypted; see vault.py.
    secrets = models.TextField(blank=True, editable=False)
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    interval_minutes = models.PositiveIntegerField(
        _("every (minutes)"),
        null=True,
        blank=True,
        help_text=_("Leave empty for a connection that only runs on demand."),
    )
    cron = models.CharField(
        _("cron schedule"),
        max_length=100,
        blank=True,
        help_text=_(
            'Five fields, e.g. "0 17 * * 1-5" (17:00 on working days); instead of an interval.'
        ),
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=50,
        default="Asia/Ho_Chi_Minh",
        help_text=_("The cron schedule is read in this time zone."),
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=ConnectionState.choices,
        default=ConnectionState.ACTIVE,
        db_index=True,
    )
    watermark = models.CharField(_("watermark"), max_length=100, blank=True)
    # Push connections: the SHA-256 of the token the source sends (the token is shown once).
    push_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True, db_index=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error_at = models.DateTimeField(_("last error"), null=True, blank=True)
    last_error = models.TextField(_("last error message"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("connection")
        verbose_name_plural = _("connections")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.name_folded = fold(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class SchedulerLease(models.Model):
    """Who runs the scheduler now: one row, held for a short while and renewed, so that
    several worker processes never dispatch the same connection twice."""

    name = models.CharField(max_length=40, unique=True)
    holder = models.CharField(max_length=100)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.holder} until {self.expires_at:%H:%M:%S}"


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Trigger(models.TextChoices):
    SCHEDULE = "schedule", _("Schedule")
    MANUAL = "manual", _("Run now")
    CLI = "cli", _("Command line")
    UPLOAD = "upload", _("Upload")
    PUSH = "push", _("Pushed by the source")
    REPLAY = "replay", _("Quarantine replay")
    ENTRY = "entry", _("Entered by hand")


class SyncRun(models.Model):
    """One execution of a connection (or a one-off load): rows read, accepted, rejected."""

    scope_paths = {
        "unit": "dataset__owner__unit",
        "sector": "dataset__sector",
        "agency": "dataset__owner",
    }

    connection = models.ForeignKey(
        Connection,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="runs",
        verbose_name=_("connection"),
    )
    # Empty only when the run failed before the dataset it was to create existed.
    dataset = models.ForeignKey(
        Dataset,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="runs",
        verbose_name=_("dataset"),
    )
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RunStatus.choices,
        default=RunStatus.RUNNING,
        db_index=True,
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rows_read = models.BigIntegerField(_("rows read"), default=0)
    rows_accepted = models.BigIntegerField(_("rows accepted"), default=0)
    rows_rejected = models.BigIntegerField(_("rows rejected"), default=0)
    bytes_read = models.BigIntegerField(_("bytes read"), default=0)
    watermark_before = models.CharField(_("watermark before"), max_length=100, blank=True)
    watermark_after = models.CharField(_("watermark after"), max_length=100, blank=True)
    log = models.JSONField(_("log"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["connection", "-started_at"], name="run_connection_recent")]

    def __str__(self) -> str:
        return f"{self.dataset.slug if self.dataset else '-'} #{self.pk} ({self.status})"

    @property
    def duration(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()
