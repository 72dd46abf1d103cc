"""The load path: connector batches → mapping → writer, recorded on a SyncRun.

Every row read ends in exactly one place: the dataset (accepted) or the quarantine
(rejected, with the reason and the raw values), and the run's counts prove it:
``rows_read == rows_accepted + rows_rejected``. Each batch commits on its own, so a crash
loses at most the batch in flight, and re-running replaces the same keys (see the writer).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass

import pyarrow as pa
from django.utils import timezone

from ioc.core.models import AdministrativeUnit
from ioc.core.units.resolve import match_unit_name
from ioc.integrations.connectors.base import ReadState, Reject
from ioc.integrations.mapping import Mapper, Mapping
from ioc.integrations.models import RunStatus, SyncRun
from ioc.warehouse import writer
from ioc.warehouse.db import engine
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


# Mapped batches are written together up to this many rows: fewer, larger transactions
# (the writer opens the file, commits and closes it once per write).
WRITE_ROWS = 1_000_000
# Consecutive batches of one source with the same columns are mapped together up to this
# many rows: each mapping statement has a fixed cost, and readers give small batches (DuckDB
# gives a Parquet file's row groups, 122,880 rows). 10 M rows of Parquet mapped 4.7 s → 1.8 s.
MAP_ROWS = 1_000_000
# Batches are also mapped together only up to this many bytes of Arrow data, and written
# once this many wait, so wide or long-text rows merge fewer at a time. CSV of ~560-byte rows:
# 2.3 GiB peak for 1.4 GB with row limits alone; 5 GB peaked at 0.97 GiB with 96 MiB, 0.80 GiB
# with 64 MiB. The benchmark's rows (~80 bytes) map ~850k rows at a time (1M before).
# A mapped batch of a full MAP_BYTES is written at once. Figures: benchmarks/README.md.
MAP_BYTES = 64 * 1024 * 1024
WRITE_BYTES = 32 * 1024 * 1024
# A load from a local file (``load(hold=True)``: its next rows come at once, not after a
# network wait) keeps the write connection across its batches (opening the warehouse file
# costs ~17 ms a batch), and hands it back after each batch once it has held it this long,
# so readers and other writers still get their turn. Each batch held over is checkpointed,
# as closing would: without, the writer kept its blocks and a 1.4 GB CSV of wide rows
# peaked at 0.93 GiB instead of 0.76.
HOLD_SECONDS = 1.0


class _Loader:
    """One load's state: the current source, row numbering, rows waiting to be written."""

    def __init__(
        self,
        dataset: Dataset,
        state: ReadState,
        run: SyncRun,
        counts: Counts,
        progress: Progress | None,
        replay: bool,
        hold: bool = False,
    ) -> None:
        self.dataset, self.schema = dataset, dataset.parsed_schema
        self.state, self.run, self.counts, self.progress = state, run, counts, progress
        self.replay = replay
        self.source, self.next_row, self.fresh = "", 1, False
        self.seen: set[str] = set()  # sources whose old quarantine rows were dropped
        self.accepted: list[pa.Table] = []
        self.rejected: list[pa.Table] = []
        self.ids: list[int] = []
        self.waiting = self.waiting_bytes = 0
        self.hold = hold
        self.held = ExitStack()
        self.held_since: float | None = None

    def release(self) -> None:
        """Hand the write connection back (it is taken again by the next write)."""
        self.held.close()
        self.held_since = None

    def start_source(self, source: str) -> None:
        self.flush()
        self.drain_rejects()
        self.source, self.next_row = source, 1
        # A source never loaded before has no rows to replace: its batches skip the search.
        self.fresh = not self.replay and not writer.source_exists(self.dataset.slug, source)

    def add(
        self, accepted: pa.Table, rejected: pa.Table, ids: list[int] | None, *, write: bool = True
    ) -> None:
        """Keep mapped rows; write them once enough wait, and ``write`` (every batch yielded
        so far is among them: a commit confirms delivery to the source)."""
        self.accepted.append(accepted)
        if rejected.num_rows:
            self.rejected.append(rejected)
        self.ids.extend(ids or [])
        self.waiting += accepted.num_rows + rejected.num_rows
        self.waiting_bytes += accepted.nbytes + rejected.nbytes
        if write and (self.waiting >= WRITE_ROWS or self.waiting_bytes >= WRITE_BYTES):
            self.flush()

    def _unreadable(self) -> pa.Table | None:
        """Records the connector could not read, from this source (they commit with its rows)."""
        mine = [r for r in self.state.rejects if (r.source or self.source) == self.source]
        if not mine:
            return None
        self.state.rejects[:] = [r for r in self.state.rejects if r not in mine]
        self.counts.read += len(mine)
        return _reject_table(mine)

    def maps_as_it_writes(self, table: pa.Table, last: bool) -> bool:
        """Whether the writer can map this batch as it inserts it (writer.MappedRows): on the
        DuckDB warehouse, into a keyless dataset, not a replay, with nothing else waiting,
        and the batch big enough to be written at once (or the last of its source)."""
        return (
            engine() == "duckdb"
            and not self.schema.key
            and not self.replay
            and not self.accepted
            and not self.rejected
            and (last or table.num_rows >= WRITE_ROWS or table.nbytes >= WRITE_BYTES)
        )

    def write_mapped(self, rows: writer.MappedRows) -> None:
        self.write(rows, self._unreadable(), self.source, None, self.fresh)

    def flush(self) -> None:
        if (unreadable := self._unreadable()) is not None:
            self.rejected.append(unreadable)
        if not self.accepted and not self.rejected:
            return
        # One chunk per column: DuckDB checkpoints ragged Arrow chunks far more slowly
        # (0.3–0.8 s per close against 0.01 s, measured by benchmarks/ingest.py).
        accepted = (
            pa.concat_tables(self.accepted, promote_options="default").combine_chunks()
            if self.accepted
            else NO_ROWS
        )
        rejected = pa.concat_tables(self.rejected) if self.rejected else None
        self.write(accepted, rejected, self.source, self.ids or None, self.fresh)
        self.accepted, self.rejected, self.ids = [], [], []
        self.waiting = self.waiting_bytes = 0

    def write(
        self,
        accepted: pa.Table | writer.MappedRows,
        rejected: pa.Table | None,
        source: str,
        ids: list[int] | None,
        fresh: bool,
    ) -> None:
        reset = not self.replay and source not in self.seen
        self.seen.add(source)
        if self.hold and self.held_since is None:
            self.held.enter_context(writer.write_connection())
            self.held_since = time.monotonic()
        result = writer.write_batch(
            self.dataset.slug,
            self.schema,
            accepted,
            rejected,
            run_id=self.run.pk,
            connection_id=self.run.connection_id,
            source=source,
            replayed=ids,
            reset_source=reset,
            fresh_source=fresh,
        )
        if self.held_since is not None and time.monotonic() - self.held_since >= HOLD_SECONDS:
            self.release()
        elif self.held_since is not None:
            writer.checkpoint()
        announce_change(self.dataset, result)
        self.state.committed()
        counts, run = self.counts, self.run
        counts.accepted += result.accepted
        counts.rejected += result.rejected
        run.rows_read, run.rows_accepted, run.rows_rejected = (
            counts.read,
            counts.accepted,
            counts.rejected,
        )
        run.bytes_read = self.state.bytes_read
        run.save(update_fields=["rows_read", "rows_accepted", "rows_rejected", "bytes_read"])
        if self.progress:
            self.progress(counts.read, self.state.bytes_read)

    def drain_rejects(self) -> None:
        """Records the connector could not read (broken lines), by the source they came from."""
        if not self.state.rejects:
            return
        by_source: dict[str, list[Reject]] = {}
        for reject in self.state.rejects:
            by_source.setdefault(reject.source or self.source, []).append(reject)
        self.state.rejects.clear()
        for source, items in by_source.items():
            self.counts.read += len(items)
            self.write(NO_ROWS, _reject_table(items), source, None, False)


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
    hold: bool = False,
) -> Counts:
    """Map and write every batch; update ``run`` as it goes. Raises what the source raises
    (the caller records the failure); batches already committed stay. ``hold``: the batches
    come from a local file (see HOLD_SECONDS)."""
    loader = _Loader(
        dataset,
        state,
        run,
        counts if counts is not None else Counts(),
        progress,
        replay=replayed is not None,
        hold=hold,
    )
    mapper = Mapper(loader.schema, mapping, unit_lookup=lookup_units)
    warned: set[str] = set()
    pending: list[pa.Table] = []  # batches of loader.source not mapped yet
    held = [0, 0]  # their rows and bytes

    def map_pending(*, write: bool = True, last: bool = False) -> None:
        """Map the pending batches; ``write``: they may be committed now (``last``: the
        source's rows end with them)."""
        if not pending:
            return
        table = pending[0] if len(pending) == 1 else pa.concat_tables(pending)
        pending.clear()
        held[:] = [0, 0]
        rows: writer.MappedRows | None = None
        if write and loader.maps_as_it_writes(table, last):
            rows, missing = mapper.to_write(table, loader.next_row)
        else:
            mapped = mapper.map(table, loader.next_row)
            missing = mapped.missing_sources
        for name in missing:
            if name not in warned:
                warned.add(name)
                state.log.append(f"nguồn không có cột / source field missing: {name}")
        loader.next_row += table.num_rows
        loader.counts.read += table.num_rows
        ids = replayed(table) if replayed else None
        del table  # mapped apart, the source rows are not needed while the mapped ones are written
        if rows is not None:
            loader.write_mapped(rows)
        else:
            loader.add(mapped.accepted, mapped.rejected, ids, write=write)

    try:
        for batch in batches:
            source = state.source_id or f"run:{run.pk}"
            table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
            if source != loader.source:
                map_pending(last=True)
                loader.start_source(source)
            elif pending and not table.schema.equals(pending[0].schema):
                map_pending(write=False)  # this batch is not stored yet: no commit before it is
            pending.append(table)
            held[0] += table.num_rows
            held[1] += table.nbytes
            if held[0] >= MAP_ROWS or held[1] >= MAP_BYTES:
                map_pending()
        map_pending(last=True)
        loader.flush()
        loader.drain_rejects()
    finally:
        loader.release()
    return loader.counts


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
