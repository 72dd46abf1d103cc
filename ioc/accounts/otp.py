"""Second factor for staff: TOTP devices (django-otp), who must verify, who must set one up."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from ioc.accounts.choices import AccountKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ioc.accounts.models import User

DEVICE_NAME = "authenticator"


def is_staff_account(user: User | AnonymousUser) -> bool:
    """Staff members (kind "staff"), admin-site staff and superusers; never citizens."""
    if not user.is_authenticated:
        return False
    return bool(user.is_superuser or user.is_staff or user.kind == AccountKind.STAFF)


def confirmed_devices(user: User) -> Any:
    return TOTPDevice.objects.filter(user=user, confirmed=True)


def has_device(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and confirmed_devices(user).exists()


def is_verified(request: HttpRequest) -> bool:
    """True when this session passed a TOTP check (django-otp's OTPMiddleware sets it)."""
    check = getattr(request.user, "is_verified", None)
    return bool(check()) if callable(check) else False


def needs_verification(request: HttpRequest) -> bool:
    """The user has a confirmed authenticator but this session has not used it yet."""
    return has_device(request.user) and not is_verified(request)


def needs_setup(request: HttpRequest) -> bool:
    """Staff must have an authenticator (IOC_STAFF_REQUIRE_OTP) and this one has none."""
    user = request.user
    return (
        bool(getattr(settings, "IOC_STAFF_REQUIRE_OTP", False))
        and is_staff_account(user)
        and not has_device(user)
    )


def pending_device(user: User) -> TOTPDevice:
    """The unconfirmed device being set up (created with a fresh key when there is none)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG QR code."""
    return str(segno.make(device.config_url, error="m").svg_inline(scale=5, border=2))


def verify(request: HttpRequest, token: str) -> TOTPDevice | None:
    """Check token against the user's confirmed devices (throttled by django-otp); on success
    mark the session verified and return the device."""
    token = "".join(token.split())
    user = request.user
    if not user.is_authenticated:
        return None
    for device in confirmed_devices(user):
        with transaction.atomic():
            locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
            if locked.verify_token(token):
                otp_login(request, locked)
                return locked
    return None


def confirm(request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """Confirm a pending device with a first code; it replaces the user's other devices."""
    token = "".join(token.split())
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not locked.verify_token(token):
            return False
        TOTPDevice.objects.filter(user_id=locked.user_id).exclude(pk=locked.pk).delete()
        locked.confirmed = True
        locked.save(update_fields=["confirmed"])
    otp_login(request, locked)
    return True
