"""Agencies in the IOC: list (scoped, diacritics-insensitive search), detail and edit.

An agency outside the user's scope does not exist for them (404); editing goes through
``ioc.core.services.update_agency``, which checks the permission and the scope again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from ioc.accounts.access import current_user, permission_required
from ioc.accounts.scope import ScopeDenied, access, visible
from ioc.core import services
from ioc.core.audit import record
from ioc.core.choices import AgencyKind, AuditAction
from ioc.core.forms import SearchBySectorForm
from ioc.core.models import Agency
from ioc.core.selectors import search_agencies

PAGE_SIZE = 50


class AgencyFilterForm(SearchBySectorForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[("", gettext_lazy("All kinds")), *AgencyKind.choices],
        required=False,
    )


if TYPE_CHECKING:
    _AgencyModelForm = forms.ModelForm[Agency]
else:
    _AgencyModelForm = forms.ModelForm


class AgencyForm(_AgencyModelForm):
    """What staff may edit in the IOC; code and unit are changed in the admin only."""

    class Meta:
        model = Agency
        fields = ["name", "name_en", "short_name", "kind", "parent", "sectors", "email", "phone"]
        fields += ["is_active"]
        widgets = {"sectors": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parent = self.fields["parent"]
        assert isinstance(parent, forms.ModelChoiceField)
        allowed = visible(user, Agency.objects.all())
        if self.instance.pk is not None:  # never itself nor a subordinate (no cycles)
            own = {self.instance.pk, *services.agency_descendants(self.instance.pk)}
            allowed = allowed.exclude(pk__in=own)
        if self.instance.parent_id is not None:  # keep the current one, even out of scope
            allowed = allowed | Agency.objects.filter(pk=self.instance.parent_id)
        parent.queryset = allowed


def _denied(request: HttpRequest, agency_id: int) -> Http404:
    """404 for an agency outside the scope; the attempt is audited when the agency exists."""
    if Agency.objects.filter(pk=agency_id).exists():
        record(
            actor=current_user(request),
            action=AuditAction.DENIED,
            object_type="core.agency",
            object_id=str(agency_id),
            message=f"{request.method} {request.path}: outside the user's scope",
        )
    return Http404(_("No such agency."))


@require_GET
@permission_required("core.view_agency")
def agency_list(request: HttpRequest) -> HttpResponse:
    agencies = visible(request.user, Agency.objects.all())
    form = AgencyFilterForm(request.GET or None)
    filtered = False
    if form.is_valid():
        data = form.cleaned_data
        if data["sector"] is not None:
            agencies = agencies.filter(sectors=data["sector"])
            filtered = True
        if data["kind"]:
            agencies = agencies.filter(kind=data["kind"])
            filtered = True
        if data["q"]:
            agencies = search_agencies(agencies, data["q"])
            filtered = True
    agencies = agencies.select_related("unit").prefetch_related("sectors")
    page = Paginator(agencies, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/agencies/list.html",
        {"form": form, "page_obj": page, "filtered": filtered},
    )


@require_GET
@permission_required("core.view_agency")
def agency_detail(request: HttpRequest, agency_id: int) -> HttpResponse:
    try:
        agency = access(request.user, Agency, agency_id)
    except ScopeDenied:
        raise _denied(request, agency_id) from None
    user = current_user(request)
    return render(
        request,
        "core/agencies/detail.html",
        {
            "agency": agency,
            "children": visible(request.user, agency.children.all()),
            "can_edit": user is not None and user.has_perm("core.change_agency"),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("core.view_agency", "core.change_agency")
def agency_edit(request: HttpRequest, agency_id: int) -> HttpResponse:
    try:
        agency = access(request.user, Agency, agency_id)
    except ScopeDenied:
        raise _denied(request, agency_id) from None
    editable = Agency.objects.get(pk=agency.pk)  # the form writes into its own copy
    form = AgencyForm(request.POST or None, instance=editable, user=request.user)
    status = 200
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if "sectors" in changes:
            changes["sectors"] = list(changes["sectors"])
        try:
            services.update_agency(actor=request.user, agency=agency, **changes)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You may not make this change."))
            status = 403
        except ValidationError as exc:
            form.add_error(None, exc.messages)
            status = 400
        else:
            messages.success(request, _("The agency has been saved."))
            return HttpResponseRedirect(reverse("core:agency-detail", args=[agency.pk]))
    elif request.method == "POST":
        status = 400
    return render(
        request, "core/agencies/form.html", {"form": form, "agency": agency}, status=status
    )
