"""The write paths for agencies and sectors: permission and scope checked, validated, audited.

Every function takes the acting user (``actor``) and either does the whole change and writes
one audit entry with the values before and after, or changes nothing and raises:

* ``PermissionDenied`` when the actor lacks the model permission, or the object is (or would
  end up) outside the actor's scope; an audit entry of kind "denied" records the attempt;
* ``ValidationError`` when the values are not valid (nothing is written, nothing audited).

Rules beyond the model's own validation (``validate_agency``): an agency is never its own
supervisor, directly or through its subordinates; it sits in a current unit of this area; and
only an actor who sees the whole area may take a sector away from an agency unless that sector
is in the actor's own scope (a sector officer does not decide for another sector).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NoReturn

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from ioc.accounts.access import permission_reason
from ioc.accounts.scope import can_see, scope_for
from ioc.core.audit import diff, record, snapshot
from ioc.core.choices import AuditAction
from ioc.core.models import AdministrativeUnit, Agency, Sector

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ioc.accounts.models import User

AGENCY_FIELDS = frozenset(
    {"code", "name", "name_en", "short_name", "kind", "parent", "unit", "email", "phone"}
    | {"parent_id", "unit_id", "is_active", "sectors"}
)
SECTOR_FIELDS = frozenset({"code", "name", "name_en", "icon", "order"})


def full_snapshot(obj: models.Model) -> dict[str, Any]:
    """snapshot() plus the many-to-many links as sorted id lists (secrets stay masked)."""
    out = snapshot(obj)
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            out[field.name] = sorted(getattr(obj, field.name).values_list("pk", flat=True))
    return out


class _OutOfScope(Exception):
    pass


class _ForeignSector(Exception):
    pass


def may_remove_sectors(user: User | AnonymousUser | None, removed: set[int]) -> bool:
    """Taking sectors away from an agency: those of the actor's own scope, or any sector for
    an actor who sees the whole area (a sector officer does not decide for another sector)."""
    scope = scope_for(user)
    return not removed or scope.everything or removed <= scope.sectors


def foreign_sector_message() -> str:
    return _(
        "You may only take away sectors that are in your own scope; ask someone who "
        "sees the whole area to remove the others."
    )


def _check_sector_removal(user: User, removed: set[int]) -> None:
    if not may_remove_sectors(user, removed):
        raise _ForeignSector


def _user(actor: User | AnonymousUser | None) -> User | None:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return None
    return actor


def _deny(
    actor: User | AnonymousUser | None, message: str, obj: models.Model | None = None
) -> NoReturn:
    record(actor=_user(actor), action=AuditAction.DENIED, obj=obj, message=message)
    raise PermissionDenied(message)


def _require_perm(
    actor: User | AnonymousUser | None, perm: str, obj: models.Model | None = None
) -> User:
    user = _user(actor)
    if user is None or user.is_citizen or not user.has_perm(perm):
        _deny(actor, permission_reason(perm), obj)
    return user


def _check_fields(given: Iterable[str], allowed: frozenset[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(unknown)}")


def _apply(obj: models.Model, values: dict[str, Any]) -> list[Any] | None:
    """Set plain fields on obj; return the sectors to link (None: leave them)."""
    values = dict(values)
    sectors = values.pop("sectors", None)
    for name, value in values.items():
        setattr(obj, name, value)
    return None if sectors is None else list(sectors)


# --- agencies --------------------------------------------------------------------------------


def agency_descendants(agency_id: int) -> set[int]:
    """The ids of the agencies supervised by agency_id, directly or not (itself excluded)."""
    found: set[int] = set()
    frontier = {agency_id}
    while frontier:
        frontier = (
            set(Agency.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            - found
            - {agency_id}
        )
        found |= frontier
    return found


def validate_agency(agency: Agency, *, unit_changed: bool = True) -> None:
    """What Agency.clean() would check, on top of the fields: the supervising agency is not
    the agency itself nor one of its subordinates (no cycle), and the unit (when it is being
    set) is a current unit of this area. ValidationError keyed by field otherwise."""
    errors: dict[str, list[str]] = {}
    parent_id = agency.parent_id
    if parent_id is not None and agency.pk is not None:
        if parent_id == agency.pk:
            errors["parent"] = [_("An agency cannot be its own supervising agency.")]
        elif parent_id in agency_descendants(agency.pk):
            errors["parent"] = [
                _(
                    "This agency cannot be supervised by one of its own subordinate agencies: "
                    "choose an agency above it or beside it."
                )
            ]
    if unit_changed and agency.unit_id is not None:
        unit = AdministrativeUnit.objects.filter(pk=agency.unit_id).first()
        if unit is not None and not unit.in_area:
            errors["unit"] = [_("This administrative unit is outside this platform's area.")]
        elif unit is not None and not unit.is_current:
            errors["unit"] = [
                _(
                    "This administrative unit no longer exists (it was merged, split or "
                    "renamed): choose the unit that replaced it."
                )
            ]
    if errors:
        raise ValidationError(errors)


def create_agency(*, actor: User | AnonymousUser | None, **fields: Any) -> Agency:
    """A new agency. It must lie inside the actor's scope (unit, sectors)."""
    _check_fields(fields, AGENCY_FIELDS)
    user = _require_perm(actor, "core.add_agency")
    try:
        with transaction.atomic():
            agency = Agency()
            sectors = _apply(agency, fields)
            agency.full_clean()
            validate_agency(agency)
            agency.save()
            if sectors is not None:
                agency.sectors.set(sectors)
            if not can_see(user, agency):
                raise _OutOfScope
            record(
                actor=user,
                action=AuditAction.CREATE,
                obj=agency,
                changes=diff({}, full_snapshot(agency)),
            )
    except _OutOfScope:
        _deny(user, _("The new agency would lie outside your scope."))
    return agency


