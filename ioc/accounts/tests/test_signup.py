"""Citizens create their own accounts at /accounts/signup/: no roles, no scope, never staff.

The page says as little as it can about other people's accounts, and is throttled per client
address. The choice, documented here: a user name in use is "not available" (a user name must
be unique, so that much is unavoidable); an email address in use is *not* an error: the form
is accepted, no second account is created, and the answer is the same as for a new address
(the login page, with a message that covers both cases). So that both answers are the same, a
new account is not logged in straight away: its owner logs in with what they just chose.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from ioc.accounts import views
from ioc.accounts.models import User
from ioc.core.models import AuditEntry

SIGNUP = "/accounts/signup/"
SAME_ANSWER = "If this email address was not registered yet, your account has been created"


@pytest.fixture(autouse=True)
def _fresh_throttle() -> None:
    cache.clear()  # the sign-up counters live in the cache


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


def test_signup_creates_a_citizen_who_then_logs_in(
    client: Client, db: Any, audit_actions: Any
) -> None:
    assert client.get(SIGNUP).status_code == 200
    response = client.post(SIGNUP, _form(), follow=True)
    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert SAME_ANSWER in response.content.decode()
    assert "_auth_user_id" not in client.session
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
    assert ("create", "nguyenvana", "nguyenvana") in audit_actions()
    response = client.post(
        "/accounts/login/", {"username": "nguyenvana", "password": "mua-thu-ha-noi-2025"}
    )
    assert response["Location"] == "/feedback/"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert ("login", "nguyenvana", "nguyenvana") in audit_actions()


def test_signup_keeps_where_the_citizen_was_going(client: Client, db: Any) -> None:
    response = client.post(SIGNUP, {**_form(), "next": "/feedback/"})
    assert response["Location"] == "/accounts/login/?next=%2Ffeedback%2F"


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


def test_a_used_email_gets_the_same_answer_and_no_second_account(
    client: Client, make_user: Any
) -> None:
    """The answer does not tell whether the address has an account (see the module's doc)."""
    new = client.post(SIGNUP, _form(username="moi", email="moi@example.vn"), follow=True)
    someone = make_user("someone", email="VANA@example.vn")
    used = client.post(SIGNUP, _form(), follow=True)
    assert used.status_code == new.status_code == 200
    assert used.redirect_chain == new.redirect_chain == [("/accounts/login/", 302)]
    assert SAME_ANSWER in used.content.decode()
    assert not User.objects.filter(username="nguyenvana").exists()
    assert User.objects.filter(email__iexact="vana@example.vn").count() == 1
    someone.refresh_from_db()
    assert someone.check_password("correct-horse-battery")  # the owner's account is untouched
    noted = AuditEntry.objects.get(action="action", object_id=str(someone.pk))
    assert "no account created" in noted.message


def test_a_used_user_name_is_only_not_available(client: Client, make_user: Any) -> None:
    make_user("NguyenVanA", email="other@example.vn")
    response = client.post(SIGNUP, _form())
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["username"])
    assert "not available" in errors
    assert "exists" not in response.content.decode()
    assert not User.objects.filter(email="vana@example.vn").exists()


def test_signups_are_throttled_per_address(client: Client, db: Any) -> None:
    for n in range(views.SIGNUPS_PER_HOUR):
        response = client.post(SIGNUP, _form(username=f"dan{n}", email=f"dan{n}@example.vn"))
        assert response.status_code == 302, n
    response = client.post(SIGNUP, _form(username="mot-nua", email="mot-nua@example.vn"))
    assert response.status_code == 429
    assert "Too many accounts have been requested from your network" in (response.content.decode())
    assert not User.objects.filter(username="mot-nua").exists()
    assert User.objects.count() == views.SIGNUPS_PER_HOUR
    # another address is not held up
    other = client.post(
        SIGNUP, _form(username="mot-nua", email="mot-nua@example.vn"), REMOTE_ADDR="203.0.113.9"
    )
    assert other.status_code == 302
    assert User.objects.filter(username="mot-nua").exists()


def test_failed_signups_count_too(client: Client, db: Any) -> None:
    """Probing user names with forms that fail is limited as well."""
    for _ in range(views.SIGNUP_TRIES_PER_HOUR):
        assert client.post(SIGNUP, _form(password2="khac-nhau")).status_code == 200
    response = client.post(SIGNUP, _form())
    assert response.status_code == 429
    assert not User.objects.exists()


def test_throttle_message_is_in_vietnamese(client: Client, db: Any, settings: Any) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    cache.set("ioc:signup:accounts:127.0.0.1", views.SIGNUPS_PER_HOUR, 3600)
    response = client.post(SIGNUP, _form())
    assert response.status_code == 429
    english = (
        "Too many accounts have been requested from your network in the last hour. "
        "Please try again later."
    )
    with translation.override("vi"):
        vietnamese = translation.gettext(english)
    assert vietnamese != english
    assert vietnamese in response.content.decode()


def test_a_citizen_sees_no_staff_data(
    client: Client, agencies: dict[str, Any], staff_area_middleware: None
) -> None:
    client.post(SIGNUP, _form())
    client.force_login(User.objects.get(username="nguyenvana"))
    assert client.get("/ioc/").status_code == 403
    assert client.get("/ioc/agencies/").status_code == 403
    assert client.get("/api/agencies/").status_code == 403
    assert client.get(f"/api/agencies/{agencies['health'].pk}/").status_code == 403
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
