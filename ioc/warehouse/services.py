"""Write paths for the catalogue: creating datasets, migrating their schema, and announcing
that a dataset changed.

The "dataset changed" event
---------------------------
After every committed batch, :func:`announce_change` updates the dataset's row count and
arrival time and sends :data:`dataset_changed` (a Django signal) with the dataset, the time
range and the units the batch touched. Dashboards drop their caches and refresh rollups on
it; alert rules and forecasts re-run on it::

    from ioc.warehouse.services import dataset_changed

    @receiver(dataset_changed)
    def refresh(sender, dataset, time_min, time_max, units, rows, change, **kwargs): ...

The signal reaches the receivers of the process that wrote. Each change is also kept as a
:class:`~ioc.warehouse.models.DataChange` row (``change``), which every process sees: the
semantic layer's caches and the rollups of other processes check those rows. Changes older
than ``KEEP_CHANGES`` are dropped as new ones arrive.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from ioc.core.audit import record
from ioc.core.choices import AuditAction
from ioc.warehouse import writer
from ioc.warehouse.models import DataChange, Dataset, DatasetSchemaVersion, wall_time
from ioc.warehouse.schema import Change, Schema, SchemaError, plan_changes

if TYPE_CHECKING:
    from ioc.accounts.models import User

dataset_changed = Signal()

SLUG = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
KEEP_CHANGES = dt.timedelta(days=3)
# A change names its units only up to this many; more, and it stands for "all units".
MAX_CHANGE_UNITS = 500


def require_permission(actor: User | None, perm: str) -> None:
    """PermissionDenied unless the actor holds perm; None is the system (CLI, scheduler)."""
    if actor is not None and not actor.has_perm(perm):
        raise PermissionDenied(perm)


def create_dataset(
    *,
    actor: User | None,
    slug: str,
    name: str,
    schema: Schema,
    sector_id: int,
    owner_id: int,
    **fields: Any,
) -> Dataset:
    """A new dataset and its warehouse table. ``actor`` None means the system (CLI, demo)."""
    require_permission(actor, "warehouse.add_dataset")
    if not SLUG.match(slug):
        raise SchemaError(
            f"Tên bảng '{slug}' không hợp lệ: chữ thường không dấu, số và '_' /"
            f" table name '{slug}' is invalid: lowercase ASCII letters, digits and '_'"
        )
    if Dataset.objects.filter(slug=slug).exists():
        raise SchemaError(f"Bộ dữ liệu '{slug}' đã có / dataset '{slug}' already exists")
    with transaction.atomic():
        dataset = Dataset.objects.create(
            slug=slug,
            name=name,
            schema=schema.as_json(),
            schema_version=1,
            sector_id=sector_id,
            owner_id=owner_id,
            **fields,
        )
        DatasetSchemaVersion.objects.create(
            dataset=dataset,
            version=1,
            schema=schema.as_json(),
            changes=[Change(op="add", column=c).describe() for c in schema.columns],
            created_by=actor,
        )
        record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=dataset,
            changes={"schema": [None, schema.as_json()]},
        )
        writer.create_table(slug, schema)
    return dataset


def ensure_platform_dataset(
    slug: str,
    schema: dict[str, Any],
    *,
    name: str,
    name_en: str,
    description: str,
    sectors: tuple[str, ...],
    **fields: Any,
) -> Dataset | None:
    """The dataset a module of the platform writes its own figures into (camera health,
    citizen reports, portal visits), created the first time: owned by the platform's
    agency, filed under the first of ``sectors`` that exists. None on a platform with no
    sectors or agencies yet (nothing to file it under)."""
    from ioc.core.models import Sector
    from ioc.core.selectors import platform_owner
    from ioc.warehouse.schema import parse_schema

    dataset = Dataset.objects.filter(slug=slug).first()
    if dataset is not None:
        return dataset
    sector = (
        Sector.objects.filter(code__in=sectors).order_by("code").first()
        or Sector.objects.order_by("pk").first()
    )
    owner = platform_owner()
    if sector is None or owner is None:
        return None
    return create_dataset(
        actor=None,
        slug=slug,
        name=name,
        name_en=name_en,
        schema=parse_schema(schema),
        sector_id=sector.pk,
        owner_id=owner.pk,
        description=description,
        **fields,
    )


def change_schema(dataset: Dataset, new: Schema, *, actor: User | None) -> list[Change]:
    """Migrate the dataset's table to ``new`` (add columns, widen types) as a new version.

    Raises SchemaError, changing nothing, when a step would lose data."""
    require_permission(actor, "warehouse.change_dataset")
    old = dataset.parsed_schema
    changes = plan_changes(old, new)
    if not changes:
        return []
    with transaction.atomic():
        dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
        dataset.schema_version += 1
        dataset.schema = new.as_json()
        dataset.save(update_fields=["schema", "schema_version", "updated_at"])
        DatasetSchemaVersion.objects.create(
            dataset=dataset,
            version=dataset.schema_version,
            schema=new.as_json(),
            changes=[c.describe() for c in changes],
            created_by=actor,
        )
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=dataset,
            changes={"schema": [old.as_json(), new.as_json()]},
            message="; ".join(c.describe() for c in changes),
        )
        # The warehouse is a different database: altered last, so a failure rolls back the
        # version row too. ADD COLUMN and widening are safe to repeat.
        writer.apply_changes(dataset.slug, changes)
    return changes


def announce_change(dataset: Dataset, result: writer.BatchResult) -> DataChange | None:
    """After a committed batch: row count, arrival time, the change kept, and the "dataset
    changed" signal."""
    if not result.accepted:
        return None
    now = timezone.now()
    rows = result.total_rows
    Dataset.objects.filter(pk=dataset.pk).update(row_count=rows, last_arrival_at=now)
    dataset.row_count, dataset.last_arrival_at = rows, now
    units = sorted(result.units) if len(result.units) <= MAX_CHANGE_UNITS else []
    change = DataChange.objects.create(
        dataset=dataset,
        time_min=wall_time(result.time_min),
        time_max=wall_time(result.time_max),
        units=units,
        rows=result.accepted,
    )
    if change.pk % 100 == 0:  # now and then, not on every batch
        DataChange.objects.filter(at__lt=now - KEEP_CHANGES).delete()
    dataset_changed.send(
        sender=Dataset,
        dataset=dataset,
        time_min=result.time_min,
        time_max=result.time_max,
        units=frozenset(result.units),
        rows=result.accepted,
        change=change,
    )
    return change
