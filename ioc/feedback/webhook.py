"""The inbound webhook for other channels (a Zalo Official Account bot, an e-mail gateway,
a commune's kiosk): ``POST /api/feedback/inbound/`` with JSON, authenticated by the key of an
API client of channel ``webhook`` (``ioc open311_key NAME --channel webhook``) in
``Authorization: Bearer <key>``.

    {"category": "rac-thai", "description": "...", "lat": 10.98, "lon": 106.65,
     "address": "...", "name": "...", "phone": "...", "email": "...", "anonymous": false,
     "photos_public": false, "answers": {"loai": "sinh-hoat"},
     "media": [{"name": "anh.jpg", "content_base64": "..."}]}

201 answers ``{"id", "tracking_code", "tracking_url", "due_at"}``: the channel tells the
citizen the code. 400 answers ``{"errors": {field: [messages]}}`` in the request's language
(Vietnamese unless ``Accept-Language`` asks for English), and nothing is stored; 401 a
missing or wrong key. The whole body is at most Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``
(2.5 MB by default): send photos small, or through Open311's multipart upload.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ioc.core.middleware import client_ip
from ioc.feedback import notify, services
from ioc.feedback.choices import Channel
from ioc.feedback.models import ApiClient
from ioc.feedback.open311 import key_hash


def _client(request: HttpRequest) -> ApiClient | None:
    scheme, _sep, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    return ApiClient.objects.filter(
        key_hash=key_hash(key.strip()), is_active=True, channel=Channel.WEBHOOK
    ).first()


def _errors(errors: dict[str, list[str]], status: int = 400) -> JsonResponse:
    return JsonResponse(
        {"errors": errors}, status=status, json_dumps_params={"ensure_ascii": False}
    )


@csrf_exempt
@require_POST
def inbound(request: HttpRequest) -> JsonResponse:
    language = translation.get_language_from_request(request)
    with translation.override(language if language in ("vi", "en") else settings.LANGUAGE_CODE):
        client = _client(request)
        if client is None:
            return _errors(
                {"": [_("Authorization: Bearer <key> is missing, unknown or revoked.")]}, 401
            )
        try:
            data = json.loads(request.body or b"{}")
        except RequestDataTooBig:
            return _errors({"": [_("The request is too large.")]}, 413)
        except (ValueError, UnicodeDecodeError):
            return _errors({"": [_("The body is not JSON.")]})
        if not isinstance(data, dict):
            return _errors({"": [_("The body must be a JSON object.")]})
        uploads: list[tuple[str, Any]] = []
        for i, item in enumerate(data.get("media") or []):
            try:
                raw = base64.b64decode(str(item.get("content_base64", "")), validate=True)
            except (binascii.Error, AttributeError, ValueError):
                return _errors({"media": [_("media[%(i)d] is not base64.") % {"i": i}]})
            uploads.append((str(item.get("name", f"media-{i}")), io.BytesIO(raw)))
        answers = data.get("answers") or {}
        sub = services.Submission(
            category=str(data.get("category") or ""),
            description=str(data.get("description") or ""),
            lat=data.get("lat"),
            lon=data.get("lon"),
            address=str(data.get("address") or ""),
            name=str(data.get("name") or ""),
            phone=str(data.get("phone") or ""),
            email=str(data.get("email") or ""),
            anonymous=data.get("anonymous") is True,
            photos_public=data.get("photos_public") is True,
            answers=answers if isinstance(answers, dict) else {},
            uploads=uploads,
            channel=Channel.WEBHOOK,
            client=client.name,
            client_ip=client_ip(request),
        )
        try:
            report = services.submit_report(sub)
        except services.ReportError as error:
            return _errors(error.messages())
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
        return JsonResponse(
            {
                "id": str(report.pk),
                "tracking_code": report.tracking_code,
                "tracking_url": notify.tracking_link(report),
                "due_at": timezone.localtime(report.due_at).isoformat(),
            },
            status=201,
        )
