"""Audit of logins and logouts (infrastructure signals; see ADR 0002).

Every successful login, failed login, lock-out and logout becomes one audit entry; the address
and browser come from the request context (ioc.core.middleware). A failed login names the
user name that was tried, never the password (Django masks it before the signal).
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from ioc.core.audit import record
from ioc.core.choices import AuditAction

USER_TYPE = "accounts.user"


@receiver(user_logged_in, dispatch_uid="ioc.accounts.audit_login")
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(actor=user, action=AuditAction.LOGIN, obj=user)


@receiver(user_logged_out, dispatch_uid="ioc.accounts.audit_logout")
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:  # the session had already expired
        return
    record(actor=user, action=AuditAction.LOGOUT, obj=user)


@receiver(user_login_failed, dispatch_uid="ioc.accounts.audit_login_failed")
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username") or "")[:150]
    locked = bool(getattr(request, "axes_locked_out", False))
    record(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        object_type=USER_TYPE,
        object_repr=username,
        message="refused: locked out" if locked else "wrong user name or password",
    )


@receiver(user_locked_out, dispatch_uid="ioc.accounts.audit_locked_out")
def audit_locked_out(
    sender: Any, request: Any = None, username: str | None = None, **kwargs: Any
) -> None:
    record(
        actor=None,
        action=AuditAction.DENIED,
        object_type=USER_TYPE,
        object_repr=str(username or "")[:150],
        message="login locked out after too many failures",
    )
