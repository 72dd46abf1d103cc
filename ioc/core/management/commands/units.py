"""ioc units: load, inspect and change administrative units.

ioc units load [--area 74,79] [--provinces 74,79] [--json] [--actor USERNAME]
ioc units area [CODE ...] [--actor USERNAME]    (default: IOC_AREA)
ioc units resolve CODE [--on YYYY-MM-DD]
ioc units match "P. Phú Cường" [--level 3] [--limit N]
ioc units merge --into-code C --into-name N --effective YYYY-MM-DD [--parent CODE]
                [--basis B] [--level L] [--actor USERNAME] CODE CODE ...
ioc units split CODE --part CODE:NAME:SHARE --part ... --primary CODE
                --effective YYYY-MM-DD [--basis B] [--level L] [--actor USERNAME]
ioc units rename CODE --name NEW --effective YYYY-MM-DD [--basis B] [--level L]
                [--actor USERNAME]

``--actor`` names the user recorded in the audit log: an active system administrator (the
system_admin role) or superuser. Without it the entries name no one (the system).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_noop

from ioc.accounts.choices import Role
from ioc.accounts.models import User
from ioc.core.models import AdministrativeUnit
from ioc.core.progress import ProgressBar
from ioc.core.units.area import refresh_area
from ioc.core.units.errors import UnitChangeError, bilingual
from ioc.core.units.loader import load_units
from ioc.core.units.resolve import current_successors, match_unit_name, resolve_code
from ioc.core.units.services import merge_units, rename_unit, split_unit


def _fail(en: str, vi: str, **params: Any) -> CommandError:
    en_text, vi_text = bilingual(en, vi, **params)
    return CommandError(f"{vi_text}\n{en_text}")


def _bad_argument(en: str, vi: str, **params: Any) -> argparse.ArgumentTypeError:
    en_text, vi_text = bilingual(en, vi, **params)
    return argparse.ArgumentTypeError(f"{vi_text} / {en_text}")


def _limit(value: str) -> int:
    """argparse type of ``match --limit``: a whole number, at least 1."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise _bad_argument(
            gettext_noop("%(value)s is not a whole number of at least 1."),
            "%(value)s không phải là số nguyên từ 1 trở lên.",
            value=repr(value),
        )
    return number


def _part(value: str) -> tuple[str, str, float]:
    """argparse type of ``split --part``: CODE:NAME:SHARE, e.g. 25750:Phường Phú Lợi:0.6."""
    code, _, rest = value.partition(":")
    name, _, share = rest.rpartition(":")
    try:
        weight = float(share)
    except ValueError:
        weight = None
    if not code.strip() or not name.strip() or weight is None:
        raise _bad_argument(
            gettext_noop(
                "Bad part %(value)s: write CODE:NAME:SHARE, e.g. 25750:Phường Phú Lợi:0.6."
            ),
            "Phần %(value)s không hợp lệ: viết theo dạng MÃ:TÊN:TỶ LỆ, "
            "ví dụ 25750:Phường Phú Lợi:0.6.",
            value=repr(value),
        )
    return code.strip(), name, weight


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


def _effective(value: str) -> dt.date:
    day = _date(value)
    assert day is not None
    return day


def _actor(username: str | None) -> User | None:
    """The user named by ``--actor``: an active system administrator or superuser."""
    if not username:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        raise _fail(
            gettext_noop("No user is named %(name)s."),
            "Không có người dùng tên %(name)s.",
            name=username,
        )
    if not user.is_active or not (user.is_superuser or user.has_role(Role.SYSTEM_ADMIN)):
        raise _fail(
            gettext_noop(
                "%(name)s may not change the units: --actor must name an active system "
                "administrator or superuser."
            ),
            "%(name)s không được thay đổi đơn vị hành chính: --actor phải là quản trị hệ "
            "thống hoặc siêu quản trị đang hoạt động.",
            name=username,
        )
    return user


