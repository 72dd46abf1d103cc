"""Loading provinces one run at a time gives what loading them together gives; loads and area
refreshes are audited."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from ioc.accounts.choices import Role
from ioc.core.models import AdministrativeUnit as U
from ioc.core.models import AuditEntry
from ioc.core.models import UnitTransition as T
from ioc.core.tests._units_data import wipe_units

Identity = tuple[str, int, dt.date | None]


def snapshot() -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """Units and transitions, by identity (code, level, valid_from), ids left out."""
    rows = U.objects.values_list("id", "code", "level", "valid_from")
    identity: dict[int, Identity] = {pk: (code, level, start) for pk, code, level, start in rows}
    units = {
        (
            identity[u["id"]],
            u["valid_to"],
            u["name"],
            u["short_name"],
            u["kind"],
            u["latitude"],
            u["longitude"],
            u["area_km2"],
            u["in_area"],
            identity[u["parent_id"]] if u["parent_id"] else None,
        )
        for u in U.objects.values()
    }
    transitions = {
        (
            identity[t["source_id"]],
            identity[t["target_id"]],
            t["kind"],
            t["effective"],
            t["weight"],
            t["is_primary"],
            t["basis"],
        )
        for t in T.objects.values()
    }
    return units, transitions


def load(*provinces: str) -> None:
    call_command(
        "units", "load", "--provinces", *provinces, "--area", "74", "--json", stdout=StringIO()
    )


@pytest.mark.parametrize("order", [("74", "79"), ("79", "74")])
def test_one_province_at_a_time_equals_both_at_once(db: Any, order: tuple[str, str]) -> None:
    wipe_units()
    load("74", "79")
    together = snapshot()
    wipe_units()
    for province in order:
        load(province)
    one_by_one = snapshot()

    assert one_by_one[0] == together[0]  # units, with their parents and area flags
    assert one_by_one[1] == together[1]  # transitions
    # The transitions between the two provinces are there: old Bình Dương's communes (74)
    # went into new wards of Hồ Chí Minh City (79), and the province itself too.
    new_start = dt.date(2025, 7, 1)
    across = {(s, t, kind) for s, t, kind, *_ in one_by_one[1] if s[0] == "25747"}
    assert across == {(("25747", 3, None), ("25747", 3, new_start), "merge")}
    assert (("74", 1, None), ("79", 1, None), "merge") in {
        (s, t, kind) for s, t, kind, *_ in one_by_one[1]
    }
    assert U.objects.get(code="25747", valid_from=new_start).in_area


def test_load_and_area_are_audited(db: Any, make_user: Any) -> None:
    wipe_units()
    admin = make_user("sysadmin", roles=[Role.SYSTEM_ADMIN])
    # Loads by other test modules' fixtures are in the (append-only) log too: only new ones.
    last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    entries = AuditEntry.objects.filter(pk__gt=last)
    call_command(
        "units",
        "load",
        "--provinces",
        "74",
        "--area",
        "74",
        "--actor",
        "sysadmin",
        stdout=StringIO(),
    )
    (loaded,) = entries.filter(object_repr="ioc units load")
    created = U.objects.count()
    assert (loaded.actor, loaded.action, loaded.object_type) == (
        admin,
        "action",
        "core.administrativeunit",
    )
    assert f"{created} units created" in loaded.message and "provinces 74" in loaded.message
    assert loaded.changes["units_created"] == created and loaded.changes["provinces"] == "74"
    (marked,) = entries.filter(object_repr="ioc units area")
    in_area = U.objects.filter(in_area=True).count()
    assert (marked.actor, marked.action) == (admin, "update")
    assert f"{in_area} units in the area, {in_area} added, 0 removed" in marked.message
    assert marked.changes == {"codes": "74", "in_area": in_area, "added": in_area, "removed": 0}

    # `ioc units area` alone: one entry, no actor unless given.
    call_command("units", "area", "25747", stdout=StringIO())
    latest = entries.filter(object_repr="ioc units area").order_by("-pk")
    assert latest.count() == 2
    entry = latest[0]
    assert entry.actor is None and entry.actor_name == ""
    assert entry.changes["codes"] == "25747" and entry.changes["removed"] > 0
