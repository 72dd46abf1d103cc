"""/api/agencies/: reading needs core.view_agency; PATCH goes through the service: 404 out of
scope, 403 without permission (in plain words), 400 for a supervising cycle or a unit that is
not a current unit of the area; an officer takes away only the sectors of their own scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from ioc.accounts.choices import Role
from ioc.core.models import AdministrativeUnit, Agency, AuditEntry


def vi(message: str) -> str:
    """What a Vietnamese caller reads (the API answers in Vietnamese unless told otherwise)."""
    with translation.override("vi"):
        return translation.gettext(message)


SELF_PARENT = vi("An agency cannot be its own supervising agency.")
SUBORDINATE_PARENT = vi(
    "This agency cannot be supervised by one of its own subordinate agencies: "
    "choose an agency above it or beside it."
)
CLOSED_UNIT = vi(
    "This administrative unit no longer exists (it was merged, split or renamed): "
    "choose the unit that replaced it."
)
UNIT_ELSEWHERE = vi("This administrative unit is outside this platform's area.")


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


# --- reading needs core.view_agency, like the HTML pages --------------------------------------


@pytest.mark.parametrize("path", ["/api/agencies/", "/api/agencies/{health}/"], ids=str)
def test_reading_agencies_needs_the_view_permission(
    client: Client, make_user: Any, agencies: dict[str, Any], path: str
) -> None:
    # Scope alone (here the whole area) is not enough: the account has no role.
    client.force_login(make_user("noperm", scope_all=True))
    url = path.format(health=agencies["health"].pk)
    response = client.get(url)
    assert response.status_code == 403
    assert "so-y-te" not in response.content.decode()
    assert AuditEntry.objects.filter(action="denied", message__contains=url).exists()
    # and the HTML pages agree
    assert client.get("/ioc/agencies/").status_code == 403


def test_reading_agencies_with_the_view_permission(
    client: Client, make_user: Any, agencies: dict[str, Any]
) -> None:
    client.force_login(make_user("lead", roles=[Role.LEADER], scope_all=True))
    assert {a["code"] for a in client.get("/api/agencies/").json()} == {
        "so-y-te",
        "so-gtvt",
        "ubnd-thu-dau-mot",
    }
    assert client.get(f"/api/agencies/{agencies['health'].pk}/").status_code == 200


def test_refusals_are_plain_vietnamese_without_permission_codes(
    client: Client, make_user: Any, agencies: dict[str, Any]
) -> None:
    client.force_login(make_user("lead", roles=[Role.LEADER], scope_all=True))  # no change_agency
    response = _patch(client, agencies["health"].pk, {"phone": "1"})
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert "core." not in detail and "change_agency" not in detail
    template = "Your account may not change %(things)s."
    assert vi(template) != template  # translated
    assert detail == vi(template) % {"things": vi("agencies")}
    client.force_login(make_user("noperm", scope_all=True))
    detail = client.get("/api/agencies/").json()["detail"]
    assert "view_agency" not in detail
    assert detail == vi("Your account may not see %(things)s.") % {"things": vi("agencies")}


# --- supervising agency: never itself nor a subordinate ---------------------------------------


@pytest.fixture
def admin_client(client: Client, make_user: Any) -> Client:
    client.force_login(make_user("sysadmin", roles=[Role.SYSTEM_ADMIN], scope_all=True))
    return client


def test_patch_parent_itself_is_refused(admin_client: Client, agencies: dict[str, Any]) -> None:
    health = agencies["health"]
    response = _patch(admin_client, health.pk, {"parent_id": health.pk})
    assert response.status_code == 400
    assert response.json()["errors"]["parent_id"] == [SELF_PARENT]
    assert Agency.objects.get(pk=health.pk).parent_id is None
    assert not AuditEntry.objects.filter(action="update").exists()


def test_patch_parent_a_subordinate_is_refused(
    admin_client: Client, agencies: dict[str, Any]
) -> None:
    health, ward = agencies["health"], agencies["ward"]
    Agency.objects.filter(pk=ward.pk).update(parent=health)
    clinic = Agency.objects.create(
        code="tram-y-te", name="Trạm Y tế", kind="service", unit=ward.unit, parent=ward
    )
    for below in (ward, clinic):  # a child, and a grandchild
        response = _patch(admin_client, health.pk, {"parent_id": below.pk})
        assert response.status_code == 400
        assert response.json()["errors"]["parent_id"] == [SUBORDINATE_PARENT]
    assert Agency.objects.get(pk=health.pk).parent_id is None
    # the other way round is fine
    assert _patch(admin_client, clinic.pk, {"parent_id": health.pk}).status_code == 200


# --- unit: a current unit of the area ---------------------------------------------------------


@pytest.mark.parametrize(
    ("which", "words"),
    [("historic", CLOSED_UNIT), ("outside", UNIT_ELSEWHERE)],
    ids=["historic", "outside"],
)
def test_patch_unit_must_be_current_and_in_the_area(
    admin_client: Client, agencies: dict[str, Any], units: dict[str, Any], which: str, words: str
) -> None:
    if which == "historic":
        unit = units["tdm"]  # Thủ Dầu Một city, closed in 2025
    else:
        unit = AdministrativeUnit.objects.create(code="01", name="Thành phố Hà Nội", level=1)
    health = agencies["health"]
    response = _patch(admin_client, health.pk, {"unit_id": unit.pk})
    assert response.status_code == 400
    assert response.json()["errors"]["unit_id"] == [words]
    assert Agency.objects.get(pk=health.pk).unit_id == units["hcm"].pk
    assert _patch(admin_client, health.pk, {"unit_id": units["new_pl"].pk}).status_code == 200


def test_an_agency_in_a_closed_unit_can_still_be_edited(
    admin_client: Client, agencies: dict[str, Any], units: dict[str, Any]
) -> None:
    """Only a new unit is checked: an agency left in a merged unit keeps working."""
    health = agencies["health"]
    Agency.objects.filter(pk=health.pk).update(unit=units["tdm"])
    assert _patch(admin_client, health.pk, {"phone": "0274"}).status_code == 200


# --- sectors: an officer takes away only their own ----------------------------------------------


def test_officer_cannot_take_another_sector_away(
    officer_client: Client, agencies: dict[str, Any], sectors: dict[str, Any], make_user: Any
) -> None:
    ward = agencies["ward"]  # health and traffic; the officer has health
    response = _patch(officer_client, ward.pk, {"sector_codes": ["health"]})
    assert response.status_code == 403
    assert "traffic" not in response.json()["detail"]
    assert set(ward.sectors.values_list("code", flat=True)) == {"health", "traffic"}
    assert not AuditEntry.objects.filter(action="update").exists()
    assert AuditEntry.objects.filter(action="denied", object_id=str(ward.pk)).exists()
    # adding a sector is not taking one away
    response = _patch(officer_client, ward.pk, {"sector_codes": ["health", "traffic", "education"]})
    assert response.status_code == 200


def test_officer_takes_away_a_sector_of_their_own_scope(
    client: Client, agencies: dict[str, Any], sectors: dict[str, Any], make_user: Any
) -> None:
    both = make_user(
        "yte-gt", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"], sectors["traffic"]]
    )
    client.force_login(both)
    ward = agencies["ward"]
    response = _patch(client, ward.pk, {"sector_codes": ["health"]})
    assert response.status_code == 200
    assert set(ward.sectors.values_list("code", flat=True)) == {"health"}


def test_whole_area_accounts_may_take_any_sector_away(
    admin_client: Client, agencies: dict[str, Any]
) -> None:
    ward = agencies["ward"]
    response = _patch(admin_client, ward.pk, {"sector_codes": ["health"]})
    assert response.status_code == 200
    assert set(ward.sectors.values_list("code", flat=True)) == {"health"}
