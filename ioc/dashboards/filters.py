"""The page's filters (time range, administrative unit), laid over each chart's question.

The dashboard page, the wall and shared links carry them in the URL (``?last=12 months``,
``?start=2025-01-01&end=2025-07-01``, ``?unit=25747&level=commune``); a click on a
commune or district in a chart sets ``unit`` and ``level`` (drill-down). A chart whose
dataset has no unit column cannot be filtered by unit: it says so (``ignored``) rather
than showing the whole province under a commune's name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ioc.dashboards.semantic import (
    _LAST,
    LEVEL_COLUMNS,
    QuestionError,
    TimeRange,
    resolve_range,
    shift,
)
from ioc.warehouse.schema import Role, Schema


@dataclass(frozen=True)
class PageFilters:
    start: str = ""
    end: str = ""
    last: str = ""
    unit: str = ""
    level: str = ""

    @classmethod
    def from_values(cls, **values: str) -> PageFilters:
        clean = {k: str(v or "").strip()[:40] for k, v in values.items()}
        if clean.get("level") and clean["level"] not in LEVEL_COLUMNS:
            raise QuestionError(f"cấp '{clean['level']}' không có / no level '{clean['level']}'")
        return cls(**clean)

    @property
    def empty(self) -> bool:
        return not (self.start or self.end or self.last or self.unit)

    def apply(self, question: dict[str, Any], schema: Schema) -> tuple[dict[str, Any], list[str]]:
        """The question with the page's filters; and the filters that could not apply."""
        result = dict(question)
        ignored: list[str] = []
        if self.last:
            result["time"] = {"last": self.last}
        elif self.start or self.end:
            result["time"] = {k: v for k, v in (("start", self.start), ("end", self.end)) if v}
        if self.unit:
            unit_col = schema.with_role(Role.UNIT)
            if unit_col is None:
                ignored.append("unit")
            else:
                result["filters"] = [
                    *question.get("filters", []),
                    {
                        "column": unit_col.name,
                        "op": "eq",
                        "value": self.unit,
                        "level": self.level or "commune",
                    },
                ]
        return result, ignored


def previous_period(question: dict[str, Any], now: dt.datetime) -> dict[str, Any] | None:
    """The same question over the period just before its own (a KPI's "against the previous
    period"): for "last N months", the N months before, and while the current month is not
    over, only as far into them as we are now (this month's first 5 days against last
    month's first 5, never against the whole of last month); else the same length before."""
    time = question.get("time") or {}
    last = str(time.get("last") or "")
    match = _LAST.match(last)
    if match:
        count, grain = int(match.group(1)), match.group(2)
        start, end = resolve_range(TimeRange(last=last), now)
        assert start is not None and end is not None
        begin = shift(start, grain, -count)
        until = shift(min(now, end), grain, -count)
        return {**question, "time": {"start": begin.isoformat(), "end": until.isoformat()}}
    else:
        try:
            start, end = resolve_range(TimeRange.model_validate(time), now)
        except (QuestionError, ValueError):
            return None
        if start is None or end is None:
            return None
        begin = start - (end - start)
    return {**question, "time": {"start": begin.isoformat(), "end": start.isoformat()}}


def scope_caption(user: Any) -> str:
    """Whose figures these are, for printed reports and exported files."""
    from ioc.accounts.scope import scope_for
    from ioc.core.models import AdministrativeUnit, Sector

    scope = scope_for(user)
    if scope.everything:
        return "Toàn tỉnh / whole province"
    parts = []
    if scope.sectors:
        parts += list(Sector.objects.filter(id__in=scope.sectors).values_list("name", flat=True))
    if scope.units:
        names = AdministrativeUnit.objects.filter(id__in=scope.units, valid_to__isnull=True)
        parts += list(names.values_list("name", flat=True)[:5])
    return ", ".join(parts) or "—"
