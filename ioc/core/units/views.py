"""Pages about administrative units at /ioc/units/: the area's units, and one unit's history.

Units are reference data, the same for every staff member: no row-level scope applies.
Citizens' accounts are refused (403); anonymous visitors go to the login page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ioc.core.choices import UnitLevel
from ioc.core.models import AdministrativeUnit
from ioc.core.units.resolve import current_successors, search_units

PAGE_SIZE = 50
View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """Logged in, and a staff account (not a citizen's)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request.user, "kind", "staff") != "staff" or not request.user.is_active:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@require_GET
@staff_required
def unit_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    level = _int(request.GET.get("level"))
    state = request.GET.get("state", "")
    units = AdministrativeUnit.objects.in_area().select_related("parent")
    if q:
        units = search_units(units, q)
    if level in UnitLevel.values:
        units = units.filter(level=level)
    else:
        level = None
    today = timezone.localdate()
    if state == "current":
        units = units.valid_on(today)
    elif state == "historical":
        units = units.filter(valid_to__lt=today)
    else:
        state = ""
    page = Paginator(units.order_by("level", "name_folded", "valid_from"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/units/list.html",
        {
            "page": page,
            "q": q,
            "level": level,
            "state": state,
            "levels": UnitLevel.choices,
            "query": query.urlencode(),
            "today": today,
        },
    )


@require_GET
@staff_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(AdministrativeUnit.objects.select_related("parent"), pk=pk)
    today = timezone.localdate()
    children = unit.children.order_by(F("valid_to").asc(nulls_last=True), "level", "name_folded")
    return render(
        request,
        "core/units/detail.html",
        {
            "unit": unit,
            "today": today,
            "is_valid": unit.valid_to is None or unit.valid_to >= today,
            "current_children": [c for c in children if c.valid_to is None],
            "past_children": [c for c in children if c.valid_to is not None],
            "predecessors": unit.predecessions.select_related("source").order_by(
                "-effective", "source__name_folded"
            ),
            "successors": unit.successions.select_related("target").order_by(
                "-effective", "-weight"
            ),
            "current": current_successors(unit, today),
            "same_code": AdministrativeUnit.objects.filter(code=unit.code, level=unit.level)
            .exclude(pk=unit.pk)
            .order_by(F("valid_from").asc(nulls_first=True)),
        },
    )
