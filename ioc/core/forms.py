"""Form pieces shared by the apps' pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from ioc.core.models import Sector


class SearchBySectorForm(forms.Form):
    """The filter bar of a list: words to look for (diacritics optional) and a sector."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=200)
    sector = forms.ModelChoiceField(
        label=gettext_lazy("Sector"),
        queryset=Sector.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("All sectors"),
    )
