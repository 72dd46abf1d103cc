"""Administrators keep the categories (with their extra questions, agency and deadline), the
API clients (keys are issued with `ioc open311_key`, never shown here) and the block list."""

from django.contrib import admin

from ioc.feedback.models import ApiClient, Blocked, Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "code",
        "name",
        "parent",
        "agency",
        "route_to",
        "deadline",
        "deadline_unit",
        "is_active",
    )
    list_filter = ("is_active", "route_to", "deadline_unit", "sector")
    search_fields = ("code", "name", "name_en", "keywords")
    autocomplete_fields = ("agency",)
    list_select_related = ("parent", "agency")


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "channel", "key_prefix", "is_active", "last_used_at")
    readonly_fields = ("key_prefix", "last_used_at", "created_at")
    list_filter = ("channel", "is_active")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # a key is issued by `ioc open311_key NAME` and shown once


@admin.register(Blocked)
class BlockedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("kind", "value", "reason", "until", "created_at", "created_by")
    list_filter = ("kind",)
    search_fields = ("value", "reason")
    readonly_fields = ("created_by", "created_at")