def _open_unit(code: str, level: int | None) -> AdministrativeUnit:
    """The one open unit with this code (and level, when given)."""
    found = AdministrativeUnit.objects.filter(code=code, valid_to__isnull=True)
    if level:
        found = found.filter(level=level)
    units = list(found[:2])
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
    return units[0]


def _parent_unit(code: str, below: int, effective: dt.date) -> AdministrativeUnit:
    """The unit named by ``merge --parent``: above level ``below``, preferring the one valid
    on ``effective`` when the code has several (the service checks the rest)."""
    units = list(AdministrativeUnit.objects.filter(code=code.strip(), level__lt=below))
    if len(units) > 1:
        units = list(
            AdministrativeUnit.objects.filter(pk__in=[u.pk for u in units]).valid_on(effective)
        )
    if not units:
        raise _fail(
            gettext_noop("No unit has the code %(code)s%(when)s."),
            "Không có đơn vị nào mang mã %(code)s%(when)s.",
            code=code,
            when=f" ({effective.isoformat()})",
        )
    if len(units) > 1:
        raise _fail(
            gettext_noop("Several units valid on %(effective)s have the code %(code)s."),
            "Có nhiều đơn vị có hiệu lực vào ngày %(effective)s mang mã %(code)s.",
            code=code,
            effective=effective.isoformat(),
        )
    return units[0]


def _period(unit: AdministrativeUnit) -> str:
    start = unit.valid_from.isoformat() if unit.valid_from else "…"
    end = unit.valid_to.isoformat() if unit.valid_to else "…"
    return f"{start} → {end}"


def _line(unit: AdministrativeUnit) -> str:
    parent = f"  < {unit.parent.name} ({unit.parent.code})" if unit.parent else ""
    area = "  [area]" if unit.in_area else ""
    return f"{unit.code:>6}  L{unit.level}  {unit.name}  {_period(unit)}  #{unit.pk}{parent}{area}"


def _change_arguments(parser: CommandParser) -> None:
    """Arguments shared by merge, split and rename."""
    parser.add_argument("--effective", required=True, help="First day of the new unit(s).")
    parser.add_argument("--basis", default="", help="Legal basis (resolution number).")
    parser.add_argument(
        "--level", type=int, choices=[1, 2, 3], help="Level of the unit(s) to change."
    )
    parser.add_argument("--actor", help="Username recorded in the audit log (a system admin).")


