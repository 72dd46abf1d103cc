"""The admin of units, sectors, agencies and the audit log: who may write, search, audit."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ioc.accounts.choices import Role
from ioc.core.audit import record
from ioc.core.models import AdministrativeUnit, Agency, AuditEntry


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


# --- agencies and sectors --------------------------------------------------------------------


def test_system_admin_adds_and_deletes_an_agency_audited(
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

    response = client.post(f"/admin/core/agency/{agency.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Agency.objects.filter(pk=agency.pk).exists()
    deleted = AuditEntry.objects.get(action="delete")
    assert deleted.object_id == str(agency.pk)
    assert deleted.changes["code"] == ["so-giao-duc", None]


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
