"""The write paths of the integration hub: loading files, running connections, replaying the
quarantine. Views, commands and scheduled tasks call these; each records a SyncRun.

    run = ingest_file(Path("benh_vien.csv"), dataset="kham_benh", actor=user)
    run = ingest_file(Path("x.xlsx"), dataset="new_table", create=True, sector=s, owner=a)
    run = run_connection(connection, trigger=Trigger.MANUAL, actor=user)
    run = replay_quarantine(dataset, actor=user)   # after fixing the mapping
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from django.db import transaction
from django.utils import timezone

from ioc.core.audit import record
from ioc.core.choices import AuditAction
from ioc.core.models import Agency, Sector
from ioc.integrations import pipeline, vault
from ioc.integrations.connectors.base import Connector, ConnectorError, ReadState, get
from ioc.integrations.connectors.files import FileConfig, FileConnector
from ioc.integrations.infer import infer
from ioc.integrations.mapping import Mapper, Mapping, MappingError
from ioc.integrations.models import Connection, ConnectionState, SyncRun, Trigger
from ioc.integrations.vault import VaultError
from ioc.warehouse import quarantine, writer
from ioc.warehouse.models import Dataset
from ioc.warehouse.schema import SchemaError
from ioc.warehouse.services import create_dataset, require_permission
from ioc.warehouse.writer import WarehouseBusy

if TYPE_CHECKING:
    from ioc.accounts.models import User

logger = logging.getLogger(__name__)

# After this many failures in a row a connection is paused (the circuit breaker).
BREAKER_THRESHOLD = 5


class IngestError(ValueError):
    """The load cannot start (no such dataset, bad options); bilingual message."""


def _message(exc: BaseException) -> str:
    """A run's error text: ours are bilingual already; anything else is wrapped."""
    if isinstance(exc, ConnectorError | MappingError | SchemaError | IngestError | VaultError):
        return str(exc)
    if isinstance(exc, WarehouseBusy):
        return "Kho dữ liệu đang bận, thử lại sau / the warehouse is busy, try again later"
    return f"Lỗi không mong đợi: {exc} / unexpected error: {exc}"


def _peek(
    batches: Iterator[pa.RecordBatch | pa.Table],
) -> tuple[pa.Table | None, Iterator[pa.RecordBatch | pa.Table]]:
    """The first batch (to infer a schema or a mapping from) and the stream unchanged."""
    first = next(batches, None)
    if first is None:
        return None, iter(())
    table = pa.Table.from_batches([first]) if isinstance(first, pa.RecordBatch) else first
    return table, itertools.chain([first], batches)


def execute(
    *,
    dataset: Dataset | None,
    connector: Any,
    mapping: Mapping | None,
    run: SyncRun,
    progress: pipeline.Progress | None = None,
    create: dict[str, Any] | None = None,
    actor: User | None = None,
    local_file: bool = False,
) -> SyncRun:
    """Read everything the connector gives, map and write it; record the outcome on ``run``.

    With ``create`` (name, sector_id, owner_id, slug), a new dataset is made from the first
    batch's inferred schema. ``local_file``: the connector reads one local file (the writer
    may be held across its batches)."""
    state: ReadState = connector.state
    counts = pipeline.Counts()
    error = ""
    created: Dataset | None = None
    try:
        batches = iter(connector.read())
        first, batches = _peek(batches)
        if dataset is None:
            assert create is not None
            if first is None:
                raise IngestError("Tệp không có dòng dữ liệu nào / the file has no data rows")
            schema, inferred = infer(first, unit_lookup=pipeline.lookup_units)
            dataset = created = create_dataset(actor=actor, schema=schema, **create)
            run.dataset = dataset
            run.save(update_fields=["dataset"])
            mapping = mapping or inferred
        fields = first.column_names if first is not None else []
        if mapping is None:
            mapping = Mapping.by_name(dataset.parsed_schema, fields)
        else:
            mapping = mapping.completed(dataset.parsed_schema, fields)
        counts = pipeline.load(
            dataset, mapping, batches, state, run, progress=progress, hold=local_file
        )
    except Exception as exc:
        error = _message(exc)
        if not isinstance(exc, ConnectorError | MappingError | SchemaError | IngestError):
            logger.exception("sync run %s failed", run.pk)
        counts = pipeline.Counts(
            read=run.rows_read, accepted=run.rows_accepted, rejected=run.rows_rejected
        )
        state.log.append(f"error: {error}")
        if created is not None and not counts.accepted:
            # Nothing got in: drop the dataset made for this load, so --create can be retried.
            run.dataset = None
            run.save(update_fields=["dataset"])
            writer.drop_table(created.slug)
            created.delete()
    finally:
        connector.close()
    return pipeline.finish(run, counts, state, error)


