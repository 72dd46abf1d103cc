"""The shared database in the IOC (/ioc/data/): the catalogue of datasets and indicators,
each dataset's schema, preview, freshness, lineage, runs and quarantine, downloads, file
uploads, and the data connections with their health.

Every page needs a login and ``warehouse.view_dataset``; datasets outside the user's scope
answer 404 (``visible_datasets``), and rows are limited to the user's units (``row_units``).
Changes (upload, replay, run now, pause) need their own permission and are audited by the
services they call.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ioc.accounts.access import current_user, permission_required
from ioc.accounts.scope import ScopeDenied, access, visible
from ioc.core.audit import record
from ioc.core.choices import AuditAction
from ioc.core.forms import SearchBySectorForm
from ioc.core.text import fold
from ioc.integrations.connectors.base import ConnectorError, get, registry
from ioc.integrations.connectors.files import EXTENSIONS
from ioc.integrations.downloads import send_export
from ioc.integrations.entry import EntryForm, save_entry
from ioc.integrations.forms import EXAMPLES, ConnectionForm
from ioc.integrations.health import scorecard
from ioc.integrations.models import Connection, ConnectionState, SyncRun, Trigger
from ioc.integrations.services import (
    IngestError,
    ingest_file,
    issue_push_token,
    preview_connection,
    replay_quarantine,
    run_connection,
    save_connection,
    set_connection_state,
)
from ioc.warehouse import export, quarantine
from ioc.warehouse.access import row_units, visible_datasets
from ioc.warehouse.choices import ROLE_LABELS, TYPE_LABELS
from ioc.warehouse.db import read_connection
from ioc.warehouse.models import Dataset, Indicator

VIEW = "warehouse.view_dataset"
PREVIEW_ROWS = 20
UPLOAD_MAX_BYTES = 200 * 1024 * 1024


def _dataset(request: HttpRequest, slug: str) -> Dataset:
    dataset = (
        visible_datasets(request.user).select_related("sector", "owner").filter(slug=slug).first()
    )
    if dataset is None:
        raise Http404(_("No such dataset."))
    return dataset


def connector_label(kind: str) -> str:
    try:
        return str(get(kind).label)
    except ConnectorError:
        return kind


def quarantine_counts() -> dict[str, int]:
    try:
        with read_connection() as con:
            return dict(
                con.execute(
                    "SELECT dataset, count(*) FROM meta.quarantine GROUP BY dataset"
                ).fetchall()
            )
    except Exception:  # a warehouse being created or busy: show no count rather than fail
        return {}


@require_GET
@permission_required(VIEW)
def catalogue(request: HttpRequest) -> HttpResponse:
    form = SearchBySectorForm(request.GET or None)
    datasets = (
        visible_datasets(request.user)
        .select_related("sector", "owner")
        .annotate(connection_count=Count("connections"))
    )
    indicators = Indicator.objects.filter(dataset__in=visible_datasets(request.user).values("pk"))
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"] or ""
        for word in fold(query).split():
            datasets = datasets.filter(name_folded__contains=word)
            indicators = indicators.filter(name_folded__contains=word)
        if form.cleaned_data["sector"]:
            sector = form.cleaned_data["sector"]
            datasets = datasets.filter(sector=sector)
            indicators = indicators.filter(group__sector=sector)
    counts = quarantine_counts()
    sectors: dict[int, dict[str, Any]] = {}
    for dataset in datasets.order_by("sector__order", "name"):
        entry = sectors.setdefault(dataset.sector_id, {"sector": dataset.sector, "datasets": []})
        dataset.quarantined = counts.get(dataset.slug, 0)  # type: ignore[attr-defined]
        entry["datasets"].append(dataset)
    return render(
        request,
        "integrations/catalogue.html",
        {
            "form": form,
            "query": query,
            "sectors": list(sectors.values()),
            "indicators": indicators.select_related("group__sector", "dataset", "owner")[:50],
            "total": sum(len(s["datasets"]) for s in sectors.values()),
            "filtered": bool(request.GET),
        },
    )


def preview(
    dataset: Dataset, units: frozenset[str] | None
) -> tuple[list[str], list[tuple[Any, ...]], int]:
    sql, params = export.select(dataset, units)
    with read_connection() as con:
        total_row = con.execute(f"SELECT count(*) FROM ({sql}) AS q", params).fetchone()  # noqa: S608
        rows = con.execute(f"{sql} LIMIT {PREVIEW_ROWS}", params).fetchall()
    return dataset.parsed_schema.names, rows, int(total_row[0]) if total_row else 0


@require_GET
@permission_required(VIEW)
def dataset_detail(request: HttpRequest, slug: str) -> HttpResponse:
    dataset = _dataset(request, slug)
    units = row_units(request.user)
    columns, rows, visible_rows = preview(dataset, units)
    return render(
        request,
        "integrations/dataset.html",
        {
            "dataset": dataset,
            "schema": dataset.parsed_schema,
            "column_rows": [
                (c, TYPE_LABELS[c.type], ROLE_LABELS[c.role], c.name in dataset.parsed_schema.key)
                for c in dataset.parsed_schema.columns
            ],
            "columns": columns,
            "rows": rows,
            "visible_rows": visible_rows,
            "limited": units is not None,
            "versions": dataset.versions.select_related("created_by").order_by("-version")[:10],
            "connections": [
                (c, connector_label(c.kind))
                for c in visible(request.user, dataset.connections.all())
            ],
            "runs": dataset.runs.select_related("connection", "started_by")[:10],
            "indicators": dataset.indicators.all(),
            # Lineage downstream: the dashboards' charts that read this dataset.
            "charts": dataset.charts.select_related("dashboard").order_by("dashboard__order"),
            "quarantined": quarantine.count(dataset.slug),
            "can_change": request.user.has_perm("warehouse.change_dataset"),
            "formats": ["csv", "xlsx", "parquet"],
        },
    )


@require_GET
@permission_required(VIEW)
def download(request: HttpRequest, slug: str, fmt: str) -> HttpResponseBase:
    dataset = _dataset(request, slug)
    if fmt not in export.CONTENT_TYPES:
        raise Http404
    try:
        return send_export(request, dataset, fmt, row_units(request.user))
    except export.ExportError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("integrations:dataset", args=[slug]))


@require_GET
@permission_required(VIEW)
def quarantine_view(request: HttpRequest, slug: str) -> HttpResponse:
    dataset = _dataset(request, slug)
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    per_page = 50
    total = quarantine.count(dataset.slug)
    items = quarantine.rows(dataset.slug, offset=(page_number - 1) * per_page, limit=per_page)
    return render(
        request,
        "integrations/quarantine.html",
        {
            "dataset": dataset,
            "items": items,
            "total": total,
            "reasons": quarantine.reasons(dataset.slug),
            "page": page_number,
            "has_next": page_number * per_page < total,
            "can_change": request.user.has_perm("warehouse.change_dataset"),
        },
    )


@require_POST
@permission_required(VIEW, "warehouse.change_dataset")
def replay(request: HttpRequest, slug: str) -> HttpResponse:
    dataset = _dataset(request, slug)
    run = replay_quarantine(dataset, actor=current_user(request))
    if run.error:
        messages.error(request, run.error)
    else:
        messages.success(
            request,
            _("Replayed %(read)s rows: %(accepted)s accepted, %(rejected)s still rejected.")
            % {"read": run.rows_read, "accepted": run.rows_accepted, "rejected": run.rows_rejected},
        )
    return HttpResponseRedirect(reverse("integrations:run", args=[run.pk]))


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV, Excel (.xlsx), JSON, NDJSON or Parquet; at most 200 MB."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in EXTENSIONS:
            raise forms.ValidationError(
                _("This kind of file cannot be loaded. Send CSV, XLSX, JSON, NDJSON or Parquet.")
            )
        if upload.size > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 200 MB. Put it in a drop folder or use `ioc ingest`.")
            )
        return upload


@require_http_methods(["GET", "POST"])
@permission_required(VIEW, "warehouse.change_dataset")
def upload(request: HttpRequest, slug: str) -> HttpResponse:
    dataset = _dataset(request, slug)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        safe_name = Path(upload_file.name).name[-120:]
        with tempfile.TemporaryDirectory(prefix="ioc-upload-") as tmp:
            path = Path(tmp) / safe_name
            with path.open("wb") as out:
                for chunk in upload_file.chunks():
                    out.write(chunk)
            try:
                run = ingest_file(
                    path, dataset=dataset.slug, actor=current_user(request), trigger=Trigger.UPLOAD
                )
            except (IngestError, PermissionDenied) as exc:
                form.add_error("file", str(exc))
            else:
                return HttpResponseRedirect(reverse("integrations:run", args=[run.pk]))
    return render(request, "integrations/upload.html", {"dataset": dataset, "form": form})


@require_http_methods(["GET", "POST"])
@permission_required(VIEW, "integrations.add_syncrun")
def entry(request: HttpRequest, slug: str) -> HttpResponse:
    """Type in one row (a month's figures for a commune) with the dataset's validation."""
    dataset = _dataset(request, slug)
    form = EntryForm(dataset, row_units(request.user), request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = {k: str(v) for k, v in form.cleaned_data.items() if v not in (None, "")}
        result = save_entry(dataset, values, actor=current_user(request))
        if isinstance(result, str):
            form.add_error(None, result)
        else:
            record(
                actor=current_user(request),
                action=AuditAction.ACTION,
                obj=dataset,
                message=f"entered a row by hand (run {result.pk})",
            )
            messages.success(request, _("The row is stored."))
            return HttpResponseRedirect(reverse("integrations:entry", args=[slug]))
    recent = dataset.runs.filter(trigger=Trigger.ENTRY).select_related("started_by")[:10]
    return render(
        request, "integrations/entry.html", {"dataset": dataset, "form": form, "recent": recent}
    )


@require_GET
@permission_required(VIEW)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        run = access(request.user, SyncRun, pk)
    except ScopeDenied:
        raise Http404(_("No such run.")) from None
    return render(request, "integrations/run.html", {"run": run})


@require_GET
@permission_required(VIEW)
def compliance(request: HttpRequest) -> HttpResponse:
    """Who delivers on time: the owner agencies' datasets against their cadences."""
    scores = scorecard(visible_datasets(request.user))
    return render(request, "integrations/compliance.html", {"scores": scores})


@require_GET
@permission_required("integrations.view_connection")
def connection_list(request: HttpRequest) -> HttpResponse:
    connections = visible(request.user, Connection.objects.all()).select_related("dataset__sector")
    state = request.GET.get("state", "")
    if state in ConnectionState.values:
        connections = connections.filter(state=state)
    query = request.GET.get("q", "")[:200]
    for word in fold(query).split():
        connections = connections.filter(
            Q(name_folded__contains=word) | Q(dataset__name_folded__contains=word)
        )
    page = Paginator(connections.order_by("name"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "integrations/connections.html",
        {"page_obj": page, "state": state, "query": query, "states": ConnectionState.choices},
    )


@require_GET
@permission_required("integrations.view_connection")
def connection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        connection = access(request.user, Connection, pk)
    except ScopeDenied:
        raise Http404(_("No such connection.")) from None
    return render(
        request,
        "integrations/connection.html",
        {
            "connection": connection,
            "kind_label": connector_label(connection.kind),
            "runs": connection.runs.all()[:30],
            "can_change": request.user.has_perm("integrations.change_connection"),
        },
    )


def _connection_form_page(request: HttpRequest, connection: Connection | None) -> HttpResponse:
    datasets = visible_datasets(request.user)
    initial: dict[str, Any] = {}
    if connection is not None:
        initial = {
            "name": connection.name,
            "kind": connection.kind,
            "dataset": connection.dataset_id,
            "interval_minutes": connection.interval_minutes,
            "cron": connection.cron,
            "timezone": connection.timezone,
            "config": connection.config,
            "mapping": connection.mapping or None,
        }
    else:
        kind = request.GET.get("kind", "file")
        initial = {"kind": kind, "config": EXAMPLES.get(kind, {}), "timezone": "Asia/Ho_Chi_Minh"}
    form = ConnectionForm(datasets, request.POST or None, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "preview" in request.POST:
            preview = preview_connection(
                data["kind"],
                data["config"],
                data["mapping"] or None,
                data["dataset"],
                stored=connection,
            )
        else:
            try:
                saved = save_connection(
                    connection,
                    actor=current_user(request),
                    config=data["config"],
                    name=data["name"],
                    kind=data["kind"],
                    dataset=data["dataset"],
                    interval_minutes=data["interval_minutes"],
                    cron=data["cron"] or "",
                    timezone=data["timezone"],
                    mapping=data["mapping"] or {},
                )
            except (ValueError, ConnectorError) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The connection is saved."))
                return HttpResponseRedirect(reverse("integrations:connection", args=[saved.pk]))
    schemas = {key: cls.Config.model_json_schema() for key, cls in registry().items()}
    # The mapping table's data: each dataset's columns, and the source's fields once a
    # preview has read them.
    return render(
        request,
        "integrations/connection_form.html",
        {
            "form": form,
            "connection": connection,
            "preview": preview,
            "schemas": schemas,
            "mapping_columns": columns_by_pk(datasets),
            "mapping_sources": preview.source_fields if preview else [],
            "mapping_strings": mapping_strings(),
        },
    )


def columns_by_pk(datasets: Any) -> dict[str, list[dict[str, Any]]]:
    """{dataset id (as the form's select holds it): its columns} for the mapping table."""
    return {
        str(d.pk): [
            {"name": c.name, "label": c.label, "type": c.type.value, "required": c.required}
            for c in d.parsed_schema.columns
        ]
        for d in datasets
    }


def mapping_strings() -> dict[str, str]:
    return {
        "source": str(_("Source field")),
        "byName": str(_("(the field of the same name)")),
        "computed": str(_("computed")),
        "numberFormat": str(_("Number format")),
        "auto": str(_("Recognise")),
        "scale": str(_("Multiply by (unit conversion)")),
        "dateFormat": str(_("Date format")),
        "dateAuto": str(_("Recognise (dd/mm/yyyy, ISO…)")),
        "values": str(_("Replace values")),
        "valuesHint": str(_("source=stored; …")),
        "min": str(_("At least")),
        "max": str(_("At most")),
    }


@require_http_methods(["GET", "POST"])
@permission_required("integrations.view_connection", "integrations.add_connection")
def connection_new(request: HttpRequest) -> HttpResponse:
    return _connection_form_page(request, None)


@require_http_methods(["GET", "POST"])
@permission_required("integrations.view_connection", "integrations.change_connection")
def connection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        connection = access(request.user, Connection, pk)
    except ScopeDenied:
        raise Http404(_("No such connection.")) from None
    return _connection_form_page(request, connection)


@require_POST
@permission_required("integrations.view_connection", "integrations.change_connection")
def connection_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    try:
        connection = access(request.user, Connection, pk)
    except ScopeDenied:
        raise Http404(_("No such connection.")) from None
    user = current_user(request)
    if action == "run":
        run = run_connection(connection, trigger=Trigger.MANUAL, actor=user)
        return HttpResponseRedirect(reverse("integrations:run", args=[run.pk]))
    if action == "token":
        try:
            token = issue_push_token(connection, actor=user)
        except IngestError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("integrations:connection", args=[pk]))
        endpoint = request.build_absolute_uri(reverse("push", args=[pk]))
        return render(
            request,
            "integrations/push_token.html",
            {"connection": connection, "token": token, "endpoint": endpoint},
        )
    if action in ("pause", "resume"):
        set_connection_state(
            connection,
            ConnectionState.PAUSED if action == "pause" else ConnectionState.ACTIVE,
            actor=user,
        )
        return HttpResponseRedirect(reverse("integrations:connection", args=[pk]))
    raise Http404
