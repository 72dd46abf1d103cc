"""The portal's search: news, documents and pages, ranked, with and without diacritics.

Wagtail's database backend does the ranking (SQLite FTS5 by default, PostgreSQL full-text
search in production). Each page indexes a folded copy of its text (``search_folded``); the
query is folded the same way, so "nghi quyet" and "Nghị quyết" find the same pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from ioc.core.text import fold
from ioc.portal.choices import SearchKind
from ioc.portal.models import ArticlePage, OfficialDocumentPage, SectionPage, StandardPage
from ioc.portal.register import in_order

KINDS: dict[str, type[Page]] = {
    SearchKind.NEWS: ArticlePage,
    SearchKind.DOCUMENTS: OfficialDocumentPage,
    SearchKind.PAGES: StandardPage,
}
MAX_QUERY = 200


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search for"), max_length=MAX_QUERY, required=False)
    kind = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Everything")), *SearchKind.choices]
    )
    section = forms.ModelChoiceField(
        label=_("Section"),
        required=False,
        queryset=SectionPage.objects.none(),
        empty_label=_("All sections"),
        to_field_name="slug",
    )
    since = forms.DateField(
        label=_("Published from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Published until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = SectionPage.objects.live().public().order_by("path")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        return in_order(super().clean() or {}, "since", "until")


def run(data: dict[str, Any]) -> Any:
    """The pages matching the form's cleaned data, best first (a search results object)."""
    words = fold(data.get("q") or "")
    model: type[Page] = KINDS.get(str(data.get("kind") or ""), Page)
    pages = model.objects.live().public()
    if model is Page:
        pages = pages.type(*KINDS.values())
    if data.get("section"):
        pages = pages.descendant_of(data["section"])
    if data.get("since"):
        pages = pages.filter(first_published_at__gte=_start(data["since"]))
    if data.get("until"):
        pages = pages.filter(first_published_at__lt=_start(data["until"] + dt.timedelta(days=1)))
    if not words:
        return pages.none()
    return pages.search(words, operator="and")


def _start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
