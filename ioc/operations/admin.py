"""Operations events in the admin: scoped, raised only by the platform (no add), the operator's
note editable; status changes go through the inbox (ioc.operations.services). Audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ioc.accounts.access import AuditedAdminMixin, ScopedAdminMixin
from ioc.core.text import fold
from ioc.operations.models import Event

if TYPE_CHECKING:
    EventAdminBase = admin.ModelAdmin[Event]
else:
    EventAdminBase = admin.ModelAdmin

FIELDS = (
    "headline",
    "description",
    "severity",
    "urgency",
    "certainty",
    "status",
    "occurred_at",
    "source",
    "category",
    "link",
    "object_type",
    "object_id",
    "dedup_key",
    "repeat_count",
    "unit",
    "sector",
    "agency",
    "acknowledged_by",
    "acknowledged_at",
    "note",
    "created_at",
)
EDITABLE = {"note"}


@admin.register(Event)
class EventAdmin(AuditedAdminMixin, ScopedAdminMixin, EventAdminBase):
    list_display = ["headline", "severity", "status", "occurred_at", "unit", "sector", "agency"]
    list_filter = ["status", "severity", "source", "sector"]
    search_fields = ["headline_folded", "dedup_key"]
    search_help_text = _("Words of the headline; accents and case do not matter.")
    list_select_related = ["unit", "sector", "agency"]
    fields = FIELDS
    readonly_fields = tuple(name for name in FIELDS if name not in EDITABLE)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # events are raised by the platform (ioc.operations.services.raise_event)

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet[Event], search_term: str
    ) -> tuple[models.QuerySet[Event], bool]:
        return super().get_search_results(request, queryset, fold(search_term))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(self.readonly_fields)
