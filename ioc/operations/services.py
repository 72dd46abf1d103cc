"""Operations events: the one place where every app reports what operators must see.

Raising an event (for any app: integrations, cameras, feedback, jobs, ...)
--------------------------------------------------------------------------
Call :func:`raise_event`; never create ``Event`` rows yourself::

    from ioc.operations.services import raise_event

    raise_event(
        source="integrations",                 # the app or system that noticed it
        category="late-data",                  # a stable slug operators filter on
        headline=f"Dữ liệu {conn.name} trễ hạn {hours} giờ",   # one line, what and where
        severity="moderate",                   # CAP 1.2: extreme|severe|moderate|minor|unknown
        urgency="expected",                    # immediate|expected|future|past|unknown
        certainty="observed",                  # observed|likely|possible|unlikely|unknown
        occurred_at=last_expected,             # aware datetime; default: now
        description="...",                     # free text, may be long
        link=reverse("integrations:connection", args=[conn.pk]),   # where to act
        obj=conn,                              # stored as object_type / object_id
        unit=conn.unit, sector=conn.sector, agency=conn.agency,    # decides who sees it
        dedup_key=f"integrations:late:{conn.pk}",
    )

Typical callers: late data (``integrations:late:<connection>``), a camera offline
(``cameras:offline:<camera>``), citizen reports past their deadline
(``feedback:overdue:<request>``), a failing job (``jobs:failed:<schedule>``).

The contract:

* **Deduplication.** While an event with the same non-empty ``dedup_key`` is unresolved
  (open or acknowledged), raising it again does not add a row: that event's
  ``repeat_count`` goes up by one, its ``occurred_at`` moves to the latest occurrence, and its
  headline, description, link, severity, urgency and certainty take the new values (the
  situation as it is now). Its status, scope (unit, sector, agency) and the operator's note
  are kept. Once resolved, the next raise opens a new event. Use a key that names the
  condition and the object, not the time, and raise on every check: it is cheap.
* **Scope.** Who sees the event is decided by its unit, sector and agency, exactly as for
  every other scoped object (``ioc.accounts.scope``). An event with none of them is seen
  only by area-wide users (operators, leaders, administrators); give at least the unit or
  the sector whenever you know it, so sector officers see their own.
* **Validation.** An unknown severity, urgency or certainty, an empty source, category or
  headline, a naive ``occurred_at`` or an over-long field raises ``ValueError`` with the
  reason. A headline longer than 300 characters is shortened with "…".
* **No permission check** for raising: it is the platform speaking, not a user. The first
  raise of an event is written to the audit log (actor: none), repeats are not.
* Call it inside or outside a transaction; it takes its own (nested) one.

Handling an event (operators)
-----------------------------
:func:`acknowledge_event`, :func:`resolve_event` and :func:`reopen_event` check that the
actor holds ``operations.change_event`` and that the event lies in the actor's scope, and
raise ``django.core.exceptions.PermissionDenied`` otherwise, changing nothing. A change that
the event's status does not allow (acknowledging a resolved event, ...) raises
:class:`InvalidTransition` (a ``ValueError``). Each change is written to the audit log with
the values before and after.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from ioc.accounts.access import permission_reason
from ioc.accounts.scope import can_see
from ioc.core.audit import diff, record, snapshot
from ioc.core.choices import AuditAction
from ioc.core.models import AdministrativeUnit, Agency, Sector
from ioc.operations.choices import UNRESOLVED, Certainty, EventStatus, Severity, Urgency
from ioc.operations.models import Event

if TYPE_CHECKING:
    from ioc.accounts.models import User

__all__ = [
    "CHANGE_PERMISSION",
    "InvalidTransition",
    "acknowledge_event",
    "can_change",
    "raise_event",
    "reopen_event",
    "resolve_event",
]

CHANGE_PERMISSION = "operations.change_event"
HEADLINE_MAX = 300

# Fields whose before/after values go to the audit log on a status change.
AUDITED_FIELDS = ("status", "acknowledged_by", "acknowledged_at", "note")


class InvalidTransition(ValueError):
    """The event's current status does not allow this change."""


# --- raising ---------------------------------------------------------------------------------


def _check_choice(name: str, value: str, choices: type[models.TextChoices]) -> str:
    value = str(value)
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}")
    return value


def _check_text(name: str, value: str, max_length: int, *, required: bool = False) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string; got {type(value).__name__}")
    value = value.strip()
    if required and not value:
        raise ValueError(f"{name} is required")
    if len(value) > max_length:
        raise ValueError(f"{name} is longer than {max_length} characters ({len(value)})")
    return value


