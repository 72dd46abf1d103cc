"""Operations events on /api/events/ (session authentication; every answer limited to the
caller's scope, and an event outside it answers 404).

    GET  /api/events/?status=open,acknowledged&severity=extreme,severe&since=ISO&page=1&page_size=50
    GET  /api/events/{id}/
    POST /api/events/{id}/acknowledge   {"note": "..."} (optional body)
    POST /api/events/{id}/resolve
    POST /api/events/{id}/reopen

Reading needs ``operations.view_event``, changing ``operations.change_event`` (403 without).
A change the event's status does not allow answers 409.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from ioc.accounts.scope import ScopeDenied, access, visible
from ioc.operations.choices import EventStatus, Severity
from ioc.operations.models import Event, most_severe_first
from ioc.operations.services import (
    InvalidTransition,
    acknowledge_event,
    reopen_event,
    resolve_event,
)

router = Router(tags=["operations"])

VIEW_PERMISSION = "operations.view_event"
MAX_PAGE_SIZE = 200


class EventOut(Schema):
    id: int
    source: str
    category: str
    severity: str
    urgency: str
    certainty: str
    status: str
    occurred_at: dt.datetime
    headline: str
    description: str
    link: str
    object_type: str
    object_id: str
    dedup_key: str
    repeat_count: int
    unit_code: str | None
    unit_name: str | None
    sector_code: str | None
    agency_code: str | None
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None
    note: str
    url: str


class EventPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[EventOut]


class EventFilters(Schema):
    status: str | None = Field(None, description="Comma-separated: open,acknowledged,resolved")
    severity: str | None = Field(
        None, description="Comma-separated: extreme,severe,moderate,minor,unknown"
    )
    since: dt.datetime | None = Field(None, description="Only events that occurred at or after")
    order: str = Field("time", description="time (newest first) or severity (most severe first)")
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


NOTE_MAX = 2000
# The body is optional (an empty POST is fine), so it is read by hand and documented here.
NOTE_BODY = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"note": {"type": "string", "maxLength": NOTE_MAX}},
                }
            }
        },
    }
}


def _note(request: HttpRequest) -> str:
    """The optional note, from a JSON body or a form body; 422 when malformed."""
    if request.content_type == "application/json":
        if not request.body.strip():
            return ""
        try:
            data = json.loads(request.body)
        except ValueError:
            raise HttpError(422, "The body is not valid JSON.") from None
        note = data.get("note", "") if isinstance(data, dict) else None
    else:
        note = request.POST.get("note", "")
    if not isinstance(note, str):
        raise HttpError(422, "note must be a string.")
    if len(note) > NOTE_MAX:
        raise HttpError(422, f"note is longer than {NOTE_MAX} characters.")
    return note


def _out(e: Event) -> EventOut:
    return EventOut(
        id=e.pk,
        source=e.source,
        category=e.category,
        severity=e.severity,
        urgency=e.urgency,
        certainty=e.certainty,
        status=e.status,
        occurred_at=e.occurred_at,
        headline=e.headline,
        description=e.description,
        link=e.link,
        object_type=e.object_type,
        object_id=e.object_id,
        dedup_key=e.dedup_key,
        repeat_count=e.repeat_count,
        unit_code=e.unit.code if e.unit else None,
        unit_name=e.unit.name if e.unit else None,
        sector_code=e.sector.code if e.sector else None,
        agency_code=e.agency.code if e.agency else None,
        acknowledged_by=e.acknowledged_by.get_username() if e.acknowledged_by else None,
        acknowledged_at=e.acknowledged_at,
        note=e.note,
        url=reverse("operations:detail", args=[e.pk]),
    )


def _related(qs: QuerySet[Event]) -> QuerySet[Event]:
    return qs.select_related("unit", "sector", "agency", "acknowledged_by")


def _require_view(request: HttpRequest) -> None:
    if not request.user.has_perm(VIEW_PERMISSION):
        raise HttpError(403, "You may not see operations events.")


def _codes(raw: str | None, allowed: list[str], name: str) -> list[str]:
    if not raw:
        return []
    codes = [c.strip() for c in raw.split(",") if c.strip()]
    unknown = [c for c in codes if c not in allowed]
    if unknown:
        raise HttpError(422, f"Unknown {name}: {', '.join(unknown)}; use {', '.join(allowed)}")
    return codes


def _get(request: HttpRequest, event_id: int) -> Event:
    try:
        return access(request.user, Event, event_id)
    except ScopeDenied:
        raise HttpError(404, "Not Found") from None


@router.get("/", response=EventPage, summary="Events in the caller's scope")
def list_events(request: HttpRequest, filters: Query[EventFilters]) -> EventPage:
    _require_view(request)
    qs = visible(request.user, Event.objects.all())
    statuses = _codes(filters.status, list(EventStatus.values), "status")
    severities = _codes(filters.severity, list(Severity.values), "severity")
    if statuses:
        qs = qs.filter(status__in=statuses)
    if severities:
        qs = qs.filter(severity__in=severities)
    if filters.since is not None:
        qs = qs.filter(occurred_at__gte=filters.since)
    if filters.order == "severity":
        qs = most_severe_first(qs)
    elif filters.order == "time":
        qs = qs.order_by("-occurred_at", "-id")
    else:
        raise HttpError(422, "order must be time or severity")
    count = qs.count()
    start = (filters.page - 1) * filters.page_size
    rows = _related(qs)[start : start + filters.page_size]
    return EventPage(
        count=count,
        page=filters.page,
        page_size=filters.page_size,
        results=[_out(e) for e in rows],
    )


@router.get("/{event_id}/", response=EventOut, summary="One event")
def get_event(request: HttpRequest, event_id: int) -> EventOut:
    _require_view(request)
    event = _get(request, event_id)
    return _out(_related(Event.objects.filter(pk=event.pk)).get())


def _change(request: HttpRequest, event_id: int, service: Callable[..., Event]) -> EventOut:
    event = _get(request, event_id)  # 404 first: an event outside the scope does not exist
    note = _note(request)
    try:
        service(actor=request.user, event=event, note=note)
    except PermissionDenied:
        raise HttpError(403, "You may not change operations events.") from None
    except InvalidTransition as exc:
        raise HttpError(409, str(exc)) from None
    return _out(_related(Event.objects.filter(pk=event.pk)).get())


@router.post(
    "/{event_id}/acknowledge",
    response=EventOut,
    summary="Acknowledge an open event",
    openapi_extra=NOTE_BODY,
)
@router.post("/{event_id}/acknowledge/", response=EventOut, include_in_schema=False)
def acknowledge(request: HttpRequest, event_id: int) -> EventOut:
    return _change(request, event_id, acknowledge_event)


@router.post(
    "/{event_id}/resolve", response=EventOut, summary="Resolve an event", openapi_extra=NOTE_BODY
)
@router.post("/{event_id}/resolve/", response=EventOut, include_in_schema=False)
def resolve(request: HttpRequest, event_id: int) -> EventOut:
    return _change(request, event_id, resolve_event)


@router.post(
    "/{event_id}/reopen", response=EventOut, summary="Reopen an event", openapi_extra=NOTE_BODY
)
@router.post("/{event_id}/reopen/", response=EventOut, include_in_schema=False)
def reopen(request: HttpRequest, event_id: int) -> EventOut:
    return _change(request, event_id, reopen_event)
