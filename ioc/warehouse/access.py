"""Who sees which datasets and which of their rows. Deny by default.

* A dataset is listed for a user when it lies in the user's scope (its sector, its owner
  agency or the owner's unit; see ``Dataset.scope_paths``), or when it is open data. A user
  whose scope names units also sees every dataset kept by unit (it has a unit column) that
  the rest of their scope allows: a commune's officer reads the commune's rows of the
  province's datasets, and only those.
* Its rows are limited by administrative unit when the user's scope names units: only rows
  whose unit column holds one of the scope's unit codes (the scope includes sub-units, the
  units they came from and became). A dataset without a unit column then shows no rows.
* ``PUBLIC`` reads for everyone on the internet (the public dashboards and the charts in the
  portal's articles): the open datasets, every row of them (what the open-data catalogue
  publishes whole), and nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from ioc.accounts.scope import scope_for, visible
from ioc.core.models import AdministrativeUnit
from ioc.warehouse.models import Dataset
from ioc.warehouse.schema import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ioc.accounts.models import User


class PublicReader:
    """Anyone, signed in or not, reading what the province publishes."""

    is_authenticated = False

    def __repr__(self) -> str:
        return "PUBLIC"


PUBLIC = PublicReader()


def visible_datasets(user: User | AnonymousUser | PublicReader | None) -> QuerySet[Dataset]:
    if isinstance(user, PublicReader):
        return Dataset.objects.filter(is_open=True)
    if user is None or not user.is_authenticated or not user.has_perm("warehouse.view_dataset"):
        return Dataset.objects.none()
    mine = visible(user, Dataset.objects.all()).values("pk")
    condition = Q(pk__in=mine) | Q(is_open=True)
    scope = scope_for(user)
    if scope.units and not scope.everything:
        kept_by_unit = Dataset.objects.all()
        if scope.sectors:
            kept_by_unit = kept_by_unit.filter(sector__in=scope.sectors)
        if scope.agencies:
            kept_by_unit = kept_by_unit.filter(owner__in=scope.agencies)
        ids = [
            pk
            for pk, schema in kept_by_unit.values_list("pk", "schema")
            if any(c.get("role") == Role.UNIT for c in (schema or {}).get("columns", []))
        ]
        condition |= Q(pk__in=ids)
    return Dataset.objects.filter(condition)


def row_units(user: User | AnonymousUser | PublicReader | None) -> frozenset[str] | None:
    """The unit codes whose rows the user may read; None means every row."""
    if isinstance(user, PublicReader):
        return None  # of the open datasets only (visible_datasets)
    scope = scope_for(user)
    if scope.everything:
        return None
    if scope.units:
        codes = AdministrativeUnit.objects.filter(id__in=scope.units).values_list("code", flat=True)
        return frozenset(codes)
    if scope.empty:
        return frozenset()
    return None  # limited by sector or agency only: the dataset's visibility decided
