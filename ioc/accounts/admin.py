"""Users in the admin: roles (groups), scope, kind. Only system administrators change users;
only superusers grant superuser status or single permissions, and only superusers change,
delete, deactivate or set the password of a superuser. Nobody changes their own roles, scope,
staff or superuser status here. Every change is audited.

Also here: authenticator devices (TOTP) without their secret key or QR code, for the "lost
phone" case (view, delete), and django-axes' login records, whose deletion (which unlocks an
account) is audited."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from ioc.accounts.access import AuditedAdminMixin, current_user, second_factor_gate
from ioc.accounts.choices import Role
from ioc.accounts.models import User
from ioc.core.audit import record, snapshot
from ioc.core.choices import AuditAction
from ioc.core.models import AdministrativeUnit
from ioc.core.text import fold


def require_second_factor(site: admin.AdminSite) -> None:
    """What django_otp.admin.OTPAdminSite does, on an existing site: a session that still owes
    its authenticator code (or, with IOC_STAFF_REQUIRE_OTP, an authenticator) has no admin
    permission, and the admin's login page sends it to the code page. StaffAreaMiddleware does
    the same for every staff area; this keeps /admin/ closed even without it."""
    has_permission = site.has_permission
    login = site.login

    def guarded_has_permission(request: HttpRequest) -> bool:
        return has_permission(request) and second_factor_gate(request) is None

    def guarded_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        gate = second_factor_gate(request)
        return gate if gate is not None else login(request, extra_context)

    site.has_permission = guarded_has_permission  # type: ignore[method-assign]
    site.login = guarded_login  # type: ignore[method-assign]


require_second_factor(admin.site)


def _is_system_admin(request: HttpRequest) -> bool:
    user = current_user(request)
    return user is not None and user.is_active and user.has_role(Role.SYSTEM_ADMIN)


def _may_act_on(request: HttpRequest, obj: Any) -> bool:
    """Only a superuser acts on a superuser's account (or on what belongs to it)."""
    if obj is None or not getattr(obj, "is_superuser", False):
        return True
    user = current_user(request)
    return user is not None and user.is_superuser


def _may_act_on_all(request: HttpRequest, users: Iterable[Any]) -> bool:
    return all(_may_act_on(request, u) for u in users)


if TYPE_CHECKING:
    _UserAdminBase = DjangoUserAdmin[User]
    _DeviceAdminBase = admin.ModelAdmin[TOTPDevice]
else:
    _UserAdminBase = DjangoUserAdmin
    _DeviceAdminBase = admin.ModelAdmin


