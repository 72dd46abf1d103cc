"""ioc units: load, inspect and change administrative units.

ioc units load [--area 74,79] [--provinces 74,79] [--json]
ioc units area [CODE ...]                       (default: IOC_AREA)
ioc units resolve CODE [--on YYYY-MM-DD]
ioc units match "P. Phú Cường" [--level 3]
ioc units merge --into-code C --into-name N --effective YYYY-MM-DD [--basis B]
                [--actor USERNAME] CODE CODE ...
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_noop

from ioc.core.models import AdministrativeUnit
from ioc.core.units.area import refresh_area
from ioc.core.units.errors import UnitChangeError, bilingual
from ioc.core.units.loader import load_units
from ioc.core.units.resolve import current_successors, match_unit_name, resolve_code
from ioc.core.units.services import merge_units


def _fail(en: str, vi: str, **params: Any) -> CommandError:
    en_text, vi_text = bilingual(en, vi, **params)
    return CommandError(f"{vi_text}\n{en_text}")


def _codes(values: list[str] | None) -> list[str]:
    """Codes given as separate words or comma-separated."""
    return [c.strip() for v in values or [] for c in v.split(",") if c.strip()]


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _fail(
            gettext_noop("Bad date %(value)s: write it as YYYY-MM-DD, e.g. 2025-07-01."),
            "Ngày %(value)s không hợp lệ: viết theo dạng YYYY-MM-DD, ví dụ 2025-07-01.",
            value=repr(value),
        ) from None


def _period(unit: AdministrativeUnit) -> str:
    start = unit.valid_from.isoformat() if unit.valid_from else "…"
    end = unit.valid_to.isoformat() if unit.valid_to else "…"
    return f"{start} → {end}"


def _line(unit: AdministrativeUnit) -> str:
    parent = f"  < {unit.parent.name} ({unit.parent.code})" if unit.parent else ""
    area = "  [area]" if unit.in_area else ""
    return f"{unit.code:>6}  L{unit.level}  {unit.name}  {_period(unit)}  #{unit.pk}{parent}{area}"


class Command(BaseCommand):
    help = "Administrative units: load, area, resolve, match, merge."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        load = sub.add_parser("load", help="Load the whole country's units (idempotent).")
        load.add_argument("--area", nargs="*", help="Area codes (default: IOC_AREA).")
        load.add_argument("--provinces", nargs="*", help="Load only these provinces' codes.")
        load.add_argument("--json", action="store_true", help="Print the counts as JSON.")

        area = sub.add_parser("area", help="Mark the units of the area (default: IOC_AREA).")
        area.add_argument("codes", nargs="*")

        resolve = sub.add_parser("resolve", help="A code's unit(s) and current successors.")
        resolve.add_argument("code")
        resolve.add_argument("--on", help="Only the unit valid on this day (YYYY-MM-DD).")

        match = sub.add_parser("match", help="Units a name may mean, best first.")
        match.add_argument("text")
        match.add_argument("--level", type=int, choices=[1, 2, 3])
        match.add_argument("--limit", type=int, default=10)

        merge = sub.add_parser("merge", help="Merge open units into a new one.")
        merge.add_argument("codes", nargs="+", help="Codes of the units to merge.")
        merge.add_argument("--into-code", required=True)
        merge.add_argument("--into-name", required=True)
        merge.add_argument("--effective", required=True, help="First day of the new unit.")
        merge.add_argument("--basis", default="", help="Legal basis (resolution number).")
        merge.add_argument("--level", type=int, choices=[1, 2, 3])
        merge.add_argument("--actor", help="Username recorded in the audit log.")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        getattr(self, f"do_{action}")(opts)

    # -- actions ----------------------------------------------------------------------
    def do_load(self, opts: dict[str, Any]) -> None:
        provinces = _codes(opts["provinces"]) or None
        last = [-1, -1]  # last percent shown, last tenth shown
        tty = self.stdout.isatty()

        def progress(done: int, total: int, stage: str) -> None:
            percent = 100 * done // total if total else 100
            if opts["json"] or percent == last[0]:
                return
            last[0] = percent
            bar = "#" * (percent // 4)
            if tty:
                self.stdout.write(f"\r[{bar:<25}] {percent:3d}% {stage}", ending="")
            elif percent // 10 != last[1]:
                last[1] = percent // 10
                self.stdout.write(f"[{bar:<25}] {percent:3d}% {stage}")

        counts = load_units(provinces=provinces, progress=progress)
        if tty and not opts["json"]:
            self.stdout.write("")
        codes = _codes(opts["area"]) or list(settings.IOC_AREA)
        counts["in_area"] = refresh_area(codes)
        if opts["json"]:
            self.stdout.write(json.dumps(counts))
            return
        for key, value in counts.items():
            self.stdout.write(f"{key:>24}: {value}")

    def do_area(self, opts: dict[str, Any]) -> None:
        codes = _codes(opts["codes"]) or list(settings.IOC_AREA)
        unknown = [c for c in codes if not AdministrativeUnit.objects.filter(code=c).exists()]
        if unknown:
            raise _fail(
                gettext_noop("Unknown unit code(s): %(codes)s. Run `ioc units load` first?"),
                "Không có đơn vị mang mã: %(codes)s. Đã chạy `ioc units load` chưa?",
                codes=", ".join(unknown),
            )
        count = refresh_area(codes)
        self.stdout.write(f"{count} units in the area ({', '.join(codes)})")

    def do_resolve(self, opts: dict[str, Any]) -> None:
        on = _date(opts["on"])
        units = resolve_code(opts["code"], on=on)
        if not units:
            raise _fail(
                gettext_noop("No unit has the code %(code)s%(when)s."),
                "Không có đơn vị nào mang mã %(code)s%(when)s.",
                code=opts["code"],
                when=f" ({on.isoformat()})" if on else "",
            )
        for unit in units:
            self.stdout.write(_line(unit))
            if unit.valid_to is None:
                continue
            successors = current_successors(unit)
            if not successors:
                self.stdout.write("        → (none)")
            for successor, share in successors:
                self.stdout.write(f"        → {share:.3g}  {_line(successor)}")

    def do_match(self, opts: dict[str, Any]) -> None:
        units = match_unit_name(opts["text"], level=opts["level"], limit=opts["limit"])
        if not units:
            raise _fail(
                gettext_noop("No unit matches %(text)s."),
                "Không có đơn vị nào khớp với %(text)s.",
                text=repr(opts["text"]),
            )
        for unit in units:
            self.stdout.write(_line(unit))

    def do_merge(self, opts: dict[str, Any]) -> None:
        effective = _date(opts["effective"])
        assert effective is not None
        actor = None
        if opts["actor"]:
            actor = get_user_model().objects.filter(username=opts["actor"]).first()
            if actor is None:
                raise _fail(
                    gettext_noop("No user is named %(name)s."),
                    "Không có người dùng tên %(name)s.",
                    name=opts["actor"],
                )
        sources = []
        for code in _codes(opts["codes"]):
            found = AdministrativeUnit.objects.filter(code=code, valid_to__isnull=True)
            if opts["level"]:
                found = found.filter(level=opts["level"])
            units = list(found)
            if not units:
                raise _fail(
                    gettext_noop("No open unit has the code %(code)s."),
                    "Không có đơn vị đang hiệu lực nào mang mã %(code)s.",
                    code=code,
                )
            if len(units) > 1:
                raise _fail(
                    gettext_noop("Several open units have the code %(code)s: add --level."),
                    "Có nhiều đơn vị đang hiệu lực mang mã %(code)s: thêm --level.",
                    code=code,
                )
            sources.append(units[0])
        try:
            unit = merge_units(
                actor=actor,
                sources=sources,
                into_name=opts["into_name"],
                into_code=opts["into_code"],
                effective=effective,
                basis=opts["basis"],
            )
        except UnitChangeError as exc:
            raise CommandError(f"{exc.vi}\n{exc.en}") from None
        self.stdout.write(_line(unit))
