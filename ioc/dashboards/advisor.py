"""Rollups chosen from the charts in use.

For each dataset, the charts that read it say what a rollup must keep: the finest period
they group or filter by (hours, days or months), the categories they group or filter by,
and the measures they add up. :func:`suggest` proposes one rollup per dataset covering every
chart a rollup can answer; :func:`apply` builds it, and keeps it only when it is clearly
smaller than the raw rows (a rollup as big as its table saves nothing and costs refreshes).

    ioc dashboards rollups --auto
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ioc.dashboards import rollups
from ioc.dashboards.models import Chart, Rollup
from ioc.dashboards.semantic import QuestionError, parse_question
from ioc.warehouse.models import Dataset, Indicator
from ioc.warehouse.schema import ColumnType, Role

AUTO_NAME = "tu-dong"
# A rollup is kept when it has at most this share of its table's rows.
WORTH_IT = 0.25
# The rollup grain that serves a question grain.
SERVES = {"hour": "hour", "day": "day", "week": "day", "month": "month", "quarter": "month",
          "year": "month"}  # fmt: skip
ORDER = ("hour", "day", "month")


@dataclass
class Proposal:
    dataset: Dataset
    grain: str = "month"
    dimensions: set[str] = field(default_factory=set)
    measures: set[str] = field(default_factory=set)
    charts: int = 0  # charts it would answer

    def finer(self, grain: str) -> None:
        if ORDER.index(grain) < ORDER.index(self.grain):
            self.grain = grain


def _aligned_grain(value: object) -> str:
    """The coarsest rollup grain at whose period starts ``value`` falls."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return "hour"
    if moment.time() != dt.time():
        return "hour"
    return "month" if moment.day == 1 else "day"


def suggest(dataset: Dataset) -> Proposal | None:
    """The rollup that answers the most of the dataset's charts, or None."""
    schema = dataset.parsed_schema
    time = schema.with_role(Role.TIME)
    unit = schema.with_role(Role.UNIT)
    if time is None:
        return None
    proposal = Proposal(dataset)
    text_columns = {
        c.name for c in schema.columns if c.type == ColumnType.TEXT and c.role != Role.ATTRIBUTE
    }
    indicators = {i.code: i for i in Indicator.objects.filter(dataset=dataset)}
    for chart in Chart.objects.filter(dataset=dataset):
        try:
            q = parse_question(chart.question)
        except QuestionError:
            continue
        dims: set[str] = set()
        measures: set[str] = set()
        grain = "month"
        usable = True
        for metric in q.metrics:
            if metric.derived:
                continue
            agg: str | None = metric.agg
            column = metric.column
            filters: dict[str, object] = {}
            if metric.indicator:
                ind = indicators.get(metric.indicator)
                if ind is None:
                    usable = False
                    break
                agg, column, filters = ind.aggregation, ind.measure or None, ind.filters or {}
            if agg == "count_distinct" and column and column in text_columns:
                dims.add(column)  # distinct values of a dimension the rollup then keeps
                continue
            if agg not in rollups.ROLLUP_AGGREGATES:
                usable = False
                break
            if column:
                if schema.column(column).type not in (ColumnType.INTEGER, ColumnType.DECIMAL):
                    usable = False
                    break
                measures.add(column)
            dims |= set(filters)
        for dim in q.dimensions:
            if dim.column == time.name:
                grain = min(grain, SERVES[dim.grain or "day"], key=ORDER.index)
            elif not unit or dim.column != unit.name:
                dims.add(dim.column)
        for flt in q.filters:
            if flt.column == time.name:
                grain = min(grain, _aligned_grain(flt.value), key=ORDER.index)
            elif not unit or flt.column != unit.name:
                dims.add(flt.column)
        if q.time and q.time.last:
            unit_word = q.time.last.split()[-1].rstrip("s")
            grain = min(grain, SERVES.get(unit_word, "day"), key=ORDER.index)
        elif q.time:
            for bound in (q.time.start, q.time.end):
                if bound is not None:
                    grain = min(grain, _aligned_grain(bound), key=ORDER.index)
        if not usable:
            continue
        if grain == "hour" and time.type == ColumnType.DATE:
            grain = "day"
        proposal.finer(grain)
        proposal.dimensions |= dims
        proposal.measures |= measures
        proposal.charts += 1
    if not proposal.charts:
        return None
    return proposal


def apply(dataset: Dataset) -> tuple[Rollup | None, str]:
    """Build the suggested rollup; drop it when it saves too little. Returns it and a note."""
    proposal = suggest(dataset)
    if proposal is None:
        return None, "no chart a rollup can answer"
    rollup = rollups.build(
        rollups.define(
            dataset,
            AUTO_NAME,
            grain=proposal.grain,
            dimensions=sorted(proposal.dimensions),
            measures=sorted(proposal.measures),
        )
    )
    raw = max(dataset.row_count, 1)
    if rollup.rows > raw * WORTH_IT:
        rollups.drop(rollup)
        return None, f"{rollup.rows:,} rows against {raw:,} raw: not worth keeping"
    return rollup, f"{rollup.grain}, {rollup.rows:,} rows for {proposal.charts} charts"
