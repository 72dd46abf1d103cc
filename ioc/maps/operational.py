"""Operational layers: what operators act on, drawn by administrative unit.

Each layer gathers items (an operations event, a data connection...) with the unit they
concern and a status, and draws one marker per unit: at a point inside the unit's polygon,
coloured by the worst status there, with the count and the items in its popup. Items
without a unit stand at the area's top unit (the province).

A layer is an ``OperationalLayer`` in ``LAYERS``: an id, its statuses worst first, the
permission that lets a user see it, and a function giving the items a user may see (scoped
like every read).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import shapely
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ioc.accounts.scope import visible
from ioc.cameras.access import cameras_for
from ioc.cameras.choices import Status as CameraStatus
from ioc.core.models import AdministrativeUnit
from ioc.core.units import boundaries
from ioc.feedback.choices import OPEN as REPORT_OPEN
from ioc.feedback.models import Report
from ioc.integrations.models import Connection, ConnectionState
from ioc.operations.choices import UNRESOLVED, Severity
from ioc.operations.models import Event
from ioc.warehouse.freshness import Status

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ioc.accounts.models import User

MAX_ITEMS_PER_UNIT = 10


@dataclass(frozen=True)
class Item:
    unit_id: int | None
    status: str
    title: str
    link: str
    when: dt.datetime | None = None


@dataclass(frozen=True)
class OperationalLayer:
    id: str
    title: Promise
    description: Promise
    permission: str
    statuses: tuple[tuple[str, Promise, str], ...]  # (code, label, colour), worst first
    items: Callable[[User | AnonymousUser | None], Iterable[Item]]

    def allowed(self, user: User | AnonymousUser | None) -> bool:
        return bool(
            user is not None
            and user.is_authenticated
            and not getattr(user, "is_citizen", False)
            and user.has_perm(self.permission)
        )

    def legend(self) -> list[dict[str, str]]:
        return [
            {"code": c, "label": str(label), "colour": colour} for c, label, colour in self.statuses
        ]


# Operations events ----------------------------------------------------------------------------

SEVERITY_COLOURS = {
    Severity.EXTREME: "#7a0019",
    Severity.SEVERE: "#c62828",
    Severity.MODERATE: "#ef8a17",
    Severity.MINOR: "#f2c12e",
    Severity.UNKNOWN: "#7d8790",
}


def _events(user: User | AnonymousUser | None) -> Iterable[Item]:
    events = visible(user, Event.objects.filter(status__in=UNRESOLVED)).order_by("-occurred_at")
    for event in events.only("id", "unit_id", "severity", "headline", "occurred_at")[:5000]:
        yield Item(
            event.unit_id,
            event.severity,
            event.headline,
            reverse("operations:detail", args=[event.pk]),
            event.occurred_at,
        )


# Data connections' health ---------------------------------------------------------------------


def connection_status(connection: Connection, now: dt.datetime) -> str:
    """failing (broken, or failing now), late (its dataset is behind its cadence), paused, ok."""
    if connection.state == ConnectionState.BROKEN or connection.failures:
        return "failing"
    if connection.state == ConnectionState.PAUSED:
        return "paused"
    if connection.dataset.freshness_at(now).status in (Status.LATE, Status.MISSING):
        return "late"
    return "ok"


def _connections(user: User | AnonymousUser | None) -> Iterable[Item]:
    now = timezone.now()
    connections: QuerySet[Connection] = visible(user, Connection.objects.all()).select_related(
        "dataset__owner"
    )
    for connection in connections.order_by("name")[:5000]:
        yield Item(
            connection.dataset.owner.unit_id,
            connection_status(connection, now),
            connection.name,
            reverse("integrations:connection", args=[connection.pk]),
            connection.last_success_at,
        )


# Citizen reports -----------------------------------------------------------------------------

REPORT_RECENT = dt.timedelta(days=30)


def report_status(report: Report, now: dt.datetime) -> str:
    """overdue, due within a day, open, or answered (in the last 30 days)."""
    if report.status not in REPORT_OPEN:
        return "answered"
    if report.due_at < now:
        return "overdue"
    if report.due_at < now + dt.timedelta(hours=24):
        return "soon"
    return "open"


def _reports(user: User | AnonymousUser | None) -> Iterable[Item]:
    now = timezone.now()
    reports = visible(
        user,
        Report.objects.filter(duplicate_of__isnull=True).filter(
            Q(status__in=REPORT_OPEN) | Q(closed_at__gte=now - REPORT_RECENT)
        ),
    ).select_related("category")
    for report in reports.order_by("due_at")[:5000]:
        yield Item(
            report.unit_id,
            report_status(report, now),
            f"#{report.pk} {report.category.label}",
            reverse("reports:detail", args=[report.pk]),
            report.received_at,
        )


# Cameras --------------------------------------------------------------------------------------


def _cameras(user: User | AnonymousUser | None) -> Iterable[Item]:
    """The cameras the user may see (permission, scope and the groups' roles), each linking to
    its page with the live view."""
    for camera in cameras_for(user).order_by("code")[:5000]:
        yield Item(
            camera.unit_id,
            camera.status,
            f"{camera.code} · {camera.name}",
            reverse("cameras:camera", args=[camera.pk]),
            camera.last_frame_at,
        )


LAYERS: dict[str, OperationalLayer] = {
    layer.id: layer
    for layer in (
        OperationalLayer(
            "ops:events",
            _("Operations events"),
            _("Open and acknowledged events by unit, coloured by the most severe."),
            "operations.view_event",
            tuple((s.value, s.label, SEVERITY_COLOURS[s]) for s in Severity),
            _events,
        ),
        OperationalLayer(
            "ops:connections",
            _("Data connections' health"),
            _("Data connections by their owner agency's unit: failing, late, paused or on time."),
            "integrations.view_connection",
            (
                ("failing", _("Failing"), "#c62828"),
                ("late", _("Late"), "#ef8a17"),
                ("paused", _("Paused"), "#7d8790"),
                ("ok", _("On time"), "#2e7d32"),
            ),
            _connections,
        ),
        OperationalLayer(
            "ops:reports",
            _("Citizen reports"),
            _("Open reports by commune, coloured by their deadline; answered in the last 30 days."),
            "feedback.view_report",
            (
                ("overdue", _("Overdue"), "#c62828"),
                ("soon", _("Due within 24 hours"), "#ef8a17"),
                ("open", _("Open"), "#1d5fa8"),
                ("answered", _("Answered"), "#2e7d32"),
            ),
            _reports,
        ),
        OperationalLayer(
            "ops:cameras",
            _("Cameras"),
            _("Cameras by commune, coloured by the worst status; open one for its live view."),
            "cameras.view_camera",
            (
                (CameraStatus.OFFLINE.value, CameraStatus.OFFLINE.label, "#c62828"),
                (CameraStatus.DEGRADED.value, CameraStatus.DEGRADED.label, "#ef8a17"),
                (CameraStatus.UNKNOWN.value, CameraStatus.UNKNOWN.label, "#7d8790"),
                (CameraStatus.ONLINE.value, CameraStatus.ONLINE.label, "#2e7d32"),
            ),
            _cameras,
        ),
    )
}


def layers_for(user: User | AnonymousUser | None) -> list[OperationalLayer]:
    return [layer for layer in LAYERS.values() if layer.allowed(user)]


def _top_unit() -> AdministrativeUnit | None:
    return (
        AdministrativeUnit.objects.in_area().filter(parent__isnull=True).order_by("level").first()
    )


def features(layer: OperationalLayer, user: User | AnonymousUser | None) -> list[dict[str, Any]]:
    """One GeoJSON point feature per unit with items: its counts by status, the worst, and the
    first items (worst first, then the latest)."""
    rank = {code: i for i, (code, _label, _colour) in enumerate(layer.statuses)}
    by_unit: dict[int | None, list[Item]] = {}
    for item in layer.items(user):
        by_unit.setdefault(item.unit_id, []).append(item)
    if None in by_unit:
        top = _top_unit()
        orphans = by_unit.pop(None)
        if top is not None:
            by_unit.setdefault(top.pk, []).extend(orphans)
    units = AdministrativeUnit.objects.in_bulk([pk for pk in by_unit if pk is not None])
    geoms = boundaries.geometries(units)
    out: list[dict[str, Any]] = []
    for pk, items in by_unit.items():
        unit, geom = units.get(pk), geoms.get(pk)  # type: ignore[arg-type]
        if unit is None or geom is None:
            continue
        items.sort(key=lambda i: (rank.get(i.status, 99), -(i.when.timestamp() if i.when else 0)))
        counts: dict[str, int] = {}
        for item in items:
            counts[item.status] = counts.get(item.status, 0) + 1
        point = shapely.point_on_surface(geom)
        out.append(
            {
                "type": "Feature",
                "id": f"{layer.id}:{unit.code}",
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(point.x, 6), round(point.y, 6)],
                },
                "properties": {
                    "code": unit.code,
                    "name": unit.name,
                    "level": unit.level,
                    "count": len(items),
                    "worst": items[0].status,
                    "counts": counts,
                    "items": [
                        {
                            "title": i.title,
                            "status": i.status,
                            "link": i.link,
                            "when": i.when.isoformat() if i.when else None,
                        }
                        for i in items[:MAX_ITEMS_PER_UNIT]
                    ],
                },
            }
        )
    out.sort(key=lambda f: (rank.get(f["properties"]["worst"], 99), -f["properties"]["count"]))
    return out
