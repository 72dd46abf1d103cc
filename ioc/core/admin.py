"""Admin for units (read-only but for system administrators), sectors, agencies (scoped) and the
audit log (read-only for everyone). Every add, change and delete is audited.

The admin keeps the rules of the services: units are never deleted and their identity and
period (code, level, valid from, valid to) change only through ``ioc units merge`` and the
services; sectors follow ``create_sector``/``update_sector``; agencies are deactivated, never
deleted, and ``validate_agency`` checks their supervising agency and unit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ioc.accounts.access import AuditedAdminMixin, ScopedAdminMixin, current_user
from ioc.accounts.choices import Role
from ioc.core import services
from ioc.core.models import AdministrativeUnit, Agency, AuditEntry, Sector, UnitTransition
from ioc.core.selectors import search_agencies
from ioc.core.text import fold

if TYPE_CHECKING:
    UnitAdminBase = admin.ModelAdmin[AdministrativeUnit]
    SectorAdminBase = admin.ModelAdmin[Sector]
    AgencyAdminBase = admin.ModelAdmin[Agency]
    AuditAdminBase = admin.ModelAdmin[AuditEntry]
    TransitionInlineBase = admin.TabularInline[UnitTransition, AdministrativeUnit]
    AgencyFormBase = forms.ModelForm[Agency]
else:
    UnitAdminBase = SectorAdminBase = AgencyAdminBase = AuditAdminBase = admin.ModelAdmin
    TransitionInlineBase = admin.TabularInline
    AgencyFormBase = forms.ModelForm


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
    # A unit's identity and period are its history: `ioc units merge` and the services change
    # them, with the transitions that go with them.
    history_fields = ["code", "level", "valid_from", "valid_to"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += [name for name in self.history_fields if name not in fields]
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting a unit would cascade to its transitions and break the history.
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet[AdministrativeUnit], search_term: str
    ) -> tuple[models.QuerySet[AdministrativeUnit], bool]:
        return super().get_search_results(request, queryset, fold(search_term))


@admin.register(Sector)
class SectorAdmin(AuditedAdminMixin, SectorAdminBase):
    """The rules of create_sector and update_sector: adding and deleting a sector is for
    accounts that see the whole area; changing one needs it in the account's scope."""

    list_display = ["code", "name", "name_en", "order"]
    search_fields = ["code", "name", "name_en"]
    ordering = ["order", "code"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and services.may_manage_sectors(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        if obj is None:
            return allowed
        return allowed and services.may_change_sector(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and services.may_manage_sectors(request.user)


class AgencyAdminForm(AgencyFormBase):
    """The model's validation plus the services' (validate_agency): no supervising cycle, and
    a new unit must be a current unit of the area; and, as in update_agency, only sectors of
    the acting user's own scope are taken away (unless they see the whole area)."""

    actor: Any = None  # set by AgencyAdmin.get_form

    class Meta:
        model = Agency
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        sectors = data.get("sectors")
        if self.instance.pk is not None and sectors is not None:
            before = set(self.instance.sectors.values_list("pk", flat=True))
            if not services.may_remove_sectors(self.actor, before - {s.pk for s in sectors}):
                self.add_error("sectors", services.foreign_sector_message())
        parent, unit = data.get("parent"), data.get("unit")
        ids: dict[str, Any] = {
            "parent_id": parent.pk if parent is not None else None,
            "unit_id": unit.pk if unit is not None else None,
        }
        probe = Agency(pk=self.instance.pk, **ids)
        unit_changed = self.instance.pk is None or "unit" in self.changed_data
        services.validate_agency(probe, unit_changed=unit_changed)  # errors keyed by field
        return data


@admin.register(Agency)
class AgencyAdmin(AuditedAdminMixin, ScopedAdminMixin, AgencyAdminBase):
    """Agencies are never deleted (records and reports point to them): deactivate them."""

    form = AgencyAdminForm
    list_display = ["name", "code", "kind", "unit", "is_active"]
    list_filter = ["kind", "is_active", "sectors"]
    search_fields = ["name"]  # replaced by the diacritics-insensitive search below
    search_help_text = _("Name or code; accents and case do not matter.")
    autocomplete_fields = ["unit"]
    filter_horizontal = ["sectors"]
    list_select_related = ["unit"]
    actions = ["deactivate"]

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet[Agency], search_term: str
    ) -> tuple[models.QuerySet[Agency], bool]:
        return search_agencies(queryset, search_term), False

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(permissions=["change"], description=_("Deactivate the selected agencies"))
    def deactivate(self, request: HttpRequest, queryset: models.QuerySet[Agency]) -> None:
        done = refused = 0
        for agency in queryset.filter(is_active=True):
            try:
                services.deactivate_agency(actor=request.user, agency=agency)
            except (PermissionDenied, ValidationError):
                refused += 1
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d agency deactivated.", "%(count)d agencies deactivated.", done)
                % {"count": done},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                ngettext(
                    "%(count)d agency could not be deactivated.",
                    "%(count)d agencies could not be deactivated.",
                    refused,
                )
                % {"count": refused},
                messages.ERROR,
            )


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
