"""ioc dashboards export|import|list|rollups: dashboards as code, and their rollups.

ioc dashboards export DIR           one YAML file per dashboard into DIR
ioc dashboards import DIR           every .yaml file of DIR (all or nothing)
ioc dashboards list [--json]        dashboards and their chart counts
ioc dashboards rollups [--build]    rollups, their size and state; --build rebuilds them all
ioc dashboards rollups --auto       a rollup per dataset for the charts in use (kept if small)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from ioc.dashboards import advisor, rollups
from ioc.dashboards.code import DashboardFileError, export_all, import_directory
from ioc.dashboards.models import Dashboard, Rollup
from ioc.warehouse.models import Dataset


class Command(BaseCommand):
    help = "Export and import dashboards as YAML; list dashboards and rollups."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        out = sub.add_parser("export", help="Write one YAML file per dashboard.")
        out.add_argument("directory", type=Path)
        into = sub.add_parser("import", help="Read every .yaml file of a directory.")
        into.add_argument("directory", type=Path)
        listing = sub.add_parser("list", help="Dashboards and their charts.")
        listing.add_argument("--json", action="store_true")
        rollup = sub.add_parser("rollups", help="Rollups and their state.")
        rollup.add_argument("--build", action="store_true", help="Rebuild every rollup.")
        rollup.add_argument(
            "--auto",
            action="store_true",
            help="Build for each dataset the rollup its charts need, kept if worth it.",
        )
        rollup.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        getattr(self, f"do_{opts['action']}")(opts)

    def do_export(self, opts: dict[str, Any]) -> None:
        written = export_all(opts["directory"])
        self.stdout.write(f"{len(written)} dashboards → {opts['directory']}")

    def do_import(self, opts: dict[str, Any]) -> None:
        directory: Path = opts["directory"]
        if not directory.is_dir():
            raise CommandError(f"Không có thư mục {directory} / no directory {directory}")
        try:
            saved = import_directory(directory, actor=None)
        except DashboardFileError as exc:
            raise CommandError(
                "Không nhập gì / nothing imported:\n" + "\n".join(exc.problems)
            ) from None
        charts = sum(d.charts.count() for d in saved)
        self.stdout.write(f"{len(saved)} dashboards, {charts} charts ← {directory}")

    def do_list(self, opts: dict[str, Any]) -> None:
        rows = [
            {"slug": d.slug, "name": d.name, "sector": d.sector.code if d.sector else None,
             "charts": d.n}
            for d in Dashboard.objects.select_related("sector").annotate(n=Count("charts"))
        ]  # fmt: skip
        if opts["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for row in rows:
            self.stdout.write(f"{row['slug']:<32} {row['charts']:>4}  {row['name']}")

    def do_rollups(self, opts: dict[str, Any]) -> None:
        if opts["auto"]:
            for dataset in Dataset.objects.filter(charts__isnull=False).distinct():
                _rollup, note = advisor.apply(dataset)
                self.stderr.write(f"  {dataset.slug}: {note}")
        found = list(Rollup.objects.select_related("dataset"))
        if opts["build"]:
            for rollup in found:
                rollups.build(rollup)
                self.stderr.write(f"  {rollup.table}: {rollup.rows:,} rows")
        rows = [
            {"table": r.table, "grain": r.grain, "dimensions": r.dimensions, "rows": r.rows,
             "built": r.built, "fresh": r.change_id >= rollups.latest_change(r.dataset_id),
             "error": r.error}
            for r in found
        ]  # fmt: skip
        if opts["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for row in rows:
            state = "ok" if row["built"] and row["fresh"] else "behind"
            self.stdout.write(f"{row['table']:<48} {row['grain']:<6} {row['rows']:>12,}  {state}")