def _check_instance(name: str, value: Any, model: type[models.Model]) -> None:
    if value is not None and not isinstance(value, model):
        raise ValueError(f"{name} must be {model.__name__} or None; got {type(value).__name__}")
    if value is not None and value.pk is None:
        raise ValueError(f"{name} must be saved first")


def raise_event(
    *,
    source: str,
    category: str,
    headline: str,
    severity: str = "unknown",
    urgency: str = "unknown",
    certainty: str = "unknown",
    occurred_at: dt.datetime | None = None,
    description: str = "",
    link: str = "",
    obj: models.Model | None = None,
    unit: AdministrativeUnit | None = None,
    sector: Sector | None = None,
    agency: Agency | None = None,
    dedup_key: str = "",
) -> Event:
    """Report something operators must see; see the module's docstring for the contract."""
    source = _check_text("source", source, 60, required=True)
    category = _check_text("category", category, 60, required=True)
    if not isinstance(headline, str) or not headline.strip():
        raise ValueError("headline is required")
    headline = " ".join(headline.split())
    if len(headline) > HEADLINE_MAX:
        headline = headline[: HEADLINE_MAX - 1].rstrip() + "…"
    severity = _check_choice("severity", severity, Severity)
    urgency = _check_choice("urgency", urgency, Urgency)
    certainty = _check_choice("certainty", certainty, Certainty)
    if not isinstance(description, str):
        raise ValueError("description must be a string")
    link = _check_text("link", link, 500)
    dedup_key = _check_text("dedup_key", dedup_key, 200)
    if occurred_at is None:
        occurred_at = timezone.now()
    elif not isinstance(occurred_at, dt.datetime):
        raise ValueError("occurred_at must be a datetime")
    elif timezone.is_naive(occurred_at):
        raise ValueError("occurred_at must be timezone-aware")
    _check_instance("unit", unit, AdministrativeUnit)
    _check_instance("sector", sector, Sector)
    _check_instance("agency", agency, Agency)
    object_type = object_id = ""
    if obj is not None:
        if not isinstance(obj, models.Model) or obj.pk is None:
            raise ValueError("obj must be a saved model instance")
        object_type = obj._meta.label_lower
        object_id = str(obj.pk)[:64]

    latest = {
        "headline": headline,
        "description": description,
        "link": link,
        "severity": severity,
        "urgency": urgency,
        "certainty": certainty,
    }
    with transaction.atomic():
        if dedup_key:
            repeated = _repeat(dedup_key, occurred_at, latest)
            if repeated is not None:
                return repeated
        event = Event(
            source=source,
            category=category,
            occurred_at=occurred_at,
            object_type=object_type,
            object_id=object_id,
            dedup_key=dedup_key,
            unit=unit,
            sector=sector,
            agency=agency,
            **latest,
        )
        try:
            with transaction.atomic():  # a savepoint: a concurrent raise may have won the key
                event.save()
        except IntegrityError:
            if not dedup_key:
                raise
            repeated = _repeat(dedup_key, occurred_at, latest)
            if repeated is None:
                raise
            return repeated
        record(
            actor=None,
            action=AuditAction.CREATE,
            obj=event,
            changes={
                k: [None, v]
                for k, v in snapshot(
                    event, ["source", "category", "severity", "status", "dedup_key"]
                ).items()
            },
            message=f"event raised by {source}",
        )
        return event


def _repeat(dedup_key: str, occurred_at: dt.datetime, latest: dict[str, str]) -> Event | None:
    """Count one more occurrence on the unresolved event with this key, if there is one."""
    existing = (
        Event.objects.select_for_update()
        .filter(dedup_key=dedup_key, status__in=UNRESOLVED)
        .only("pk", "occurred_at")
        .first()
    )
    if existing is None:
        return None
    Event.objects.filter(pk=existing.pk).update(
        repeat_count=F("repeat_count") + 1,
        occurred_at=max(existing.occurred_at, occurred_at),
        headline_folded=Event.fold_headline(latest["headline"]),
        **latest,
    )
    return Event.objects.get(pk=existing.pk)


# --- handling --------------------------------------------------------------------------------


