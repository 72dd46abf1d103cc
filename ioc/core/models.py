"""Administrative units (with history), sectors, agencies and the append-only audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ioc.core.choices import AgencyKind, AuditAction, BoundaryOrigin, TransitionKind, UnitLevel
from ioc.core.text import fold


class UnitQuerySet(models.QuerySet["AdministrativeUnit"]):
    def valid_on(self, day: dt.date) -> UnitQuerySet:
        """Units that existed on the given day."""
        return self.filter(
            models.Q(valid_from__isnull=True) | models.Q(valid_from__lte=day),
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=day),
        )

    def current(self) -> UnitQuerySet:
        return self.filter(valid_to__isnull=True)

    def in_area(self) -> UnitQuerySet:
        return self.filter(in_area=True)


class AdministrativeUnit(models.Model):
    """A province, district (before July 2025) or commune/ward, valid for a period.

    A unit is never edited into another: a merge, split or rename closes the old unit
    (valid_to) and opens new ones, linked by UnitTransition rows, so records kept
    against an old code still roll up to the units that replaced it.
    """

    code = models.CharField(_("code"), max_length=16, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=200, blank=True)
    name_folded = models.CharField(max_length=200, db_index=True, editable=False)
    kind = models.CharField(
        _("kind"), max_length=40, blank=True, help_text=_("commune, ward, town, ...")
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=UnitLevel.choices)
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    in_area = models.BooleanField(_("in this deployment's area"), default=False, db_index=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    area_km2 = models.FloatField(_("area (km²)"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=80, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        ordering = ["level", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "level", "valid_from"],
                name="unit_code_level_from_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="unit_valid_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_folded = fold(self.name)
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_folded"}
        super().save(*args, **kwargs)

    @property
    def is_current(self) -> bool:
        return self.valid_to is None


class UnitTransition(models.Model):
    """One edge of a merge, split, rename or abolition: `source` became (part of) `target`."""

    kind = models.CharField(_("kind"), max_length=16, choices=TransitionKind.choices)
    source = models.ForeignKey(
        AdministrativeUnit, models.CASCADE, related_name="successions", verbose_name=_("from")
    )
    target = models.ForeignKey(
        AdministrativeUnit, models.CASCADE, related_name="predecessions", verbose_name=_("to")
    )
    effective = models.DateField(_("effective date"))
    weight = models.FloatField(
        _("share"),
        default=1.0,
        help_text=_("Share of the old unit that went to the new one (1 when whole)."),
    )
    is_primary = models.BooleanField(
        _("primary successor"),
        default=True,
        help_text=_("Where the old unit's records go when they cannot be shared out."),
    )
    basis = models.CharField(_("legal basis"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("unit transition")
        verbose_name_plural = _("unit transitions")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="transition_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.target} ({self.get_kind_display()})"


class Boundary(models.Model):
    """A unit's polygon (WGS 84 longitude/latitude, as WKB), with its bounding box for queries.

    One per unit row, so a unit's versions (before and after a merge) each have theirs; see
    ``ioc.core.units.boundaries`` for import, validation and derivation from history."""

    unit = models.OneToOneField(
        AdministrativeUnit, models.CASCADE, related_name="boundary", verbose_name=_("unit")
    )
    wkb = models.BinaryField(_("geometry (WKB)"))
    min_lon = models.FloatField(db_index=True)
    min_lat = models.FloatField(db_index=True)
    max_lon = models.FloatField(db_index=True)
    max_lat = models.FloatField(db_index=True)
    origin = models.CharField(_("origin"), max_length=16, choices=BoundaryOrigin.choices)
    source = models.CharField(_("source"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("boundary")
        verbose_name_plural = _("boundaries")

    def __str__(self) -> str:
        return str(self.unit)


class BilingualName:
    """`name` in Vietnamese, `name_en` in English: `label` follows the active language."""

    name: str
    name_en: str

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name_en if get_language() == "en" and self.name_en else self.name


class Sector(BilingualName, models.Model):
    """A field of government (health, traffic, ...); the seed has 19."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Vietnamese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    icon = models.CharField(_("icon"), max_length=40, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")
        ordering = ["order", "code"]


class AgencyQuerySet(models.QuerySet["Agency"]):
    def active(self) -> AgencyQuerySet:
        return self.filter(is_active=True)


class Agency(BilingualName, models.Model):
    """A department, committee or office that owns data and handles reports."""

    scope_paths = {"unit": "unit", "sector": "sectors", "agency": "id"}

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=AgencyKind.choices)
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("supervising agency"),
    )
    unit = models.ForeignKey(
        AdministrativeUnit,
        models.PROTECT,
        related_name="agencies",
        verbose_name=_("administrative unit"),
    )
    sectors = models.ManyToManyField(
        Sector, blank=True, related_name="agencies", verbose_name=_("sectors")
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["unit__level", "name"]


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The audit log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only.")


class AuditEntry(models.Model):
    """Append-only: who did what, when, from where, with the values before and after.

    Database triggers (see the migration) refuse UPDATE and DELETE too, so no UI, API or
    stray query can rewrite history.
    """

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.DO_NOTHING,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    action = models.CharField(
        _("action"), max_length=20, choices=AuditAction.choices, db_index=True
    )
    object_type = models.CharField(_("object type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    changes = models.JSONField(_("before and after"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only.")
