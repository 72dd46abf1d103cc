"""Manual entry: the monthly figures agencies still type in, through the same validation.

The form is built from the dataset's schema; a submitted row is mapped exactly like a file's
row (Vietnamese numbers, dates, unit codes, the dataset's rules). A row that fails is shown
back with its reasons and not stored; a row that passes is written as one load of its own,
so it appears in the dataset's history like any other. With a key (month and commune, say),
entering the same month again corrects it.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from django import forms
from django.utils.translation import gettext_lazy as _

from ioc.core.models import AdministrativeUnit
from ioc.integrations import pipeline
from ioc.integrations.connectors.base import ReadState
from ioc.integrations.mapping import FieldMap, Mapper, Mapping
from ioc.integrations.models import SyncRun, Trigger
from ioc.warehouse.models import Dataset
from ioc.warehouse.schema import Column, ColumnType, Role

if TYPE_CHECKING:
    from ioc.accounts.models import User


def unit_choices(allowed: frozenset[str] | None) -> list[tuple[str, str]]:
    units = AdministrativeUnit.objects.filter(in_area=True, level=3, valid_to__isnull=True)
    if allowed is not None:
        units = units.filter(code__in=allowed)
    return [("", "—")] + [(u.code, u.name) for u in units.order_by("name")]


def field_for(column: Column, allowed_units: frozenset[str] | None) -> forms.Field:
    label = column.label or column.name
    required = column.required or column.role in (Role.TIME, Role.UNIT)
    help_text = column.unit
    if column.role == Role.UNIT:
        return forms.ChoiceField(
            label=label, choices=unit_choices(allowed_units), required=required
        )
    if column.type == ColumnType.DATE:
        return forms.CharField(
            label=label,
            required=required,
            widget=forms.DateInput(attrs={"type": "date"}),
            help_text=help_text,
        )
    if column.type == ColumnType.TIMESTAMP:
        return forms.CharField(
            label=label,
            required=required,
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        )
    if column.type == ColumnType.BOOLEAN:
        return forms.ChoiceField(
            label=label,
            required=required,
            choices=[("", "—"), ("có", _("yes")), ("không", _("no"))],
        )
    if column.type in (ColumnType.INTEGER, ColumnType.DECIMAL):
        return forms.CharField(
            label=label,
            required=required,
            max_length=40,
            help_text=help_text or _("Vietnamese or English number format: 1.234,5 or 1,234.5"),
            widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        )
    return forms.CharField(label=label, required=required, max_length=500)


class EntryForm(forms.Form):
    def __init__(
        self, dataset: Dataset, allowed_units: frozenset[str] | None, *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.dataset = dataset
        for column in dataset.parsed_schema.columns:
            self.fields[column.name] = field_for(column, allowed_units)


def mapped_row(dataset: Dataset, values: dict[str, str]) -> tuple[pa.Table, pa.Table, Mapping]:
    schema = dataset.parsed_schema
    mapping = Mapping(fields=[FieldMap(column=c.name, source=c.name) for c in schema.columns])
    table = pa.table(
        {c.name: pa.array([values.get(c.name) or None], pa.string()) for c in schema.columns}
    )
    result = Mapper(schema, mapping, unit_lookup=pipeline.lookup_units).map(table, 1)
    return table, result.rejected, mapping


def save_entry(dataset: Dataset, values: dict[str, str], *, actor: User | None) -> SyncRun | str:
    """Store one entered row, or return the reasons it cannot be stored (nothing written)."""
    table, rejected, mapping = mapped_row(dataset, values)
    if rejected.num_rows:
        return str(rejected.column("_reason")[0])
    run = SyncRun.objects.create(
        dataset=dataset, trigger=Trigger.ENTRY, source="form", started_by=actor
    )
    state = ReadState(source_id=f"entry:{uuid.uuid4().hex}")
    counts = pipeline.load(dataset, mapping, [table], state, run)
    return pipeline.finish(run, counts, state)
