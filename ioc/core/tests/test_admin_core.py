"""The admin of units, sectors, agencies and the audit log: who may write, search, audit."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ioc.accounts.choices import Role
from ioc.core.audit import record
from ioc.core.models import AdministrativeUnit, Agency, AuditEntry, Sector, UnitTransition


@pytest.fixture
def sysadmin(make_user: Any) -> Any:
    return make_user("sysadmin", roles=[Role.SYSTEM_ADMIN], scope_all=True, is_staff=True)


@pytest.fixture
def officer(make_user: Any, sectors: dict[str, Any]) -> Any:
    return make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]], is_staff=True)


# --- audit log -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["sysadmin", "superuser"], ids=str)
def test_audit_log_is_read_only_for_everyone(
    client: Client, make_user: Any, sysadmin: Any, who: str
) -> None:
    user = sysadmin if who == "sysadmin" else make_user("root", is_superuser=True, is_staff=True)
    entry = record(actor=None, action="action", object_repr="something", message="kept")
    client.force_login(user)
    client.cookies["django_language"] = "en"
    listing = client.get("/admin/core/auditentry/")
    assert listing.status_code == 200
    assert [f.title for f in listing.context["cl"].filter_specs] == [
        "action",
        "object type",
        "time",
    ]
    assert listing.context["action_form"] is None or not listing.context["cl"].actions
    assert client.get("/admin/core/auditentry/add/").status_code == 403
    page = client.get(f"/admin/core/auditentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert (
        client.post(
            f"/admin/core/auditentry/{entry.pk}/change/", {"message": "rewritten"}
        ).status_code
        == 403
    )
    assert (
        client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AuditEntry.objects.get(pk=entry.pk).message == "kept"


def test_audit_log_search_and_filter(client: Client, sysadmin: Any, officer: Any) -> None:
    record(actor=officer, action="login", obj=officer)
    record(actor=sysadmin, action="logout", obj=sysadmin)
    client.force_login(sysadmin)
    found = client.get("/admin/core/auditentry/", {"q": "yte"}).context["cl"].result_list
    assert {e.actor_name for e in found} == {"yte"}
    filtered = client.get("/admin/core/auditentry/", {"action__exact": "logout"})
    assert {e.action for e in filtered.context["cl"].result_list} == {"logout"}


def test_officers_cannot_read_the_audit_log(client: Client, officer: Any) -> None:
    client.force_login(officer)
    assert client.get("/admin/core/auditentry/").status_code == 403


# --- units -----------------------------------------------------------------------------------


def test_units_are_read_only_for_officers(
    client: Client, officer: Any, units: dict[str, Any]
) -> None:
    unit = units["new_tdm"]
    client.force_login(officer)
    page = client.get(f"/admin/core/administrativeunit/{unit.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert "Phường Phú Cường" in page.content.decode()  # the merge, from the inline
    response = client.post(
        f"/admin/core/administrativeunit/{unit.pk}/change/", {"name": "Đổi tên", "code": "1"}
    )
    assert response.status_code == 403
    assert client.get("/admin/core/administrativeunit/add/").status_code == 403
    assert AdministrativeUnit.objects.get(pk=unit.pk).name == "Phường Thủ Dầu Một"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("phu loi", {"Phường Phú Lợi"}),
        ("PHÚ LỢI", {"Phường Phú Lợi"}),
        ("25753", {"Phường Phú Thọ"}),
    ],
    ids=["folded", "accented", "code"],
)
def test_unit_search_ignores_diacritics(
    client: Client, officer: Any, units: dict[str, Any], query: str, expected: set[str]
) -> None:
    client.force_login(officer)
    response = client.get("/admin/core/administrativeunit/", {"q": query})
    assert {u.name for u in response.context["cl"].result_list} == expected


def test_system_admin_edits_a_unit_audited(
    client: Client, sysadmin: Any, units: dict[str, Any]
) -> None:
    unit = units["new_pl"]
    client.force_login(sysadmin)
    data = {
        "code": unit.code,
        "name": unit.name,
        "short_name": "Phú Lợi",
        "kind": unit.kind,
        "level": unit.level,
        "parent": unit.parent_id,
        "valid_from": "2025-07-01",
        "in_area": "on",
        "source": "",
        "successions-TOTAL_FORMS": "0",
        "successions-INITIAL_FORMS": "0",
        "predecessions-TOTAL_FORMS": "2",
        "predecessions-INITIAL_FORMS": "2",
    }
    response = client.post(f"/admin/core/administrativeunit/{unit.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get(action="update", object_id=str(unit.pk))
    assert entry.changes == {"short_name": ["", "Phú Lợi"]}


def test_a_units_identity_and_period_are_read_only(
    client: Client, sysadmin: Any, units: dict[str, Any]
) -> None:
    """Code, level and period change through `ioc units merge` and the services only."""
    unit = units["new_pl"]
    client.force_login(sysadmin)
    url = f"/admin/core/administrativeunit/{unit.pk}/change/"
    form = client.get(url).context["adminform"].form
    for name in ("code", "level", "valid_from", "valid_to"):
        assert name not in form.fields, name
    data = {
        "code": "99999",
        "name": unit.name,
        "short_name": "",
        "kind": unit.kind,
        "level": 1,
        "parent": unit.parent_id,
        "valid_from": "2020-01-01",
        "valid_to": "2025-12-31",
        "in_area": "on",
        "source": "",
        "successions-TOTAL_FORMS": "0",
        "successions-INITIAL_FORMS": "0",
        "predecessions-TOTAL_FORMS": "2",
        "predecessions-INITIAL_FORMS": "2",
    }
    client.post(url, data)
    fresh = AdministrativeUnit.objects.get(pk=unit.pk)
    assert (fresh.code, fresh.level, fresh.valid_from, fresh.valid_to) == (
        "25750",
        3,
        unit.valid_from,
        None,
    )


def test_units_are_never_deleted(client: Client, sysadmin: Any, units: dict[str, Any]) -> None:
    unit = units["old"]["25744"]
    client.force_login(sysadmin)
    url = f"/admin/core/administrativeunit/{unit.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 403
    client.post(
        "/admin/core/administrativeunit/",
        {"action": "delete_selected", "_selected_action": [unit.pk], "post": "yes"},
    )
    assert AdministrativeUnit.objects.filter(pk=unit.pk).exists()
    assert UnitTransition.objects.filter(source=unit).exists()


# --- agencies and sectors --------------------------------------------------------------------


def test_system_admin_adds_and_deactivates_an_agency_audited(
    client: Client, sysadmin: Any, units: dict[str, Any], sectors: dict[str, Any]
) -> None:
    client.force_login(sysadmin)
    response = client.post(
        "/admin/core/agency/add/",
        {
            "code": "so-giao-duc",
            "name": "Sở Giáo dục và Đào tạo",
            "kind": "department",
            "unit": units["hcm"].pk,
            "sectors": [sectors["education"].pk],
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    agency = Agency.objects.get(code="so-giao-duc")
    created = AuditEntry.objects.get(action="create", object_id=str(agency.pk))
    assert created.actor == sysadmin
    assert created.changes["sectors"] == [None, [sectors["education"].pk]]

    # Agencies are never deleted (records and reports point to them): no delete, anywhere.
    page = client.get(f"/admin/core/agency/{agency.pk}/change/")
    assert b"deletelink" not in page.content
    assert client.post(f"/admin/core/agency/{agency.pk}/delete/", {"post": "yes"}).status_code == (
        403
    )
    listing = client.get("/admin/core/agency/")
    offered = [name for name, _label in listing.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in offered
    assert "deactivate" in offered
    response = client.post(
        "/admin/core/agency/",
        {"action": "delete_selected", "_selected_action": [agency.pk], "post": "yes"},
    )
    assert Agency.objects.filter(pk=agency.pk).exists()
    assert not AuditEntry.objects.filter(action="delete").exists()

    # They are deactivated instead, through the service (audited).
    response = client.post(
        "/admin/core/agency/", {"action": "deactivate", "_selected_action": [agency.pk]}
    )
    assert response.status_code == 302
    assert not Agency.objects.get(pk=agency.pk).is_active
    entry = AuditEntry.objects.get(action="update", object_id=str(agency.pk))
    assert (entry.changes, entry.message, entry.actor) == (
        {"is_active": [True, False]},
        "deactivated",
        sysadmin,
    )


def test_officers_deactivate_only_in_scope(
    client: Client, officer: Any, agencies: dict[str, Any]
) -> None:
    client.force_login(officer)
    ids = [agencies["health"].pk, agencies["traffic"].pk]
    client.post("/admin/core/agency/", {"action": "deactivate", "_selected_action": ids})
    assert not Agency.objects.get(pk=agencies["health"].pk).is_active
    assert Agency.objects.get(pk=agencies["traffic"].pk).is_active  # not theirs: not even listed


@pytest.mark.parametrize("parent", ["itself", "child"], ids=str)
def test_agency_admin_refuses_a_supervising_cycle(
    client: Client, sysadmin: Any, agencies: dict[str, Any], parent: str
) -> None:
    health, ward = agencies["health"], agencies["ward"]
    Agency.objects.filter(pk=ward.pk).update(parent=health)
    client.force_login(sysadmin)
    chosen = health if parent == "itself" else ward
    response = client.post(
        f"/admin/core/agency/{health.pk}/change/",
        _agency_form(health, parent=chosen.pk),
    )
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert Agency.objects.get(pk=health.pk).parent_id is None


def test_agency_admin_refuses_a_closed_unit(
    client: Client, sysadmin: Any, agencies: dict[str, Any], units: dict[str, Any]
) -> None:
    health = agencies["health"]
    client.force_login(sysadmin)
    client.cookies["django_language"] = "en"
    response = client.post(
        f"/admin/core/agency/{health.pk}/change/", _agency_form(health, unit=units["tdm"].pk)
    )
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors["unit"])
    assert "no longer exists" in errors
    assert Agency.objects.get(pk=health.pk).unit_id == units["hcm"].pk


def test_officer_cannot_take_another_sector_away_in_the_admin(
    client: Client, officer: Any, agencies: dict[str, Any], sectors: dict[str, Any]
) -> None:
    ward = agencies["ward"]  # health and traffic; the officer has health
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    response = client.post(
        f"/admin/core/agency/{ward.pk}/change/",
        _agency_form(ward, sectors=[sectors["health"].pk], phone="0274"),
    )
    assert response.status_code == 200
    assert "your own scope" in " ".join(response.context["adminform"].form.errors["sectors"])
    ward.refresh_from_db()
    assert set(ward.sectors.values_list("code", flat=True)) == {"health", "traffic"}
    assert ward.phone == ""
    assert not AuditEntry.objects.filter(action="update").exists()


def _agency_form(agency: Agency, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": agency.code,
        "name": agency.name,
        "name_en": agency.name_en,
        "short_name": agency.short_name,
        "kind": agency.kind,
        "unit": agency.unit_id,
        "sectors": [s.pk for s in agency.sectors.all()],
        "email": agency.email,
        "phone": agency.phone,
        "is_active": "on",
    }
    data.update(changes)
    return data


def test_agency_admin_search_ignores_diacritics(
    client: Client, officer: Any, agencies: dict[str, Any]
) -> None:
    client.force_login(officer)
    response = client.get("/admin/core/agency/", {"q": "so y te"})
    assert [a.code for a in response.context["cl"].result_list] == ["so-y-te"]
    response = client.get("/admin/core/agency/", {"q": "giao thong"})  # out of scope
    assert list(response.context["cl"].result_list) == []


def test_agency_admin_offers_only_scoped_parents(
    client: Client, officer: Any, agencies: dict[str, Any]
) -> None:
    client.force_login(officer)
    page = client.get(f"/admin/core/agency/{agencies['health'].pk}/change/")
    parents = {a.pk for a in page.context["adminform"].form.fields["parent"].queryset}
    assert agencies["traffic"].pk not in parents
    assert agencies["ward"].pk in parents


def test_sector_change_is_audited(client: Client, sysadmin: Any, sectors: dict[str, Any]) -> None:
    health = sectors["health"]
    client.force_login(sysadmin)
    response = client.post(
        f"/admin/core/sector/{health.pk}/change/",
        {"code": "health", "name": "Y tế", "name_en": "Health care", "icon": "", "order": 0},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="update", object_id=str(health.pk))
    assert entry.changes == {"name_en": ["Health", "Health care"]}


def test_officers_cannot_change_sectors(
    client: Client, officer: Any, sectors: dict[str, Any]
) -> None:
    client.force_login(officer)
    health = sectors["health"]
    response = client.post(
        f"/admin/core/sector/{health.pk}/change/",
        {"code": "health", "name": "Đổi", "name_en": "", "icon": "", "order": 0},
    )
    assert response.status_code == 403
    health.refresh_from_db()
    assert health.name == "Y tế"


def test_sector_admin_follows_the_services_rules(
    client: Client, make_user: Any, sectors: dict[str, Any]
) -> None:
    """A system administrator who does not see the whole area (here: health only) changes
    only the sectors in their scope and adds or deletes none, as create_sector/update_sector."""
    scoped = make_user(
        "sysadmin-yte", roles=[Role.SYSTEM_ADMIN], sectors=[sectors["health"]], is_staff=True
    )
    client.force_login(scoped)
    form = {"name_en": "", "icon": "", "order": 0}
    assert client.get("/admin/core/sector/add/").status_code == 403
    response = client.post("/admin/core/sector/add/", {**form, "code": "moi", "name": "Mới"})
    assert response.status_code == 403
    traffic = sectors["traffic"]
    response = client.post(
        f"/admin/core/sector/{traffic.pk}/change/", {**form, "code": "traffic", "name": "Đổi"}
    )
    assert response.status_code == 403
    assert client.post(f"/admin/core/sector/{traffic.pk}/delete/", {"post": "yes"}).status_code == (
        403
    )
    health = sectors["health"]
    response = client.post(
        f"/admin/core/sector/{health.pk}/change/", {**form, "code": "health", "name": "Y tế mới"}
    )
    assert response.status_code == 302
    assert Sector.objects.get(pk=health.pk).name == "Y tế mới"
    assert Sector.objects.get(pk=traffic.pk).name == "Giao thông"
    assert not Sector.objects.filter(code="moi").exists()


def test_whole_area_system_admin_adds_a_sector(client: Client, sysadmin: Any, db: Any) -> None:
    client.force_login(sysadmin)
    response = client.post(
        "/admin/core/sector/add/",
        {"code": "du-lich", "name": "Du lịch", "name_en": "", "icon": "", "order": 9},
    )
    assert response.status_code == 302
    sector = Sector.objects.get(code="du-lich")
    assert AuditEntry.objects.filter(action="create", object_id=str(sector.pk)).exists()
