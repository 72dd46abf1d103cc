"""The deployment's area: which units carry ``in_area``.

The area is given as unit codes (``IOC_AREA``, default ``74``, the former Bình Dương). A unit
is in the area when:

1. its code is one of the codes (in any tree, at any level), or it descends from such a
   unit (children, grandchildren, in both trees: a province that continued across 2025,
   like Hồ Chí Minh City 79, is parent of its old districts and of its new communes);
2. it is a commune that one of those communes became, or that became one of them,
   following merges, splits and renames transitively (old Phường Phú Cường -> new Phường
   Thủ Dầu Một; and for a new-tree code, the old communes that formed it). Only
   commune-level transitions and renames are followed: a province or district that the
   area merged into (74 -> 79, district 718 -> 79) does not bring its whole territory in;
3. it is an ancestor of a unit in the area, so the tree renders: Hồ Chí Minh City is in
   the area of 74 as the parent of the new wards formed from Bình Dương's communes, but
   its other communes and districts are not (no siblings).

Run ``refresh_area`` after loading or changing units; ``ioc units area`` does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from ioc.core import audit
from ioc.core.choices import AuditAction, TransitionKind, UnitLevel
from ioc.core.models import AdministrativeUnit, UnitTransition

if TYPE_CHECKING:
    from ioc.accounts.models import User

BATCH = 500


def area_unit_ids(codes: Iterable[str]) -> set[int]:
    """The ids of the units in the area named by ``codes`` (rules in the module's doc)."""
    wanted = {c.strip() for c in codes if c and c.strip()}
    rows = list(AdministrativeUnit.objects.values_list("id", "code", "level", "parent_id"))
    level = {pk: lvl for pk, _, lvl, _ in rows}
    parent = {pk: par for pk, _, _, par in rows}
    children: dict[int, list[int]] = defaultdict(list)
    for pk, _, _, par in rows:
        if par is not None:
            children[par].append(pk)

    # 1. the units named, and everything under them
    area = {pk for pk, code, _, _ in rows if code in wanted}
    stack = list(area)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in area:
                area.add(child)
                stack.append(child)

    # 2. what the communes became and came from, transitively, one direction at a time
    forward: dict[int, list[int]] = defaultdict(list)
    backward: dict[int, list[int]] = defaultdict(list)
    for src, dst, kind in UnitTransition.objects.values_list("source_id", "target_id", "kind"):
        same_commune = level[src] == UnitLevel.COMMUNE and level[dst] == UnitLevel.COMMUNE
        if same_commune or kind == TransitionKind.RENAME:
            forward[src].append(dst)
            backward[dst].append(src)
    linked: set[int] = set()
    for edges in (forward, backward):
        stack = [pk for pk in area if pk in edges]
        seen: set[int] = set(stack)
        while stack:
            for nxt in edges.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        linked |= seen
    area |= linked
    # A renamed unit brings its children (moved to the new record) along.
    stack = list(linked)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in area:
                area.add(child)
                stack.append(child)

    # 3. ancestors, for context
    for pk in list(area):
        node = parent.get(pk)
        while node is not None and node not in area:
            area.add(node)
            node = parent.get(node)
    return area


def refresh_area(codes: Iterable[str] | None = None, *, actor: User | None = None) -> int:
    """Set ``in_area`` on exactly the units of the area; returns how many are in it.

    ``codes`` defaults to ``settings.IOC_AREA``. Only rows whose flag changes are written.
    One summary entry goes to the audit log (``actor`` None: the system), with the codes
    and how many units came in and went out.
    """
    wanted = [c.strip() for c in (settings.IOC_AREA if codes is None else codes) if c.strip()]
    area = area_unit_ids(wanted)
    flagged = set(AdministrativeUnit.objects.filter(in_area=True).values_list("id", flat=True))
    added, removed = sorted(area - flagged), sorted(flagged - area)
    with transaction.atomic():
        for value, ids in ((True, added), (False, removed)):
            for i in range(0, len(ids), BATCH):
                AdministrativeUnit.objects.filter(id__in=ids[i : i + BATCH]).update(in_area=value)
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type=AdministrativeUnit._meta.label_lower,
            object_repr="ioc units area",
            changes={
                "codes": ", ".join(wanted),
                "in_area": len(area),
                "added": len(added),
                "removed": len(removed),
            },
            message=(
                f"area set to {', '.join(wanted)}: {len(area)} units in the area, "
                f"{len(added)} added, {len(removed)} removed"
            ),
        )
    return len(area)
