"""Dashboards, their charts, and the rollups that answer charts quickly.

A chart is a saved question of the semantic layer (:mod:`ioc.dashboards.semantic`) drawn
one way; it never holds SQL. A dashboard is a grid of charts. A rollup is a
pre-aggregation of one dataset (periods × units × categories) kept in the warehouse's
``rollup`` schema and refreshed on each "dataset changed" event.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from ioc.core.models import BilingualName, Sector
from ioc.core.text import fold
from ioc.warehouse.models import Dataset


class ChartKind(models.TextChoices):
    KPI = "kpi", _("KPI tile")
    LINE = "line", _("Line")
    AREA = "area", _("Area")
    BAR = "bar", _("Bar")
    STACKED_BAR = "stacked_bar", _("Stacked bar")
    HORIZONTAL_BAR = "horizontal_bar", _("Horizontal bar")
    PIE = "pie", _("Pie / donut")
    TABLE = "table", _("Table")
    GAUGE = "gauge", _("Gauge")
    CALENDAR = "calendar", _("Calendar heatmap")
    CHOROPLETH = "choropleth", _("Choropleth by unit")
    RANKING = "ranking", _("Ranking (top units)")
    # Tiles without a data question, reserved for the map and camera modules.
    MAP = "map", _("Map")
    CAMERA = "camera", _("Cameras")


TILE_KINDS = frozenset({ChartKind.MAP, ChartKind.CAMERA})


class Dashboard(BilingualName, models.Model):
    """A grid of charts: the province at a glance, or one sector."""

    slug = models.SlugField(_("address"), max_length=80, unique=True)
    name = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    name_folded = models.CharField(max_length=400, editable=False, db_index=True, default="")
    description = models.TextField(_("description"), blank=True)
    sector = models.ForeignKey(
        Sector,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="dashboards",
        verbose_name=_("sector"),
        help_text=_("Empty for the overview of the whole province."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_(
            "Shown to everyone at /dashboards/<address>/ and embeddable in the portal's"
            " articles: only its charts of open datasets, with all their rows."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("dashboard")
        verbose_name_plural = _("dashboards")
        ordering = ["order", "slug"]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_folded = fold(f"{self.name} {self.name_en} {self.slug}")
        super().save(*args, **kwargs)


class Chart(BilingualName, models.Model):
    """A saved question over one dataset, drawn one way, at a place on a dashboard."""

    scope_paths = {
        "unit": "dataset__owner__unit",
        "sector": "dataset__sector",
        "agency": "dataset__owner",
    }

    dashboard = models.ForeignKey(
        Dashboard, models.CASCADE, related_name="charts", verbose_name=_("dashboard")
    )
    key = models.SlugField(_("key"), max_length=80, help_text=_("Unique within the dashboard."))
    name = models.CharField(_("title (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    kind = models.CharField(_("chart type"), max_length=20, choices=ChartKind.choices)
    # The dataset the question reads: kept beside the question for lineage and scope. Empty
    # only for map and camera tiles, which hold no data question.
    dataset = models.ForeignKey(
        Dataset,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="charts",
        verbose_name=_("dataset"),
    )
    question = models.JSONField(_("question"), default=dict, blank=True)
    options = models.JSONField(_("display options"), default=dict, blank=True)
    x = models.PositiveSmallIntegerField(default=0)
    y = models.PositiveSmallIntegerField(default=0)
    w = models.PositiveSmallIntegerField(default=4)
    h = models.PositiveSmallIntegerField(default=3)

    class Meta:
        verbose_name = _("chart")
        verbose_name_plural = _("charts")
        ordering = ["dashboard", "y", "x", "key"]
        constraints = [
            models.UniqueConstraint(fields=["dashboard", "key"], name="chart_key_unique")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_tile(self) -> bool:
        """A map or camera tile (no data question; drawn by its own module)."""
        return self.kind in TILE_KINDS

    @property
    def options_json(self) -> str:
        return json.dumps(self.options, ensure_ascii=False)


class RollupGrain(models.TextChoices):
    HOUR = "hour", _("Hour")
    DAY = "day", _("Day")
    MONTH = "month", _("Month")


class Rollup(models.Model):
    """A pre-aggregation of a dataset: per period of ``grain`` × ``dimensions``, the sum,
    count, minimum and maximum of each measure and the number of rows."""

    dataset = models.ForeignKey(
        Dataset, models.CASCADE, related_name="rollups", verbose_name=_("dataset")
    )
    name = models.SlugField(_("name"), max_length=40)
    grain = models.CharField(_("period"), max_length=8, choices=RollupGrain.choices)
    dimensions = models.JSONField(_("dimensions"), default=list)
    measures = models.JSONField(_("measures"), default=list)
    # The last DataChange of the dataset included; a newer change means "refresh first".
    change_id = models.BigIntegerField(_("up to change"), default=0)
    built = models.BooleanField(_("built"), default=False)
    rows = models.BigIntegerField(_("rows"), default=0)
    refreshed_at = models.DateTimeField(_("refreshed"), null=True, blank=True)
    refresh_seconds = models.FloatField(_("last refresh (s)"), default=0)
    error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("rollup")
        verbose_name_plural = _("rollups")
        ordering = ["dataset", "name"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "name"], name="rollup_name_unique")
        ]

    def __str__(self) -> str:
        return self.table

    @property
    def table(self) -> str:
        """The rollup's table name in the warehouse's ``rollup`` schema."""
        return f"{self.dataset.slug}__{self.name}"


class Usage(models.Model):
    """How often a dashboard (or one of its charts) was opened, per day, user and role:
    centres are judged on whether anyone uses them."""

    day = models.DateField(_("day"), db_index=True)
    dashboard = models.ForeignKey(
        Dashboard, models.CASCADE, related_name="usage", verbose_name=_("dashboard")
    )
    chart = models.ForeignKey(
        Chart, models.CASCADE, null=True, blank=True, related_name="usage", verbose_name=_("chart")
    )
    user = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, related_name="+"
    )
    role = models.CharField(_("role"), max_length=40, blank=True)
    views = models.PositiveIntegerField(_("views"), default=0)

    class Meta:
        verbose_name = _("usage")
        verbose_name_plural = _("usage")
        # One row per day, user and dashboard (chart empty) or chart: two partial
        # constraints, as SQLite has no NULLS NOT DISTINCT.
        constraints = [
            models.UniqueConstraint(
                fields=["day", "dashboard", "user"],
                condition=models.Q(chart__isnull=True),
                name="usage_dashboard_unique",
            ),
            models.UniqueConstraint(
                fields=["day", "chart", "user"],
                condition=models.Q(chart__isnull=False),
                name="usage_chart_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.dashboard_id}/{self.chart_id}: {self.views}"


class Wall(BilingualName, models.Model):
    """A playlist for the big screens: dashboards in turn, each for its dwell time, on one
    screen or spread over a video wall of several (``columns`` × ``rows`` screens)."""

    slug = models.SlugField(_("address"), max_length=80, unique=True)
    name = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    columns = models.PositiveSmallIntegerField(
        _("screens across"), default=1, help_text=_("A video wall of 3 × 3 screens: 3.")
    )
    rows = models.PositiveSmallIntegerField(_("screens down"), default=1)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("wall playlist")
        verbose_name_plural = _("wall playlists")
        ordering = ["order", "slug"]

    def __str__(self) -> str:
        return self.label


class WallItem(models.Model):
    wall = models.ForeignKey(Wall, models.CASCADE, related_name="items", verbose_name=_("wall"))
    dashboard = models.ForeignKey(
        Dashboard, models.CASCADE, related_name="+", verbose_name=_("dashboard")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    dwell_seconds = models.PositiveSmallIntegerField(
        _("shown for (seconds)"), default=60, help_text=_("At least 10 seconds.")
    )

    class Meta:
        verbose_name = _("wall item")
        verbose_name_plural = _("wall items")
        ordering = ["wall", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.wall_id}: {self.dashboard_id} ({self.dwell_seconds} s)"
