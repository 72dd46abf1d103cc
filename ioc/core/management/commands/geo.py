"""ioc geo: the units' polygons and the point → unit lookup.

ioc geo import-boundaries FILE [--level 1|2|3] [--code-field NAME] [--on YYYY-MM-DD]
                               [--swap-xy] [--json] [--actor USERNAME]
ioc geo derive                  polygons for units formed by merges and splits, and upper levels
ioc geo locate LON LAT [--on YYYY-MM-DD]
ioc geo status [--json]         how many of the area's units have a polygon, by level and origin

FILE is GeoJSON (WGS 84, longitude first), a Shapefile (.shp beside its .dbf, .shx, .prj) or a
.zip of one. Each feature's unit code is read from the property named by ``--code-field``, or
from the first of code, ma, ma_xa, ma_dvhc, ... that it has. What is refused is listed with the
reason and kept in var/geo/rejected/; see docs/guide/maps.md.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ioc.core.models import AdministrativeUnit, Boundary
from ioc.core.progress import ProgressBar
from ioc.core.units.boundaries import derive_missing, import_boundaries
from ioc.core.units.errors import UnitChangeError
from ioc.core.units.locate import Locator

from .units import _actor, _date


class Command(BaseCommand):
    help = "Administrative boundaries (polygons) and point → unit lookup."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import-boundaries", help="Import polygons from GeoJSON/Shapefile.")
        imp.add_argument("file")
        imp.add_argument("--level", type=int, choices=[1, 2, 3])
        imp.add_argument("--code-field", help="Property holding the unit code.")
        imp.add_argument("--on", help="Match units valid on this day (YYYY-MM-DD).")
        imp.add_argument("--swap-xy", action="store_true", help="The file is latitude first.")
        imp.add_argument("--json", action="store_true")
        imp.add_argument("--actor", help="Username recorded in the audit log (a system admin).")
        sub.add_parser("derive", help="Derive polygons from history and children.")
        loc = sub.add_parser("locate", help="The commune holding a point.")
        loc.add_argument("lon", type=float)
        loc.add_argument("lat", type=float)
        loc.add_argument("--on")
        status = sub.add_parser("status", help="Which of the area's units have polygons.")
        status.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except UnitChangeError as e:
            raise CommandError(f"{e.vi}\n{e.en}") from e

    def _import_boundaries(self, options: dict[str, Any]) -> None:
        quiet = options["json"]
        bar = ProgressBar(unit="đối tượng / features", stream=sys.stderr, enabled=not quiet)
        report = import_boundaries(
            Path(options["file"]),
            level=options["level"],
            code_field=options["code_field"],
            on=_date(options["on"]),
            swap=options["swap_xy"],
            actor=_actor(options["actor"]),
            progress=bar.update,
        )
        bar.close()
        if quiet:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
            return
        self.stdout.write(
            f"Đã đọc / read {report.read}; lưu / saved {report.saved} "
            f"(sửa hình / repaired {report.repaired}); từ chối / rejected {len(report.rejected)}; "
            f"suy ra / derived {report.derived}"
        )
        for r in report.rejected[:50]:
            self.stdout.write(f"  #{r.index} {r.code or '-'}: {r.vi} / {r.en}")
        if len(report.rejected) > 50:
            self.stdout.write(f"  … {len(report.rejected) - 50} more / còn nữa")
        if report.rejected_file:
            self.stdout.write(
                f"Các đối tượng bị từ chối / rejected features: {report.rejected_file}"
            )
        if report.missing:
            self.stdout.write(
                f"Đơn vị trong địa bàn chưa có ranh giới / area units without a polygon "
                f"({len(report.missing)}): {', '.join(report.missing[:30])}"
            )

    def _derive(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"Suy ra / derived: {derive_missing()}")

    def _locate(self, options: dict[str, Any]) -> None:
        locator = Locator.for_day(_date(options["on"]))
        found = locator.locate(options["lon"], options["lat"])
        if found is None:
            hint = ""
            if locator.swapped([options["lon"]], [options["lat"]])[0]:
                hint = " (vĩ độ/kinh độ bị đảo? / latitude and longitude swapped?)"
            raise CommandError(
                f"Điểm nằm ngoài mọi đơn vị có ranh giới / the point is outside every unit "
                f"with a polygon{hint}"
            )
        self.stdout.write(f"{found.code} {found.name} < {' < '.join(found.parents)}")

    def _status(self, options: dict[str, Any]) -> None:
        units = AdministrativeUnit.objects.in_area()
        total = Counter(units.values_list("level", flat=True))
        have = Counter(
            Boundary.objects.filter(unit__in_area=True).values_list("unit__level", "origin")
        )
        rows = [
            {
                "level": level,
                "units": total[level],
                **{origin: n for (lvl, origin), n in have.items() if lvl == level},
            }
            for level in sorted(total)
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows))
            return
        for row in rows:
            self.stdout.write(json.dumps(row))
