"""My account: roles, agency and a summary of the scope."""

from __future__ import annotations

from typing import Any

from django.test import Client

from ioc.accounts.choices import Role


def test_profile_shows_roles_agency_and_scope(
    client: Client, make_user: Any, sectors: dict[str, Any], agencies: dict[str, Any]
) -> None:
    user = make_user(
        "yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]], agency=agencies["health"]
    )
    client.force_login(user)
    response = client.get("/accounts/profile/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Sector officer" in text
    assert "Department of Health" in text
    assert "Health" in text
    assert "Set up an authenticator app" in text


def test_profile_of_an_empty_scope_says_so(client: Client, make_user: Any) -> None:
    client.force_login(make_user("nobody", roles=[Role.SECTOR_OFFICER]))
    assert "no units, sectors or agencies" in client.get("/accounts/profile/").content.decode()


def test_profile_of_an_area_wide_user(client: Client, make_user: Any) -> None:
    client.force_login(make_user("leader", roles=[Role.LEADER], scope_all=True))
    assert "The whole area" in client.get("/accounts/profile/").content.decode()


def test_profile_of_a_citizen_has_no_staff_parts(client: Client, make_user: Any) -> None:
    client.force_login(make_user("dan", kind="citizen"))
    text = client.get("/accounts/profile/").content.decode()
    assert "What I can see" not in text
    assert "authenticator" not in text
