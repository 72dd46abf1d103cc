"""Row-level scope: the one API every app uses to decide what a user may see. Deny by default.

A user's scope is (units, sectors, agencies). An object declares where it sits with
``scope_paths`` on its model, e.g. ``{"unit": "unit", "sector": "sector", "agency": "agency"}``
(ORM paths, many-to-many allowed). An object is visible when, for every dimension the user's
scope restricts, the object's value lies inside it (dimensions combine with AND; the values of
one dimension with OR). A user with no scope at all sees nothing; ``scope_all`` and superusers
see the area; citizens, inactive and anonymous users see nothing.

Units in a scope stand for more than themselves (see ``expand_units``): their sub-units, the
units they came from (a ward's officer still sees the records kept against the wards merged
into it) and the units they became (an officer whose scope still names an old ward sees the
ward it was merged into). Split siblings are *not* included: the officer of one half of a
split ward does not see the other half.

    visible(user, Agency.objects.all())          # a queryset
    access(user, Agency, pk)                     # one object or ScopeDenied (→ 404)
    can_see(user, agency)                        # bool
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.db.models import Q

from ioc.core.choices import TransitionKind
from ioc.core.models import AdministrativeUnit, UnitTransition

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ioc.accounts.models import User

M = TypeVar("M", bound=models.Model)

_CACHE_ATTR = "_ioc_scope"


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


def _descendants(unit_ids: set[int]) -> set[int]:
    result: set[int] = set()
    frontier = set(unit_ids)
    while frontier:
        result |= frontier
        frontier = (
            set(
                AdministrativeUnit.objects.filter(parent_id__in=frontier).values_list(
                    "id", flat=True
                )
            )
            - result
        )
    return result


def _transitions() -> models.QuerySet[UnitTransition]:
    # "Level abolished" edges (a district into its province) carry no territory of their own.
    return UnitTransition.objects.exclude(kind=TransitionKind.ABOLISH)


def _walk(unit_ids: set[int], *, backwards: bool) -> set[int]:
    """unit_ids plus every unit they came from (backwards) or became (forwards), transitively."""
    near, far = ("target_id", "source_id") if backwards else ("source_id", "target_id")
    result: set[int] = set()
    frontier = set(unit_ids)
    while frontier:
        result |= frontier
        frontier = (
            set(_transitions().filter(**{f"{near}__in": frontier}).values_list(far, flat=True))
            - result
        )
    return result


def expand_units(unit_ids: set[int]) -> set[int]:
    """What a scope of ``unit_ids`` covers.

    * *owned*: the units, their sub-units and every unit they came from, with those units'
      sub-units, closed under both (records kept against the old tree roll up);
    * *became*: the units that the owned-by-descent units were merged, split or renamed into
      (followed forwards only, so a split's sibling is not reached through the common parent).
    """
    own = _descendants(set(unit_ids))
    owned: set[int] = set()
    frontier = set(own)
    while frontier:
        owned |= frontier
        frontier = _descendants(_walk(frontier, backwards=True)) - owned
    became = _walk(own, backwards=False)
    return owned | became


def scope_for(user: User | AnonymousUser | None) -> Scope:
    """The user's scope, computed once per user object (see ``forget``)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope()
    cached: Scope | None = user.__dict__.get(_CACHE_ATTR)
    if cached is not None:
        return cached
    if user.is_superuser or user.scope_all:
        scope = Scope(everything=True)
    elif user.kind != "staff":
        scope = Scope()
    else:
        unit_ids = set(user.scope_units.values_list("id", flat=True))
        scope = Scope(
            units=frozenset(expand_units(unit_ids)) if unit_ids else frozenset(),
            sectors=frozenset(user.scope_sectors.values_list("id", flat=True)),
            agencies=frozenset(user.scope_agencies.values_list("id", flat=True)),
        )
    user.__dict__[_CACHE_ATTR] = scope
    return scope


def forget(user: User | AnonymousUser | None) -> None:
    """Drop the cached scope (after the user's scope fields were changed)."""
    if user is not None:
        user.__dict__.pop(_CACHE_ATTR, None)


def is_scoped(model: type[models.Model]) -> bool:
    return getattr(model, "scope_paths", None) is not None


def _paths(model: type[models.Model]) -> dict[str, str]:
    paths: dict[str, str] | None = getattr(model, "scope_paths", None)
    if paths is None:
        raise TypeError(f"{model.__name__} declares no scope_paths; it cannot be scoped")
    return paths


def visible(user: User | AnonymousUser | None, queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    """The part of queryset this user may see. Empty for anonymous users and empty scopes.

    The result is the same queryset filtered by ``pk__in`` a subquery, so it has no
    duplicate rows from many-to-many paths, keeps its ordering, and still composes with
    ``annotate``, ``update`` and ``delete``.
    """
    paths = _paths(queryset.model)  # even for "everything": an unscoped model is a bug
    scope = scope_for(user)
    if scope.everything:
        return queryset
    if scope.empty:
        return queryset.none()
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
        condition &= Q(**{f"{path}__in": sorted(ids)})
    inside = queryset.model._default_manager.filter(condition).values("pk")
    return queryset.filter(pk__in=inside)


def access(user: User | AnonymousUser | None, model: type[M], pk: Any) -> M:
    """One object the user may see, or ScopeDenied."""
    try:
        return visible(user, model._default_manager.all()).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]
        raise ScopeDenied(f"{model.__name__} {pk!r}") from None


def can_see(user: User | AnonymousUser | None, obj: models.Model) -> bool:
    if obj.pk is None:
        return False
    return visible(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()
