"""Find units: by code on a date, by what they became, and by a name as people write it.

resolve_code("25747")                      # the old Phú Cường ward and the new Thủ Dầu Một
resolve_code("25747", on=date(2025, 1, 1)) # only the old one
current_successors(old_phu_cuong)          # [(Phường Thủ Dầu Một, 1.0)]
rollup_map()                               # {old unit id: primary current unit id}
match_unit_name("P. Phú Cường")            # [Phường Phú Cường, ...] best first
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import F, Q
from django.utils import timezone

from ioc.core.models import AdministrativeUnit, UnitQuerySet, UnitTransition
from ioc.core.text import fold

MAX_DEPTH = 20  # transitions followed in a chain; history is never that deep
CANDIDATES = 300  # units a name query looks at before ranking
MAX_QUERY_LENGTH = 200  # characters of a name query read; the rest is ignored
MAX_CONTEXT_PARTS = 3  # places after commas read ("ward, district, province, ..."): the first 3


def _today() -> dt.date:
    return timezone.localdate()


def _valid(unit: AdministrativeUnit, day: dt.date) -> bool:
    return (unit.valid_from is None or unit.valid_from <= day) and (
        unit.valid_to is None or unit.valid_to >= day
    )


def resolve_code(code: str, on: dt.date | None = None) -> list[AdministrativeUnit]:
    """The unit(s) with this code: valid on ``on``, or all of them (any level, any time).

    Current units come first, then the most recent.
    """
    qs: UnitQuerySet = AdministrativeUnit.objects.filter(code=code.strip())
    if on is not None:
        qs = qs.valid_on(on)
    units = list(qs.select_related("parent"))
    far_future, far_past = dt.date.max, dt.date.min
    units.sort(
        key=lambda u: (
            u.level,
            u.valid_to is not None,
            -(u.valid_to or far_future).toordinal(),
            -(u.valid_from or far_past).toordinal(),
        )
    )
    return units


def current_successors(
    unit: AdministrativeUnit, on: dt.date | None = None
) -> list[tuple[AdministrativeUnit, float]]:
    """The units valid on ``on`` (default today) that ``unit`` became, with its share in each.

    Transitions are followed transitively and their weights multiplied: a ward split 60/40
    whose first part later merged into another ward gives [(that ward, 0.6), (part 2, 0.4)].
    A unit valid on the day is its own successor, with share 1.
    """
    day = on or _today()
    if _valid(unit, day):
        return [(unit, 1.0)]
    shares: dict[int, float] = defaultdict(float)
    frontier: dict[int, float] = {unit.pk: 1.0}
    seen = {unit.pk}
    found: dict[int, AdministrativeUnit] = {}
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        edges = list(UnitTransition.objects.filter(source_id__in=frontier).select_related("target"))
        nxt: dict[int, float] = defaultdict(float)
        for edge in edges:
            share = frontier[edge.source_id] * edge.weight
            target = edge.target
            if _valid(target, day):
                shares[target.pk] += share
                found[target.pk] = target
            elif target.pk not in seen:
                nxt[target.pk] += share
        seen.update(nxt)
        frontier = nxt
    result = [(found[pk], round(share, 6)) for pk, share in shares.items()]
    result.sort(key=lambda pair: (-pair[1], pair[0].code))
    return result


def rollup_map(on: dt.date | None = None) -> dict[int, int]:
    """{unit id: id of its primary successor valid on ``on``} for units not valid that day.

    Records kept against an old unit roll up with ``rollup.get(unit_id, unit_id)``. The
    chain follows each unit's primary transition (the one marked primary, else the largest
    share); a unit whose chain ends nowhere valid is left out.
    """
    day = on or _today()
    validity = {
        pk: (vf, vt)
        for pk, vf, vt in AdministrativeUnit.objects.values_list("id", "valid_from", "valid_to")
    }

    def valid(pk: int) -> bool:
        vf, vt = validity[pk]
        return (vf is None or vf <= day) and (vt is None or vt >= day)

    best: dict[int, tuple[bool, float, int]] = {}
    for src, dst, weight, primary in UnitTransition.objects.values_list(
        "source_id", "target_id", "weight", "is_primary"
    ):
        rank = (primary, weight, -dst)
        current = best.get(src)
        if current is None or rank > (current[0], current[1], -current[2]):
            best[src] = (primary, weight, dst)

    out: dict[int, int] = {}
    for pk in best:
        if valid(pk):
            continue
        node, steps = pk, 0
        while node in best and not valid(node) and steps < MAX_DEPTH:
            node = best[node][2]
            steps += 1
        if valid(node):
            out[pk] = node
    return out


# ---------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------

# Kinds of unit, folded, with the levels they name; longest first so "thi xa" wins over "xa".
KINDS: dict[str, tuple[int, ...]] = {
    "thanh pho": (1, 2),
    "thi tran": (3,),
    "dac khu": (3,),
    "thi xa": (2,),
    "phuong": (3,),
    "huyen": (2,),
    "quan": (2,),
    "tinh": (1,),
    "xa": (3,),
}
# Abbreviations as written on forms and envelopes: "P.", "Q.1", "TX", "TP.", "H.", ...
ABBREVIATIONS = {
    "tp": "thanh pho",
    "tx": "thi xa",
    "tt": "thi tran",
    "dk": "dac khu",
    "p": "phuong",
    "q": "quan",
    "x": "xa",
    "h": "huyen",
    "t": "tinh",
}
_WORD = re.compile(r"[0-9a-z]+")


@dataclass(frozen=True)
class ParsedName:
    """A name split into its kind ("phuong"), if it starts with one, and the rest."""

    kind: str | None
    bare: str


def _words(text: str) -> list[str]:
    # "Q.01" -> ["q", "1"]: numbers lose leading zeros so "Phường 01" finds "Phường 1".
    return [(w.lstrip("0") or "0") if w.isdigit() else w for w in _WORD.findall(fold(text))]


def parse_name(text: str) -> list[ParsedName]:
    """The readings of a name: with its kind prefix (expanded), and as a bare name.

    "TP. Thủ Dầu Một" -> [("thanh pho", "thu dau mot"), (None, "tp thu dau mot")]
    """
    words = _words(text)
    readings: list[ParsedName] = []
    if len(words) >= 2 and words[0] in ABBREVIATIONS:
        readings.append(ParsedName(ABBREVIATIONS[words[0]], " ".join(words[1:])))
    for kind in KINDS:
        n = kind.count(" ") + 1
        if len(words) > n and " ".join(words[:n]) == kind:
            readings.append(ParsedName(kind, " ".join(words[n:])))
            break
    if words:
        readings.append(ParsedName(None, " ".join(words)))
    return readings


def unit_bare_name(unit: AdministrativeUnit) -> str:
    """The unit's name without its kind, folded: "Phường Phú Cường" -> "phu cuong"."""
    words = _words(unit.name)
    for kind in (fold(unit.kind), *KINDS):
        n = kind.count(" ") + 1
        if kind and len(words) > n and " ".join(words[:n]) == kind:
            return " ".join(words[n:])
    return " ".join(words)


