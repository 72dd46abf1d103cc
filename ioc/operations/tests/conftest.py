"""Fixtures for the operations tests: an operator, a sector officer, and an event maker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from ioc.accounts.choices import Role

NOW = timezone.make_aware(dt.datetime(2026, 3, 10, 3, 0))


@pytest.fixture
def operator(make_user: Callable[..., Any]) -> Any:
    return make_user("operator", roles=[Role.OPERATOR], scope_all=True)


@pytest.fixture
def officer(make_user: Callable[..., Any], sectors: dict[str, Any]) -> Any:
    """A health sector officer: sees health events only."""
    return make_user("officer", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]])


@pytest.fixture
def viewer(make_user: Callable[..., Any], sectors: dict[str, Any]) -> Any:
    """May see health events (operations.view_event) but not change any: the permission
    is given directly, so the test does not depend on which role grants what."""
    from django.contrib.auth.models import Permission

    user = make_user("viewer", sectors=[sectors["health"]])
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="operations", codename="view_event")
    )
    return user


@pytest.fixture
def make_event(db: Any) -> Callable[..., Any]:
    from ioc.operations.services import raise_event

    counter = iter(range(1, 10_000))

    def make(**kwargs: Any) -> Any:
        n = next(counter)
        kwargs.setdefault("source", "tests")
        kwargs.setdefault("category", "flood")
        kwargs.setdefault("headline", f"Event {n}")
        kwargs.setdefault("severity", "moderate")
        kwargs.setdefault("occurred_at", NOW - dt.timedelta(minutes=n))
        return raise_event(**kwargs)

    return make
