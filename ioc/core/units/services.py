"""Changes to administrative units: merge, split, rename. Each is audited and atomic.

A change never edits a unit into another: it closes the old record(s) the day before
``effective`` (``valid_to``), opens new ones from ``effective`` (``valid_from``) and links
them with ``UnitTransition`` rows, so records kept against an old code still roll up.

Dates: a change is recorded on or after the day it takes effect, never before. A future
``effective`` is refused: closing the old units and moving their children would change
today's tree ahead of time. A back-dated change (``effective`` before today) is fine.

Children: units under a closed unit that are valid on ``effective`` move to the unit that
replaces it: the new unit of a merge, the new record of a rename, the primary part of a
split (there is no geography to share them out by; move them afterwards by hand if the
split put them elsewhere). A child keeps its code and its own history; the move is in the
audit log. Children that had ended before ``effective`` stay under the old unit, so the old
tree reads as it was. A still-open child that began *after* ``effective`` (recorded before a
back-dated change to its parent) is neither moved nor left under a closed parent: the change
is refused, so changes are recorded in the order they took effect.

Validation (``UnitChangeError``, nothing changed): ``effective`` must not be in the future
(``timezone.localdate()``), sources must be open (no ``valid_to``, not already closed or
scheduled to close), ``effective`` must fall after each source's ``valid_from``, merged
units must share one level, a merge's explicit parent must sit at the level of the sources'
parents (one level up when they have none) and be valid on ``effective``, and new codes must
not be taken by an open unit of the same level other than the ones being replaced.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from ioc.core import audit
from ioc.core.choices import AuditAction, TransitionKind, UnitLevel
from ioc.core.models import AdministrativeUnit, UnitTransition
from ioc.core.text import fold
from ioc.core.units.errors import UnitChangeError
from ioc.core.units.resolve import KINDS

if TYPE_CHECKING:
    from ioc.accounts.models import User

MANUAL_SOURCE = "manual"

__all__ = ["UnitChangeError", "merge_units", "rename_unit", "split_unit"]


# -- validation -------------------------------------------------------------------------


def _check_not_future(effective: dt.date) -> None:
    today = timezone.localdate()
    if effective > today:
        raise UnitChangeError(
            gettext_noop(
                "The effective date %(effective)s is in the future: record the change on or "
                "after the day it takes effect."
            ),
            "Ngày hiệu lực %(effective)s chưa đến: hãy ghi nhận thay đổi vào hoặc sau ngày "
            "thay đổi có hiệu lực.",
            effective=effective.isoformat(),
        )


def _valid_on(unit: AdministrativeUnit, day: dt.date) -> bool:
    return (unit.valid_from is None or unit.valid_from <= day) and (
        unit.valid_to is None or unit.valid_to >= day
    )


def _check_children(unit: AdministrativeUnit, effective: dt.date) -> None:
    """Refuse when an open child began after ``effective``: moving it would rewrite a change
    recorded as later, leaving it would put a current unit under a closed one."""
    late = (
        AdministrativeUnit.objects.filter(
            parent=unit, valid_to__isnull=True, valid_from__gt=effective
        )
        .order_by("valid_from", "code")
        .first()
    )
    if late is not None:
        assert late.valid_from is not None
        raise UnitChangeError(
            gettext_noop(
                "%(child)s, under %(unit)s, began on %(start)s, after the effective date "
                "%(effective)s: record changes in the order they took effect."
            ),
            "%(child)s, thuộc %(unit)s, bắt đầu từ ngày %(start)s, sau ngày hiệu lực "
            "%(effective)s: hãy ghi nhận các thay đổi theo đúng thứ tự có hiệu lực.",
            child=str(late),
            unit=str(unit),
            start=late.valid_from.isoformat(),
            effective=effective.isoformat(),
        )


def _check_parent(
    parent: AdministrativeUnit, expected_level: int, effective: dt.date
) -> AdministrativeUnit:
    """The merged unit's explicit parent, fresh and locked, after checking it fits."""
    fresh = AdministrativeUnit.objects.select_for_update().get(pk=parent.pk)
    if fresh.level != expected_level:
        raise UnitChangeError(
            gettext_noop(
                "%(parent)s cannot be the parent: the merged unit's parent must be of level "
                "%(expected)s, not %(level)s."
            ),
            "%(parent)s không thể là đơn vị cấp trên: đơn vị cấp trên của đơn vị sau sáp "
            "nhập phải ở cấp %(expected)s, không phải cấp %(level)s.",
            parent=str(fresh),
            expected=expected_level,
            level=fresh.level,
        )
    if not _valid_on(fresh, effective):
        raise UnitChangeError(
            gettext_noop(
                "%(parent)s is not valid on %(effective)s, so it cannot be the parent of the "
                "merged unit."
            ),
            "%(parent)s không có hiệu lực vào ngày %(effective)s nên không thể là đơn vị cấp "
            "trên của đơn vị sau sáp nhập.",
            parent=str(fresh),
            effective=effective.isoformat(),
        )
    return fresh