def can_change(actor: User | AnonymousUser | None, event: Event | None = None) -> bool:
    """True when actor may acknowledge, resolve or reopen events (this one, when given)."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    if not actor.has_perm(CHANGE_PERMISSION):
        return False
    return event is None or can_see(actor, event)


def _check_actor(actor: User | AnonymousUser | None, event: Event, verb: str) -> None:
    if can_change(actor):
        if can_see(actor, event):
            return
        reason = "event outside the actor's scope"
        shown = gettext("This event is outside your area of responsibility.")
    else:
        reason = f"no {CHANGE_PERMISSION} permission"
        shown = permission_reason(CHANGE_PERMISSION)
    if actor is not None and actor.is_authenticated:
        record(
            actor=actor,
            action=AuditAction.DENIED,
            obj=event,
            message=f"{verb} refused: {reason}",
        )
    raise PermissionDenied(shown)  # the audit entry keeps the technical reason


def _change(
    *,
    actor: User | AnonymousUser | None,
    event: Event | int,
    verb: str,
    done: str,
    allowed_from: tuple[str, ...],
    apply: Any,
    note: str,
) -> Event:
    if isinstance(event, int):
        event = Event.objects.get(pk=event)
    _check_actor(actor, event, verb)
    if not isinstance(note, str):
        raise ValueError("note must be a string")
    note = note.strip()
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        if locked.status not in allowed_from:
            raise InvalidTransition(
                f"Cannot {verb} an event that is {locked.status}; "
                f"only one that is {' or '.join(allowed_from)}."
            )
        before = snapshot(locked, AUDITED_FIELDS)
        apply(locked, timezone.now())
        if note:
            locked.note = note
        locked.save(update_fields=list(AUDITED_FIELDS))
        record(
            actor=cast("User", actor),
            action=AuditAction.UPDATE,
            obj=locked,
            changes=diff(before, snapshot(locked, AUDITED_FIELDS)),
            message=f"event {done}",
        )
    for attname in ("status", "acknowledged_by_id", "acknowledged_at", "note"):
        setattr(event, attname, getattr(locked, attname))  # the caller sees the new state
    return locked


def acknowledge_event(
    *, actor: User | AnonymousUser | None, event: Event | int, note: str = ""
) -> Event:
    """Open → acknowledged: an operator has seen it and takes it in hand."""

    def apply(e: Event, now: dt.datetime) -> None:
        e.status = EventStatus.ACKNOWLEDGED
        e.acknowledged_by = actor  # type: ignore[assignment]
        e.acknowledged_at = now

    return _change(
        actor=actor,
        event=event,
        verb="acknowledge",
        done="acknowledged",
        allowed_from=(EventStatus.OPEN,),
        apply=apply,
        note=note,
    )


def resolve_event(
    *, actor: User | AnonymousUser | None, event: Event | int, note: str = ""
) -> Event:
    """Open or acknowledged → resolved. An event resolved straight from open is marked
    acknowledged by the same operator too, so "who took it" is never empty."""

    def apply(e: Event, now: dt.datetime) -> None:
        e.status = EventStatus.RESOLVED
        if e.acknowledged_by_id is None:
            e.acknowledged_by = actor  # type: ignore[assignment]
            e.acknowledged_at = now

    return _change(
        actor=actor,
        event=event,
        verb="resolve",
        done="resolved",
        allowed_from=UNRESOLVED,
        apply=apply,
        note=note,
    )


def reopen_event(
    *, actor: User | AnonymousUser | None, event: Event | int, note: str = ""
) -> Event:
    """Acknowledged or resolved → open, unacknowledged. Refused (InvalidTransition) when a
    newer unresolved event already carries the same deduplication key."""

    def apply(e: Event, now: dt.datetime) -> None:
        if (
            e.dedup_key
            and Event.objects.filter(dedup_key=e.dedup_key, status__in=UNRESOLVED)
            .exclude(pk=e.pk)
            .exists()
        ):
            raise InvalidTransition(
                "Cannot reopen this event: a newer unresolved event has the same "
                f"deduplication key ({e.dedup_key})."
            )
        e.status = EventStatus.OPEN
        e.acknowledged_by = None
        e.acknowledged_at = None

    return _change(
        actor=actor,
        event=event,
        verb="reopen",
        done="reopened",
        allowed_from=(EventStatus.ACKNOWLEDGED, EventStatus.RESOLVED),
        apply=apply,
        note=note,
    )


def clear_events(dedup_key: str, note: str) -> int:
    """The source says the condition is over (an overdue report answered, a camera back
    online): its unresolved events of ``dedup_key`` are resolved by the platform, each
    change in the audit log (with no actor: the system did it). Returns how many."""
    cleared = 0
    with transaction.atomic():
        events = Event.objects.select_for_update().filter(
            dedup_key=dedup_key, status__in=UNRESOLVED
        )
        for event in events:
            before = snapshot(event, AUDITED_FIELDS)
            event.status = EventStatus.RESOLVED
            event.note = note[:1000]
            event.save(update_fields=list(AUDITED_FIELDS))
            record(
                actor=None,
                action=AuditAction.UPDATE,
                obj=event,
                changes=diff(before, snapshot(event, AUDITED_FIELDS)),
                message="event resolved by its source",
            )
            cleared += 1
    return cleared
