"""The administrative units, copied into the warehouse (``meta.units``) so that queries can
group records by any level and roll old units up to the ones that replaced them.

One row per version of a unit code, as records hold it: the period the version stands for
(``since`` inclusive, ``until`` exclusive; the first version reaches back and the last one
forward without end, so every record finds exactly one), its level and name, the unit it
is part of today (``current_*``: itself while valid, else its primary successor through
merges, splits and renames, see :func:`ioc.core.units.resolve.rollup_map`), its district
(the old three-level tree's; empty for the communes created in July 2025, which have none)
and its province. Codes are reused (a ward merged in 2025 may give its code to the new
ward), so a record's unit is looked up by its code *and* its date.

The copy is refreshed by :func:`ensure_units` whenever the operational database's units or
transitions changed (a fingerprint kept in ``meta.info``).
"""

from __future__ import annotations

import time
from typing import Any

import pyarrow as pa
from django.db.models import F

from ioc.core.models import AdministrativeUnit, UnitTransition
from ioc.core.units.resolve import rollup_map
from ioc.warehouse.db import read_connection
from ioc.warehouse.writer import transaction

COLUMNS = (
    "code",
    "since",
    "until",
    "level",
    "name",
    "current_code",
    "current_name",
    "district_code",
    "district_name",
    "province_code",
    "province_name",
)
CHECK_EVERY = 30.0  # seconds between fingerprint checks in one process
_checked: dict[str, tuple[float, str]] = {}  # "units": (checked at, fingerprint)


def fingerprint() -> str:
    """Changes whenever a unit or a transition is added, closed or removed."""
    units = AdministrativeUnit.objects.order_by("-id").values_list("id", flat=True)
    closed = AdministrativeUnit.objects.filter(valid_to__isnull=False).count()
    return (
        f"{AdministrativeUnit.objects.count()}:{units.first() or 0}:{closed}:"
        f"{UnitTransition.objects.count()}:"
        f"{UnitTransition.objects.order_by('-id').values_list('id', flat=True).first() or 0}"
    )


def unit_rows() -> pa.Table:
    """One row per version of each code, with its current unit, district and province."""
    versions = AdministrativeUnit.objects.order_by(F("valid_from").asc(nulls_first=True), "id")
    units = {u.pk: u for u in versions}
    successor = rollup_map()

    def ancestor(unit: AdministrativeUnit | None, level: int) -> AdministrativeUnit | None:
        while unit is not None and unit.level > level:
            unit = units.get(unit.parent_id) if unit.parent_id else None
        return unit if unit is not None and unit.level == level else None

    by_code: dict[str, list[AdministrativeUnit]] = {}
    for unit in units.values():  # in order of valid_from
        found = by_code.setdefault(unit.code, [])
        if found and found[-1].valid_from == unit.valid_from:
            # Two units, one code, one start (a province and a commune sharing digits):
            # records name the finer one; periods must not overlap, or rows would double.
            if unit.level > found[-1].level:
                found[-1] = unit
            continue
        found.append(unit)
    rows: list[tuple[object, ...]] = []
    for code, found in by_code.items():
        for index, unit in enumerate(found):
            current = units.get(successor.get(unit.pk, unit.pk), unit)
            district = ancestor(unit, 2) or ancestor(current, 2)
            province = ancestor(current, 1) or ancestor(unit, 1)
            later = found[index + 1] if index + 1 < len(found) else None
            rows.append(
                (
                    code,
                    unit.valid_from if index else None,
                    later.valid_from if later is not None else None,
                    int(unit.level),
                    unit.name,
                    current.code,
                    current.name,
                    district.code if district else None,
                    district.name if district else None,
                    province.code if province else None,
                    province.name if province else None,
                )
            )
    columns: list[tuple[Any, ...]] = (
        list(zip(*rows, strict=True)) if rows else [() for _ in COLUMNS]
    )
    types = {"level": pa.int32(), "since": pa.date32(), "until": pa.date32()}
    return pa.table(
        {
            name: pa.array(values, types.get(name, pa.string()))
            for name, values in zip(COLUMNS, columns, strict=True)
        }
    )


def ensure_units(force: bool = False) -> bool:
    """Refresh ``meta.units`` if the units changed since the last copy; True if it did."""
    now = time.monotonic()
    key = "units"
    last = _checked.get(key)
    if not force and last and now - last[0] < CHECK_EVERY:
        return False
    current = fingerprint()
    if not force:
        with read_connection() as con:
            row = con.execute("SELECT value FROM meta.info WHERE key = 'units'").fetchall()
        if row and row[0][0] == current:
            _checked[key] = (now, current)
            return False
    table = unit_rows()
    with transaction() as con:
        con.execute("DELETE FROM meta.units").fetchall()
        con.register("unit_rows", table)
        con.execute(
            f"INSERT INTO meta.units ({', '.join(COLUMNS)})"
            f" SELECT {', '.join(COLUMNS)} FROM unit_rows"
        ).fetchall()
        con.unregister("unit_rows")
        con.execute("DELETE FROM meta.info WHERE key = 'units'").fetchall()
        con.execute("INSERT INTO meta.info VALUES ('units', ?)", [current]).fetchall()
    _checked[key] = (now, current)
    return True


def forget() -> None:
    """Check again on the next call (tests, after loading units)."""
    _checked.clear()
