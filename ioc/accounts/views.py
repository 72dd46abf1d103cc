"""Account pages: log in and out, citizen sign-up, password change, my account, authenticator.

Logging in is throttled by django-axes (IOC_LOGIN_FAILURE_LIMIT failures from one user name
and address lock it for IOC_LOGIN_COOLOFF_MINUTES; the page is accounts/locked_out.html).
Signing up is throttled per client address (SIGNUPS_PER_HOUR accounts, SIGNUP_TRIES_PER_HOUR
submitted forms; 429 beyond), counted in Django's cache.
Staff with a confirmed authenticator enter a code after the password (``otp_verify``) before
they reach a staff area; with IOC_STAFF_REQUIRE_OTP, staff without one set it up first.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.cache import cache
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
from ioc.core.middleware import client_ip
from ioc.core.models import AdministrativeUnit, Agency, Sector


def _safe_next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _home_for(user: User) -> str:
    if user.is_citizen:
        return reverse("feedback:home")
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


SIGNUPS_PER_HOUR = 5  # accounts created from one client address
SIGNUP_TRIES_PER_HOUR = 20  # forms sent from one client address (user name probing)
SIGNUP_WINDOW_SECONDS = 3600


def _signup_counter(kind: str, request: HttpRequest) -> str:
    return f"ioc:signup:{kind}:{client_ip(request) or 'unknown'}"


def _count(key: str) -> int:
    return int(cache.get(key, 0) or 0)


def _bump(key: str) -> None:
    """One more in this hour's window (the window starts with the first one)."""
    if cache.add(key, 1, timeout=SIGNUP_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=SIGNUP_WINDOW_SECONDS)


def _signup_throttled(request: HttpRequest) -> bool:
    return (
        _count(_signup_counter("accounts", request)) >= SIGNUPS_PER_HOUR
        or _count(_signup_counter("tries", request)) >= SIGNUP_TRIES_PER_HOUR
    )


@sensitive_post_parameters("password1", "password2")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Public self sign-up for citizens: kind "citizen", no roles, no scope, not staff.

    It does not tell whether an email address has an account: when it has, no second account
    is created, and the answer is the same as for a new address (the login page, with a
    message that covers both cases). So the new account is not logged in straight away."""
    user = current_user(request)
    if user is not None:
        return redirect("accounts:profile")
    if request.method == "POST" and _signup_throttled(request):
        throttled = _(
            "Too many accounts have been requested from your network in the last hour. "
            "Please try again later."
        )
        return render(
            request,
            "accounts/signup.html",
            {"form": SignupForm(), "throttled": throttled},
            status=429,
        )
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        _bump(_signup_counter("tries", request))
    if request.method == "POST" and form.is_valid():
        _bump(_signup_counter("accounts", request))
        if form.email_in_use:
            record(
                actor=None,
                action=AuditAction.ACTION,
                obj=User.objects.filter(email__iexact=form.cleaned_data["email"]).first(),
                message="citizen sign-up with an email address already in use: no account created",
            )
        else:
            user = form.save()
            record(
                actor=user,
                action=AuditAction.CREATE,
                obj=user,
                message="citizen self sign-up",
            )
        messages.success(
            request,
            _(
                "Thank you. If this email address was not registered yet, your account has "
                "been created: log in with the user name and password you chose. If you "
                "already have an account with this address, log in with that one."
            ),
        )
        next_url = _safe_next(request, "")
        return redirect_to("accounts:login", next_url)
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