def _check_open(unit: AdministrativeUnit, effective: dt.date) -> None:
    if unit.valid_to is not None:
        raise UnitChangeError(
            gettext_noop("%(unit)s is no longer valid (it ended on %(end)s)."),
            "%(unit)s không còn hiệu lực (đã kết thúc ngày %(end)s).",
            unit=str(unit),
            end=unit.valid_to.isoformat(),
        )
    if unit.valid_from is not None and effective <= unit.valid_from:
        raise UnitChangeError(
            gettext_noop(
                "The effective date %(effective)s must be after %(unit)s began (%(start)s)."
            ),
            "Ngày hiệu lực %(effective)s phải sau ngày %(unit)s bắt đầu (%(start)s).",
            effective=effective.isoformat(),
            unit=str(unit),
            start=unit.valid_from.isoformat(),
        )


def _check_name(name: str) -> str:
    name = unicodedata.normalize("NFC", " ".join((name or "").split()))
    if not name:
        raise UnitChangeError(gettext_noop("The new name is empty."), "Tên mới đang để trống.")
    return name


def _check_code_free(code: str, level: int, replaced: Sequence[AdministrativeUnit]) -> str:
    code = (code or "").strip()
    if not code:
        raise UnitChangeError(gettext_noop("The new code is empty."), "Mã mới đang để trống.")
    taken = (
        AdministrativeUnit.objects.filter(code=code, level=level, valid_to__isnull=True)
        .exclude(pk__in=[u.pk for u in replaced])
        .first()
    )
    if taken is not None:
        raise UnitChangeError(
            gettext_noop("The code %(code)s is already used by %(unit)s."),
            "Mã %(code)s đang được dùng cho %(unit)s.",
            code=code,
            unit=str(taken),
        )
    return code


def _lock(units: Sequence[AdministrativeUnit]) -> list[AdministrativeUnit]:
    """Fresh copies, locked for the transaction (another change may have closed them)."""
    fresh = AdministrativeUnit.objects.select_for_update().in_bulk([u.pk for u in units])
    return [fresh[u.pk] for u in units]


def _kind_of(name: str, default: str) -> str:
    """The kind a name states ("Thị xã Bến Cát" -> "thị xã"), else ``default``."""
    folded = fold(name)
    for kind in KINDS:
        if folded.startswith(kind + " "):
            return name[: len(kind)].lower()
    return default


# -- writes -----------------------------------------------------------------------------


def _close(unit: AdministrativeUnit, effective: dt.date, actor: User | None, why: str) -> None:
    before = audit.snapshot(unit, ["valid_to"])
    unit.valid_to = effective - dt.timedelta(days=1)
    unit.save(update_fields=["valid_to"])
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=unit,
        changes=audit.diff(before, audit.snapshot(unit, ["valid_to"])),
        message=why,
    )


def _open(actor: User | None, why: str, **fields: Any) -> AdministrativeUnit:
    unit = AdministrativeUnit(source=MANUAL_SOURCE, **fields)
    unit.name_folded = fold(unit.name)
    try:
        unit.full_clean(validate_unique=True, validate_constraints=True)
    except ValidationError as exc:
        problems = "; ".join(
            f"{field}: {' '.join(str(m) for m in messages)}"
            for field, messages in exc.message_dict.items()
        )
        raise UnitChangeError(
            gettext_noop("The new unit is not valid: %(problems)s"),
            "Đơn vị mới không hợp lệ: %(problems)s",
            problems=problems,
        ) from None
    unit.save()
    audit.record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=unit,
        changes={k: [None, v] for k, v in audit.snapshot(unit).items() if v not in (None, "")},
        message=why,
    )
    return unit


