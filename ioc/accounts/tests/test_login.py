"""Logging in and out: audited, throttled by django-axes, sends people to the right place."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from ioc.accounts.choices import Role
from ioc.core.models import AuditEntry

LOGIN = "/accounts/login/"
PASSWORD = "correct-horse-battery"


def _login(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def test_login_page_renders(client: Client, db: Any) -> None:
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_login_and_logout_are_audited(client: Client, make_user: Any, audit_actions: Any) -> None:
    make_user("an", roles=[Role.OPERATOR], scope_all=True)
    response = _login(client, "an")
    assert response.status_code == 302
    assert response["Location"] == "/ioc/"
    assert client.get("/accounts/profile/").status_code == 200

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/accounts/profile/").status_code == 302  # logged out

    actions = audit_actions(action__in=["login", "logout"])
    assert actions == [("login", "an", "an"), ("logout", "an", "an")]
    login = AuditEntry.objects.get(action="login")
    assert login.ip == "127.0.0.1"


def test_logout_needs_post(client: Client, make_user: Any) -> None:
    user = make_user("an")
    client.force_login(user)
    assert client.get("/accounts/logout/").status_code == 405


def test_failed_login_is_audited_without_the_password(
    client: Client, make_user: Any, audit_actions: Any
) -> None:
    make_user("binh")
    response = _login(client, "binh", "not-the-password")
    assert response.status_code == 200
    assert b"not right" in response.content
    assert audit_actions(action="login_failed") == [("login_failed", "", "binh")]
    entry = AuditEntry.objects.get(action="login_failed")
    assert "not-the-password" not in str(entry.changes) + entry.message


def test_next_is_followed_only_inside_the_site(client: Client, make_user: Any) -> None:
    make_user("chi", roles=[Role.OPERATOR], scope_all=True)
    response = _login(client, "chi", next="/ioc/agencies/")
    assert response["Location"] == "/ioc/agencies/"
    client.post("/accounts/logout/")
    response = _login(client, "chi", next="https://evil.example/")
    assert response["Location"] == "/ioc/"


def test_citizens_land_on_the_reports_page(client: Client, make_user: Any) -> None:
    make_user("dan", kind="citizen")
    assert _login(client, "dan")["Location"] == "/feedback/"


def test_too_many_failures_lock_even_the_right_password(
    client: Client, make_user: Any, audit_actions: Any
) -> None:
    make_user("em", roles=[Role.OPERATOR], scope_all=True)
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == settings.CONF["IOC_LOGIN_FAILURE_LIMIT"]
    for _ in range(limit - 1):
        assert _login(client, "em", "wrong-password").status_code == 200
    locked = _login(client, "em", "wrong-password")
    assert locked.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in locked.templates]
    minutes = settings.CONF["IOC_LOGIN_COOLOFF_MINUTES"]
    assert f"Try again in {minutes} minutes" in locked.content.decode()  # not "0:15:00"

    right = _login(client, "em", PASSWORD)
    assert right.status_code == 429
    assert b"locked" in right.content
    assert "_auth_user_id" not in client.session
    assert client.get("/accounts/profile/").status_code == 302

    failed = audit_actions(action="login_failed")
    assert len(failed) == limit + 1
    assert audit_actions(action="login") == []
    assert AuditEntry.objects.filter(action="denied", object_repr="em").exists()


def test_lock_is_per_user_name(client: Client, make_user: Any) -> None:
    make_user("em")
    make_user("giang")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "em", "wrong-password")
    assert _login(client, "giang")["Location"] == "/ioc/"


@pytest.mark.parametrize(
    "path", ["/accounts/profile/", "/accounts/password/", "/accounts/otp/setup/"], ids=str
)
def test_account_pages_need_a_login(client: Client, db: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")
