"""The user admin: only system administrators change users; every change is audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from ioc.accounts.choices import Role
from ioc.accounts.models import User
from ioc.core.models import AuditEntry


@pytest.fixture
def sysadmin(make_user: Any) -> Any:
    return make_user("sysadmin", roles=[Role.SYSTEM_ADMIN], scope_all=True, is_staff=True)


def _form(user: User, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "username": user.username,
        "kind": user.kind,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "phone": user.phone,
        "groups": [g.pk for g in user.groups.all()],
        "agency": user.agency_id or "",
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "scope_all": "on" if user.scope_all else "",
        "scope_units": [u.pk for u in user.scope_units.all()],
        "scope_sectors": [s.pk for s in user.scope_sectors.all()],
        "scope_agencies": [a.pk for a in user.scope_agencies.all()],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_system_admin_changes_roles_and_scope_audited(
    client: Client, sysadmin: Any, make_user: Any, sectors: dict[str, Any]
) -> None:
    target = make_user("yte")
    client.force_login(sysadmin)
    url = f"/admin/accounts/user/{target.pk}/change/"
    assert client.get(url).status_code == 200
    officer_group = Group.objects.get(name=Role.SECTOR_OFFICER)
    response = client.post(
        url, _form(target, groups=[officer_group.pk], scope_sectors=[sectors["health"].pk])
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    target.refresh_from_db()
    assert target.has_role(Role.SECTOR_OFFICER)
    assert list(target.scope_sectors.all()) == [sectors["health"]]
    entry = AuditEntry.objects.get(action="update", object_id=str(target.pk))
    assert entry.actor == sysadmin
    assert entry.changes["groups"] == [[], [officer_group.pk]]
    assert entry.changes["scope_sectors"] == [[], [sectors["health"].pk]]
    assert "password" not in entry.changes


def test_system_admin_cannot_grant_superuser(client: Client, sysadmin: Any, make_user: Any) -> None:
    target = make_user("yte")
    client.force_login(sysadmin)
    client.post(f"/admin/accounts/user/{target.pk}/change/", _form(target, is_superuser="on"))
    target.refresh_from_db()
    assert not target.is_superuser


def test_admin_password_reset_is_audited(client: Client, sysadmin: Any, make_user: Any) -> None:
    target = make_user("yte")
    client.force_login(sysadmin)
    new = "mat-khau-moi-cua-yte-2026"
    response = client.post(
        f"/admin/accounts/user/{target.pk}/password/",
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password(new)
    entry = AuditEntry.objects.get(action="update", object_id=str(target.pk))
    assert entry.changes == {"password": ["***", "***"]}
    assert new not in str(entry.changes) + entry.message


def test_a_user_with_change_permission_but_no_admin_role_cannot_change_users(
    client: Client, make_user: Any
) -> None:
    helper = make_user("helper", is_staff=True, scope_all=True)
    helper.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="accounts", codename__in=["view_user", "change_user"]
        )
    )
    target = make_user("yte")
    client.force_login(helper)
    url = f"/admin/accounts/user/{target.pk}/change/"
    assert client.get(url).status_code == 200  # may look
    response = client.post(url, _form(target, is_staff="on"))
    assert response.status_code == 403
    target.refresh_from_db()
    assert not target.is_staff
    assert not AuditEntry.objects.filter(action="update").exists()


@pytest.mark.parametrize(
    "path",
    ["/admin/accounts/user/", "/admin/accounts/user/add/"],
    ids=["list", "add"],
)
def test_staff_without_the_role_see_no_users(
    client: Client, make_user: Any, sectors: dict[str, Any], path: str
) -> None:
    officer = make_user(
        "yte", roles=[Role.SECTOR_OFFICER], sectors=[sectors["health"]], is_staff=True
    )
    client.force_login(officer)
    assert client.get(path).status_code == 403


def test_system_admin_creates_a_user_audited(client: Client, sysadmin: Any) -> None:
    client.force_login(sysadmin)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "moi",
            "kind": "staff",
            "usable_password": "true",
            "password1": "mat-khau-rat-dai-2026",
            "password2": "mat-khau-rat-dai-2026",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="moi")
    entry = AuditEntry.objects.get(action="create", object_id=str(user.pk))
    assert entry.changes["password"] == [None, "***"]
