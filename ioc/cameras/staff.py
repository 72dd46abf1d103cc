"""The registry's import page: upload the province's camera list (CSV or Excel) and read
what was added, updated and left out, row by row."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from ioc.cameras.imports import import_upload

MAX_UPLOAD = 10 * 1024 * 1024


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    if not (
        request.user.has_perm("cameras.add_camera")
        and request.user.has_perm("cameras.change_camera")
    ):
        raise PermissionDenied(_("You may not import cameras."))
    report = None
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a CSV or Excel file.")
        elif upload.size is not None and upload.size > MAX_UPLOAD:
            error = _("The file is larger than 10 MB.")
        else:
            report = import_upload(upload.read(), upload.name or "cameras.csv", request.user)
    return render(request, "cameras/import.html", {"report": report, "error": error})
