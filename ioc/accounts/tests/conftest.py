"""Fixtures for the accounts tests."""

from __future__ import annotations

from typing import Any

import pytest

STAFF_AREA_MIDDLEWARE = "ioc.accounts.middleware.StaffAreaMiddleware"


@pytest.fixture
def staff_area_middleware(settings: Any) -> None:
    """StaffAreaMiddleware right after django-otp's, whether or not settings list it yet."""
    middleware = list(settings.MIDDLEWARE)
    if STAFF_AREA_MIDDLEWARE not in middleware:
        middleware.insert(
            middleware.index("django_otp.middleware.OTPMiddleware") + 1, STAFF_AREA_MIDDLEWARE
        )
        settings.MIDDLEWARE = middleware


@pytest.fixture
def audit_actions(db: Any) -> Any:
    """audit_actions() → [(action, actor_name, object_repr), ...] oldest first."""
    from ioc.core.models import AuditEntry

    def read(**filters: Any) -> list[tuple[str, str, str]]:
        rows = AuditEntry.objects.filter(**filters).order_by("id")
        return [(e.action, e.actor_name, e.object_repr) for e in rows]

    return read


@pytest.fixture(autouse=True)
def english(client: Any, settings: Any) -> None:
    """Pages in English, so tests can read Django's own messages (the default is Vietnamese)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