def check_agency_change(*, actor: User | AnonymousUser | None, agency: Agency) -> User:
    """The actor, when they may change this agency; else PermissionDenied (audited)."""
    user = _require_perm(actor, "core.change_agency", agency)
    if not can_see(user, agency):
        _deny(user, _("This agency is outside your scope."), agency)
    return user


def _update_agency(
    actor: User | AnonymousUser | None, agency: Agency, changes: dict[str, Any], message: str
) -> Agency:
    _check_fields(changes, AGENCY_FIELDS)
    user = check_agency_change(actor=actor, agency=agency)
    try:
        with transaction.atomic():
            fresh = Agency.objects.select_for_update().get(pk=agency.pk)
            before = full_snapshot(fresh)
            sectors = _apply(fresh, changes)
            if sectors is not None:
                _check_sector_removal(user, set(before["sectors"]) - {s.pk for s in sectors})
            fresh.full_clean()
            validate_agency(fresh, unit_changed=fresh.unit_id != before["unit"])
            fresh.save()
            if sectors is not None:
                fresh.sectors.set(sectors)
            if not can_see(user, fresh):
                raise _OutOfScope
            changed = diff(before, full_snapshot(fresh))
            if changed:
                record(
                    actor=user,
                    action=AuditAction.UPDATE,
                    obj=fresh,
                    changes=changed,
                    message=message,
                )
    except _OutOfScope:
        _deny(user, _("The change would move the agency outside your scope."), agency)
    except _ForeignSector:
        _deny(user, foreign_sector_message(), agency)
    return fresh


def update_agency(*, actor: User | AnonymousUser | None, agency: Agency, **changes: Any) -> Agency:
    """Change an agency in the actor's scope; it must stay there. Returns the saved agency
    (a fresh instance; the one passed in is left as it was)."""
    return _update_agency(actor, agency, changes, "")


def deactivate_agency(*, actor: User | AnonymousUser | None, agency: Agency) -> Agency:
    """Mark an agency inactive (agencies are never deleted: records and reports point to them)."""
    return _update_agency(actor, agency, {"is_active": False}, "deactivated")


# --- sectors ---------------------------------------------------------------------------------


def may_manage_sectors(user: User | AnonymousUser | None) -> bool:
    """Adding (or removing) a field of government is province-wide: only for actors who see
    the whole area. The model permission is checked separately."""
    return scope_for(user).everything


def may_change_sector(user: User | AnonymousUser | None, sector: Sector) -> bool:
    """The actor sees the whole area or has this sector in their scope."""
    scope = scope_for(user)
    return scope.everything or sector.pk in scope.sectors


def create_sector(*, actor: User | AnonymousUser | None, **fields: Any) -> Sector:
    """A new field of government: province-wide, so only for actors who see the whole area."""
    _check_fields(fields, SECTOR_FIELDS)
    user = _require_perm(actor, "core.add_sector")
    if not may_manage_sectors(user):
        _deny(user, _("Only accounts that see the whole area may add sectors."))
    with transaction.atomic():
        sector = Sector(**fields)
        sector.full_clean()
        sector.save()
        record(
            actor=user, action=AuditAction.CREATE, obj=sector, changes=diff({}, snapshot(sector))
        )
    return sector


def update_sector(*, actor: User | AnonymousUser | None, sector: Sector, **changes: Any) -> Sector:
    """Change a sector: the actor sees the whole area or has this sector in their scope."""
    _check_fields(changes, SECTOR_FIELDS)
    user = _require_perm(actor, "core.change_sector", sector)
    if not may_change_sector(user, sector):
        _deny(user, _("This sector is outside your scope."), sector)
    with transaction.atomic():
        fresh = Sector.objects.select_for_update().get(pk=sector.pk)
        before = snapshot(fresh)
        for name, value in changes.items():
            setattr(fresh, name, value)
        fresh.full_clean()
        fresh.save()
        changed = diff(before, snapshot(fresh))
        if changed:
            record(actor=user, action=AuditAction.UPDATE, obj=fresh, changes=changed)
    return fresh


__all__ = [
    "AGENCY_FIELDS",
    "SECTOR_FIELDS",
    "PermissionDenied",
    "ValidationError",
    "agency_descendants",
    "check_agency_change",
    "create_agency",
    "create_sector",
    "deactivate_agency",
    "foreign_sector_message",
    "full_snapshot",
    "may_change_sector",
    "may_manage_sectors",
    "may_remove_sectors",
    "update_agency",
    "update_sector",
    "validate_agency",
]
