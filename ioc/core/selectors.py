"""Reads about units that span models."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import F

from ioc.core.models import AdministrativeUnit


def area_root_names() -> str:
    """The display name of the configured area, e.g. "Tỉnh Bình Dương"."""
    from django.conf import settings

    key = "ioc:area-name:" + ",".join(settings.IOC_AREA)
    name: str | None = cache.get(key)
    if name is None:
        units = AdministrativeUnit.objects.filter(code__in=settings.IOC_AREA).order_by(
            "level", F("valid_to").asc(nulls_first=True)
        )
        seen: list[str] = []
        for unit in units:
            if unit.name not in seen:
                seen.append(unit.name)
        name = ", ".join(seen[:3])
        cache.set(key, name, 300)
    return name
