"""/ioc/agencies/: scoped list with a search that ignores diacritics, filters, detail, edit."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ioc.accounts.choices import Role
from ioc.core.models import Agency, AuditEntry


@pytest.fixture
def leader(make_user: Any) -> Any:
    return make_user("leader", roles=[Role.LEADER], scope_all=True)


def _codes(response: Any) -> list[str]:
    assert response.status_code == 200
    return sorted(a.code for a in response.context["page_obj"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("so y te", ["so-y-te"]),
        ("SỞ Y TẾ", ["so-y-te"]),
        ("giao thong", ["so-gtvt"]),
        ("thu dau mot", ["ubnd-thu-dau-mot"]),
        ("Department", ["so-gtvt", "so-y-te"]),
        ("so-gtvt", ["so-gtvt"]),
        ("khong co", []),
    ],
    ids=["folded", "upper-accented", "words", "ward", "english", "code", "nothing"],
)
def test_search_ignores_case_and_diacritics(
    client: Client, leader: Any, agencies: dict[str, Any], query: str, expected: list[str]
) -> None:
    client.force_login(leader)
    assert _codes(client.get("/ioc/agencies/", {"q": query})) == expected


def test_filter_by_sector_and_kind(client: Client, leader: Any, agencies: dict[str, Any]) -> None:
    client.force_login(leader)
    assert _codes(client.get("/ioc/agencies/", {"sector": "traffic"})) == [
        "so-gtvt",
        "ubnd-thu-dau-mot",
    ]
    assert _codes(client.get("/ioc/agencies/", {"kind": "commune"})) == ["ubnd-thu-dau-mot"]
    both = client.get("/ioc/agencies/", {"sector": "traffic", "kind": "department"})
    assert _codes(both) == ["so-gtvt"]


def test_search_stays_inside_the_scope(
    client: Client, make_user: Any, sectors: dict[str, Any], agencies: dict[str, Any]
) -> None:
    officer = make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]])
    client.force_login(officer)
    assert _codes(client.get("/ioc/agencies/", {"q": "giao thong"})) == []


def test_detail_shows_the_agency(client: Client, leader: Any, agencies: dict[str, Any]) -> None:
    client.force_login(leader)
    response = client.get(f"/ioc/agencies/{agencies['health'].pk}/")
    assert response.status_code == 200
    assert "Sở Y tế" in response.content.decode()
    assert response.context["can_edit"] is False
    assert client.get("/ioc/agencies/999999/").status_code == 404


def test_edit_an_agency(
    client: Client, make_user: Any, sectors: dict[str, Any], agencies: dict[str, Any]
) -> None:
    officer = make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]])
    client.force_login(officer)
    health = agencies["health"]
    url = f"/ioc/agencies/{health.pk}/edit/"
    form = client.get(url)
    assert form.status_code == 200
    parent_choices = {c.pk for c in form.context["form"].fields["parent"].queryset}
    assert parent_choices == {agencies["ward"].pk}  # in scope, not itself
    response = client.post(
        url,
        {
            "name": "Sở Y tế tỉnh Bình Dương",
            "name_en": "Department of Health",
            "kind": "department",
            "sectors": [sectors["health"].pk],
            "email": "syt@binhduong.gov.vn",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/ioc/agencies/{health.pk}/"
    health.refresh_from_db()
    assert (health.name, health.email) == ("Sở Y tế tỉnh Bình Dương", "syt@binhduong.gov.vn")
    entry = AuditEntry.objects.get(action="update")
    assert set(entry.changes) == {"name", "email"}


def test_edit_errors_are_shown_and_nothing_is_saved(
    client: Client, make_user: Any, sectors: dict[str, Any], agencies: dict[str, Any]
) -> None:
    officer = make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]])
    client.force_login(officer)
    health = agencies["health"]
    response = client.post(
        f"/ioc/agencies/{health.pk}/edit/",
        {"name": "", "kind": "department", "email": "not-an-email"},
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "email"}
    assert b'role="alert"' in response.content
    assert Agency.objects.get(pk=health.pk).name == "Sở Y tế"
    assert not AuditEntry.objects.filter(action="update").exists()
