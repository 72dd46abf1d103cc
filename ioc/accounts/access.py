"""Who may open what: view decorators and the Django admin mixins built on the scope API.

    @role_required(Role.OPERATOR, Role.LEADER)      # any of these roles (superusers pass)
    @role_required()                                # any staff account (no citizens)
    @permission_required("core.change_agency")      # all of these model permissions

Anonymous users are sent to the login page; signed-in users without the role or permission
get the 403 page (and an audit entry of kind "denied"). Both also apply the second factor
(see ``second_factor_gate``), so a view stays protected even without StaffAreaMiddleware.

``ScopedAdminMixin`` limits a ModelAdmin to ``visible()`` rows and refuses objects outside the
user's scope (deny by default); ``AuditedAdminMixin`` writes every add, change and delete made
through the admin to the audit log, with the values before and after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from ioc.accounts import otp
from ioc.accounts.scope import can_see, is_scoped, visible
from ioc.core.audit import diff, record
from ioc.core.choices import AuditAction

if TYPE_CHECKING:
    from ioc.accounts.models import User

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def current_user(request: HttpRequest) -> User | None:
    """The signed-in user, or None (typed: request.user may be an AnonymousUser)."""
    user = request.user
    return user if user.is_authenticated else None


def redirect_to(url_name: str, next_url: str = "") -> HttpResponseRedirect:
    url = reverse(url_name)
    if next_url:
        url += "?" + urlencode({"next": next_url})
    return HttpResponseRedirect(url)


def forbidden(request: HttpRequest, message: str = "", *, audit: bool = True) -> HttpResponse:
    """The 403 page; the refusal goes to the audit log (kind "denied")."""
    if audit:
        record(
            actor=current_user(request),
            action=AuditAction.DENIED,
            message=f"{request.method} {request.path}: {message}"[:2000],
        )
    return render(request, "web/403.html", {"reason": message}, status=403)


def second_factor_gate(request: HttpRequest) -> HttpResponse | None:
    """The response that stops this request for lack of a second factor, or None."""
    if not request.user.is_authenticated:
        return None
    api = request.path.startswith("/api/")
    if otp.needs_verification(request):
        if api:
            detail = _("Enter the code from your authenticator app first.")
            return JsonResponse({"detail": detail}, status=403)
        return redirect_to("accounts:otp-verify", request.get_full_path())
    if otp.needs_setup(request):
        if api:
            detail = _("Set up an authenticator app for your account first.")
            return JsonResponse({"detail": detail}, status=403)
        return redirect_to("accounts:otp-setup", request.get_full_path())
    return None


def permission_reason(perm: str) -> str:
    """A plain-language, translated reason for lacking perm ("app_label.codename"), for the
    people who read it on a 403 page or in an API answer: it names what the account may not do
    ("Your account may not change agencies."), never the permission's code name."""
    from django.apps import apps

    app_label, _dot, codename = perm.partition(".")
    action, _sep, model_name = codename.partition("_")
    try:
        things = str(apps.get_model(app_label, model_name)._meta.verbose_name_plural)
    except (LookupError, ValueError):
        return _("Your account does not have the permission this action needs.")
    messages = {
        "view": _("Your account may not see %(things)s."),
        "add": _("Your account may not add %(things)s."),
        "change": _("Your account may not change %(things)s."),
        "delete": _("Your account may not delete %(things)s."),
    }
    template = messages.get(action)
    if template is None:
        return _("Your account does not have the permission this action needs.")
    return template % {"things": things}


def _guard(test: Callable[[User], bool], message: Callable[[], str]) -> Callable[[V], V]:
    def decorator(view: V) -> V:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = current_user(request)
            if user is None:
                return redirect_to_login(request.get_full_path())
            gate = second_factor_gate(request)
            if gate is not None:
                return gate
            if user.is_citizen or not test(user):
                return forbidden(request, message())
            return view(request, *args, **kwargs)

        return cast("V", wrapped)

    return decorator


def role_required(*roles: str) -> Callable[[V], V]:
    """Staff with any of roles (none given: any staff account). Superusers pass."""
    wanted = [str(r) for r in roles]
    return _guard(
        lambda user: not wanted or user.has_role(*wanted),
        lambda: _("Your account does not have the role this page needs."),
    )


def permission_required(*perms: str) -> Callable[[V], V]:
    """Staff holding every one of perms ("app_label.codename")."""
    return _guard(
        lambda user: user.has_perms(perms),
        lambda: _("Your account does not have the permission this page needs."),
    )


