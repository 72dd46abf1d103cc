"""Users (staff and citizens), their roles and the scope of what they may see."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from ioc.accounts.choices import AccountKind, Role
from ioc.core.models import AdministrativeUnit, Agency, Sector


class User(AbstractUser):
    """A staff member or a citizen.

    Staff carry roles and a scope: the units, sectors and agencies whose objects they may
    see. An empty scope sees nothing (deny by default) unless ``scope_all`` is set.
    Citizens never carry roles or scope; they see public pages and their own reports.
    """

    kind = models.CharField(
        _("account kind"), max_length=10, choices=AccountKind.choices, default=AccountKind.STAFF
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    agency = models.ForeignKey(
        Agency,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("agency"),
    )
    scope_all = models.BooleanField(
        _("sees the whole area"),
        default=False,
        help_text=_("Leaders and operators see every unit, sector and agency of the area."),
    )
    scope_units = models.ManyToManyField(
        AdministrativeUnit, blank=True, related_name="+", verbose_name=_("units in scope")
    )
    scope_sectors = models.ManyToManyField(
        Sector, blank=True, related_name="+", verbose_name=_("sectors in scope")
    )
    scope_agencies = models.ManyToManyField(
        Agency, blank=True, related_name="+", verbose_name=_("agencies in scope")
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def roles(self) -> set[str]:
        """Role codes; a role is the Django group of the same name (see roles.py)."""
        cached: set[str] | None = getattr(self, "_roles_cache", None)
        if cached is None:
            cached = set(self.groups.values_list("name", flat=True)) if self.pk else set()
            self._roles_cache = cached
        return cached

    def has_role(self, *roles: str | Role) -> bool:
        if self.is_superuser:
            return True
        return any(str(r) in self.roles for r in roles)

    @property
    def role_labels(self) -> list[str]:
        labels = dict(Role.choices)
        return [str(labels[r]) for r in sorted(self.roles) if r in labels]

    @property
    def is_citizen(self) -> bool:
        return self.kind == AccountKind.CITIZEN
