"""ioc cameras: the camera registry on the command line.

ioc cameras import FILE [--json]     add or update cameras from a CSV or Excel list
ioc cameras probe [--json]           probe every enabled camera now (what the scheduler does)
ioc cameras list [--json]            the cameras with their status
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ioc.cameras.health import probe
from ioc.cameras.imports import import_file
from ioc.cameras.models import Camera


class Command(BaseCommand):
    help = "Cameras: import the registry, probe them, list them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Add or update cameras from a CSV or XLSX file.")
        imp.add_argument("file")
        imp.add_argument("--json", action="store_true")
        pro = sub.add_parser("probe", help="Probe every enabled camera now.")
        pro.add_argument("--json", action="store_true")
        lst = sub.add_parser("list", help="The cameras and their status.")
        lst.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "import":
            path = Path(options["file"])
            if not path.is_file():
                raise CommandError(f"Không có tệp / no such file: {path}")
            report = import_file(path)
            out = {
                "created": report.created,
                "updated": report.updated,
                "failed": [
                    {"row": f.row, "code": f.code, "reasons": f.reasons} for f in report.failed
                ],
            }
            if options["json"]:
                self.stdout.write(json.dumps(out, ensure_ascii=False))
                return
            self.stdout.write(
                f"{report.created} thêm mới / added, {report.updated} cập nhật / updated,"
                f" {len(report.failed)} dòng bị loại / rows left out"
            )
            for failed in report.failed:
                self.stdout.write(
                    f"  dòng / row {failed.row} {failed.code}: {'; '.join(failed.reasons)}"
                )
        elif action == "probe":
            result = probe()
            self.stdout.write(json.dumps(result) if options["json"] else str(result))
        else:
            rows = [
                {"code": c.code, "name": c.name, "status": c.status, "last_error": c.last_error}
                for c in Camera.objects.order_by("code")
            ]
            if options["json"]:
                self.stdout.write(json.dumps(rows, ensure_ascii=False))
            else:
                for row in rows:
                    self.stdout.write(f"{row['code']:<24} {row['status']:<9} {row['name']}")