# --- Django admin ----------------------------------------------------------------------------

_ADMIN_OBJ = "_ioc_admin_obj"


class OutOfScopeSave(PermissionDenied):
    """Raised inside the admin's transaction, so that everything it saved rolls back."""


class ScopedAdminMixin:
    """For a ModelAdmin of a model with ``scope_paths``: rows outside the user's scope do not
    exist (changelist, change, delete, history), related choices are limited to the scope,
    and an object saved outside the scope is refused (the admin's transaction rolls back)."""

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        return visible(request.user, super().get_queryset(request))  # type: ignore[misc]

    def _in_scope(self, request: HttpRequest, obj: models.Model | None) -> bool:
        return obj is None or can_see(request.user, obj)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        allowed = super().has_view_permission(request, obj)  # type: ignore[misc]
        return bool(allowed) and self._in_scope(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)  # type: ignore[misc]
        return bool(allowed) and self._in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        allowed = super().has_delete_permission(request, obj)  # type: ignore[misc]
        return bool(allowed) and self._in_scope(request, obj)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        setattr(request, _ADMIN_OBJ, obj)
        return super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]

    def _current(self, request: HttpRequest, field: Any) -> list[Any]:
        obj = getattr(request, _ADMIN_OBJ, None)
        if obj is None or obj.pk is None:
            return []
        if field.many_to_many:
            return list(getattr(obj, field.name).values_list("pk", flat=True))
        value = getattr(obj, field.attname, None)
        return [] if value is None else [value]

    def _scoped_choices(self, request: HttpRequest, field: Any) -> models.QuerySet[Any] | None:
        related = field.related_model
        if not is_scoped(related):
            return None
        allowed = visible(request.user, related._default_manager.all())
        current = self._current(request, field)
        if current:  # keep what is already linked, even when outside the scope
            allowed = allowed | related._default_manager.filter(pk__in=current)
        return allowed

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        choices = self._scoped_choices(request, db_field)
        if choices is not None and "queryset" not in kwargs:
            kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        choices = self._scoped_choices(request, db_field)
        if choices is not None and "queryset" not in kwargs:
            kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        if not can_see(request.user, form.instance):
            raise OutOfScopeSave(_("You may only save objects inside your scope."))

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(  # type: ignore[misc, no-any-return]
                request, object_id, form_url, extra_context
            )
        except OutOfScopeSave:
            # The admin's transaction has rolled the save back; the refusal is recorded now.
            record(
                actor=current_user(request),
                action=AuditAction.DENIED,
                object_type=self.model._meta.label_lower,  # type: ignore[attr-defined]
                object_id=object_id or "",
                message="admin: saving would put the object outside the user's scope",
            )
            raise


class AuditedAdminMixin:
    """Every add, change and delete through this ModelAdmin goes to the audit log."""

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        from ioc.core.services import full_snapshot

        before: dict[str, Any] = {}
        if change and obj.pk is not None:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = full_snapshot(stored) if stored is not None else {}
        form._ioc_audit = {"before": before, "change": change}
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        from ioc.core.services import full_snapshot

        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        state = getattr(form, "_ioc_audit", {"before": {}, "change": change})
        obj = form.instance
        changes = diff(state["before"], full_snapshot(obj))
        if state["change"] and not changes:
            return
        record(
            actor=current_user(request),
            action=AuditAction.UPDATE if state["change"] else AuditAction.CREATE,
            obj=obj,
            changes=changes,
            message="admin",
        )

    def _deleted(self, request: HttpRequest, objs: Iterable[models.Model]) -> Callable[[], None]:
        """Snapshot objs now; the returned function writes the entries once they are gone."""
        from ioc.core.services import full_snapshot

        gone = [
            (obj._meta.label_lower, str(obj.pk), str(obj)[:300], full_snapshot(obj)) for obj in objs
        ]

        def write() -> None:
            for object_type, object_id, object_repr, before in gone:
                record(
                    actor=current_user(request),
                    action=AuditAction.DELETE,
                    object_type=object_type,
                    object_id=object_id,
                    object_repr=object_repr,
                    changes=diff(before, {}),
                    message="admin",
                )

        return write

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        write = self._deleted(request, [obj])
        super().delete_model(request, obj)  # type: ignore[misc]
        write()

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        write = self._deleted(request, list(queryset))
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        write()
