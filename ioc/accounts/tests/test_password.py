"""Changing one's own password: the old one is needed, the validators apply, it is audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ioc.core.models import AuditEntry

URL = "/accounts/password/"
OLD = "correct-horse-battery"


@pytest.fixture
def logged_in(client: Client, make_user: Any) -> Any:
    user = make_user("hoangthihoa")
    client.post("/accounts/login/", {"username": "hoangthihoa", "password": OLD})
    return user


def test_change_password(client: Client, logged_in: Any) -> None:
    new = "song-huong-nui-ngu-77"
    response = client.post(URL, {"old_password": OLD, "new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    logged_in.refresh_from_db()
    assert logged_in.check_password(new)
    assert client.get("/accounts/profile/").status_code == 200  # still logged in
    entry = AuditEntry.objects.get(action="update", object_id=str(logged_in.pk))
    assert entry.changes == {"password": ["***", "***"]}
    assert new not in entry.message


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("wrong-old-password", "song-huong-nui-ngu-77", "old_password", "incorrect"),
        (OLD, "short", "new_password2", "too short"),
        (OLD, "password123", "new_password2", "too common"),
        (OLD, "hoangthihoa1", "new_password2", "too similar"),
    ],
    ids=["wrong-old", "too-short", "too-common", "like-username"],
)
def test_password_rules(
    client: Client, logged_in: Any, old: str, new: str, field: str, message: str
) -> None:
    response = client.post(URL, {"old_password": old, "new_password1": new, "new_password2": new})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    logged_in.refresh_from_db()
    assert logged_in.check_password(OLD)
    assert not AuditEntry.objects.filter(action="update").exists()
