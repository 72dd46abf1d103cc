"""A dataset's declared schema: typed columns with roles, and how it may change.

A schema is a list of :class:`Column`. Each column has a type (the warehouse type follows
from it) and a role that tells the semantic layer what it is: the time column, the
administrative-unit column, latitude/longitude, a dimension to group by, a measure to add
up, or a plain attribute.

Schemas change only through :func:`plan_changes`, which allows adding nullable columns and
widening a type (integer → decimal → text, date → timestamp), and refuses anything that
would lose data (dropping, renaming, narrowing). Each accepted change becomes a new
``DatasetSchemaVersion`` and an ``ALTER TABLE`` run by the writer, never a silent rewrite.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Columns the warehouse adds to every dataset table; users cannot declare them.
SYSTEM_COLUMNS = ("_run", "_source", "_row", "_loaded_at")


def quote(name: str) -> str:
    """An SQL identifier, double-quoted (the warehouse's SQL is built from validated names and
    source field names; values are always bound parameters)."""
    return '"' + name.replace('"', '""') + '"'


class SchemaError(ValueError):
    """A schema or a schema change that is not allowed; the message is bilingual."""


class ColumnType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    TIMESTAMP = "timestamp"


ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.TEXT: pa.string(),
    ColumnType.INTEGER: pa.int64(),
    ColumnType.DECIMAL: pa.float64(),
    ColumnType.BOOLEAN: pa.bool_(),
    ColumnType.DATE: pa.date32(),
    ColumnType.TIMESTAMP: pa.timestamp("us"),
}
SQL_TYPES: dict[ColumnType, str] = {
    ColumnType.TEXT: "VARCHAR",
    ColumnType.INTEGER: "BIGINT",
    ColumnType.DECIMAL: "DOUBLE PRECISION",  # DOUBLE in DuckDB, float8 in PostgreSQL
    ColumnType.BOOLEAN: "BOOLEAN",
    ColumnType.DATE: "DATE",
    ColumnType.TIMESTAMP: "TIMESTAMP",
}

# type -> the types it may widen into (each keeps every existing value).
WIDENINGS: dict[ColumnType, set[ColumnType]] = {
    ColumnType.INTEGER: {ColumnType.DECIMAL, ColumnType.TEXT},
    ColumnType.DECIMAL: {ColumnType.TEXT},
    ColumnType.BOOLEAN: {ColumnType.TEXT},
    ColumnType.DATE: {ColumnType.TIMESTAMP, ColumnType.TEXT},
    ColumnType.TIMESTAMP: {ColumnType.TEXT},
    ColumnType.TEXT: set(),
}


class Role(StrEnum):
    TIME = "time"
    UNIT = "unit"
    LAT = "lat"
    LON = "lon"
    DIMENSION = "dimension"
    MEASURE = "measure"
    ATTRIBUTE = "attribute"


# Roles a dataset has at most one of.
SINGLE_ROLES = (Role.TIME, Role.UNIT, Role.LAT, Role.LON)


class Column(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(max_length=63)]
    type: ColumnType
    role: Role = Role.ATTRIBUTE
    label: str = ""  # Vietnamese
    label_en: str = ""
    required: bool = False
    unit: str = ""  # the measure's unit, e.g. "người", "mm", "µg/m³"

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not IDENTIFIER.match(value) or value in SYSTEM_COLUMNS:
            raise ValueError(
                f"Tên cột '{value}' không hợp lệ: chữ thường không dấu, số và '_' /"
                f" column name '{value}' is invalid: lowercase ASCII letters, digits and '_'"
            )
        return value

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]

    @model_validator(mode="after")
    def _role_fits_type(self) -> Column:
        wanted = {
            Role.TIME: {ColumnType.DATE, ColumnType.TIMESTAMP},
            Role.LAT: {ColumnType.DECIMAL},
            Role.LON: {ColumnType.DECIMAL},
            Role.MEASURE: {ColumnType.INTEGER, ColumnType.DECIMAL},
            Role.UNIT: {ColumnType.TEXT},
        }.get(self.role)
        if wanted and self.type not in wanted:
            kinds = ", ".join(sorted(t.value for t in wanted))
            raise ValueError(
                f"Cột '{self.name}' vai trò {self.role.value} cần kiểu {kinds} /"
                f" column '{self.name}' with role {self.role.value} needs type {kinds}"
            )
        return self


class Schema(BaseModel):
    """The columns plus the dedup key (the columns that identify one record)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    columns: list[Column]
    key: list[str] = []

    @model_validator(mode="after")
    def _consistent(self) -> Schema:
        if not self.columns:
            raise ValueError("Bộ dữ liệu cần ít nhất một cột / a dataset needs at least one column")
        names = [c.name for c in self.columns]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"Cột trùng tên / duplicate columns: {', '.join(duplicates)}")
        unknown = [k for k in self.key if k not in names]
        if unknown:
            raise ValueError(
                f"Khoá chống trùng có cột không tồn tại / dedup key names unknown columns:"
                f" {', '.join(unknown)}"
            )
        for role in SINGLE_ROLES:
            holders = [c.name for c in self.columns if c.role == role]
            if len(holders) > 1:
                raise ValueError(
                    f"Chỉ một cột được có vai trò {role.value} / only one column may have role"
                    f" {role.value}: {', '.join(holders)}"
                )
        return self

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def with_role(self, role: Role) -> Column | None:
        return next((c for c in self.columns if c.role == role), None)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def parse_schema(data: dict[str, Any]) -> Schema:
    """A Schema from stored JSON or user input; errors become one bilingual SchemaError."""
    from pydantic import ValidationError

    try:
        return Schema.model_validate(data)
    except ValidationError as exc:
        messages = "; ".join(
            str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors()
        )
        raise SchemaError(messages) from None


