"""The write paths for agencies and sectors: permission and scope checked, validated, audited.

Every function takes the acting user (``actor``) and either does the whole change and writes
one audit entry with the values before and after, or changes nothing and raises:

* ``PermissionDenied`` when the actor lacks the model permission, or the object is (or would
  end up) outside the actor's scope; an audit entry of kind "denied" records the attempt;
* ``ValidationError`` when the values are not valid (nothing is written, nothing audited).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NoReturn

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from ioc.accounts.scope import can_see, scope_for
from ioc.core.audit import diff, record, snapshot
from ioc.core.choices import AuditAction
from ioc.core.models import Agency, Sector

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
        _deny(actor, _("You do not have the permission “%(perm)s”.") % {"perm": perm}, obj)
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


def create_agency(*, actor: User | AnonymousUser | None, **fields: Any) -> Agency:
    """A new agency. It must lie inside the actor's scope (unit, sectors)."""
    _check_fields(fields, AGENCY_FIELDS)
    user = _require_perm(actor, "core.add_agency")
    try:
        with transaction.atomic():
            agency = Agency()
            sectors = _apply(agency, fields)
            agency.full_clean()
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
            fresh.full_clean()
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
    return fresh


def update_agency(*, actor: User | AnonymousUser | None, agency: Agency, **changes: Any) -> Agency:
    """Change an agency in the actor's scope; it must stay there. Returns the saved agency
    (a fresh instance; the one passed in is left as it was)."""
    return _update_agency(actor, agency, changes, "")


def deactivate_agency(*, actor: User | AnonymousUser | None, agency: Agency) -> Agency:
    """Mark an agency inactive (agencies are never deleted: records and reports point to them)."""
    return _update_agency(actor, agency, {"is_active": False}, "deactivated")


# --- sectors ---------------------------------------------------------------------------------


def create_sector(*, actor: User | AnonymousUser | None, **fields: Any) -> Sector:
    """A new field of government: province-wide, so only for actors who see the whole area."""
    _check_fields(fields, SECTOR_FIELDS)
    user = _require_perm(actor, "core.add_sector")
    if not scope_for(user).everything:
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
    scope = scope_for(user)
    if not (scope.everything or sector.pk in scope.sectors):
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
    "check_agency_change",
    "create_agency",
    "create_sector",
    "deactivate_agency",
    "full_snapshot",
    "update_agency",
    "update_sector",
]
