"""Staff second factor (TOTP): set up with a QR code, then a code after every password login
before /ioc/, /admin/ or /api/. Codes are real: computed from the device's key."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ioc.accounts.choices import Role
from ioc.core.models import AuditEntry

PASSWORD = "correct-horse-battery"
VERIFY = "/accounts/otp/verify/"
SETUP = "/accounts/otp/setup/"


def code(device: TOTPDevice, *, wrong: bool = False) -> str:
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if wrong:
        value = (value + 1) % 10**device.digits
    return f"{value:0{device.digits}d}"


@pytest.fixture
def staff(make_user: Any) -> Any:
    return make_user("quan", roles=[Role.OPERATOR], scope_all=True, is_staff=True)


@pytest.fixture
def device(staff: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)


def _login(client: Client, username: str = "quan") -> Any:
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD})


def test_set_up_an_authenticator(client: Client, staff: Any, staff_area_middleware: None) -> None:
    _login(client)
    page = client.get(SETUP)
    assert page.status_code == 200
    assert b"<svg" in page.content
    pending = TOTPDevice.objects.get(user=staff)
    assert not pending.confirmed
    assert page.context["secret"].encode() in page.content

    wrong = client.post(SETUP, {"token": code(pending, wrong=True)})
    assert wrong.status_code == 200
    assert "not right" in " ".join(wrong.context["form"].errors["token"])
    pending.refresh_from_db()
    assert not pending.confirmed

    pending.throttling_failure_count = 0  # the wrong code above slowed the next try down
    pending.throttling_failure_timestamp = None
    pending.save()
    done = client.post(SETUP, {"token": code(pending)})
    assert done.status_code == 302
    assert done["Location"] == "/accounts/profile/"
    pending.refresh_from_db()
    assert pending.confirmed
    assert AuditEntry.objects.filter(
        action="action", actor=staff, message__contains="authenticator"
    ).exists()
    # Setting it up verified this session: the staff areas are open.
    assert client.get("/ioc/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_login_then_code_before_the_staff_areas(
    client: Client, staff: Any, device: TOTPDevice, staff_area_middleware: None
) -> None:
    response = _login(client)
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next={quote('/ioc/', safe='')}"

    for path in ["/ioc/", "/admin/", "/ioc/agencies/", "/ioc/events/"]:
        blocked = client.get(path)
        assert blocked.status_code == 302, path
        assert blocked["Location"].startswith(VERIFY), path
    assert client.get("/api/agencies/").status_code == 403

    wrong = client.post(VERIFY, {"token": code(device, wrong=True), "next": "/ioc/"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["token"]
    assert AuditEntry.objects.filter(action="login_failed", actor=staff).exists()
    assert client.get("/ioc/").status_code == 302

    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    right = client.post(VERIFY, {"token": code(device), "next": "/ioc/"})
    assert right.status_code == 302
    assert right["Location"] == "/ioc/"
    assert client.get("/ioc/").status_code == 200
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/agencies/").status_code == 200
    assert AuditEntry.objects.filter(action="login", actor=staff, message__contains="TOTP").exists()


def test_a_used_code_does_not_work_twice(
    client: Client, staff: Any, device: TOTPDevice, staff_area_middleware: None
) -> None:
    token = code(device)
    _login(client)
    assert client.post(VERIFY, {"token": token}).status_code == 302
    client.post("/accounts/logout/")
    _login(client)
    assert client.post(VERIFY, {"token": token}).status_code == 200
    assert client.get("/ioc/").status_code == 302


def test_views_stay_protected_without_the_middleware(
    client: Client, staff: Any, device: TOTPDevice
) -> None:
    _login(client)
    response = client.get("/ioc/agencies/")
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(VERIFY)
    assert client.get("/admin/core/agency/").status_code == 302
    client.post(VERIFY, {"token": code(device)})
    assert client.get("/admin/").status_code == 200


def test_replacing_the_device_needs_the_current_one(
    client: Client, staff: Any, device: TOTPDevice
) -> None:
    _login(client)
    response = client.get(SETUP)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_staff_without_a_device_must_set_one_up_when_required(
    client: Client, staff: Any, make_user: Any, settings: Any, staff_area_middleware: None
) -> None:
    settings.IOC_STAFF_REQUIRE_OTP = True
    response = _login(client)
    assert response["Location"].startswith(SETUP)
    assert client.get("/ioc/")["Location"].startswith(SETUP)
    assert client.get("/admin/")["Location"].startswith(SETUP)
    assert client.get(SETUP).status_code == 200

    make_user("citizen", kind="citizen")
    other = Client()
    assert _login(other, "citizen")["Location"] == "/feedback/"


def test_without_the_requirement_staff_may_skip_it(
    client: Client, staff: Any, staff_area_middleware: None
) -> None:
    assert _login(client)["Location"] == "/ioc/"
    assert client.get("/ioc/").status_code == 200


def test_citizens_cannot_add_an_authenticator(client: Client, make_user: Any) -> None:
    make_user("citizen", kind="citizen")
    _login(client, "citizen")
    assert client.get(SETUP).status_code == 403
    assert not TOTPDevice.objects.exists()