def ingest_file(
    path: Path,
    *,
    dataset: str,
    create: bool = False,
    actor: User | None = None,
    name: str = "",
    sector: Sector | None = None,
    owner: Agency | None = None,
    trigger: str = Trigger.CLI,
    progress: pipeline.Progress | None = None,
    **options: Any,
) -> SyncRun:
    """Load one file into a dataset (created from the file with ``create``)."""
    existing = Dataset.objects.filter(slug=dataset).first()
    if existing is None and not create:
        raise IngestError(
            f"Không có bộ dữ liệu '{dataset}' (dùng --create để tạo) /"
            f" no dataset '{dataset}' (use --create to make it)"
        )
    if existing is not None and create:
        raise IngestError(f"Bộ dữ liệu '{dataset}' đã có / dataset '{dataset}' already exists")
    if existing is not None:
        require_permission(actor, "warehouse.change_dataset")
    elif sector is None or owner is None:
        raise IngestError(
            "Cần lĩnh vực và cơ quan chủ quản để tạo bộ dữ liệu /"
            " a sector and an owner agency are needed to create a dataset"
        )
    if not path.is_file():
        raise IngestError(f"Không thấy tệp '{path}' / no such file '{path}'")
    connector = FileConnector(FileConfig(path=str(path), **options))
    create_args = None
    if existing is None:
        assert sector is not None and owner is not None
        create_args = {
            "slug": dataset,
            "name": name or dataset,
            "sector_id": sector.pk,
            "owner_id": owner.pk,
        }
    run = SyncRun.objects.create(
        dataset=existing, trigger=trigger, source=path.name[:300], started_by=actor
    )
    run = execute(
        dataset=existing,
        connector=connector,
        mapping=None,
        run=run,
        progress=progress,
        create=create_args,
        actor=actor,
        local_file=True,
    )
    record(
        actor=actor,
        action=AuditAction.ACTION,
        obj=run.dataset,
        object_type="warehouse.dataset",
        object_id=str(run.dataset_id or ""),
        object_repr=dataset,
        message=(
            f"{path.name}: read {run.rows_read}, accepted {run.rows_accepted},"
            f" rejected {run.rows_rejected}" + (f"; {run.error}" if run.error else "")
        ),
    )
    return run


def run_connection(
    connection: Connection,
    *,
    trigger: str = Trigger.SCHEDULE,
    actor: User | None = None,
    progress: pipeline.Progress | None = None,
) -> SyncRun:
    """One sync run of a connection; updates its health and circuit breaker."""
    if actor is not None:
        require_permission(actor, "integrations.change_connection")
    run = SyncRun.objects.create(
        connection=connection,
        dataset=connection.dataset,
        trigger=trigger,
        source=connection.name[:300],
        started_by=actor,
        watermark_before=connection.watermark,
    )
    try:
        connector = connector_for(connection)
        mapping = Mapping.model_validate(connection.mapping) if connection.mapping else None
    except (ConnectorError, ValueError) as exc:
        pipeline.finish(run, pipeline.Counts(), ReadState(), _message(exc))
        _note_health(connection, run)
        return run
    run = execute(
        dataset=connection.dataset,
        connector=connector,
        mapping=mapping,
        run=run,
        progress=progress,
        actor=actor,
    )
    _note_health(connection, run)
    return run


def connector_for(connection: Connection) -> Connector:
    """The connection's connector, its config validated with the secrets decrypted."""
    cls = get(connection.kind)
    data = vault.merge(connection.config, vault.decrypt(connection.secrets))
    config = cls.parse_config(data)
    if getattr(config, "client_id", None) == "":
        # A persistent session of its own (MQTT), so nothing sent between runs is lost.
        config.client_id = f"ioc-{connection.pk}"  # type: ignore[attr-defined]
    return cls(config, watermark=connection.watermark or None)


