"""ioc datasets list|show|export: the catalogue on the command line.

ioc datasets list [--json]
ioc datasets show NAME [--json]          schema, versions, counts, quarantine reasons
ioc datasets export NAME FILE            .csv, .parquet or .xlsx, by the file's extension
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ioc.warehouse import export, quarantine
from ioc.warehouse.models import Dataset


def _dataset(slug: str) -> Dataset:
    dataset = Dataset.objects.select_related("sector", "owner").filter(slug=slug).first()
    if dataset is None:
        raise CommandError(f"Không có bộ dữ liệu '{slug}' / no dataset '{slug}'")
    return dataset


def summary(dataset: Dataset) -> dict[str, Any]:
    return {
        "name": dataset.slug,
        "title": dataset.name,
        "title_en": dataset.name_en,
        "sector": dataset.sector.code,
        "owner": dataset.owner.code,
        "rows": dataset.row_count,
        "schema_version": dataset.schema_version,
        "cadence": dataset.cadence,
        "last_arrival_at": dataset.last_arrival_at.isoformat() if dataset.last_arrival_at else None,
        "open": dataset.is_open,
    }


class Command(BaseCommand):
    help = "List, show and export datasets."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Every dataset.")
        listing.add_argument("--json", action="store_true")
        show = sub.add_parser("show", help="One dataset: schema, versions, quarantine.")
        show.add_argument("name")
        show.add_argument("--json", action="store_true")
        exp = sub.add_parser("export", help="Write a dataset's rows to a file.")
        exp.add_argument("name")
        exp.add_argument("file", type=Path)

    def handle(self, *args: Any, **opts: Any) -> None:
        getattr(self, f"do_{opts['action']}")(opts)

    def do_list(self, opts: dict[str, Any]) -> None:
        rows = [summary(d) for d in Dataset.objects.select_related("sector", "owner")]
        if opts["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for row in rows:
            self.stdout.write(
                f"{row['name']:<32} {row['rows']:>12,}  {row['sector']:<22} {row['title']}"
            )

    def do_show(self, opts: dict[str, Any]) -> None:
        dataset = _dataset(opts["name"])
        data = summary(dataset)
        data["schema"] = dataset.schema
        data["versions"] = [
            {"version": v.version, "changes": v.changes, "at": v.created_at.isoformat()}
            for v in dataset.versions.all()
        ]
        data["quarantine"] = {
            "rows": quarantine.count(dataset.slug),
            "reasons": [{"reason": r, "rows": n} for r, n in quarantine.reasons(dataset.slug)],
        }
        if opts["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, default=str))
            return
        self.stdout.write(f"{dataset.slug}: {dataset.name} ({dataset.row_count:,} rows)")
        self.stdout.write(f"  sector {dataset.sector.code}, owner {dataset.owner.code}")
        for col in dataset.parsed_schema.columns:
            self.stdout.write(
                f"  {col.name:<28} {col.type.value:<10} {col.role.value:<10} {col.label}"
            )
        q = data["quarantine"]
        self.stdout.write(f"  quarantine: {q['rows']} rows")
        for item in q["reasons"]:
            self.stdout.write(f"    {item['rows']:>8}  {item['reason']}")

    def do_export(self, opts: dict[str, Any]) -> None:
        dataset = _dataset(opts["name"])
        path: Path = opts["file"]
        try:
            rows = export.write_file(dataset, path)
        except export.ExportError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{rows} rows → {path}")
