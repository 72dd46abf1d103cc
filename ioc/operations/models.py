"""Operations events: what every app reports for operators to see (late data, camera offline,
overdue reports...). Alert rules and incidents come on top of this in a later issue."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ioc.core.models import AdministrativeUnit, Agency, Sector
from ioc.core.text import fold
from ioc.operations.choices import (
    SEVERITY_RANK,
    UNRESOLVED,
    Certainty,
    EventStatus,
    Severity,
    Urgency,
    category_label,
)


def severity_rank() -> models.Case:
    """An SQL expression ranking severity, most severe highest (extreme 4 … unknown 0)."""
    return models.Case(
        *(
            models.When(severity=code, then=models.Value(rank))
            for code, rank in SEVERITY_RANK.items()
        ),
        default=models.Value(0),
        output_field=models.IntegerField(),
    )


def most_severe_first(qs: models.QuerySet[Event]) -> models.QuerySet[Event]:
    """Severity (extreme first), then the most recent first."""
    return qs.annotate(severity_order=severity_rank()).order_by(
        "-severity_order", "-occurred_at", "-id"
    )


def search(qs: models.QuerySet[Event], query: str) -> models.QuerySet[Event]:
    """Every word of query in the headline, ignoring case and diacritics ("ngap lut" finds
    "Ngập lụt"), on any database: the headline is stored folded too."""
    for word in fold(query).split():
        qs = qs.filter(headline_folded__contains=word)
    return qs


class EventQuerySet(models.QuerySet["Event"]):
    def unresolved(self) -> models.QuerySet[Event]:
        """Open or acknowledged: what operators still have to deal with."""
        return self.filter(status__in=UNRESOLVED)

    def most_severe_first(self) -> models.QuerySet[Event]:
        return most_severe_first(self)

    def search(self, query: str) -> models.QuerySet[Event]:
        return search(self, query)


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
    headline_folded = models.CharField(max_length=300, blank=True, editable=False)
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

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("operations event")
        verbose_name_plural = _("operations events")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["status", "-occurred_at"])]
        constraints = [
            # At most one unresolved event per deduplication key: raise_event() relies on it.
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=models.Q(status__in=UNRESOLVED) & ~models.Q(dedup_key=""),
                name="event_unresolved_dedup_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.headline

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.headline_folded = self.fold_headline(self.headline)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "headline" in update_fields:
            kwargs["update_fields"] = {*update_fields, "headline_folded"}
        super().save(*args, **kwargs)

    @staticmethod
    def fold_headline(headline: str) -> str:
        """The searchable form of a headline (also used by queryset updates, which skip save)."""
        return fold(headline)[:300]

    @property
    def category_label(self) -> str:
        return category_label(self.category)

    @property
    def severity_rank(self) -> int:
        return SEVERITY_RANK.get(self.severity, 0)

    @property
    def is_unresolved(self) -> bool:
        return self.status in UNRESOLVED
