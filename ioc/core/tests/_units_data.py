"""Load the real units once for a test module, and remove them after it (helpers for tests)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ioc.core.models import AdministrativeUnit, UnitTransition


def wipe_units() -> None:
    UnitTransition.objects.all().delete()
    for level in (3, 2, 1):  # children first: parent links are protected
        AdministrativeUnit.objects.filter(level=level).delete()


def loaded_country(django_db_blocker: Any, **load_kwargs: Any) -> Iterator[dict[str, Any]]:
    from ioc.core.units.area import refresh_area
    from ioc.core.units.loader import load_units

    with django_db_blocker.unblock():
        wipe_units()
        counts = load_units(**load_kwargs)
        counts["in_area"] = refresh_area(["74"])
    try:
        yield counts
    finally:
        with django_db_blocker.unblock():
            wipe_units()