def configure_connection(
    connection: Connection, config: dict[str, Any], *, actor: User | None
) -> Connection:
    """Validate and store a connection's settings; secrets go encrypted into the vault.

    A secret sent back as the mask ("********", what forms show) keeps its stored value."""
    require_permission(actor, "integrations.change_connection")
    cls = get(connection.kind)
    model = cls.parse_config(vault.unmask(config, connection.secrets))
    plain, secrets_found = vault.split(model.model_dump(mode="python", exclude_none=True))
    before = connection.config
    connection.config = json.loads(json.dumps(plain, default=str))
    connection.secrets = vault.encrypt(secrets_found)
    connection.save()
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=connection,
        changes={"config": [before, connection.config]},  # masked: no secret in the log
    )
    return connection


def _note_health(connection: Connection, run: SyncRun) -> None:
    now = timezone.now()
    if run.error:
        connection.failures += 1
        connection.last_error_at = now
        connection.last_error = run.error
        if connection.failures >= BREAKER_THRESHOLD and connection.state == ConnectionState.ACTIVE:
            connection.state = ConnectionState.BROKEN
    else:
        connection.failures = 0
        connection.last_success_at = now
        if run.watermark_after:
            connection.watermark = run.watermark_after
    connection.save(
        update_fields=[
            "failures",
            "last_error_at",
            "last_error",
            "state",
            "last_success_at",
            "watermark",
        ]
    )


def _constant(ids: list[int]) -> Callable[[pa.Table], list[int]]:
    return lambda _table: ids


def replay_quarantine(
    dataset: Dataset,
    *,
    connection: Connection | None = None,
    actor: User | None = None,
    progress: pipeline.Progress | None = None,
) -> SyncRun:
    """Map the dataset's quarantined rows again (with the connection's current mapping, or
    by column name); rows that now pass move into the dataset, the rest stay, with the new
    reason. The quarantine rows are replaced in the same transaction as the rows they
    become, so a row is never in both places or in neither."""
    require_permission(actor, "warehouse.change_dataset")
    run = SyncRun.objects.create(
        connection=connection,
        dataset=dataset,
        trigger=Trigger.REPLAY,
        source="quarantine",
        started_by=actor,
    )
    mapping = (
        Mapping.model_validate(connection.mapping) if connection and connection.mapping else None
    )
    state = ReadState()
    counts = pipeline.Counts()
    error = ""
    try:
        for source_id, raw, ids in quarantine.replayable(
            dataset.slug, connection.pk if connection else None
        ):
            state.source_id = source_id
            batch_mapping = (
                mapping.completed(dataset.parsed_schema, raw.column_names)
                if mapping
                else Mapping.by_name(dataset.parsed_schema, raw.column_names)
            )
            pipeline.load(
                dataset,
                batch_mapping,
                [raw],
                state,
                run,
                replayed=_constant(ids),
                counts=counts,
                progress=progress,
            )
    except Exception as exc:
        error = _message(exc)
        logger.exception("replay of %s failed", dataset.slug)
    return pipeline.finish(run, counts, state, error)


def set_connection_state(connection: Connection, state: str, *, actor: User | None) -> None:
    """Pause or resume a connection (resuming also closes a tripped circuit breaker)."""
    require_permission(actor, "integrations.change_connection")
    before = connection.state
    connection.state = state
    if state == ConnectionState.ACTIVE:
        connection.failures = 0
    connection.save(update_fields=["state", "failures"])
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=connection,
        changes={"state": [before, state]},
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_push_token(connection: Connection, *, actor: User | None) -> str:
    """A new token for a push connection (the old one stops working); shown once."""
    require_permission(actor, "integrations.change_connection")
    if connection.kind != "push":
        raise IngestError("Chỉ kết nối kiểu đẩy mới có mã / only push connections have a token")
    token = secrets.token_urlsafe(32)
    connection.push_token_hash = _token_hash(token)
    connection.save(update_fields=["push_token_hash"])
    record(actor=actor, action=AuditAction.UPDATE, obj=connection, message="push token issued")
    return token


def push_token_matches(connection: Connection, token: str) -> bool:
    return bool(connection.push_token_hash) and hmac.compare_digest(
        connection.push_token_hash, _token_hash(token)
    )


