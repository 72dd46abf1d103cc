"""The user admin: only system administrators change users, only superusers change superusers,
nobody changes their own rights; authenticator devices without their keys; every change and
every deletion (devices, login records) is audited."""

from __future__ import annotations

import datetime as dt
from base64 import b32encode
from typing import Any
from urllib.parse import quote

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

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


# --- superusers are changed by superusers only; nobody changes their own rights --------------


@pytest.fixture
def root(make_user: Any) -> Any:
    return make_user("root", is_superuser=True, is_staff=True, scope_all=True, first_name="Gốc")


def test_system_admin_cannot_change_or_deactivate_a_superuser(
    client: Client, sysadmin: Any, root: Any
) -> None:
    client.force_login(sysadmin)
    url = f"/admin/accounts/user/{root.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200  # may look
    assert b'name="_save"' not in page.content
    response = client.post(url, _form(root, is_active="", is_superuser="", first_name="Chiếm"))
    assert response.status_code == 403
    root.refresh_from_db()
    assert (root.is_active, root.is_superuser, root.first_name) == (True, True, "Gốc")
    assert not AuditEntry.objects.filter(action="update", object_id=str(root.pk)).exists()


def test_system_admin_cannot_delete_a_superuser(client: Client, sysadmin: Any, root: Any) -> None:
    client.force_login(sysadmin)
    assert client.post(f"/admin/accounts/user/{root.pk}/delete/", {"post": "yes"}).status_code == (
        403
    )
    # nor through the list's bulk action, mixed with an account it may delete
    other = User.objects.create_user("khac")
    response = client.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [root.pk, other.pk], "post": "yes"},
    )
    assert response.status_code in (200, 403)
    assert User.objects.filter(pk=root.pk).exists()
    assert User.objects.filter(pk=other.pk).exists()
    assert not AuditEntry.objects.filter(action="delete").exists()


def test_system_admin_cannot_set_a_superusers_password(
    client: Client, sysadmin: Any, root: Any
) -> None:
    client.force_login(sysadmin)
    new = "mat-khau-chiem-quyen-2026"
    url = f"/admin/accounts/user/{root.pk}/password/"
    assert client.get(url).status_code == 403
    response = client.post(url, {"password1": new, "password2": new, "usable_password": "true"})
    assert response.status_code == 403
    root.refresh_from_db()
    assert not root.check_password(new)
    assert root.check_password("correct-horse-battery")
    denied = AuditEntry.objects.filter(action="denied", object_id=str(root.pk), actor=sysadmin)
    assert denied.exists()