def _link(
    kind: str,
    source: AdministrativeUnit,
    target: AdministrativeUnit,
    effective: dt.date,
    basis: str,
    weight: float = 1.0,
    is_primary: bool = True,
) -> UnitTransition:
    return UnitTransition.objects.create(
        kind=kind,
        source=source,
        target=target,
        effective=effective,
        weight=weight,
        is_primary=is_primary,
        basis=basis[:200],
    )


def _move_children(
    old: AdministrativeUnit,
    new: AdministrativeUnit,
    effective: dt.date,
    actor: User | None,
    why: str,
) -> list[int]:
    """Move the children valid on ``effective`` (``_check_children`` ran before)."""
    children = list(
        AdministrativeUnit.objects.filter(parent=old)
        .valid_on(effective)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if children:
        AdministrativeUnit.objects.filter(id__in=children).update(parent=new)
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=new,
            changes={"children_moved": {"from": old.pk, "ids": children}},
            message=why,
        )
    return children


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def merge_units(
    *,
    actor: User | None,
    sources: Sequence[AdministrativeUnit],
    into_name: str,
    into_code: str,
    effective: dt.date,
    basis: str = "",
    parent: AdministrativeUnit | None = None,
) -> AdministrativeUnit:
    """Merge ``sources`` (two or more open units of one level) into a new unit.

    The new unit takes ``into_code`` (it may be one of the sources' codes) and
    ``into_name``, valid from ``effective``; the sources close the day before, each with a
    whole (weight 1) merge transition to it. Its parent is the sources' common parent, or
    ``parent`` when they differ (required then). An explicit ``parent`` must be of the
    level the sources' parents have (a commune of today's tree sits under a province; one
    level up when the sources have no parent) and valid on ``effective``. It is in the area
    when any source was.
    """
    if len({u.pk for u in sources}) < 2:
        raise UnitChangeError(
            gettext_noop("A merge needs at least two different units."),
            "Sáp nhập cần ít nhất hai đơn vị khác nhau.",
        )
    name = _check_name(into_name)
    _check_not_future(effective)
    with transaction.atomic():
        units = _lock(list({u.pk: u for u in sources}.values()))
        levels = {u.level for u in units}
        if len(levels) != 1:
            raise UnitChangeError(
                gettext_noop("Only units of the same level can be merged."),
                "Chỉ sáp nhập được các đơn vị cùng cấp.",
            )
        for u in units:
            _check_open(u, effective)
        level = levels.pop()
        code = _check_code_free(into_code, level, units)
        parents = {u.parent_id for u in units}
        if parent is None:
            if len(parents) != 1:
                raise UnitChangeError(
                    gettext_noop(
                        "The units have different parents: say which one the merged unit has."
                    ),
                    "Các đơn vị thuộc các đơn vị cấp trên khác nhau: cần chỉ rõ đơn vị cấp trên "
                    "của đơn vị sau sáp nhập.",
                )
            parent_id = parents.pop()
        else:
            parent_levels = set(
                AdministrativeUnit.objects.filter(
                    pk__in=[p for p in parents if p is not None]
                ).values_list("level", flat=True)
            )
            expected = parent_levels.pop() if len(parent_levels) == 1 else level - 1
            if expected < UnitLevel.PROVINCE:
                raise UnitChangeError(
                    gettext_noop("Provinces have no parent: leave the parent out."),
                    "Đơn vị cấp tỉnh không có đơn vị cấp trên: bỏ đơn vị cấp trên ra.",
                )
            parent_id = _check_parent(parent, expected, effective).pk
        for u in units:
            _check_children(u, effective)
        kinds = {u.kind for u in units}
        areas = [u.area_km2 for u in units]
        names = ", ".join(str(u) for u in units)
        why = f"merge: {names} -> {name} ({code}) from {effective.isoformat()}"
        target = _open(
            actor,
            why,
            code=code,
            name=name,
            level=level,
            kind=_kind_of(name, kinds.pop() if len(kinds) == 1 else ""),
            parent_id=parent_id,
            valid_from=effective,
            in_area=any(u.in_area for u in units),
            latitude=_mean([u.latitude for u in units]),
            longitude=_mean([u.longitude for u in units]),
            area_km2=sum(a for a in areas if a is not None) if None not in areas else None,
        )
        for u in units:
            _close(u, effective, actor, why)
            _link(TransitionKind.MERGE, u, target, effective, basis)
            _move_children(u, target, effective, actor, why)
    return target