def receive_push(connection: Connection, path: Path, content_type: str) -> SyncRun:
    """Load a batch the source pushed (already authenticated) as one run of its connection."""
    from ioc.integrations.connectors.push import PushConnector

    run = SyncRun.objects.create(
        connection=connection,
        dataset=connection.dataset,
        trigger=Trigger.PUSH,
        source=connection.name[:300],
    )
    try:
        connector = PushConnector(PushConnector.parse_config(connection.config))
        connector.receive(path, content_type)
        mapping = Mapping.model_validate(connection.mapping) if connection.mapping else None
    except (ConnectorError, ValueError) as exc:
        pipeline.finish(run, pipeline.Counts(), ReadState(), _message(exc))
        _note_health(connection, run)
        return run
    run = execute(dataset=connection.dataset, connector=connector, mapping=mapping, run=run)
    _note_health(connection, run)
    return run


CONNECTION_FIELDS = ("name", "kind", "dataset", "interval_minutes", "cron", "timezone", "mapping")


def save_connection(
    connection: Connection | None,
    *,
    actor: User | None,
    config: dict[str, Any],
    **fields: Any,
) -> Connection:
    """Create or change a connection: schedule, mapping and config validated, secrets into
    the vault, audited. Raises ValueError (bilingual) and changes nothing when invalid."""
    from ioc.integrations.scheduler import validate

    creating = connection is None
    require_permission(
        actor, "integrations.add_connection" if creating else "integrations.change_connection"
    )
    target = connection or Connection()

    def values(obj: Connection) -> dict[str, Any]:  # what the audit log keeps (ids, not rows)
        return {
            f: getattr(obj, "dataset_id" if f == "dataset" else f, None) for f in CONNECTION_FIELDS
        }

    before = values(target) if not creating else {}
    for name, value in fields.items():
        if name not in CONNECTION_FIELDS:
            raise ValueError(f"unknown field {name}")
        setattr(target, name, value)
    validate(target.interval_minutes, target.cron, target.timezone)
    get(target.kind)  # a known connector
    if target.mapping:
        Mapper(target.dataset.parsed_schema, Mapping.model_validate(target.mapping))
    with transaction.atomic():
        target.next_run_at = None  # the scheduler takes the new schedule from now
        target.save()
        configure_connection(target, config, actor=None)  # audited below, once
        record(
            actor=actor,
            action=AuditAction.CREATE if creating else AuditAction.UPDATE,
            obj=target,
            changes={f: [before.get(f), v] for f, v in values(target).items() if before.get(f) != v}
            | {"config": [None, target.config]},
        )
    return target


@dataclass
class Preview:
    columns: list[str]
    accepted: list[tuple[Any, ...]]
    rejected: list[tuple[int | None, str, str]]
    source_fields: list[str]
    error: str = ""


def preview_connection(
    kind: str,
    config: dict[str, Any],
    mapping: dict[str, Any] | None,
    dataset: Dataset,
    *,
    stored: Connection | None = None,
    limit: int = 20,
) -> Preview:
    """The first rows the source gives, mapped, without storing anything (and without moving
    a drop folder's files)."""
    schema = dataset.parsed_schema
    try:
        cls = get(kind)
        data = vault.unmask(config, stored.secrets if stored else "")
        connector = cls(cls.parse_config(data))
        if not cls.pulls:
            return Preview(schema.names, [], [], [], "")
        batches = iter(connector.read())
        try:
            first = next(batches, None)
        finally:
            close = getattr(batches, "close", None)
            if close:
                close()
            connector.close()
        if first is None:
            return Preview(schema.names, [], [], [], "")
        table = pa.Table.from_batches([first]) if isinstance(first, pa.RecordBatch) else first
        table = table.slice(0, limit)
        chosen = (
            Mapping.model_validate(mapping).completed(schema, table.column_names)
            if mapping
            else Mapping.by_name(schema, table.column_names)
        )
        mapped = Mapper(schema, chosen, unit_lookup=pipeline.lookup_units).map(table, 1)
        accepted = [tuple(row[c] for c in schema.names) for row in mapped.accepted.to_pylist()]
        rejected = [(r["_row"], r["_reason"], r["_raw"]) for r in mapped.rejected.to_pylist()]
        return Preview(schema.names, accepted, rejected, table.column_names)
    except (ConnectorError, ValueError, VaultError) as exc:
        return Preview(schema.names, [], [], [], _message(exc))
