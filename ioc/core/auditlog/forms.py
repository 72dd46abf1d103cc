"""Filters of the audit log viewer (GET only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from ioc.core.choices import AuditAction
from ioc.core.models import AuditEntry

FILTER_FIELDS = ("actor", "action", "object_type", "object_id", "date_from", "date_to", "q")


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("User name"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("All")), *AuditAction.choices]
    )
    object_type = forms.CharField(
        label=_("Object type"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "operations.event", "list": "audit-types"}),
    )
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(
        label=_("Text in the object or message"),
        required=False,
        max_length=200,
        widget=forms.SearchInput,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start: dt.date | None = cleaned.get("date_from")
        end: dt.date | None = cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def filter(self, qs: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        """qs narrowed by every valid filter; an invalid form filters nothing more (its
        errors are shown)."""
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        if data.get("actor"):
            qs = qs.filter(actor_name__icontains=data["actor"].strip())
        if data.get("action"):
            qs = qs.filter(action=data["action"])
        if data.get("object_type"):
            qs = qs.filter(object_type__icontains=data["object_type"].strip())
        if data.get("object_id"):
            qs = qs.filter(object_id=data["object_id"].strip())
        if data.get("date_from"):
            qs = qs.filter(at__date__gte=data["date_from"])
        if data.get("date_to"):
            qs = qs.filter(at__date__lte=data["date_to"])
        if data.get("q"):
            for word in data["q"].split():
                qs = qs.filter(Q(object_repr__icontains=word) | Q(message__icontains=word))
        return qs

    def active_filters(self) -> dict[str, str]:
        """The filters in use, as text (for the export's own audit entry)."""
        if not self.is_valid():
            return {}
        return {
            name: str(self.cleaned_data[name])
            for name in FILTER_FIELDS
            if self.cleaned_data.get(name) not in (None, "")
        }
