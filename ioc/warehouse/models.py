"""The catalogue of the shared database: datasets (standardised warehouse tables), their
schema versions, and the indicators defined over them (sector → group → indicator).

The definitions live here, in the operational database; the rows live in the warehouse
(DuckDB by default), in the table ``data.<slug>``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ioc.core.models import Agency, BilingualName, Sector
from ioc.core.text import fold
from ioc.warehouse.freshness import Freshness, freshness
from ioc.warehouse.schema import Schema, parse_schema


class Cadence(models.TextChoices):
    HOURLY = "hourly", _("Hourly")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")
    CONTINUOUS = "continuous", _("Continuous (sensors)")
    IRREGULAR = "irregular", _("Irregular")


class Dataset(BilingualName, models.Model):
    """A standardised warehouse table with its declared schema and metadata."""

    # Catalogue entries are seen by their sector's and owner's people (rows by unit are
    # filtered later, by the semantic layer).
    scope_paths = {"unit": "owner__unit", "sector": "sector", "agency": "owner"}

    slug = models.SlugField(
        _("table name"),
        max_length=63,
        unique=True,
        help_text=_("Lowercase letters, digits and underscores; the warehouse table's name."),
    )
    name = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    name_folded = models.CharField(max_length=400, editable=False, db_index=True, default="")
    description = models.TextField(_("description"), blank=True)
    sector = models.ForeignKey(
        Sector, models.PROTECT, related_name="datasets", verbose_name=_("sector")
    )
    owner = models.ForeignKey(
        Agency,
        models.PROTECT,
        related_name="datasets",
        verbose_name=_("owner agency"),
    )
    licence = models.CharField(_("licence"), max_length=80, blank=True, default="CC-BY-4.0")
    is_open = models.BooleanField(
        _("open data"),
        default=False,
        help_text=_("Listed in the public open-data catalogue (DCAT)."),
    )
    schema = models.JSONField(_("schema"), default=dict)
    schema_version = models.PositiveIntegerField(_("schema version"), default=0)
    cadence = models.CharField(
        _("expected cadence"), max_length=12, choices=Cadence.choices, default=Cadence.DAILY
    )
    due_time = models.TimeField(
        _("due by (time of day)"),
        null=True,
        blank=True,
        help_text=_("For example 17:00: daily data must have arrived by then."),
    )
    due_day = models.PositiveSmallIntegerField(
        _("due by (day)"),
        null=True,
        blank=True,
        help_text=_("Day of the month (monthly, quarterly, yearly) or of the week (1 = Monday)."),
    )
    row_count = models.BigIntegerField(_("rows"), default=0)
    last_arrival_at = models.DateTimeField(_("last data arrived"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        ordering = ["sector__order", "name"]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_folded = fold(f"{self.name} {self.name_en} {self.slug}")
        super().save(*args, **kwargs)

    @property
    def parsed_schema(self) -> Schema:
        return parse_schema(self.schema)

    @property
    def freshness(self) -> Freshness:
        return self.freshness_at()

    def freshness_at(self, now: dt.datetime | None = None) -> Freshness:
        return freshness(
            self.cadence,
            self.last_arrival_at,
            due_time=self.due_time,
            due_day=self.due_day,
            now=now,
        )

    @property
    def table(self) -> str:
        """The quoted, schema-qualified warehouse table name."""
        return f'data."{self.slug}"'


class DatasetSchemaVersion(models.Model):
    """One version of a dataset's schema and the changes that made it (a migration)."""

    dataset = models.ForeignKey(
        Dataset, models.CASCADE, related_name="versions", verbose_name=_("dataset")
    )
    version = models.PositiveIntegerField(_("version"))
    schema = models.JSONField(_("schema"))
    changes = models.JSONField(_("changes"), default=list)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        verbose_name = _("schema version")
        verbose_name_plural = _("schema versions")
        ordering = ["dataset", "version"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "version"], name="dataset_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id} v{self.version}"


