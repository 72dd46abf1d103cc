"""Operations events: what every app reports for operators to see (late data, camera offline,
overdue reports...). Alert rules and incidents come on top of this in a later issue."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ioc.core.models import AdministrativeUnit, Agency, Sector
from ioc.operations.choices import Certainty, EventStatus, Severity, Urgency


class Event(models.Model):
    scope_paths = {"unit": "unit", "sector": "sector", "agency": "agency"}

    source = models.CharField(
        _("source"),
        max_length=60,
        db_index=True,
        help_text=_("The app or system that raised it, e.g. integrations."),
    )
    category = models.CharField(_("category"), max_length=60, db_index=True)
    severity = models.CharField(
        _("severity"),
        max_length=12,
        choices=Severity.choices,
        default=Severity.UNKNOWN,
        db_index=True,
    )
    urgency = models.CharField(
        _("urgency"), max_length=12, choices=Urgency.choices, default=Urgency.UNKNOWN
    )
    certainty = models.CharField(
        _("certainty"), max_length=12, choices=Certainty.choices, default=Certainty.UNKNOWN
    )
    status = models.CharField(
        _("status"),
        max_length=14,
        choices=EventStatus.choices,
        default=EventStatus.OPEN,
        db_index=True,
    )
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    headline = models.CharField(_("headline"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    dedup_key = models.CharField(
        _("deduplication key"),
        max_length=200,
        blank=True,
        db_index=True,
        help_text=_("An open event with the same key is updated instead of repeated."),
    )
    repeat_count = models.PositiveIntegerField(_("times raised"), default=1)
    unit = models.ForeignKey(
        AdministrativeUnit,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unit"),
    )
    sector = models.ForeignKey(
        Sector, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("sector")
    )
    agency = models.ForeignKey(
        Agency, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("agency")
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    note = models.TextField(_("operator's note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("operations event")
        verbose_name_plural = _("operations events")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["status", "-occurred_at"])]

    def __str__(self) -> str:
        return self.headline
