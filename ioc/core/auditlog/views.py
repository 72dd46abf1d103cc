"""The audit log viewer at /ioc/audit/: browse, filter, read one entry, export CSV.

Read-only by construction: every route is GET (anything else answers 405), there is no form
that writes, and the model and the database refuse UPDATE (and DELETE) anyway. Only system
administrators, superusers and holders of ``core.view_auditentry`` get in; anonymous users
are sent to the login page, everyone else gets 403 (and the refusal is itself recorded).
The CSV export is recorded as a sensitive read.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ioc.accounts.choices import Role
from ioc.core.audit import record
from ioc.core.auditlog.display import change_rows
from ioc.core.auditlog.forms import AuditFilterForm
from ioc.core.choices import AuditAction
from ioc.core.models import AuditEntry

PAGE_SIZE = 50
VIEW_PERMISSION = "core.view_auditentry"
CSV_COLUMNS = [
    "id",
    "time",
    "user",
    "address",
    "action",
    "object_type",
    "object_id",
    "object",
    "message",
    "changes",
]

View = Callable[..., HttpResponseBase]


def can_read_audit(user: Any) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or user.has_perm(VIEW_PERMISSION):
        return True
    has_role = getattr(user, "has_role", None)
    return bool(has_role and has_role(Role.SYSTEM_ADMIN))


def audit_reader_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_read_audit(user):
            record(
                actor=user,
                action=AuditAction.DENIED,
                object_type=AuditEntry._meta.label_lower,
                object_repr="audit log",
                message=f"audit log viewer refused: {request.path}",
            )
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, QuerySet[AuditEntry]]:
    form = AuditFilterForm(request.GET)
    return form, form.filter(AuditEntry.objects.order_by("-at", "-id"))


@require_GET
@audit_reader_required
def entry_list(request: HttpRequest) -> HttpResponse:
    form, qs = _filtered(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    object_types = (
        AuditEntry.objects.order_by("object_type")
        .exclude(object_type="")
        .values_list("object_type", flat=True)
        .distinct()[:200]
    )
    return render(
        request,
        "core/audit/list.html",
        {
            "form": form,
            "page_obj": page,
            "object_types": list(object_types),
            "filtered": any(key != "page" for key in request.GET),
            "export_query": request.GET.urlencode(),
        },
    )


@require_GET
@audit_reader_required
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(AuditEntry, pk=pk)
    return render(
        request,
        "core/audit/detail.html",
        {"entry": entry, "rows": change_rows(entry.changes)},
    )


class _Echo:
    """A file-like object whose write() returns the line, for streaming csv.writer rows."""

    def write(self, value: str) -> str:
        return value


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """Text for one CSV cell; a leading formula character is neutralised (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_rows(qs: QuerySet[AuditEntry]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)  # the BOM lets spreadsheets read UTF-8
    for e in qs.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                _cell(v)
                for v in (
                    e.pk,
                    timezone.localtime(e.at).isoformat(),
                    e.actor_name,
                    e.ip,
                    e.action,
                    e.object_type,
                    e.object_id,
                    e.object_repr,
                    e.message,
                    json.dumps(e.changes, ensure_ascii=False, sort_keys=True) if e.changes else "",
                )
            ]
        )


@require_GET
@audit_reader_required
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The entries of the current filter as CSV, newest first; recorded as a sensitive read."""
    form, qs = _filtered(request)
    count = qs.count()
    own = record(
        actor=request.user,  # type: ignore[arg-type]
        action=AuditAction.READ,
        object_type=AuditEntry._meta.label_lower,
        object_repr="audit log (CSV export)",
        changes={"filters": form.active_filters(), "rows": count},
        message=f"audit log exported as CSV: {count} entries",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        _csv_rows(qs.filter(pk__lt=own.pk)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
