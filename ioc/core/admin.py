"""Admin for units (read-only but for system administrators), sectors, agencies (scoped) and the
audit log (read-only for everyone). Every add, change and delete is audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ioc.accounts.access import AuditedAdminMixin, ScopedAdminMixin, current_user
from ioc.accounts.choices import Role
from ioc.core.models import AdministrativeUnit, Agency, AuditEntry, Sector, UnitTransition
from ioc.core.text import fold
from ioc.core.views_agencies import search_agencies

if TYPE_CHECKING:
    UnitAdminBase = admin.ModelAdmin[AdministrativeUnit]
    SectorAdminBase = admin.ModelAdmin[Sector]
    AgencyAdminBase = admin.ModelAdmin[Agency]
    AuditAdminBase = admin.ModelAdmin[AuditEntry]
    TransitionInlineBase = admin.TabularInline[UnitTransition, AdministrativeUnit]
else:
    UnitAdminBase = SectorAdminBase = AgencyAdminBase = AuditAdminBase = admin.ModelAdmin
    TransitionInlineBase = admin.TabularInline


def is_system_admin(request: HttpRequest) -> bool:
    user = current_user(request)
    return user is not None and user.is_active and user.has_role(Role.SYSTEM_ADMIN)


class SystemAdminWritesMixin:
    """Everyone with the view permission may look; only system administrators may write."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_system_admin(request) and super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_system_admin(request) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_system_admin(request) and super().has_delete_permission(request, obj)  # type: ignore[misc]


class _ReadOnlyInline(TransitionInlineBase):
    model = UnitTransition
    extra = 0
    can_delete = False
    fields = ("kind", "source", "target", "effective", "weight", "is_primary", "basis")
    readonly_fields = ("kind", "source", "target", "effective", "weight", "is_primary", "basis")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Part of a unit's history: whoever may see units sees how they changed.
        return request.user.has_perm("core.view_administrativeunit")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class BecameInline(_ReadOnlyInline):
    fk_name = "source"
    verbose_name = _("became")
    verbose_name_plural = _("became (merges, splits, renames from this unit)")


class CameFromInline(_ReadOnlyInline):
    fk_name = "target"
    verbose_name = _("came from")
    verbose_name_plural = _("came from (merges, splits, renames into this unit)")


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(AuditedAdminMixin, SystemAdminWritesMixin, UnitAdminBase):
    list_display = ["code", "name", "level", "kind", "parent", "valid_from", "valid_to", "in_area"]
    list_filter = ["level", "in_area", ("valid_to", admin.EmptyFieldListFilter)]
    search_fields = ["code", "name_folded"]
    search_help_text = _(
        "Code or name; accents and case do not matter (“phu loi” finds “Phú Lợi”)."
    )
    raw_id_fields = ["parent"]
    list_select_related = ["parent"]
    inlines = [CameFromInline, BecameInline]

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet[AdministrativeUnit], search_term: str
    ) -> tuple[models.QuerySet[AdministrativeUnit], bool]:
        return super().get_search_results(request, queryset, fold(search_term))


@admin.register(Sector)
class SectorAdmin(AuditedAdminMixin, SectorAdminBase):
    list_display = ["code", "name", "name_en", "order"]
    search_fields = ["code", "name", "name_en"]
    ordering = ["order", "code"]


@admin.register(Agency)
class AgencyAdmin(AuditedAdminMixin, ScopedAdminMixin, AgencyAdminBase):
    list_display = ["name", "code", "kind", "unit", "is_active"]
    list_filter = ["kind", "is_active", "sectors"]
    search_fields = ["name"]  # replaced by the diacritics-insensitive search below
    search_help_text = _("Name or code; accents and case do not matter.")
    autocomplete_fields = ["unit"]
    filter_horizontal = ["sectors"]
    list_select_related = ["unit"]

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet[Agency], search_term: str
    ) -> tuple[models.QuerySet[Agency], bool]:
        return search_agencies(queryset, search_term), False


@admin.register(AuditEntry)
class AuditEntryAdmin(AuditAdminBase):
    """The audit log: nobody adds, changes or deletes entries, here or anywhere."""

    list_display = ["at", "actor_name", "action", "object_type", "object_repr", "ip"]
    list_filter = ["action", "object_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["actor_name", "object_repr", "object_id", "message"]
    search_help_text = _("User name, object or object id.")
    readonly_fields = (
        "at",
        "actor",
        "actor_name",
        "ip",
        "user_agent",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "changes",
        "message",
    )
    fields = readonly_fields
    list_per_page = 100
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}
