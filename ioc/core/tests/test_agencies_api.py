"""PATCH /api/agencies/{id}/: the service behind it; 404 out of scope, 403 without permission."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ioc.accounts.choices import Role
from ioc.core.models import Agency, AuditEntry


@pytest.fixture
def officer_client(client: Client, make_user: Any, sectors: dict[str, Any]) -> Client:
    client.force_login(make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]]))
    return client


def _patch(client: Client, agency_id: int, body: dict[str, Any]) -> Any:
    return client.patch(f"/api/agencies/{agency_id}/", body, content_type="application/json")


def test_patch_changes_only_what_is_sent(officer_client: Client, agencies: dict[str, Any]) -> None:
    health = agencies["health"]
    response = _patch(officer_client, health.pk, {"email": "syt@binhduong.gov.vn"})
    assert response.status_code == 200
    assert response.json()["code"] == "so-y-te"
    health.refresh_from_db()
    assert (health.email, health.name) == ("syt@binhduong.gov.vn", "Sở Y tế")
    assert AuditEntry.objects.get(action="update").changes == {
        "email": ["", "syt@binhduong.gov.vn"]
    }


def test_patch_sectors_by_code(
    officer_client: Client, agencies: dict[str, Any], sectors: dict[str, Any]
) -> None:
    health = agencies["health"]
    response = _patch(officer_client, health.pk, {"sector_codes": ["health", "education"]})
    assert response.status_code == 200
    assert sorted(response.json()["sector_codes"]) == ["education", "health"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sector_codes": ["nope"]}, "sector_codes"),
        ({"email": "not an email"}, "email"),
        ({"kind": "???"}, "kind"),
        ({"unit_id": 999999}, "unit_id"),
        ({"parent_id": 999999}, "parent_id"),
    ],
    ids=["sector", "email", "kind", "unit", "parent"],
)
def test_patch_invalid_values(
    officer_client: Client, agencies: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    health = agencies["health"]
    response = _patch(officer_client, health.pk, body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Agency.objects.get(pk=health.pk).email == ""
    assert not AuditEntry.objects.filter(action="update").exists()


def test_patch_parent_outside_the_scope_is_unknown(
    officer_client: Client, agencies: dict[str, Any]
) -> None:
    response = _patch(officer_client, agencies["health"].pk, {"parent_id": agencies["traffic"].pk})
    assert response.status_code == 400
    assert Agency.objects.get(pk=agencies["health"].pk).parent_id is None


def test_patch_unknown_agency(officer_client: Client, db: Any) -> None:
    assert _patch(officer_client, 999999, {"phone": "1"}).status_code == 404
