"""Before/after values of an audit entry as rows a person can read: field, old → new."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

EMPTY = "—"


@dataclass(frozen=True)
class ChangeRow:
    field: str
    old: str
    new: str
    changed: bool


def _text(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def change_rows(changes: Any) -> list[ChangeRow]:
    """Understands the shapes services write:

    * ``{"field": [old, new], ...}`` (``ioc.core.audit.diff``),
    * ``{"before": {...}, "after": {...}}`` (two snapshots),
    * ``{"field": value, ...}`` (one snapshot: shown as the new value).
    """
    if not isinstance(changes, dict) or not changes:
        return []
    if set(changes) == {"before", "after"} and all(
        isinstance(changes[k], dict) for k in ("before", "after")
    ):
        before, after = changes["before"], changes["after"]
        return [
            ChangeRow(
                str(k), _text(before.get(k)), _text(after.get(k)), before.get(k) != after.get(k)
            )
            for k in sorted(set(before) | set(after))
        ]
    rows = []
    for key in sorted(changes):
        value = changes[key]
        if isinstance(value, list | tuple) and len(value) == 2:
            rows.append(ChangeRow(str(key), _text(value[0]), _text(value[1]), value[0] != value[1]))
        else:
            rows.append(ChangeRow(str(key), EMPTY, _text(value), True))
    return rows
