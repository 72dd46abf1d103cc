"""Users in the admin: roles (groups), scope, kind. Only system administrators change users;
only superusers grant superuser status or single permissions. Every change is audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from ioc.accounts.access import AuditedAdminMixin, current_user, second_factor_gate
from ioc.accounts.choices import Role
from ioc.accounts.models import User
from ioc.core.audit import record
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


if TYPE_CHECKING:
    _UserAdminBase = DjangoUserAdmin[User]
else:
    _UserAdminBase = DjangoUserAdmin


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

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        user = current_user(request)
        if user is None or not user.is_superuser:
            fields += ["is_superuser", "user_permissions"]
        return fields

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
        return _is_system_admin(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_system_admin(request) and super().has_delete_permission(request, obj)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
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
