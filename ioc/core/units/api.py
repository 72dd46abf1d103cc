"""Administrative units on /api/units/: list and search, resolve a code, match a name.

Public (``auth=None``): the units are official, published reference data (the same list the
General Statistics Office and the package we load publish), hold nothing about anyone, are
read-only here, and citizen-facing clients (the report form, Open311 apps) need them to pick
a ward without an account. The list is limited to the deployment's area; resolve and match
answer for the whole country, as they must to place an address written with an old or a
neighbouring unit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from ioc.core.choices import UnitLevel
from ioc.core.models import AdministrativeUnit, UnitQuerySet
from ioc.core.units.resolve import (
    MAX_QUERY_LENGTH,
    current_successors,
    match_unit_name,
    resolve_code,
    search_units,
)

router = Router(tags=["units"], auth=None)


class UnitOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    kind: str
    level: int
    parent_id: int | None
    parent_code: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    in_area: bool
    latitude: float | None
    longitude: float | None
    area_km2: float | None

    @staticmethod
    def resolve_parent_code(obj: AdministrativeUnit) -> str | None:
        parent = getattr(obj, "parent", None)
        return parent.code if parent is not None else None


class SuccessorOut(Schema):
    unit: UnitOut
    share: float


class ResolvedOut(Schema):
    unit: UnitOut
    current: list[SuccessorOut]


class ResolveOut(Schema):
    code: str
    on: dt.date | None
    units: list[ResolvedOut]


@router.get("/", response=list[UnitOut])
@paginate(PageNumberPagination, page_size=50)
def list_units(
    request: HttpRequest, q: str = "", level: int | None = None, current: bool | None = None
) -> UnitQuerySet:
    """Units of the area; ``q`` searches names with or without diacritics, and codes;
    ``current=true`` keeps units valid today, ``current=false`` units no longer valid."""
    units = AdministrativeUnit.objects.in_area().select_related("parent")
    if q.strip():
        units = search_units(units, q[:200])
    if level in UnitLevel.values:
        units = units.filter(level=level)
    today = timezone.localdate()
    if current is True:
        units = units.valid_on(today)
    elif current is False:
        units = units.filter(valid_to__lt=today)
    return units.order_by("level", "name_folded", "valid_from", "id")


@router.get("/resolve/{code}", response=ResolveOut)
def resolve(request: HttpRequest, code: str, on: dt.date | None = None) -> dict[str, Any]:
    """The unit(s) with this code (valid on ``on`` if given) and, for each, the units valid
    today that it became, with its share in each."""
    units = resolve_code(code, on=on)
    return {
        "code": code,
        "on": on,
        "units": [
            {
                "unit": u,
                "current": [{"unit": s, "share": share} for s, share in current_successors(u)],
            }
            for u in units
        ],
    }


@router.get("/match", response=list[UnitOut])
def match(
    request: HttpRequest, q: str, level: int | None = None, on: dt.date | None = None
) -> list[AdministrativeUnit]:
    """Units a name may mean, best first ("P. Phú Cường", "phu cuong", "Q.1").

    Text after a comma says where the unit lies ("Phú Cường, Thủ Dầu Một"). Only the first
    200 characters of ``q`` and the first 3 places after the name are read; the rest is
    ignored, so a query costs a bounded number of database queries."""
    return match_unit_name(q[:MAX_QUERY_LENGTH], level=level, on=on, limit=20)
