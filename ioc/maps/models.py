"""Saved maps: a view (centre, zoom) and its layers with their settings, for the map page and
for map tiles on dashboards and the wall."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedMap(models.Model):
    slug = models.SlugField(_("code"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    # [{"id": "boundaries:3", "visible": true, "opacity": 0.7, "metric": {...}}, ...]
    layers = models.JSONField(_("layers"), default=list, blank=True)
    center_lat = models.FloatField(_("centre latitude"), null=True, blank=True)
    center_lon = models.FloatField(_("centre longitude"), null=True, blank=True)
    zoom = models.FloatField(_("zoom"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("saved map")
        verbose_name_plural = _("saved maps")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