class IndicatorGroup(BilingualName, models.Model):
    """Indicators of one sector grouped (e.g. health → "Khám chữa bệnh")."""

    sector = models.ForeignKey(
        Sector, models.PROTECT, related_name="indicator_groups", verbose_name=_("sector")
    )
    name = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("indicator group")
        verbose_name_plural = _("indicator groups")
        ordering = ["sector__order", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["sector", "name"], name="indicator_group_unique")
        ]

    def __str__(self) -> str:
        return self.label


class Aggregation(models.TextChoices):
    SUM = "sum", _("Sum")
    AVG = "avg", _("Average")
    MIN = "min", _("Minimum")
    MAX = "max", _("Maximum")
    COUNT = "count", _("Count of rows")
    COUNT_DISTINCT = "count_distinct", _("Count of distinct values")
    LAST = "last", _("Latest value")


class Indicator(BilingualName, models.Model):
    """A named measure over a dataset, with unit, owner, cadence and target."""

    scope_paths = {"unit": "owner__unit", "sector": "group__sector", "agency": "owner"}

    code = models.SlugField(_("code"), max_length=80, unique=True)
    name = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    name_folded = models.CharField(max_length=400, editable=False, db_index=True, default="")
    group = models.ForeignKey(
        IndicatorGroup, models.PROTECT, related_name="indicators", verbose_name=_("group")
    )
    dataset = models.ForeignKey(
        Dataset, models.PROTECT, related_name="indicators", verbose_name=_("dataset")
    )
    measure = models.CharField(
        _("measure column"),
        max_length=63,
        blank=True,
        help_text=_("The dataset column aggregated; empty for a count of rows."),
    )
    aggregation = models.CharField(
        _("aggregation"), max_length=16, choices=Aggregation.choices, default=Aggregation.SUM
    )
    filters = models.JSONField(
        _("filters"),
        default=dict,
        blank=True,
        help_text=_('Only rows where these columns have these values, e.g. {"loai": "Nội trú"}.'),
    )
    unit_label = models.CharField(_("unit"), max_length=40, blank=True)
    owner = models.ForeignKey(
        Agency, models.PROTECT, related_name="indicators", verbose_name=_("owner agency")
    )
    cadence = models.CharField(
        _("cadence"), max_length=12, choices=Cadence.choices, default=Cadence.MONTHLY
    )
    target = models.FloatField(_("target"), null=True, blank=True)
    higher_is_better = models.BooleanField(_("higher is better"), default=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["group__sector__order", "group__order", "name"]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_folded = fold(f"{self.name} {self.name_en} {self.code}")
        super().save(*args, **kwargs)


def wall_time(value: dt.date | dt.datetime | None) -> str:
    """A warehouse time value as sortable text (``YYYY-MM-DDTHH:MM:SS``, wall time, no zone)."""
    if value is None:
        return ""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return value.replace(tzinfo=None, microsecond=0).isoformat()


class DataChange(models.Model):
    """One committed batch of a dataset: the "dataset changed" event, kept.

    The signal reaches only the process that wrote; these rows reach every process. The
    semantic layer's cache checks them (an answer is stale only when a later change touched
    its datasets and time range) and rollups refresh through them. Kept for a few days.
    """

    dataset = models.ForeignKey(
        Dataset, models.CASCADE, related_name="changes", verbose_name=_("dataset")
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    # Wall time as sortable text (see ``wall_time``); empty: unknown, so every range.
    time_min = models.CharField(_("from"), max_length=19, blank=True)
    time_max = models.CharField(_("to"), max_length=19, blank=True)
    units = models.JSONField(_("units"), default=list, blank=True)  # empty: not known / all
    rows = models.BigIntegerField(_("rows"), default=0)

    class Meta:
        verbose_name = _("data change")
        verbose_name_plural = _("data changes")
        ordering = ["id"]
        indexes = [models.Index(fields=["dataset", "id"], name="data_change_dataset")]

    def __str__(self) -> str:
        return f"{self.dataset_id} {self.time_min}–{self.time_max}"

    def overlaps(self, start: str, end: str) -> bool:
        """Whether this change touches the wall-time range [start, end) ("" = open)."""
        if not self.time_min or not self.time_max:
            return True
        return (not end or self.time_min < end) and (not start or self.time_max >= start)