def test_a_superuser_changes_another_superuser(client: Client, make_user: Any, root: Any) -> None:
    other_root = make_user("root2", is_superuser=True, is_staff=True)
    client.force_login(other_root)
    response = client.post(
        f"/admin/accounts/user/{root.pk}/change/", _form(root, first_name="Gốc mới")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    root.refresh_from_db()
    assert root.first_name == "Gốc mới"
    new = "mat-khau-moi-cua-root-2026"
    response = client.post(
        f"/admin/accounts/user/{root.pk}/password/",
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert response.status_code == 302
    root.refresh_from_db()
    assert root.check_password(new)


@pytest.mark.parametrize("who", ["sysadmin", "superuser"], ids=str)
def test_nobody_changes_their_own_roles_scope_or_status(
    client: Client, make_user: Any, sectors: dict[str, Any], who: str
) -> None:
    if who == "sysadmin":
        me = make_user("sysadmin", roles=[Role.SYSTEM_ADMIN], is_staff=True)
        me.scope_sectors.set([sectors["health"]])
    else:
        me = make_user("root", is_superuser=True, is_staff=True, scope_all=True)
    client.force_login(me)
    url = f"/admin/accounts/user/{me.pk}/change/"
    form = client.get(url).context["adminform"].form
    for name in ("groups", "scope_all", "scope_units", "scope_sectors", "scope_agencies"):
        assert name not in form.fields, name
    for name in ("is_superuser", "is_staff", "user_permissions"):
        assert name not in form.fields, name
    leader = Group.objects.get(name=Role.LEADER)
    response = client.post(
        url,
        _form(
            me,
            first_name="Tên mới",
            groups=[leader.pk],
            scope_all="on",
            scope_sectors=[s.pk for s in sectors.values()],
            is_staff="",
            is_superuser="on" if who == "sysadmin" else "",
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    fresh = User.objects.get(pk=me.pk)
    assert fresh.first_name == "Tên mới"  # the rest of their own details they may change
    assert fresh.is_staff
    assert fresh.is_superuser == (who == "superuser")
    assert fresh.scope_all == (who == "superuser")
    if who == "sysadmin":
        assert set(fresh.groups.values_list("name", flat=True)) == {Role.SYSTEM_ADMIN}
        assert list(fresh.scope_sectors.all()) == [sectors["health"]]
    else:
        assert not fresh.groups.exists()
        assert not fresh.scope_sectors.exists()


def test_only_superusers_grant_superuser_status(client: Client, make_user: Any, root: Any) -> None:
    target = make_user("yte")
    client.force_login(root)
    response = client.post(
        f"/admin/accounts/user/{target.pk}/change/", _form(target, is_superuser="on")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    target.refresh_from_db()
    assert target.is_superuser


# --- authenticator devices: never the key; deleting one is audited ---------------------------


@pytest.fixture
def device(make_user: Any) -> TOTPDevice:
    owner = make_user("yte", roles=[Role.OPERATOR], is_staff=True)
    return TOTPDevice.objects.create(user=owner, name="authenticator", confirmed=True)


def _secrets(device: TOTPDevice) -> list[str]:
    return [device.key, b32encode(device.bin_key).decode(), quote(device.config_url, safe="")]


def test_device_admin_never_shows_the_key(
    client: Client, sysadmin: Any, device: TOTPDevice
) -> None:
    client.force_login(sysadmin)
    base = "/admin/otp_totp/totpdevice/"
    listing = client.get(base)
    assert listing.status_code == 200
    assert "yte" in listing.content.decode()
    pages = [
        listing,
        client.get(f"{base}{device.pk}/change/"),
        client.get(f"{base}{device.pk}/config/", follow=True),
        client.get(f"{base}{device.pk}/qrcode/", follow=True),
    ]
    assert pages[1].status_code == 200
    for page in pages:
        body = page.content.decode()
        for secret in _secrets(device):
            assert secret not in body
        assert "otpauth://" not in body
        assert page.get("Content-Type", "").startswith("text/html")  # never the QR image
    assert b'name="_save"' not in pages[1].content


def test_device_admin_adds_and_changes_nothing(
    client: Client, sysadmin: Any, device: TOTPDevice
) -> None:
    client.force_login(sysadmin)
    base = "/admin/otp_totp/totpdevice/"
    assert client.get(f"{base}add/").status_code == 403
    key = device.key
    response = client.post(
        f"{base}{device.pk}/change/",
        {"user": device.user_id, "name": "mine", "key": "00" * 20, "confirmed": "on"},
    )
    assert response.status_code == 403
    device.refresh_from_db()
    assert (device.key, device.name) == (key, "authenticator")


def test_system_admin_deletes_a_lost_phones_device_audited(
    client: Client, sysadmin: Any, device: TOTPDevice
) -> None:
    client.force_login(sysadmin)
    response = client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    entry = AuditEntry.objects.get(action="delete", object_type="otp_totp.totpdevice")
    assert entry.actor == sysadmin
    assert entry.object_id == str(device.pk)
    assert entry.changes["user"] == [device.user_id, None]
    text = str(entry.changes) + entry.message + entry.object_repr
    for secret in _secrets(device):
        assert secret not in text


def test_bulk_device_deletion_is_audited(
    client: Client, sysadmin: Any, device: TOTPDevice, make_user: Any
) -> None:
    other = TOTPDevice.objects.create(user=make_user("gt"), name="authenticator", confirmed=True)
    client.force_login(sysadmin)
    response = client.post(
        "/admin/otp_totp/totpdevice/",
        {"action": "delete_selected", "_selected_action": [device.pk, other.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.exists()
    deleted = AuditEntry.objects.filter(action="delete", object_type="otp_totp.totpdevice")
    assert set(deleted.values_list("object_id", flat=True)) == {str(device.pk), str(other.pk)}


def test_only_a_superuser_deletes_a_superusers_device(
    client: Client, sysadmin: Any, root: Any, make_user: Any
) -> None:
    device = TOTPDevice.objects.create(user=root, name="authenticator", confirmed=True)
    client.force_login(sysadmin)
    url = f"/admin/otp_totp/totpdevice/{device.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 403
    response = client.post(
        "/admin/otp_totp/totpdevice/",
        {"action": "delete_selected", "_selected_action": [device.pk], "post": "yes"},
    )
    assert response.status_code in (200, 403)
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not AuditEntry.objects.filter(action="delete").exists()

    client.force_login(make_user("root2", is_superuser=True, is_staff=True))
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert AuditEntry.objects.filter(action="delete", object_id=str(device.pk)).exists()


def test_officers_see_no_devices(client: Client, make_user: Any, device: TOTPDevice) -> None:
    client.force_login(make_user("lead", roles=[Role.LEADER], is_staff=True, scope_all=True))
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 403


# --- login records (django-axes): deleting them unlocks an account, audited ------------------


def test_unlocking_an_account_is_audited(client: Client, sysadmin: Any) -> None:
    attempt = AccessAttempt.objects.create(
        username="yte",
        ip_address="203.0.113.7",
        user_agent="test",
        path_info="/accounts/login/",
        get_data="",
        post_data="password=********",
        failures_since_start=5,
    )
    client.force_login(sysadmin)
    response = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    entry = AuditEntry.objects.get(action="delete", object_type="axes.accessattempt")
    assert entry.actor == sysadmin
    assert entry.changes["username"] == ["yte", None]
    assert entry.changes["ip_address"] == ["203.0.113.7", None]
    assert entry.changes["failures_since_start"] == [5, None]
    assert "post_data" not in entry.changes
    assert "unlock" in entry.message


@pytest.mark.parametrize("model", ["accessattempt", "accesslog", "accessfailurelog"], ids=str)
def test_bulk_deleting_login_records_is_audited(client: Client, sysadmin: Any, model: str) -> None:
    common = {"username": "yte", "ip_address": "203.0.113.7", "user_agent": "t", "path_info": "/"}
    if model == "accessattempt":
        rows = [
            AccessAttempt.objects.create(
                **{**common, "user_agent": f"t{n}"},
                get_data="",
                post_data="",
                failures_since_start=n,
            )
            for n in (1, 2)
        ]
    elif model == "accesslog":
        rows = [AccessLog.objects.create(**common) for _ in (1, 2)]
    else:
        rows = [AccessFailureLog.objects.create(**common, locked_out=True) for _ in (1, 2)]
    client.force_login(sysadmin)
    response = client.post(
        f"/admin/axes/{model}/",
        {"action": "delete_selected", "_selected_action": [r.pk for r in rows], "post": "yes"},
    )
    assert response.status_code == 302
    deleted = AuditEntry.objects.filter(action="delete", object_type=f"axes.{model}")
    assert set(deleted.values_list("object_id", flat=True)) == {str(r.pk) for r in rows}
    assert all(e.actor == sysadmin for e in deleted)


def test_cleaning_up_expired_attempts_is_audited(client: Client, sysadmin: Any) -> None:
    client.force_login(sysadmin)  # first: logging in cleans expired attempts too
    old = AccessAttempt.objects.create(
        username="yte",
        ip_address="203.0.113.7",
        user_agent="t",
        path_info="/",
        get_data="",
        post_data="",
        failures_since_start=3,
    )
    AccessAttempt.objects.filter(pk=old.pk).update(
        attempt_time=timezone.now() - dt.timedelta(days=2)
    )
    response = client.post(
        "/admin/axes/accessattempt/",
        {"action": "cleanup_expired_attempts", "_selected_action": [old.pk]},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    entry = AuditEntry.objects.get(action="delete", object_type="axes.accessattempt")
    assert entry.changes["ids"] == [[old.pk], None]
