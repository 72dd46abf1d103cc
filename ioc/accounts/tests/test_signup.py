"""Citizens create their own accounts at /accounts/signup/: no roles, no scope, never staff."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ioc.accounts.models import User

SIGNUP = "/accounts/signup/"


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "username": "nguyenvana",
        "first_name": "Văn A",
        "last_name": "Nguyễn",
        "email": "vana@example.vn",
        "phone": "0912345678",
        "password1": "mua-thu-ha-noi-2025",
        "password2": "mua-thu-ha-noi-2025",
    }
    data.update(overrides)
    return data


def test_signup_creates_a_citizen_and_logs_in(client: Client, db: Any, audit_actions: Any) -> None:
    assert client.get(SIGNUP).status_code == 200
    response = client.post(SIGNUP, _form())
    assert response.status_code == 302
    assert response["Location"] == "/feedback/"
    user = User.objects.get(username="nguyenvana")
    assert (user.kind, user.is_staff, user.is_superuser, user.scope_all) == (
        "citizen",
        False,
        False,
        False,
    )
    assert not user.groups.exists()
    assert not user.scope_units.exists()
    assert not user.scope_sectors.exists()
    assert not user.scope_agencies.exists()
    assert user.check_password("mua-thu-ha-noi-2025")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert ("create", "nguyenvana", "nguyenvana") in audit_actions()
    assert ("login", "nguyenvana", "nguyenvana") in audit_actions()


def test_signup_ignores_attempts_to_become_staff(client: Client, db: Any) -> None:
    client.post(SIGNUP, {**_form(), "is_staff": "on", "is_superuser": "on", "kind": "staff"})
    user = User.objects.get(username="nguyenvana")
    assert (user.kind, user.is_staff, user.is_superuser) == ("citizen", False, False)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password1": "123", "password2": "123"}, "password2", "too short"),
        (
            {"password1": "12345678901234", "password2": "12345678901234"},
            "password2",
            "entirely numeric",
        ),
        ({"password2": "something-else-2025"}, "password2", "didn’t match"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"username": ""}, "username", "required"),
    ],
    ids=["short-password", "numeric-password", "mismatch", "bad-email", "no-username"],
)
def test_signup_errors_are_clear(
    client: Client, db: Any, overrides: dict[str, str], field: str, message: str
) -> None:
    response = client.post(SIGNUP, _form(**overrides))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors[field])
    assert message in errors
    assert b'role="alert"' in response.content
    assert not User.objects.filter(email="vana@example.vn").exists()


def test_signup_refuses_a_used_email(client: Client, make_user: Any) -> None:
    make_user("someone", email="VANA@example.vn")
    response = client.post(SIGNUP, _form())
    assert "already exists" in " ".join(response.context["form"].errors["email"])


def test_a_citizen_sees_no_staff_data(
    client: Client, agencies: dict[str, Any], staff_area_middleware: None
) -> None:
    client.post(SIGNUP, _form())
    assert client.get("/ioc/").status_code == 403
    assert client.get("/ioc/agencies/").status_code == 403
    assert client.get("/api/agencies/").json() == []
    assert client.get(f"/api/agencies/{agencies['health'].pk}/").status_code == 404
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
