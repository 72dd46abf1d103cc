"""ioc.core.services: permission and scope checked inside, validated, audited; a refused call
changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict

from ioc.accounts.choices import Role
from ioc.core import services
from ioc.core.models import AdministrativeUnit, Agency, AuditEntry, Sector


def _perms(user: Any, *codenames: str) -> Any:
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="core", codename__in=codenames)
    )
    return type(user).objects.get(pk=user.pk)  # fresh: no cached permissions


@pytest.fixture
def officer(make_user: Any, sectors: dict[str, Any]) -> Any:
    return make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]])


@pytest.fixture
def admin_user(make_user: Any) -> Any:
    return make_user("sysadmin", roles=[Role.SYSTEM_ADMIN], scope_all=True)


def _snapshot(agency: Agency) -> dict[str, Any]:
    fresh = Agency.objects.get(pk=agency.pk)
    return {**model_to_dict(fresh), "sectors": sorted(fresh.sectors.values_list("pk", flat=True))}


def test_update_agency_in_scope_is_audited(officer: Any, agencies: dict[str, Any]) -> None:
    health = agencies["health"]
    updated = services.update_agency(
        actor=officer, agency=health, email="syt@binhduong.gov.vn", short_name="SYT"
    )
    assert (updated.email, updated.short_name) == ("syt@binhduong.gov.vn", "SYT")
    assert health.email == ""  # the instance passed in is left alone
    entry = AuditEntry.objects.get(action="update")
    assert entry.actor == officer
    assert entry.object_type == "core.agency"
    assert entry.object_id == str(health.pk)
    assert entry.changes == {
        "email": ["", "syt@binhduong.gov.vn"],
        "short_name": ["", "SYT"],
    }


def test_nothing_changed_nothing_audited(officer: Any, agencies: dict[str, Any]) -> None:
    services.update_agency(actor=officer, agency=agencies["health"], name="Sở Y tế")
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("who", "agency", "changes"),
    [
        ("officer", "traffic", {"phone": "1"}),
        ("officer", "health", {"sectors": ["traffic"]}),
        ("leader", "health", {"phone": "1"}),
        ("anonymous", "health", {"phone": "1"}),
        ("citizen", "health", {"phone": "1"}),
        ("empty-scope", "health", {"phone": "1"}),
    ],
    ids=[
        "out-of-scope",
        "would-leave-scope",
        "no-permission",
        "anonymous",
        "citizen",
        "empty-scope",
    ],
)
def test_refused_updates_change_nothing(
    who: str,
    agency: str,
    changes: dict[str, Any],
    make_user: Any,
    officer: Any,
    agencies: dict[str, Any],
    sectors: dict[str, Any],
) -> None:
    actor: Any = {
        "officer": lambda: officer,
        "leader": lambda: make_user("leader", roles=[Role.LEADER], scope_all=True),
        "anonymous": AnonymousUser,
        "citizen": lambda: _perms(make_user("dan", kind="citizen"), "change_agency"),
        "empty-scope": lambda: make_user("nobody", roles=[Role.SECTOR_OFFICER]),
    }[who]()
    if "sectors" in changes:
        changes = {"sectors": [sectors[code] for code in changes["sectors"]]}
    target = agencies[agency]
    before = _snapshot(target)
    with pytest.raises(PermissionDenied):
        services.update_agency(actor=actor, agency=target, **changes)
    assert _snapshot(target) == before
    assert not AuditEntry.objects.filter(action__in=["create", "update", "delete"]).exists()
    assert AuditEntry.objects.filter(action="denied").count() == 1


def test_invalid_values_raise_and_change_nothing(officer: Any, agencies: dict[str, Any]) -> None:
    health = agencies["health"]
    before = _snapshot(health)
    with pytest.raises(ValidationError) as info:
        services.update_agency(actor=officer, agency=health, email="not an email", kind="???")
    assert set(info.value.message_dict) == {"email", "kind"}
    assert _snapshot(health) == before
    assert not AuditEntry.objects.exists()


def test_unknown_fields_are_a_programming_error(officer: Any, agencies: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match="colour"):
        services.update_agency(actor=officer, agency=agencies["health"], colour="red")


def test_create_agency(
    make_user: Any, units: dict[str, Any], sectors: dict[str, Any], admin_user: Any
) -> None:
    agency = services.create_agency(
        actor=admin_user,
        code="so-giao-duc",
        name="Sở Giáo dục và Đào tạo",
        kind="department",
        unit=units["hcm"],
        sectors=[sectors["education"]],
    )
    assert list(agency.sectors.all()) == [sectors["education"]]
    entry = AuditEntry.objects.get(action="create")
    assert entry.changes["code"] == [None, "so-giao-duc"]
    assert entry.changes["sectors"] == [None, [sectors["education"].pk]]


def test_create_agency_outside_the_scope_is_rolled_back(
    make_user: Any, units: dict[str, Any], sectors: dict[str, Any]
) -> None:
    officer = _perms(
        make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]]), "add_agency"
    )
    with pytest.raises(PermissionDenied):
        services.create_agency(
            actor=officer,
            code="so-giao-duc",
            name="Sở Giáo dục và Đào tạo",
            kind="department",
            unit=units["hcm"],
            sectors=[sectors["education"]],
        )
    assert not Agency.objects.filter(code="so-giao-duc").exists()
    assert not AuditEntry.objects.filter(action="create").exists()
    # Inside the scope it works.
    services.create_agency(
        actor=officer,
        code="trung-tam-y-te",
        name="Trung tâm Y tế",
        kind="service",
        unit=units["hcm"],
        sectors=[sectors["health"]],
    )
    assert Agency.objects.filter(code="trung-tam-y-te").exists()


def test_create_agency_needs_the_permission(officer: Any, units: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        services.create_agency(
            actor=officer, code="x", name="X", kind="department", unit=units["hcm"]
        )
    assert not Agency.objects.filter(code="x").exists()


def test_deactivate_agency(admin_user: Any, agencies: dict[str, Any]) -> None:
    services.deactivate_agency(actor=admin_user, agency=agencies["traffic"])
    assert not Agency.objects.get(pk=agencies["traffic"].pk).is_active
    entry = AuditEntry.objects.get(action="update")
    assert (entry.changes, entry.message) == ({"is_active": [True, False]}, "deactivated")


def test_deactivate_agency_out_of_scope(officer: Any, agencies: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        services.deactivate_agency(actor=officer, agency=agencies["traffic"])
    assert Agency.objects.get(pk=agencies["traffic"].pk).is_active


def test_sectors(admin_user: Any, make_user: Any, sectors: dict[str, Any]) -> None:
    sector = services.create_sector(actor=admin_user, code="du-lich", name="Du lịch", order=9)
    assert AuditEntry.objects.filter(action="create", object_id=str(sector.pk)).exists()
    services.update_sector(actor=admin_user, sector=sector, name_en="Tourism")
    assert Sector.objects.get(pk=sector.pk).name_en == "Tourism"

    officer = _perms(
        make_user("yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]]),
        "add_sector",
        "change_sector",
    )
    services.update_sector(actor=officer, sector=sectors["health"], icon="heart")
    with pytest.raises(PermissionDenied):
        services.update_sector(actor=officer, sector=sectors["traffic"], icon="car")
    with pytest.raises(PermissionDenied):  # a new sector is province-wide
        services.create_sector(actor=officer, code="moi", name="Mới")
    assert Sector.objects.get(pk=sectors["traffic"].pk).icon == ""
    assert not Sector.objects.filter(code="moi").exists()


# --- validate_agency: supervising cycles, units; sectors outside the scope ---------------------


def test_an_agency_is_not_its_own_supervisor(admin_user: Any, agencies: dict[str, Any]) -> None:
    health, ward = agencies["health"], agencies["ward"]
    Agency.objects.filter(pk=ward.pk).update(parent=health)
    for parent in (health, ward):
        before = _snapshot(health)
        with pytest.raises(ValidationError) as info:
            services.update_agency(actor=admin_user, agency=health, parent=parent)
        assert set(info.value.message_dict) == {"parent"}
        assert _snapshot(health) == before
    assert not AuditEntry.objects.exists()


def test_a_new_unit_must_be_current_and_in_the_area(
    admin_user: Any, agencies: dict[str, Any], units: dict[str, Any], sectors: dict[str, Any]
) -> None:
    health = agencies["health"]
    elsewhere = AdministrativeUnit.objects.create(code="01", name="Thành phố Hà Nội", level=1)
    for unit in (units["tdm"], units["old"]["25744"], elsewhere):
        with pytest.raises(ValidationError) as info:
            services.update_agency(actor=admin_user, agency=health, unit=unit)
        assert set(info.value.message_dict) == {"unit"}
        with pytest.raises(ValidationError):
            services.create_agency(
                actor=admin_user, code="moi", name="Mới", kind="office", unit=unit
            )
    assert Agency.objects.get(pk=health.pk).unit_id == units["hcm"].pk
    assert not Agency.objects.filter(code="moi").exists()
    assert not AuditEntry.objects.exists()
    services.update_agency(actor=admin_user, agency=health, unit=units["new_tdm"])
    assert Agency.objects.get(pk=health.pk).unit_id == units["new_tdm"].pk


def test_an_officer_does_not_take_away_another_sector(
    officer: Any, admin_user: Any, agencies: dict[str, Any], sectors: dict[str, Any]
) -> None:
    ward = agencies["ward"]  # health and traffic
    before = _snapshot(ward)
    with pytest.raises(PermissionDenied):
        services.update_agency(
            actor=officer, agency=ward, sectors=[sectors["health"]], phone="0274"
        )
    assert _snapshot(ward) == before  # the phone number was not saved either
    assert not AuditEntry.objects.filter(action="update").exists()
    assert AuditEntry.objects.filter(action="denied", actor=officer).count() == 1
    # whoever sees the whole area may
    services.update_agency(actor=admin_user, agency=ward, sectors=[sectors["health"]])
    assert set(ward.sectors.values_list("code", flat=True)) == {"health"}
