"""POST /api/push/<connection id>/: where agency systems send data (the push connector).

Authenticated by the connection's token (``Authorization: Bearer <token>``), not by a
session, so it is exempt from CSRF; answers JSON with the run's counts, or an error in
Vietnamese and English. The body is streamed to a temporary file, never held whole, and
refused past the connection's size limit.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ioc.integrations.connectors.push import PushConfig
from ioc.integrations.models import Connection, ConnectionState
from ioc.integrations.services import push_token_matches, receive_push


def _error(status: int, vi: str, en: str) -> JsonResponse:
    return JsonResponse({"error": f"{vi} / {en}", "error_vi": vi, "error_en": en}, status=status)


@csrf_exempt
@require_POST
def push(request: HttpRequest, pk: int) -> JsonResponse:
    connection = Connection.objects.filter(pk=pk, kind="push").select_related("dataset").first()
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if connection is None or not token or not push_token_matches(connection, token):
        return _error(401, "Mã truy cập không đúng", "wrong or missing token")
    if connection.state != ConnectionState.ACTIVE:
        return _error(409, "Kết nối đang tạm dừng", "the connection is paused")
    limit = PushConfig.model_validate({**connection.config}).max_bytes
    declared = int(request.headers.get("Content-Length") or 0)
    if declared > limit:
        return _error(
            413, f"Dữ liệu lớn hơn {limit} byte", f"the body is larger than {limit} bytes"
        )
    with tempfile.TemporaryDirectory(prefix="ioc-push-") as tmp:
        path = Path(tmp) / "body"
        size = 0
        with path.open("wb") as out:
            while chunk := request.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    return _error(
                        413,
                        f"Dữ liệu lớn hơn {limit} byte",
                        f"the body is larger than {limit} bytes",
                    )
                out.write(chunk)
        if size == 0:
            return _error(400, "Không có dữ liệu", "the body is empty")
        run = receive_push(connection, path, request.content_type or "")
    body = {
        "run": run.pk,
        "read": run.rows_read,
        "accepted": run.rows_accepted,
        "rejected": run.rows_rejected,
    }
    if run.error:
        return JsonResponse({**body, "error": run.error}, status=422)
    return JsonResponse(body, status=200)
