"""One row per run of a job: status, timings and log lines (NetBox's Job, trimmed)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


class JobRun(models.Model):
    name = models.CharField(_("job"), max_length=100, db_index=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=JobStatus.choices,
        default=JobStatus.PENDING,
        db_index=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    progress = models.FloatField(_("progress"), default=0.0)
    log = models.JSONField(_("log"), default=list, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk} ({self.status})"
