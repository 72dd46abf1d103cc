"""Load Vietnam's administrative units, both trees and the 2025 transitions, from a source.

A *source* gives plain records (``UnitRecord``, ``TransitionRecord``) for the tree before a
reorganisation, the tree after it, and the transitions between the two. ``load_units`` turns
them into ``AdministrativeUnit`` and ``UnitTransition`` rows; it knows nothing about where the
records came from, so another source (the General Statistics Office's list, a province's own
file) can replace ``VietnamAdminUnitsSource`` without touching it.

Rules, for a reorganisation effective on day E (1 July 2025 for the default source):

* Units of the old tree are valid until E - 1; units of the new tree are valid from E.
  Identity is (code, level, valid_from): codes are reused across trees (a new ward often
  keeps one predecessor's code; new Lào Cai took old Yên Bái's 15), so a code alone names
  nothing.
* A province present in both trees with the same code and the same name (Hồ Chí Minh City
  79, Hà Nội 01) continued: it is ONE record, with no dates, parent of both its old districts
  and its new communes. A transition that would link it to itself is dropped.
* Everything else is linked by the source's transitions (merge, split with weights,
  abolition of the district level).

The load is idempotent: existing rows are matched by identity and only rows whose values
differ are written. On an existing row the loader refreshes descriptive fields (name, short
name, kind, coordinates, area, source) and fills a missing parent; it never changes validity
dates, an existing parent or ``in_area``: once a row exists, those belong to its history
(``services``) and to the area (``area.refresh_area``). Transitions the source no longer
gives are not deleted.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction

from ioc.core import audit
from ioc.core.choices import AuditAction, TransitionKind, UnitLevel
from ioc.core.models import AdministrativeUnit, UnitTransition
from ioc.core.text import fold

if TYPE_CHECKING:
    from ioc.accounts.models import User

Progress = Callable[[int, int, str], None]
"""progress(done, total, stage): called as the load advances."""

# The legal bases of the 2025 reorganisation, recorded on each transition.
BASIS_COMMUNES = "Nghị quyết của UBTVQH về sắp xếp ĐVHC cấp xã năm 2025"
BASIS_PROVINCES = "Nghị quyết số 202/2025/QH15 của Quốc hội về sắp xếp ĐVHC cấp tỉnh"
BASIS_DISTRICTS = "Luật Tổ chức chính quyền địa phương năm 2025 (không tổ chức cấp huyện)"

BATCH = 500


@dataclass(frozen=True)
class UnitRecord:
    """One unit of one tree. ``(level, code)`` is unique within a tree."""

    code: str
    level: int
    name: str
    short_name: str = ""
    kind: str = ""
    parent: tuple[int, str] | None = None  # the parent's (level, code) in the same tree
    latitude: float | None = None
    longitude: float | None = None
    area_km2: float | None = None


@dataclass(frozen=True)
class TransitionRecord:
    """``source`` (old tree) became, whole or in part, ``target`` (new tree); (level, code)."""

    kind: str
    source: tuple[int, str]
    target: tuple[int, str]
    weight: float = 1.0
    is_primary: bool = True
    basis: str = ""


class UnitSource:
    """Where units come from. Subclass it and implement the three generators.

    ``effective`` is the first day of the new tree; ``label`` is stored in each row's
    ``source``. Records must come parents first (provinces, then districts, then communes).
    """

    label: str = ""
    effective: dt.date = dt.date(2025, 7, 1)

    def old_units(self) -> Iterable[UnitRecord]:
        raise NotImplementedError

    def new_units(self) -> Iterable[UnitRecord]:
        raise NotImplementedError

    def transitions(self) -> Iterable[TransitionRecord]:
        raise NotImplementedError


def _kind_from_name(name: str) -> str:
    for prefix in ("Thành phố", "Tỉnh"):
        if name.startswith(prefix + " "):
            return prefix.lower()
    return ""


def _rounded(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(float(value), digits)


class VietnamAdminUnitsSource(UnitSource):
    """The data files of the PyPI package ``vietnamadminunits`` (MIT), read directly.

    ``dataset.db``: tables ``admin_units_legacy`` (the tree before 1 July 2025) and
    ``admin_units`` (the tree from then). ``converter_2025.json``: which old provinces and
    communes became which new ones, with the area of each new commune for split ones.
    """

    def __init__(self, data_dir: Path | str | None = None) -> None:
        if data_dir is None:
            import vietnamadminunits

            data_dir = Path(vietnamadminunits.__file__).parent / "data"
        self.data_dir = Path(data_dir)
        try:
            version = metadata.version("vietnamadminunits")
        except metadata.PackageNotFoundError:  # pragma: no cover - data dir given by hand
            version = "?"
        self.label = f"vietnamadminunits {version}"
        self._old: list[dict[str, Any]] | None = None
        self._new: list[dict[str, Any]] | None = None
        self._converter: dict[str, Any] | None = None

    # -- raw data, read once -----------------------------------------------------------
    def _rows(self, table: str) -> list[dict[str, Any]]:
        db = sqlite3.connect(f"file:{self.data_dir / 'dataset.db'}?mode=ro", uri=True)
        try:
            db.row_factory = sqlite3.Row
            # The table name is one of two constants below, never input.
            cursor = db.execute(f"SELECT * FROM {table}")  # noqa: S608
            return [dict(row) for row in cursor]
        finally:
            db.close()

    @property
    def old_rows(self) -> list[dict[str, Any]]:
        if self._old is None:
            self._old = self._rows("admin_units_legacy")
        return self._old

    @property
    def new_rows(self) -> list[dict[str, Any]]:
        if self._new is None:
            self._new = self._rows("admin_units")
        return self._new

    @property
    def converter(self) -> dict[str, Any]:
        if self._converter is None:
            path = self.data_dir / "converter_2025.json"
            self._converter = json.loads(path.read_text(encoding="utf-8"))
        return self._converter

    # -- records -------------------------------------------------------------------------
    def old_units(self) -> Iterator[UnitRecord]:
        provinces: dict[str, UnitRecord] = {}
        districts: dict[str, UnitRecord] = {}
        communes: list[UnitRecord] = []
        for r in self.old_rows:
            pcode, dcode = r["provinceCode"], r["districtCode"]
            if pcode not in provinces:
                provinces[pcode] = UnitRecord(
                    code=pcode,
                    level=UnitLevel.PROVINCE,
                    name=r["province"],
                    short_name=r["provinceShort"] or "",
                    kind=_kind_from_name(r["province"]),
                    latitude=_rounded(r["provinceLat"]),
                    longitude=_rounded(r["provinceLon"]),
                )
            if dcode not in districts:
                districts[dcode] = UnitRecord(
                    code=dcode,
                    level=UnitLevel.DISTRICT,
                    name=r["district"],
                    short_name=r["districtShort"] or "",
                    kind=(r["districtType"] or "").lower(),
                    parent=(UnitLevel.PROVINCE, pcode),
                    latitude=_rounded(r["districtLat"]),
                    longitude=_rounded(r["districtLon"]),
                )
            if r["wardCode"]:  # island districts (Côn Đảo, Lý Sơn, ...) had no communes
                communes.append(
                    UnitRecord(
                        code=r["wardCode"],
                        level=UnitLevel.COMMUNE,
                        name=r["ward"],
                        short_name=r["wardShort"] or "",
                        kind=(r["wardType"] or "").lower(),
                        parent=(UnitLevel.DISTRICT, dcode),
                        latitude=_rounded(r["wardLat"]),
                        longitude=_rounded(r["wardLon"]),
                    )
                )
        yield from provinces.values()
        yield from districts.values()
        yield from communes

    def new_units(self) -> Iterator[UnitRecord]:
        provinces: dict[str, dict[str, Any]] = {}
        areas: dict[str, list[float | None]] = {}
        communes: list[UnitRecord] = []
        for r in self.new_rows:
            pcode = r["provinceCode"]
            provinces.setdefault(pcode, r)
            areas.setdefault(pcode, []).append(r["wardAreaKm2"])
            communes.append(
                UnitRecord(
                    code=r["wardCode"],
                    level=UnitLevel.COMMUNE,
                    name=r["ward"],
                    short_name=r["wardShort"] or "",
                    kind=(r["wardType"] or "").lower(),
                    parent=(UnitLevel.PROVINCE, pcode),
                    latitude=_rounded(r["wardLat"]),
                    longitude=_rounded(r["wardLon"]),
                    area_km2=_rounded(r["wardAreaKm2"], 3),
                )
            )
        for pcode, r in provinces.items():
            ward_areas = areas[pcode]
            total = (
                _rounded(sum(a for a in ward_areas if a is not None), 2)
                if all(a is not None for a in ward_areas)
                else None
            )
            yield UnitRecord(
                code=pcode,
                level=UnitLevel.PROVINCE,
                name=r["province"],
                short_name=r["provinceShort"] or "",
                kind=_kind_from_name(r["province"]),
                latitude=_rounded(r["provinceLat"]),
                longitude=_rounded(r["provinceLon"]),
                area_km2=total,
            )
        yield from communes

    def transitions(self) -> Iterator[TransitionRecord]:
        conv = self.converter
        old_province = {r["provinceKey"]: r["provinceCode"] for r in self.old_rows}
        old_district = {
            f"{r['provinceKey']}_{r['districtKey']}": r["districtCode"] for r in self.old_rows
        }
        old_commune = {
            f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}": r["wardCode"]
            for r in self.old_rows
            if r["wardCode"]
        }
        new_province = {r["provinceKey"]: r["provinceCode"] for r in self.new_rows}
        # New communes' keys are unique only within their province.
        new_commune = {(r["provinceKey"], r["wardKey"]): r["wardCode"] for r in self.new_rows}
        P, D, C = UnitLevel.PROVINCE, UnitLevel.DISTRICT, UnitLevel.COMMUNE

        successor_province: dict[str, str] = {}  # old province code -> new province code
        for new_key, old_keys in conv["DICT_PROVINCE"].items():
            for old_key in old_keys:
                successor_province[old_province[old_key]] = new_province[new_key]
                yield TransitionRecord(
                    TransitionKind.MERGE,
                    (P, old_province[old_key]),
                    (P, new_province[new_key]),
                    basis=BASIS_PROVINCES,
                )

        # Communes that went whole into one new commune; an island district without
        # communes appears as "province_district_" and became a special zone (đặc khu).
        district_became_commune: set[str] = set()
        for new_pkey, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
            for new_wkey, old_keys in wards.items():
                target = (C, new_commune[(new_pkey, new_wkey)])
                for old_key in old_keys:
                    if old_key.endswith("_"):
                        dcode = old_district[old_key[:-1]]
                        district_became_commune.add(dcode)
                        source = (D, dcode)
                    else:
                        source = (C, old_commune[old_key])
                    yield TransitionRecord(
                        TransitionKind.MERGE, source, target, basis=BASIS_COMMUNES
                    )

        # Communes shared out over several new ones. The data gives each new commune's whole
        # area, not the part taken from the old one, so the weight is that area's share
        # among the receiving communes: an estimate, stated as such in the docs.
        for new_pkey, splits in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
            for old_key, parts in splits.items():
                areas = [p.get("newWardAreaKm2") for p in parts]
                known = all(a is not None and a > 0 for a in areas)
                total = sum(a for a in areas if a is not None) if known else 0.0
                for part, area in zip(parts, areas, strict=True):
                    weight = (area / total) if known and total and area else 1.0 / len(parts)
                    yield TransitionRecord(
                        TransitionKind.SPLIT,
                        (C, old_commune[old_key]),
                        (C, new_commune[(new_pkey, part["newWardKey"])]),
                        weight=round(weight, 6),
                        is_primary=bool(part.get("isDefaultNewWard")),
                        basis=BASIS_COMMUNES,
                    )

        # The district level was abolished: its records roll up to the new province.
        seen: set[str] = set()
        for r in self.old_rows:
            dcode = r["districtCode"]
            if dcode in seen or dcode in district_became_commune:
                continue
            seen.add(dcode)
            yield TransitionRecord(
                TransitionKind.ABOLISH,
                (D, dcode),
                (P, successor_province[r["provinceCode"]]),
                basis=BASIS_DISTRICTS,
            )


# ---------------------------------------------------------------------------------------
# The loader
# ---------------------------------------------------------------------------------------

Identity = tuple[str, int, dt.date | None]  # (code, level, valid_from)
TreeKey = tuple[str, int, str]  # ("old" | "new", level, code)

UNIT_FIELDS = (
    "name",
    "short_name",
    "name_folded",
    "kind",
    "latitude",
    "longitude",
    "area_km2",
    "source",
)
TRANSITION_FIELDS = ("kind", "effective", "weight", "is_primary", "basis")


@dataclass
class _Plan:
    """One row to be: its identity, the values it must have, its end date if new."""

    identity: Identity
    level: int
    values: dict[str, Any]
    valid_to: dt.date | None
    parent: Identity | None


def _province_of(records: list[UnitRecord]) -> dict[tuple[int, str], str]:
    """(level, code) -> the code of the province the record belongs to, in one tree."""
    by_key = {(r.level, r.code): r for r in records}
    out: dict[tuple[int, str], str] = {}
    for r in records:
        node = r
        for _ in range(4):
            if node.parent is None:
                break
            parent = by_key.get(node.parent)
            if parent is None:
                break
            node = parent
        out[(r.level, r.code)] = node.code
    return out


def _values(r: UnitRecord, label: str) -> dict[str, Any]:
    return {
        "name": r.name,
        "short_name": r.short_name,
        "name_folded": fold(r.name),
        "kind": r.kind,
        "latitude": r.latitude,
        "longitude": r.longitude,
        "area_km2": r.area_km2,
        "source": label[:80],
    }


def _chunks(items: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def load_units(
    source: UnitSource | None = None,
    *,
    provinces: Iterable[str] | None = None,
    progress: Progress | None = None,
    actor: User | None = None,
) -> dict[str, int]:
    """Load (or refresh) both trees and their transitions; idempotent.

    ``provinces`` limits the load to the provinces with these codes, in the old tree or the
    new one (e.g. ``["74", "79"]``: old Bình Dương, and Hồ Chí Minh City in both trees);
    a transition is loaded when both ends are, in this run or an earlier one: loading 74,
    then 79, gives the same rows as loading both at once. Returns counts of what was read
    and written. One summary entry goes to the audit log, with ``actor`` (None: the system).
    """
    source = source or VietnamAdminUnitsSource()
    effective = source.effective
    old_end = effective - dt.timedelta(days=1)
    label = source.label

    old = list(source.old_units())
    new = list(source.new_units())
    wanted: set[str] | None = None
    if provinces is not None:
        wanted = set(provinces)
        old_prov, new_prov = _province_of(old), _province_of(new)
        old = [r for r in old if old_prov[(r.level, r.code)] in wanted]
        new = [r for r in new if new_prov[(r.level, r.code)] in wanted]

    new_provinces = {r.code: r for r in new if r.level == UnitLevel.PROVINCE}
    continuing = {
        r.code
        for r in old
        if r.level == UnitLevel.PROVINCE
        and r.code in new_provinces
        and fold(new_provinces[r.code].name) == fold(r.name)
    }

    # -- plan the rows -----------------------------------------------------------------
    plans: dict[Identity, _Plan] = {}
    key_to_identity: dict[TreeKey, Identity] = {}

    def identity_of(tree: str, level: int, code: str) -> Identity:
        if level == UnitLevel.PROVINCE and code in continuing:
            return (code, level, None)
        return (code, level, None if tree == "old" else effective)

    for tree, records in (("old", old), ("new", new)):
        for r in records:
            ident = identity_of(tree, r.level, r.code)
            parent = identity_of(tree, *r.parent) if r.parent is not None else None
            plan = plans.get(ident)
            if plan is None:
                is_continuing = r.level == UnitLevel.PROVINCE and r.code in continuing
                plans[ident] = plan = _Plan(
                    identity=ident,
                    level=r.level,
                    values=_values(r, label),
                    valid_to=None if tree == "new" or is_continuing else old_end,
                    parent=parent,
                )
            else:  # a continuing province: the new tree's description wins
                values = _values(r, label)
                if not values["short_name"]:
                    values["short_name"] = plan.values["short_name"]
                plan.values = values
            key_to_identity[(tree, r.level, r.code)] = ident

    transitions = list(source.transitions())
    total = len(plans) + len(transitions)
    done = 0
    counts = {
        "old_units": len(old),
        "new_units": len(new),
        "continuing_provinces": len(continuing),
        "units_created": 0,
        "units_updated": 0,
        "units_unchanged": 0,
        "transitions_created": 0,
        "transitions_updated": 0,
        "transitions_unchanged": 0,
        "transitions_skipped": 0,
    }

    def tick(n: int, stage: str) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total, stage)

    with transaction.atomic():
        ids: dict[Identity, int] = {}
        existing: dict[Identity, AdministrativeUnit] = {
            (u.code, u.level, u.valid_from): u
            for u in AdministrativeUnit.objects.only(
                "id", "code", "level", "valid_from", "valid_to", "parent_id", *UNIT_FIELDS
            )
        }

        for level in (UnitLevel.PROVINCE, UnitLevel.DISTRICT, UnitLevel.COMMUNE):
            to_create: list[AdministrativeUnit] = []
            to_update: list[AdministrativeUnit] = []
            fields_changed: set[str] = set()
            level_plans = [p for p in plans.values() if p.level == level]
            for plan in level_plans:
                parent_id = ids.get(plan.parent) if plan.parent is not None else None
                row = existing.get(plan.identity)
                if row is None:
                    code, lvl, valid_from = plan.identity
                    to_create.append(
                        AdministrativeUnit(
                            code=code,
                            level=lvl,
                            valid_from=valid_from,
                            valid_to=plan.valid_to,
                            parent_id=parent_id,
                            **plan.values,
                        )
                    )
                    continue
                changed = [k for k, v in plan.values.items() if getattr(row, k) != v]
                for k in changed:
                    setattr(row, k, plan.values[k])
                if row.parent_id is None and parent_id is not None:
                    row.parent_id = parent_id
                    changed.append("parent")
                if changed:
                    fields_changed.update(changed)
                    to_update.append(row)
                else:
                    counts["units_unchanged"] += 1
                ids[plan.identity] = row.pk
            for batch in _chunks(to_create):
                AdministrativeUnit.objects.bulk_create(batch)
                tick(len(batch), "units")
            if to_create and any(u.pk is None for u in to_create):  # no RETURNING support
                lookup = {
                    (u.code, u.level, u.valid_from): u.pk
                    for u in AdministrativeUnit.objects.filter(level=level).only(
                        "id", "code", "level", "valid_from"
                    )
                }
                for u in to_create:
                    u.pk = lookup[(u.code, u.level, u.valid_from)]
            for u in to_create:
                ids[(u.code, u.level, u.valid_from)] = u.pk
            if to_update:
                AdministrativeUnit.objects.bulk_update(
                    to_update, sorted(fields_changed), batch_size=BATCH
                )
            counts["units_created"] += len(to_create)
            counts["units_updated"] += len(to_update)
            tick(len(level_plans) - len(to_create), "units")

        # -- transitions ---------------------------------------------------------------
        def end_id(tree: str, level: int, code: str) -> int | None:
            """The row at one end of a transition: planned in this run, or else already in
            the database from an earlier run (``--provinces 74`` then ``--provinces 79``)."""
            ident = key_to_identity.get((tree, level, code))
            if ident is not None:
                return ids.get(ident)
            if tree == "old":  # the old tree's rows have no start; they end at old_end
                row = existing.get((code, level, None))
                ok = row is not None and (row.valid_to is None or row.valid_to >= old_end)
            else:  # the new tree's rows start on effective; a continuing province has no dates
                row = existing.get((code, level, effective))
                if row is None and level == UnitLevel.PROVINCE:
                    row = existing.get((code, level, None))
                ok = row is not None and (row.valid_to is None or row.valid_to >= effective)
            return row.pk if ok and row is not None else None

        wanted_edges: dict[tuple[int, int], dict[str, Any]] = {}
        for t in transitions:
            s_id = end_id("old", *t.source)
            t_id = end_id("new", *t.target)
            if s_id is None or t_id is None or s_id == t_id:
                counts["transitions_skipped"] += 1
                continue
            wanted_edges[(s_id, t_id)] = {
                "kind": str(t.kind),
                "effective": effective,
                "weight": t.weight,
                "is_primary": t.is_primary,
                "basis": t.basis[:200],
            }
        existing_edges = {(e.source_id, e.target_id): e for e in UnitTransition.objects.all()}
        new_edges: list[UnitTransition] = []
        changed_edges: list[UnitTransition] = []
        for (s_id, t_id), values in wanted_edges.items():
            edge = existing_edges.get((s_id, t_id))
            if edge is None:
                new_edges.append(UnitTransition(source_id=s_id, target_id=t_id, **values))
                continue
            diff = [k for k, v in values.items() if getattr(edge, k) != v]
            if diff:
                for k in diff:
                    setattr(edge, k, values[k])
                changed_edges.append(edge)
            else:
                counts["transitions_unchanged"] += 1
        for batch in _chunks(new_edges):
            UnitTransition.objects.bulk_create(batch)
            tick(len(batch), "transitions")
        if changed_edges:
            UnitTransition.objects.bulk_update(
                changed_edges, list(TRANSITION_FIELDS), batch_size=BATCH
            )
        counts["transitions_created"] = len(new_edges)
        counts["transitions_updated"] = len(changed_edges)
        where = f" (provinces {', '.join(sorted(wanted))})" if wanted is not None else ""
        audit.record(
            actor=actor,
            action=AuditAction.ACTION,
            object_type=AdministrativeUnit._meta.label_lower,
            object_repr="ioc units load",
            changes={"source": label, "provinces": ", ".join(sorted(wanted or ())), **counts},
            message=(
                f"units loaded from {label}{where}: "
                f"{counts['units_created']} units created, {counts['units_updated']} updated, "
                f"{counts['units_unchanged']} unchanged; "
                f"{counts['transitions_created']} transitions created, "
                f"{counts['transitions_updated']} updated, "
                f"{counts['transitions_unchanged']} unchanged, "
                f"{counts['transitions_skipped']} skipped"
            ),
        )
        tick(total - done, "transitions")
    return counts