@admin.register(User)
class UserAdmin(AuditedAdminMixin, _UserAdminBase):
    list_display = ["username", "full_name", "kind", "roles_display", "agency", "is_active"]
    list_display += ["is_staff", "last_login"]
    list_filter = ["kind", "groups", "is_staff", "is_active", "scope_all"]
    search_fields = ["username", "first_name", "last_name", "email"]
    list_select_related = ["agency"]
    filter_horizontal = ["groups", "user_permissions", "scope_units", "scope_sectors"]
    filter_horizontal += ["scope_agencies"]
    autocomplete_fields = ["agency"]
    fieldsets = (
        (None, {"fields": ("username", "password", "kind")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email", "phone")}),
        (_("Roles and agency"), {"fields": ("groups", "agency", "is_active", "is_staff")}),
        (
            _("Scope: what this account may see"),
            {
                "description": _(
                    "An object is visible when it lies inside every kind of scope given here "
                    "(units include their sub-units and the units merged into them). "
                    "Nothing given: the account sees nothing."
                ),
                "fields": ("scope_all", "scope_units", "scope_sectors", "scope_agencies"),
            },
        ),
        (
            _("Exceptional permissions"),
            {"classes": ("collapse",), "fields": ("is_superuser", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "kind", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ["last_login", "date_joined"]

    @admin.display(description=_("name"))
    def full_name(self, obj: User) -> str:
        return obj.get_full_name()

    @admin.display(description=_("roles"))
    def roles_display(self, obj: User) -> str:
        return ", ".join(obj.role_labels)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet[User], search_term: str
    ) -> tuple[models.QuerySet[User], bool]:
        found, duplicates = super().get_search_results(request, queryset, search_term)
        folded = fold(search_term)
        if folded and folded != search_term.lower():
            more, _dup = super().get_search_results(request, queryset, folded)
            found = found | more
        return found, duplicates

    # What nobody changes on their own account here (another administrator does it).
    own_readonly_fields = [
        "groups",
        "scope_all",
        "scope_units",
        "scope_sectors",
        "scope_agencies",
        "is_superuser",
        "is_staff",
        "user_permissions",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        user = current_user(request)
        if user is None or not user.is_superuser:
            fields += ["is_superuser", "user_permissions"]
        if user is not None and obj is not None and obj.pk == user.pk:
            fields += self.own_readonly_fields
        return list(dict.fromkeys(fields))

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "scope_units" and "queryset" not in kwargs:
            # The table holds the whole country's history; offer this deployment's area.
            kwargs["queryset"] = AdministrativeUnit.objects.in_area().select_related("parent")
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups" and field is not None:
            field.label = _("Roles")
            field.help_text = _("Each role gives its permissions (see roles.py).")
        return field

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_system_admin(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            _is_system_admin(request)
            and _may_act_on(request, obj)
            and super().has_change_permission(request, obj)
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            _is_system_admin(request)
            and _may_act_on(request, obj)
            and super().has_delete_permission(request, obj)
        )

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[User]) -> None:
        if not _may_act_on_all(request, queryset):
            raise PermissionDenied
        super().delete_queryset(request, queryset)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        target = User.objects.filter(pk=id).first() if str(id).isdigit() else None
        if target is not None and not _may_act_on(request, target):
            record(
                actor=current_user(request),
                action=AuditAction.DENIED,
                obj=target,
                message="admin: setting a superuser's password needs a superuser",
            )
            raise PermissionDenied
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            target = User.objects.filter(pk=id).first()
            if target is not None:
                record(
                    actor=current_user(request),
                    action=AuditAction.UPDATE,
                    obj=target,
                    changes={"password": ["***", "***"]},
                    message="password set by an administrator",
                )
        return response


# --- authenticator devices (django-otp TOTP) ------------------------------------------------
# The stock admin shows the secret key and the QR code (config/QR pages): whoever reads them
# holds the account's second factor. This one never does; it lists and deletes, audited.

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


def _device_audit(devices: Iterable[TOTPDevice], message: str) -> list[dict[str, Any]]:
    """What to record about devices about to be deleted (never the key)."""
    return [
        {
            "object_type": device._meta.label_lower,
            "object_id": str(device.pk),
            "object_repr": f"{device.user} – {device.name}",
            "changes": {
                "user": [device.user_id, None],
                "name": [device.name, None],
                "confirmed": [device.confirmed, None],
            },
            "message": message,
        }
        for device in devices
    ]


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(_DeviceAdminBase):
    """Authenticator apps: who has one, whether it is confirmed, when it was last used. System
    administrators delete one when its phone is lost (the user then sets up a new one); only a
    superuser deletes a superuser's. Nobody adds one here or sees or changes its key."""

    list_display = ["user", "name", "confirmed", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "name"]
    list_select_related = ["user"]
    readonly_fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            _is_system_admin(request)
            and (obj is None or _may_act_on(request, obj.user))
            and super().has_delete_permission(request, obj)
        )

    def delete_model(self, request: HttpRequest, obj: TOTPDevice) -> None:
        self.delete_queryset(request, TOTPDevice.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[TOTPDevice]) -> None:
        devices = list(queryset.select_related("user"))
        if not _may_act_on_all(request, [d.user for d in devices]):
            raise PermissionDenied
        entries = _device_audit(
            devices, "admin: authenticator removed (lost phone); the user sets up anew"
        )
        super().delete_queryset(request, queryset)
        for entry in entries:
            record(actor=current_user(request), action=AuditAction.DELETE, **entry)


# --- login records (django-axes) -------------------------------------------------------------
# Deleting an access attempt unlocks the account it locked: each deletion is audited, with who
# and from where, never the form data axes kept.

AXES_AUDIT_FIELDS = (
    "username",
    "ip_address",
    "path_info",
    "attempt_time",
    "failures_since_start",
    "logout_time",
    "locked_out",
)


class AuditedAxesMixin:
    audit_message = "admin: login record deleted"

    def _gone(self, request: HttpRequest, objs: Iterable[models.Model]) -> list[dict[str, Any]]:
        out = []
        for obj in objs:
            names = [f.name for f in obj._meta.concrete_fields if f.name in AXES_AUDIT_FIELDS]
            before = snapshot(obj, names)
            out.append(
                {
                    "object_type": obj._meta.label_lower,
                    "object_id": str(obj.pk),
                    "object_repr": str(obj)[:300],
                    "changes": {name: [value, None] for name, value in before.items()},
                    "message": self.audit_message,
                }
            )
        return out

    def _write(self, request: HttpRequest, entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            record(actor=current_user(request), action=AuditAction.DELETE, **entry)

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        entries = self._gone(request, [obj])
        super().delete_model(request, obj)  # type: ignore[misc]
        self._write(request, entries)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        entries = self._gone(request, list(queryset))
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        self._write(request, entries)


for _model in (AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(AccessAttempt)
class AuditedAccessAttemptAdmin(AuditedAxesMixin, AccessAttemptAdmin):  # type: ignore[misc]
    audit_message = "admin: failed login attempts deleted (unlocks the account)"

    @admin.action(description=_("Clean up expired attempts"))
    def cleanup_expired_attempts(
        self, request: HttpRequest, queryset: models.QuerySet[AccessAttempt]
    ) -> None:
        if not hasattr(request, "axes_attempt_time"):  # set by axes on login requests only
            setattr(request, "axes_attempt_time", None)  # noqa: B010 (unknown attribute)
        before = set(AccessAttempt.objects.values_list("pk", flat=True))
        super().cleanup_expired_attempts(request, queryset)
        gone = before - set(AccessAttempt.objects.values_list("pk", flat=True))
        if gone:
            record(
                actor=current_user(request),
                action=AuditAction.DELETE,
                object_type=AccessAttempt._meta.label_lower,
                object_repr=f"{len(gone)} expired access attempts",
                changes={"ids": [sorted(gone), None]},
                message="admin: expired login attempts cleaned up",
            )


@admin.register(AccessLog)
class AuditedAccessLogAdmin(AuditedAxesMixin, AccessLogAdmin):  # type: ignore[misc]
    audit_message = "admin: login log entries deleted"


@admin.register(AccessFailureLog)
class AuditedAccessFailureLogAdmin(AuditedAxesMixin, AccessFailureLogAdmin):  # type: ignore[misc]
    audit_message = "admin: login failure records deleted"
