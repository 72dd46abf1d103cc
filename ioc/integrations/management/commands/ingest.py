"""ioc ingest FILE --dataset NAME [--create] [--json]: load a file into a dataset.

    ioc ingest kham_benh_2026.csv --dataset kham_benh
    ioc ingest bao_cao.xlsx --dataset dan_so --create --sector y-te --name "Dân số"
    ioc ingest data.csv --dataset x --json        # {"read": N, "accepted": A, "rejected": R}

Rows that fail the mapping go to the dataset's quarantine with their reason; the command
exits with status 1 only when the load itself failed (the file could not be read).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ioc.core.models import Agency, Sector
from ioc.core.progress import ProgressBar
from ioc.integrations.services import IngestError, ingest_file

ESTIMATE_SAMPLE = 1 << 20


def estimate_rows(path: Path) -> int | None:
    """Lines in a text file, guessed from its first MiB (for the progress bar)."""
    if path.suffix.lower() not in {".csv", ".tsv", ".txt", ".ndjson", ".jsonl"}:
        return None
    size = path.stat().st_size
    with path.open("rb") as fh:
        sample = fh.read(ESTIMATE_SAMPLE)
    lines = sample.count(b"\n")
    if not lines:
        return None
    return max(int(size / (len(sample) / lines)) - 1, 1)


class Command(BaseCommand):
    help = "Load a file (CSV, XLSX, JSON, NDJSON, Parquet) into a dataset."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dataset", required=True, help="The dataset's table name.")
        parser.add_argument(
            "--create",
            action="store_true",
            help="Make a new dataset whose schema is inferred from the file.",
        )
        parser.add_argument("--name", default="", help="With --create: the dataset's name.")
        parser.add_argument("--sector", help="With --create: the sector's code.")
        parser.add_argument("--owner", help="With --create: the owner agency's code.")
        parser.add_argument(
            "--format", default="auto", choices=["auto", "csv", "xlsx", "json", "ndjson", "parquet"]
        )
        parser.add_argument(
            "--encoding",
            default="auto",
            choices=["auto", "utf-8", "utf-8-sig", "utf-16", "windows-1258", "tcvn3"],
        )
        parser.add_argument("--delimiter", default="auto", choices=["auto", ",", ";", "\t", "|"])
        parser.add_argument("--sheet", help="Excel: read only this sheet.")
        parser.add_argument("--json", action="store_true", help="Print the counts as JSON.")

    def handle(self, *args: Any, **opts: Any) -> None:
        path: Path = opts["file"]
        sector = owner = None
        if opts["create"]:
            sector, owner = self._sector_owner(opts["sector"], opts["owner"])
        options = {
            "format": opts["format"],
            "encoding": opts["encoding"],
            "delimiter": opts["delimiter"],
        }
        if opts["sheet"]:
            options["sheet"] = opts["sheet"]
        bar = ProgressBar(
            estimate_rows(path) if path.is_file() else None,
            unit="rows",
            stream=sys.stderr,
            enabled=not opts["json"],
        )
        try:
            run = ingest_file(
                path,
                dataset=opts["dataset"],
                create=opts["create"],
                name=opts["name"],
                sector=sector,
                owner=owner,
                progress=lambda rows, _bytes: bar.update(rows),
                **options,
            )
        except (IngestError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        bar.close()
        counts = {
            "read": run.rows_read,
            "accepted": run.rows_accepted,
            "rejected": run.rows_rejected,
        }
        if opts["json"]:
            self.stdout.write(json.dumps(counts))
        else:
            self.stdout.write(
                f"{run.dataset.slug if run.dataset else opts['dataset']}: đọc/read {run.rows_read},"
                f" nhận/accepted {run.rows_accepted}, loại/rejected {run.rows_rejected}"
                f" (run #{run.pk}, {run.duration or 0:.1f} s)"
            )
            if run.rows_rejected:
                self.stdout.write(
                    "Các dòng bị loại nằm trong khu cách ly / rejected rows are in the quarantine:"
                    f" ioc datasets show {opts['dataset']}"
                )
        if run.error:
            raise CommandError(run.error)

    def _sector_owner(
        self, sector_code: str | None, owner_code: str | None
    ) -> tuple[Sector, Agency]:
        if not sector_code:
            raise CommandError("--create cần --sector / --create needs --sector")
        sector = Sector.objects.filter(code=sector_code).first()
        if sector is None:
            codes = ", ".join(Sector.objects.values_list("code", flat=True))
            raise CommandError(
                f"Không có lĩnh vực '{sector_code}' / no sector '{sector_code}' ({codes})"
            )
        if owner_code:
            owner = Agency.objects.filter(code=owner_code).first()
            if owner is None:
                raise CommandError(f"Không có cơ quan '{owner_code}' / no agency '{owner_code}'")
            return sector, owner
        owner = (
            Agency.objects.filter(sectors=sector, is_active=True).order_by("unit__level").first()
        )
        if owner is None:
            raise CommandError(
                f"Lĩnh vực '{sector_code}' chưa có cơ quan nào, hãy dùng --owner /"
                f" sector '{sector_code}' has no agency yet, use --owner"
            )
        return sector, owner
