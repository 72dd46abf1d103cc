"""Reads about units that span models."""

from __future__ import annotations

from django.core.cache import cache
from django.db import models
from django.db.models import F

from ioc.core.models import AdministrativeUnit, Agency
from ioc.core.text import matches


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


def search_agencies(queryset: models.QuerySet[Agency], query: str) -> models.QuerySet[Agency]:
    """Agencies whose names or code contain every word of query, ignoring case and
    diacritics ("so y te" finds "Sở Y tế"). Folding happens in Python, so it works the same
    on SQLite and PostgreSQL; a province has hundreds of agencies, not millions."""
    if not query.strip():
        return queryset
    ids = [
        pk
        for pk, *texts in queryset.values_list("pk", "name", "name_en", "short_name", "code")
        if matches(query, " ".join(t or "" for t in texts))
    ]
    return queryset.filter(pk__in=ids)


def platform_owner() -> Agency | None:
    """The agency that owns what the platform itself records (its own datasets): the
    province's People's Committee, else the first committee, else the first agency."""
    return (
        Agency.objects.filter(models.Q(code="ubnd-tinh") | models.Q(kind="committee"))
        .order_by("pk")
        .first()
        or Agency.objects.order_by("pk").first()
    )
