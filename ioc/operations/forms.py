"""The inbox's filters and the operator's note, as Django forms (validated, translatable)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ioc.core.models import AdministrativeUnit, Sector
from ioc.operations.choices import UNRESOLVED, EventStatus, Severity, category_label
from ioc.operations.models import Event, search

DEFAULT_STATUSES = list(UNRESOLVED)


class EventFilterForm(forms.Form):
    """GET filters of the operator inbox. ``filter(qs)`` applies every valid one."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.SearchInput(attrs={"placeholder": _("Words in the headline")}),
    )
    status = forms.MultipleChoiceField(
        label=_("Status"),
        choices=EventStatus.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: open and acknowledged."),
    )
    severity = forms.MultipleChoiceField(
        label=_("Severity"),
        choices=Severity.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    source = forms.ChoiceField(label=_("Source"), required=False)
    unit = forms.ModelChoiceField(
        label=_("Administrative unit"),
        queryset=AdministrativeUnit.objects.none(),
        required=False,
        empty_label=_("All units"),
    )
    sector = forms.ModelChoiceField(
        label=_("Sector"),
        queryset=Sector.objects.all(),
        required=False,
        empty_label=_("All sectors"),
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data: Any, *, events: QuerySet[Event], **kwargs: Any) -> None:
        """events: the events the user may see; the category, source and unit menus offer
        only the values found among them."""
        super().__init__(data, **kwargs)
        facets = events.order_by()
        every = [("", _("All"))]
        category_field: Any = self.fields["category"]
        category_field.choices = every + [
            (c, category_label(c)) for c in sorted(set(facets.values_list("category", flat=True)))
        ]
        source_field: Any = self.fields["source"]
        source_field.choices = every + [
            (s, s) for s in sorted(set(facets.values_list("source", flat=True)))
        ]
        unit_ids = set(facets.exclude(unit=None).values_list("unit_id", flat=True))
        unit_field: Any = self.fields["unit"]
        unit_field.queryset = AdministrativeUnit.objects.filter(pk__in=unit_ids).order_by(
            "level", "name"
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start: dt.date | None = cleaned.get("date_from")
        end: dt.date | None = cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def statuses(self) -> list[str]:
        chosen = self.cleaned_data.get("status") if self.is_valid() else None
        return list(chosen) if chosen else DEFAULT_STATUSES

    def filter(self, events: QuerySet[Event], *, severity: bool = True) -> QuerySet[Event]:
        """events narrowed by the valid filters (all but severity when severity=False)."""
        data = self.cleaned_data if self.is_valid() else {}
        qs = events.filter(status__in=self.statuses())
        if severity and data.get("severity"):
            qs = qs.filter(severity__in=data["severity"])
        if data.get("category"):
            qs = qs.filter(category=data["category"])
        if data.get("source"):
            qs = qs.filter(source=data["source"])
        if data.get("unit") is not None:
            qs = qs.filter(unit_id__in=_with_descendants(data["unit"].pk))
        if data.get("sector") is not None:
            qs = qs.filter(sector=data["sector"])
        if data.get("date_from"):
            qs = qs.filter(occurred_at__date__gte=data["date_from"])
        if data.get("date_to"):
            qs = qs.filter(occurred_at__date__lte=data["date_to"])
        if data.get("q"):
            qs = search(qs, data["q"])
        return qs


def _with_descendants(unit_id: int) -> set[int]:
    """The unit and every unit below it (a district's events include its communes')."""
    found = {unit_id}
    frontier = {unit_id}
    while frontier:
        frontier = (
            set(
                AdministrativeUnit.objects.filter(parent_id__in=frontier).values_list(
                    "id", flat=True
                )
            )
            - found
        )
        found |= frontier
    return found


class NoteForm(forms.Form):
    """The optional note an operator leaves when acknowledging, resolving or reopening."""

    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