class Change(BaseModel):
    """One step of a schema migration: ``add`` a column or ``widen`` one's type."""

    model_config = ConfigDict(frozen=True)

    op: str  # "add" | "widen" | "relabel"
    column: Column

    def describe(self) -> str:
        c = self.column
        if self.op == "add":
            return f"add {c.name} {c.type.value}"
        if self.op == "widen":
            return f"widen {c.name} to {c.type.value}"
        return f"relabel {c.name}"


def plan_changes(old: Schema, new: Schema) -> list[Change]:
    """The steps from ``old`` to ``new``; SchemaError if any step would lose data."""
    problems: list[str] = []
    new_names = set(new.names)
    for col in old.columns:
        if col.name not in new_names:
            problems.append(
                f"không được xoá cột '{col.name}' / column '{col.name}' cannot be removed"
            )
    if old.key and new.key != old.key:
        problems.append("không được đổi khoá chống trùng / the dedup key cannot change")
    changes: list[Change] = []
    for col in new.columns:
        if col.name not in old.names:
            if col.required:
                problems.append(
                    f"cột mới '{col.name}' không thể bắt buộc (dữ liệu cũ không có) /"
                    f" new column '{col.name}' cannot be required (existing rows lack it)"
                )
            changes.append(Change(op="add", column=col))
            continue
        before = old.column(col.name)
        if before.type != col.type:
            if col.type not in WIDENINGS[before.type]:
                problems.append(
                    f"cột '{col.name}' không đổi được từ {before.type.value} sang"
                    f" {col.type.value} / column '{col.name}' cannot change from"
                    f" {before.type.value} to {col.type.value}"
                )
                continue
            changes.append(Change(op="widen", column=col))
        elif before != col:
            if col.required and not before.required:
                problems.append(
                    f"cột '{col.name}' không thể thành bắt buộc / column '{col.name}' cannot"
                    " become required"
                )
                continue
            changes.append(Change(op="relabel", column=col))
    if problems:
        raise SchemaError("; ".join(problems))
    return changes


def column(
    name: str, type_: str, role: str, label: str, label_en: str, **more: Any
) -> dict[str, Any]:
    """One column of a schema written in code (the platform's own datasets)."""
    return {"name": name, "type": type_, "role": role, "label": label, "label_en": label_en, **more}
