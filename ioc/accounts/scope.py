"""Row-level scope: the one API every app uses to decide what a user may see. Deny by default.

A user's scope is (units, sectors, agencies). An object declares where it sits with
``scope_paths`` on its model, e.g. ``{"unit": "unit", "sector": "sector", "agency": "agency"}``
(ORM paths, many-to-many allowed). An object is visible when, for every dimension the user's
scope restricts, the object's value lies inside it. Units include their sub-units and the
units they became or came from (a ward's officer still sees records of the wards merged
into it). A user with no scope at all sees nothing; ``scope_all`` and superusers see the area.

    visible(user, Agency.objects.all())          # a queryset
    access(user, Agency, pk)                     # one object or ScopeDenied (→ 404)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.db.models import Q

from ioc.core.models import AdministrativeUnit, UnitTransition

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ioc.accounts.models import User

M = TypeVar("M", bound=models.Model)


class ScopeDenied(Exception):
    """The object does not exist for this user (views answer 404, never 403, to hide it)."""


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    units: frozenset[int] = field(default_factory=frozenset)
    sectors: frozenset[int] = field(default_factory=frozenset)
    agencies: frozenset[int] = field(default_factory=frozenset)

    @property
    def empty(self) -> bool:
        return not (self.everything or self.units or self.sectors or self.agencies)


def expand_units(unit_ids: set[int]) -> set[int]:
    """The units plus all their descendants, and predecessors/successors of each, closed."""
    result: set[int] = set()
    frontier = set(unit_ids)
    while frontier:
        result |= frontier
        children = set(
            AdministrativeUnit.objects.filter(parent_id__in=frontier).values_list("id", flat=True)
        )
        linked: set[int] = set()
        for src, dst in (
            UnitTransition.objects.filter(Q(source_id__in=frontier) | Q(target_id__in=frontier))
            .exclude(kind="abolish")
            .values_list("source_id", "target_id")
        ):
            linked.update((src, dst))
        frontier = (children | linked) - result
    return result


def scope_for(user: User | AnonymousUser | None) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope()
    cached: Scope | None = getattr(user, "_ioc_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser or user.scope_all:  # type: ignore[union-attr]
        scope = Scope(everything=True)
    elif user.kind != "staff":  # type: ignore[union-attr]
        scope = Scope()
    else:
        unit_ids = set(user.scope_units.values_list("id", flat=True))  # type: ignore[union-attr]
        scope = Scope(
            units=frozenset(expand_units(unit_ids)) if unit_ids else frozenset(),
            sectors=frozenset(user.scope_sectors.values_list("id", flat=True)),  # type: ignore[union-attr]
            agencies=frozenset(user.scope_agencies.values_list("id", flat=True)),  # type: ignore[union-attr]
        )
    user._ioc_scope = scope  # type: ignore[union-attr]
    return scope


def _paths(model: type[models.Model]) -> dict[str, str]:
    paths: dict[str, str] | None = getattr(model, "scope_paths", None)
    if paths is None:
        raise TypeError(f"{model.__name__} declares no scope_paths; it cannot be scoped")
    return paths


def visible(user: User | AnonymousUser | None, queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    """The part of queryset this user may see. Empty for anonymous users and empty scopes."""
    scope = scope_for(user)
    if scope.everything:
        return queryset
    if scope.empty:
        return queryset.none()
    paths = _paths(queryset.model)
    condition = Q()
    for dimension, ids in (
        ("unit", scope.units),
        ("sector", scope.sectors),
        ("agency", scope.agencies),
    ):
        if not ids:
            continue
        path = paths.get(dimension)
        if path is None:
            # The user's scope restricts a dimension the object does not have: it is not
            # the user's business. Deny.
            return queryset.none()
        condition &= Q(**{f"{path}__in": ids})
    return queryset.filter(condition).distinct()


def access(user: User | AnonymousUser | None, model: type[M], pk: Any) -> M:
    """One object the user may see, or ScopeDenied."""
    try:
        return visible(user, model._default_manager.all()).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]
        raise ScopeDenied(f"{model.__name__} {pk!r}") from None


def can_see(user: User | AnonymousUser | None, obj: models.Model) -> bool:
    return visible(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()
