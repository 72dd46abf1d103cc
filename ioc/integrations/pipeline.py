"""The load path: connector batches → mapping → writer, recorded on a SyncRun.

Every row read ends in exactly one place: the dataset (accepted) or the quarantine
(rejected, with the reason and the raw values), and the run's counts prove it:
``rows_read == rows_accepted + rows_rejected``. Each batch commits on its own, so a crash
loses at most the batch in flight, and re-running replaces the same keys (see the writer).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyarrow as pa
from django.utils import timezone

from ioc.core.models import AdministrativeUnit
from ioc.core.units.resolve import match_unit_name
from ioc.integrations.connectors.base import ReadState, Reject
from ioc.integrations.mapping import Mapper, Mapping
from ioc.integrations.models import RunStatus, SyncRun
from ioc.warehouse import writer
from ioc.warehouse.models import Dataset
from ioc.warehouse.services import announce_change

Progress = Callable[[int, int], None]  # (rows so far, bytes so far)

NO_ROWS = pa.table({"_row": pa.array([], pa.int64())})
REJECT_SCHEMA = pa.schema([("_row", pa.int64()), ("_reason", pa.string()), ("_raw", pa.string())])


def lookup_units(values: list[str]) -> dict[str, str | None]:
    """Raw unit values (codes, or names with or without diacritics and prefixes) → codes."""
    codes = set(
        AdministrativeUnit.objects.filter(code__in=[v for v in values if v.isdigit()]).values_list(
            "code", flat=True
        )
    )
    out: dict[str, str | None] = {}
    for value in values:
        if value in codes:
            out[value] = value
            continue
        found = match_unit_name(value, limit=1) if not value.isdigit() else []
        out[value] = found[0].code if found else None
    return out


@dataclass
class Counts:
    read: int = 0
    accepted: int = 0
    rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"read": self.read, "accepted": self.accepted, "rejected": self.rejected}


def _reject_table(rejects: list[Reject]) -> pa.Table:
    return pa.table(
        {
            "_row": pa.array([r.row_no for r in rejects], pa.int64()),
            "_reason": pa.array([r.reason for r in rejects], pa.string()),
            "_raw": pa.array([json.dumps({"line": r.raw}, ensure_ascii=False) for r in rejects]),
        },
        schema=REJECT_SCHEMA,
    )


def load(
    dataset: Dataset,
    mapping: Mapping,
    batches: Iterable[pa.RecordBatch | pa.Table],
    state: ReadState,
    run: SyncRun,
    *,
    progress: Progress | None = None,
    replayed: Callable[[pa.Table], list[int]] | None = None,
    counts: Counts | None = None,
) -> Counts:
    """Map and write every batch; update ``run`` as it goes. Raises what the source raises
    (the caller records the failure); batches already committed stay."""
    schema = dataset.parsed_schema
    mapper = Mapper(schema, mapping, unit_lookup=lookup_units)
    counts = counts if counts is not None else Counts()
    source, next_row = "", 1
    warned: set[str] = set()

    fresh: set[str] = set()  # sources whose old quarantine rows were dropped

    def write(
        accepted: pa.Table, rejected: pa.Table, source_id: str, ids: list[int] | None
    ) -> None:
        reset = replayed is None and source_id not in fresh
        fresh.add(source_id)
        result = writer.write_batch(
            dataset.slug,
            schema,
            accepted,
            rejected,
            run_id=run.pk,
            connection_id=run.connection_id,
            source=source_id,
            replayed=ids,
            reset_source=reset,
        )
        announce_change(dataset, result)
        counts.accepted += result.accepted
        counts.rejected += result.rejected
        run.rows_read, run.rows_accepted, run.rows_rejected = (
            counts.read,
            counts.accepted,
            counts.rejected,
        )
        run.bytes_read = state.bytes_read
        run.save(update_fields=["rows_read", "rows_accepted", "rows_rejected", "bytes_read"])
        if progress:
            progress(counts.read, state.bytes_read)

    def drain_rejects() -> None:
        if not state.rejects:
            return
        by_source: dict[str, list[Reject]] = {}
        for reject in state.rejects:
            by_source.setdefault(reject.source or source, []).append(reject)
        state.rejects.clear()
        for source_id, items in by_source.items():
            counts.read += len(items)
            write(NO_ROWS, _reject_table(items), source_id, None)

    for batch in batches:
        source_id = state.source_id or f"run:{run.pk}"
        if source_id != source:
            drain_rejects()
            source, next_row = source_id, 1
        mapped = mapper.map(batch, next_row)
        for name in mapped.missing_sources:
            if name not in warned:
                warned.add(name)
                state.log.append(f"source field missing: {name}")
        next_row += batch.num_rows
        counts.read += batch.num_rows
        ids = (
            replayed(pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch)
            if replayed
            else None
        )
        write(mapped.accepted, mapped.rejected, source_id, ids)
    drain_rejects()
    return counts


def finish(run: SyncRun, counts: Counts, state: ReadState, error: str = "") -> SyncRun:
    run.finished_at = timezone.now()
    run.status = RunStatus.FAILED if error else RunStatus.SUCCEEDED
    run.error = error
    run.rows_read, run.rows_accepted, run.rows_rejected = (
        counts.read,
        counts.accepted,
        counts.rejected,
    )
    run.bytes_read = state.bytes_read
    run.log = [*run.log, *state.log][-500:]
    run.watermark_after = state.watermark or ""
    run.save()
    return run