def expand_query(text: str) -> str:
    """A search box's text, folded, with a leading abbreviation written out."""
    readings = parse_name(text)
    if readings and readings[0].kind is not None:
        return f"{readings[0].kind} {readings[0].bare}"
    return " ".join(_words(text))


def search_units(queryset: UnitQuerySet, text: str) -> UnitQuerySet:
    """Units whose name holds every word of ``text`` (with or without diacritics), or whose
    code starts with it. "phu cuong", "Phú Cường" and "P. Phú Cường" find Phường Phú Cường.
    """
    words = expand_query(text).split()
    if not words:
        return queryset
    condition = Q()
    for word in words:
        condition &= Q(name_folded__contains=word)
    stripped = text.strip()
    if stripped.isdigit():
        condition |= Q(code__startswith=stripped)
    return queryset.filter(condition)


def match_unit_name(
    text: str,
    *,
    level: int | None = None,
    parent: AdministrativeUnit | None = None,
    on: dt.date | None = None,
    limit: int = 10,
) -> list[AdministrativeUnit]:
    """Units a name may mean, best first.

    Accepts the kind written out or abbreviated, or left out ("P. Phú Cường", "phuong phu
    cuong", "Phu Cuong", "Q.1", "TX Bến Cát"), with or without diacritics. Text after a
    comma is read as where the unit lies ("Phú Cường, Thủ Dầu Một") and prefers units inside
    it. ``level`` and ``parent`` (the parent or grandparent) and ``on`` (valid that day)
    restrict; otherwise units whose name and kind both match come first, then in-area units,
    then current ones.

    The cost is bounded whatever the text (the public API calls this): only its first
    ``MAX_QUERY_LENGTH`` characters are read, and only the first ``MAX_CONTEXT_PARTS``
    different places after the name; each place is one more (non-recursive) match.
    """
    parts = [p for p in re.split(r"[,;]", text[:MAX_QUERY_LENGTH]) if p.strip()]
    if not parts:
        return []
    context_parts: list[str] = []
    for part in parts[1:]:
        if len(context_parts) == MAX_CONTEXT_PARTS:
            break
        if fold(part).strip() not in {fold(p).strip() for p in context_parts}:
            context_parts.append(part)
    readings = parse_name(parts[0])
    if not readings:
        return []
    qs: UnitQuerySet = AdministrativeUnit.objects.select_related("parent__parent")
    if level is not None:
        qs = qs.filter(level=level)
    if parent is not None:
        qs = qs.filter(Q(parent=parent) | Q(parent__parent=parent))
    if on is not None:
        qs = qs.valid_on(on)

    full_names = {r.bare for r in readings} | {f"{r.kind} {r.bare}" for r in readings if r.kind}
    ends = Q()
    for reading in readings:
        if reading.bare:
            ends |= Q(name_folded__endswith=" " + reading.bare)
    preferred = qs.order_by("-in_area", F("valid_to").desc(nulls_first=True), "level", "code")
    candidates = {u.pk: u for u in qs.filter(name_folded__in=full_names)}
    candidates.update((u.pk, u) for u in preferred.filter(ends)[:CANDIDATES])
    bare_names = {r.bare for r in readings}
    exact_ids = {pk for pk, u in candidates.items() if unit_bare_name(u) in bare_names}
    if not exact_ids:  # nothing named exactly so: every word somewhere in the name
        words = readings[-1].bare.split()
        loose = Q()
        for word in words:
            loose &= Q(name_folded__contains=word)
        candidates = {u.pk: u for u in preferred.filter(loose)[:CANDIDATES]}

    context: set[int] = set()
    for part in context_parts:  # one part, no comma: the call does not recurse further
        context.update(u.pk for u in match_unit_name(part, limit=20))
    hint = next((r.kind for r in readings if r.kind is not None), None)
    day = on or _today()

    def score(u: AdministrativeUnit) -> tuple[int, int, int, int, int, int, str]:
        """Smaller is better."""
        if hint is None:
            kind_score = 1
        elif fold(u.kind) == hint:
            kind_score = 3
        elif u.level in KINDS[hint]:
            kind_score = 2
        else:
            kind_score = 0
        ancestors = {u.parent_id, u.parent.parent_id if u.parent else None}
        return (
            -int(u.pk in exact_ids),
            -int(bool(context & ancestors)),
            -kind_score,
            -int(u.in_area),
            -int(_valid(u, day)),
            u.level,
            u.code,
        )

    ranked = sorted(candidates.values(), key=score)
    return ranked[:limit]
