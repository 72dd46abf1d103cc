"""The documents register's filters: each field of an official text, and words in any of them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ioc.core.text import fold
from ioc.portal.choices import DocumentStatus, DocumentType
from ioc.portal.models import DocumentRegisterPage, OfficialDocumentPage


class RegisterFilter(forms.Form):
    q = forms.CharField(label=_("Number or subject"), required=False, max_length=200)
    doc_type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All types")), *DocumentType.choices]
    )
    issuer = forms.CharField(label=_("Issuing body"), required=False, max_length=200)
    signer = forms.CharField(label=_("Signed by"), required=False, max_length=120)
    signed_from = forms.DateField(
        label=_("Signed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    signed_to = forms.DateField(
        label=_("Signed until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    effective_from = forms.DateField(
        label=_("In effect from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *DocumentStatus.choices]
    )

    def clean(self) -> dict[str, Any]:
        return in_order(super().clean() or {}, "signed_from", "signed_to")


def in_order(data: dict[str, Any], start: str, end: str) -> dict[str, Any]:
    """A form's cleaned data, unless its period ends before it starts (a bilingual error)."""
    if data.get(start) and data.get(end) and data[start] > data[end]:
        raise forms.ValidationError(_("The start date comes after the end date."))
    return data


def documents(
    register: DocumentRegisterPage, form: RegisterFilter
) -> QuerySet[OfficialDocumentPage]:
    """The register's live documents narrowed by the form's valid fields, newest first.

    Text fields match without diacritics or case ("ubnd tinh" finds "UBND tỉnh") on the
    folded copies each document keeps (``folded_subject``, ``folded_issuer``,
    ``folded_signer``): the filters stay plain SQL with bound parameters, so they combine
    with one another and with paging.
    """
    found = (
        OfficialDocumentPage.objects.live()
        .public()
        .child_of(register)
        .order_by("-signed_on", "-pk")
        .prefetch_related("attachments__document")
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["doc_type"]:
            found = found.filter(doc_type=data["doc_type"])
        if data["status"]:
            found = found.filter(status=data["status"])
        if data["signed_from"]:
            found = found.filter(signed_on__gte=data["signed_from"])
        if data["signed_to"]:
            found = found.filter(signed_on__lte=data["signed_to"])
        if data["effective_from"]:
            found = found.filter(effective_on__gte=data["effective_from"])
        for field, column in (("q", "subject"), ("issuer", "issuer"), ("signer", "signer")):
            for word in fold(data[field]).split():
                found = found.filter(**{f"folded_{column}__contains": word})
    return found
