"""A dataset sent as a file download, recorded in the audit log: the catalogue's download
button and the open-data API both answer through :func:`send_export`."""

from __future__ import annotations

from collections.abc import Collection

from django.http import FileResponse, HttpRequest

from ioc.accounts.access import current_user
from ioc.core.audit import record
from ioc.core.choices import AuditAction
from ioc.warehouse import export
from ioc.warehouse.models import Dataset


def send_export(
    request: HttpRequest,
    dataset: Dataset,
    fmt: str,
    units: Collection[str] | None = None,
    *,
    note: str = "",
) -> FileResponse:
    """The rows (of ``units`` when given) as ``fmt``; raises ``export.ExportError``."""
    handle, rows = export.open_export(dataset, fmt, units)
    record(
        actor=current_user(request),
        action=AuditAction.READ,
        obj=dataset,
        message=f"{note}{fmt}: {rows} rows",
    )
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{dataset.slug}.{fmt}",
        content_type=export.CONTENT_TYPES[fmt],
    )
