"""Keeps the staff areas (/ioc/, /admin/, /api/, /cms/) behind the second factor.

Install after ``django_otp.middleware.OTPMiddleware``. For a signed-in user on a staff area:

* with a confirmed authenticator and a session not yet verified → the code page
  (API: 403 JSON), the same rule as ``django_otp.admin.OTPAdminSite`` but for every staff area;
* staff without an authenticator when ``IOC_STAFF_REQUIRE_OTP`` is on → the set-up page;
* a citizen account on /ioc/ → 403 (citizens use the public pages only).

Anonymous users pass through: each view decides (login redirect, 401 from the API).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from ioc.accounts.access import forbidden, second_factor_gate
from ioc.accounts.choices import AccountKind

STAFF_AREAS = ("/ioc/", "/admin/", "/api/", "/cms/")


def is_staff_area(path: str) -> bool:
    return path.startswith(STAFF_AREAS)


class StaffAreaMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_staff_area(request.path) and request.user.is_authenticated:
            gate = second_factor_gate(request)
            if gate is not None:
                return gate
            if request.user.kind == AccountKind.CITIZEN and request.path.startswith("/ioc/"):
                return forbidden(request, _("This area is for staff accounts."))
        return self.get_response(request)
