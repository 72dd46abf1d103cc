"""Administrative units: load the whole country, reload it, match names, expand scopes.

    IOC_VAR_DIR=/tmp/bench-var .venv/bin/python benchmarks/units.py

Runs against a fresh SQLite database in IOC_VAR_DIR (migrated here). Prints one line per
measurement; the figures and the machine go into benchmarks/README.md.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ioc.settings")
os.environ.setdefault("IOC_VAR_DIR", os.path.join(tempfile.gettempdir(), "ioc-bench-var"))

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from ioc.accounts.scope import expand_units  # noqa: E402
from ioc.core.models import AdministrativeUnit, UnitTransition  # noqa: E402
from ioc.core.units.area import refresh_area  # noqa: E402
from ioc.core.units.loader import load_units  # noqa: E402
from ioc.core.units.resolve import match_unit_name, rollup_map  # noqa: E402


def timed(label: str, func, repeat: int = 1) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    best = min(times)
    extra = f" (median {statistics.median(times):.3f}s of {repeat})" if repeat > 1 else ""
    print(f"{label:<46} {best:8.3f}s{extra}")
    return best


def main() -> None:
    call_command("migrate", verbosity=0)
    first = timed("load whole country (first)", load_units)
    print(
        f"  units {AdministrativeUnit.objects.count()}, "
        f"transitions {UnitTransition.objects.count()}"
    )
    again = timed("load whole country (again, no change)", load_units, repeat=3)
    print(f"  reload / first load ratio: {again / first:.2f}")
    timed("refresh area 74", lambda: refresh_area(["74"]), repeat=3)
    names = [
        "P. Phú Cường",
        "phuong phu cuong",
        "TX Bến Cát",
        "xã An Bình",
        "Q.1",
        "H. Dầu Tiếng",
        "Thủ Dầu Một",
        "phu loi",
    ]
    per = timed("match 8 names", lambda: [match_unit_name(n) for n in names], repeat=5)
    print(f"  {per / len(names) * 1000:.1f} ms per name")
    timed("rollup map (old unit -> current successor)", rollup_map, repeat=3)
    hcm = AdministrativeUnit.objects.get(code="79", level=1)
    timed("expand scope of one province (HCMC)", lambda: expand_units({hcm.pk}), repeat=3)


if __name__ == "__main__":
    main()