def split_unit(
    *,
    actor: User | None,
    source: AdministrativeUnit,
    parts: Sequence[tuple[str, str, float]],
    primary_code: str,
    effective: dt.date,
    basis: str = "",
) -> list[AdministrativeUnit]:
    """Split ``source`` into ``parts``: (code, name, weight), weights summing to 1.

    Each part is a new unit under the source's parent, valid from ``effective``, linked by a
    split transition with its weight; the part coded ``primary_code`` is the primary
    successor (where records that cannot be shared go, and where the children move).
    """
    if len(parts) < 2:
        raise UnitChangeError(
            gettext_noop("A split needs at least two parts."),
            "Chia tách cần ít nhất hai phần.",
        )
    codes = [(code or "").strip() for code, _, _ in parts]
    if len(set(codes)) != len(codes):
        raise UnitChangeError(
            gettext_noop("Each part needs its own code."),
            "Mỗi phần cần một mã riêng.",
        )
    primary_code = (primary_code or "").strip()
    if primary_code not in codes:
        raise UnitChangeError(
            gettext_noop("The primary part %(code)s is not one of the parts."),
            "Phần chính %(code)s không nằm trong các phần.",
            code=primary_code,
        )
    weights = [float(w) for _, _, w in parts]
    if any(not math.isfinite(w) or w <= 0 for w in weights) or abs(sum(weights) - 1) > 0.001:
        raise UnitChangeError(
            gettext_noop("The shares must be positive and add up to 1 (they add up to %(sum)s)."),
            "Tỷ lệ các phần phải dương và cộng lại bằng 1 (đang là %(sum)s).",
            sum=f"{sum(weights):g}",
        )
    names = [_check_name(name) for _, name, _ in parts]
    _check_not_future(effective)
    with transaction.atomic():
        (unit,) = _lock([source])
        _check_open(unit, effective)
        _check_children(unit, effective)
        for code in codes:
            _check_code_free(code, unit.level, [unit])
        why = (
            f"split: {unit} -> "
            + ", ".join(f"{n} ({c}) {w:g}" for c, n, w in zip(codes, names, weights, strict=True))
            + f" from {effective.isoformat()}"
        )
        created: list[AdministrativeUnit] = []
        for code, name, weight in zip(codes, names, weights, strict=True):
            part = _open(
                actor,
                why,
                code=code,
                name=name,
                level=unit.level,
                kind=_kind_of(name, unit.kind),
                parent_id=unit.parent_id,
                valid_from=effective,
                in_area=unit.in_area,
                latitude=unit.latitude,
                longitude=unit.longitude,
                area_km2=unit.area_km2 * weight if unit.area_km2 is not None else None,
            )
            created.append(part)
        _close(unit, effective, actor, why)
        for part, weight in zip(created, weights, strict=True):
            is_primary = part.code == primary_code
            _link(TransitionKind.SPLIT, unit, part, effective, basis, weight, is_primary)
            if is_primary:
                _move_children(unit, part, effective, actor, why)
    return created


def rename_unit(
    *,
    actor: User | None,
    unit: AdministrativeUnit,
    new_name: str,
    effective: dt.date,
    basis: str = "",
) -> AdministrativeUnit:
    """Rename ``unit`` from ``effective``: the old record closes, a new one with the same
    code, level and parent opens under the new name (its kind follows the name when the name
    states one, e.g. "Huyện X" -> "Thị xã X"), linked by a rename transition."""
    name = _check_name(new_name)
    _check_not_future(effective)
    with transaction.atomic():
        (old,) = _lock([unit])
        _check_open(old, effective)
        _check_children(old, effective)
        if name == old.name:
            raise UnitChangeError(
                gettext_noop("%(unit)s already has that name."),
                "%(unit)s đã mang tên này.",
                unit=str(old),
            )
        why = f"rename: {old} -> {name} from {effective.isoformat()}"
        _close(old, effective, actor, why)
        new = _open(
            actor,
            why,
            code=old.code,
            name=name,
            short_name="",
            level=old.level,
            kind=_kind_of(name, old.kind),
            parent_id=old.parent_id,
            valid_from=effective,
            in_area=old.in_area,
            latitude=old.latitude,
            longitude=old.longitude,
            area_km2=old.area_km2,
        )
        _link(TransitionKind.RENAME, old, new, effective, basis)
        _move_children(old, new, effective, actor, why)
    return new
