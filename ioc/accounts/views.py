"""Account pages: log in and out, citizen sign-up, password change, my account, authenticator.

Logging in is throttled by django-axes (IOC_LOGIN_FAILURE_LIMIT failures from one user name
and address lock it for IOC_LOGIN_COOLOFF_MINUTES; the page is accounts/locked_out.html).
Staff with a confirmed authenticator enter a code after the password (``otp_verify``) before
they reach a staff area; with IOC_STAFF_REQUIRE_OTP, staff without one set it up first.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from ioc.accounts import otp
from ioc.accounts.access import current_user, forbidden, redirect_to, second_factor_gate
from ioc.accounts.forms import CodeForm, LoginForm, SignupForm
from ioc.accounts.models import User
from ioc.accounts.scope import scope_for
from ioc.core.audit import record
from ioc.core.choices import AuditAction
from ioc.core.models import AdministrativeUnit, Agency, Sector

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _home_for(user: User) -> str:
    if user.is_citizen:
        return reverse("web:feedback-home")
    return reverse(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        user = current_user(self.request)
        if user is None:  # pragma: no cover - form_valid logged the user in
            return super().get_success_url()
        target = self.get_redirect_url() or _home_for(user)
        if otp.needs_verification(self.request):
            return redirect_to("accounts:otp-verify", target).url
        if otp.needs_setup(self.request):
            return redirect_to("accounts:otp-setup", target).url
        return target


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        gate = second_factor_gate(request)
        if gate is not None:
            return gate
        return super().dispatch(request, *args, **kwargs)

    def get_success_url(self) -> str:
        return reverse("accounts:profile")

    def form_valid(self, form: Form) -> HttpResponse:
        response = super().form_valid(form)
        record(
            actor=current_user(self.request),
            action=AuditAction.UPDATE,
            obj=self.request.user,  # type: ignore[arg-type]
            changes={"password": ["***", "***"]},
            message="password changed by its owner",
        )
        messages.success(self.request, _("Your password has been changed."))
        return response


@sensitive_post_parameters("password1", "password2")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Public self sign-up for citizens: kind "citizen", no roles, no scope, not staff."""
    user = current_user(request)
    if user is not None:
        return redirect("accounts:profile")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        record(
            actor=user,
            action=AuditAction.CREATE,
            obj=user,
            message="citizen self sign-up",
        )
        auth_login(request, user, backend=MODEL_BACKEND)
        messages.success(request, _("Welcome! Your account has been created."))
        return HttpResponseRedirect(_safe_next(request, reverse("web:feedback-home")))
    return render(request, "accounts/signup.html", {"form": form})


def _scope_summary(user: User) -> dict[str, Any]:
    scope = scope_for(user)
    return {
        "everything": scope.everything,
        "empty": scope.empty,
        "units": AdministrativeUnit.objects.filter(pk__in=user.scope_units.all()),
        "sectors": Sector.objects.filter(pk__in=user.scope_sectors.all()),
        "agencies": Agency.objects.filter(pk__in=user.scope_agencies.all()),
    }


@login_required
@require_http_methods(["GET"])
def profile(request: HttpRequest) -> HttpResponse:
    """My account: roles, agency, scope, second factor."""
    gate = second_factor_gate(request)
    if gate is not None:
        return gate
    user = current_user(request)
    assert user is not None
    return render(
        request,
        "accounts/profile.html",
        {
            "account": user,
            "scope": _scope_summary(user),
            "has_device": otp.has_device(user),
            "can_use_otp": otp.is_staff_account(user),
        },
    )


@sensitive_post_parameters("token")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: scan the QR code, confirm with a first code."""
    user = current_user(request)
    assert user is not None
    if not otp.is_staff_account(user):
        return forbidden(request, _("Authenticator apps are for staff accounts."))
    if otp.needs_verification(request):  # replacing a device needs the current one first
        return redirect_to("accounts:otp-verify", request.get_full_path())
    device = otp.pending_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if otp.confirm(request, device, form.cleaned_data["token"]):
            record(
                actor=user,
                action=AuditAction.ACTION,
                obj=user,
                message="authenticator (TOTP) set up and confirmed",
            )
            messages.success(request, _("Your authenticator app is set up."))
            return HttpResponseRedirect(_safe_next(request, reverse("accounts:profile")))
        form.add_error(
            "token",
            _(
                "That code is not right. Check the time on your phone and enter the code "
                "currently shown."
            ),
        )
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr_svg": otp.qr_svg(device),
            "secret": b32encode(device.bin_key).decode(),
            "replacing": otp.has_device(user),
            "required": otp.needs_setup(request),
            "next": _safe_next(request, ""),
        },
    )


@sensitive_post_parameters("token")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step of logging in, for accounts with an authenticator app."""
    user = current_user(request)
    assert user is not None
    target = _safe_next(request, _home_for(user))
    if not otp.needs_verification(request):
        return HttpResponseRedirect(target)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = otp.verify(request, form.cleaned_data["token"])
        if device is not None:
            record(actor=user, action=AuditAction.LOGIN, obj=user, message="second factor (TOTP)")
            return HttpResponseRedirect(target)
        record(
            actor=user,
            action=AuditAction.LOGIN_FAILED,
            obj=user,
            message="wrong authenticator code",
        )
        form.add_error(
            "token",
            _(
                "That code is not right, or it was already used. Wait for the next code; "
                "after several wrong codes you must wait longer between tries."
            ),
        )
    return render(request, "accounts/otp_verify.html", {"form": form, "next": target})