class Command(BaseCommand):
    help = "Administrative units: load, area, resolve, match, merge, split, rename."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        load = sub.add_parser("load", help="Load the whole country's units (idempotent).")
        load.add_argument("--area", nargs="*", help="Area codes (default: IOC_AREA).")
        load.add_argument("--provinces", nargs="*", help="Load only these provinces' codes.")
        load.add_argument("--json", action="store_true", help="Print the counts as JSON.")
        load.add_argument("--actor", help="Username recorded in the audit log (a system admin).")

        area = sub.add_parser("area", help="Mark the units of the area (default: IOC_AREA).")
        area.add_argument("codes", nargs="*")
        area.add_argument("--actor", help="Username recorded in the audit log (a system admin).")

        resolve = sub.add_parser("resolve", help="A code's unit(s) and current successors.")
        resolve.add_argument("code")
        resolve.add_argument("--on", help="Only the unit valid on this day (YYYY-MM-DD).")

        match = sub.add_parser("match", help="Units a name may mean, best first.")
        match.add_argument("text")
        match.add_argument("--level", type=int, choices=[1, 2, 3])
        match.add_argument("--limit", type=_limit, default=10, help="At least 1 (default 10).")

        merge = sub.add_parser("merge", help="Merge open units into a new one.")
        merge.add_argument("codes", nargs="+", help="Codes of the units to merge.")
        merge.add_argument("--into-code", required=True)
        merge.add_argument("--into-name", required=True)
        merge.add_argument(
            "--parent", help="Code of the merged unit's parent (needed when the parents differ)."
        )
        _change_arguments(merge)

        split = sub.add_parser("split", help="Split an open unit into parts.")
        split.add_argument("code", help="Code of the unit to split.")
        split.add_argument(
            "--part",
            dest="parts",
            action="append",
            type=_part,
            required=True,
            metavar="CODE:NAME:SHARE",
            help="One part (at least two); shares add up to 1.",
        )
        split.add_argument(
            "--primary", required=True, help="Code of the part that takes the sub-units."
        )
        _change_arguments(split)

        rename = sub.add_parser("rename", help="Rename an open unit (same code and parent).")
        rename.add_argument("code", help="Code of the unit to rename.")
        rename.add_argument("--name", required=True, help="The new name.")
        _change_arguments(rename)

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        getattr(self, f"do_{action}")(opts)

    # -- actions ----------------------------------------------------------------------
    def do_load(self, opts: dict[str, Any]) -> None:
        actor = _actor(opts["actor"])
        provinces = _codes(opts["provinces"]) or None
        # On the command's own output, as before (a terminal redraws one line).
        bar = ProgressBar(stream=self.stdout._out, enabled=not opts["json"])  # type: ignore[arg-type]

        def progress(done: int, total: int, stage: str) -> None:
            bar.update(done, total=total, label=stage)

        counts = load_units(provinces=provinces, progress=progress, actor=actor)
        bar.close()
        codes = _codes(opts["area"]) or list(settings.IOC_AREA)
        counts["in_area"] = refresh_area(codes, actor=actor)
        if opts["json"]:
            self.stdout.write(json.dumps(counts))
            return
        for key, value in counts.items():
            self.stdout.write(f"{key:>24}: {value}")

    def do_area(self, opts: dict[str, Any]) -> None:
        actor = _actor(opts["actor"])
        codes = _codes(opts["codes"]) or list(settings.IOC_AREA)
        unknown = [c for c in codes if not AdministrativeUnit.objects.filter(code=c).exists()]
        if unknown:
            raise _fail(
                gettext_noop("Unknown unit code(s): %(codes)s. Run `ioc units load` first?"),
                "Không có đơn vị mang mã: %(codes)s. Đã chạy `ioc units load` chưa?",
                codes=", ".join(unknown),
            )
        count = refresh_area(codes, actor=actor)
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
        effective = _effective(opts["effective"])
        actor = _actor(opts["actor"])
        sources = [_open_unit(code, opts["level"]) for code in _codes(opts["codes"])]
        parent = None
        if opts["parent"]:
            parent = _parent_unit(opts["parent"], min(u.level for u in sources), effective)
        try:
            unit = merge_units(
                actor=actor,
                sources=sources,
                into_name=opts["into_name"],
                into_code=opts["into_code"],
                effective=effective,
                basis=opts["basis"],
                parent=parent,
            )
        except UnitChangeError as exc:
            raise CommandError(f"{exc.vi}\n{exc.en}") from None
        self.stdout.write(_line(unit))

    def do_split(self, opts: dict[str, Any]) -> None:
        effective = _effective(opts["effective"])
        actor = _actor(opts["actor"])
        source = _open_unit(opts["code"].strip(), opts["level"])
        try:
            parts = split_unit(
                actor=actor,
                source=source,
                parts=opts["parts"],
                primary_code=opts["primary"],
                effective=effective,
                basis=opts["basis"],
            )
        except UnitChangeError as exc:
            raise CommandError(f"{exc.vi}\n{exc.en}") from None
        for part in parts:
            self.stdout.write(_line(part))

    def do_rename(self, opts: dict[str, Any]) -> None:
        effective = _effective(opts["effective"])
        actor = _actor(opts["actor"])
        unit = _open_unit(opts["code"].strip(), opts["level"])
        try:
            new = rename_unit(
                actor=actor,
                unit=unit,
                new_name=opts["name"],
                effective=effective,
                basis=opts["basis"],
            )
        except UnitChangeError as exc:
            raise CommandError(f"{exc.vi}\n{exc.en}") from None
        self.stdout.write(_line(new))
