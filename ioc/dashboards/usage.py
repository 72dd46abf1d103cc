"""Usage figures: dashboard and chart opens per day, user and role (never per refresh: the
wall redraws charts all day, which is not someone opening them)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from ioc.dashboards.models import Chart, Dashboard, Usage

if TYPE_CHECKING:
    from ioc.accounts.models import User


def record_view(user: User, dashboard: Dashboard, chart: Chart | None = None) -> None:
    """Count one open of the dashboard (or of one chart on it) by this user today."""
    day = timezone.localdate()
    role = next(iter(user.groups.values_list("name", flat=True).order_by("name")), "")
    key = {"day": day, "dashboard": dashboard, "chart": chart, "user": user}
    if Usage.objects.filter(**key).update(views=F("views") + 1):
        return
    try:
        with transaction.atomic():
            Usage.objects.create(**key, role=role, views=1)
    except IntegrityError:  # another request created it first
        Usage.objects.filter(**key).update(views=F("views") + 1)


def summary(days: int = 30) -> dict[str, Any]:
    """Opens in the last ``days`` days: by dashboard, by chart, by role."""
    since = timezone.localdate() - dt.timedelta(days=days)
    recent = Usage.objects.filter(day__gt=since)
    dashboards = (
        recent.filter(chart__isnull=True)
        .values("dashboard__slug", "dashboard__name")
        .annotate(views=Sum("views"), people=Count("user", distinct=True))
        .order_by("-views")
    )
    charts = (
        recent.filter(chart__isnull=False)
        .values("chart__pk", "chart__name", "dashboard__slug")
        .annotate(views=Sum("views"))
        .order_by("-views")[:50]
    )
    roles = (
        recent.filter(chart__isnull=True)
        .values("role")
        .annotate(views=Sum("views"))
        .order_by("-views")
    )
    never = Dashboard.objects.exclude(pk__in=recent.values("dashboard")).values("slug", "name")
    return {
        "days": days,
        "dashboards": list(dashboards),
        "charts": list(charts),
        "roles": [{**r, "label": role_label(r["role"])} for r in roles],
        "unopened": list(never),
    }


def role_label(code: str) -> str:
    from ioc.accounts.choices import Role

    try:
        return str(Role(code).label)
    except ValueError:
        return code or "—"
