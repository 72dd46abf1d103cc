"""The portal's public pages served from a cache: what a reader sees, not what an editor does.

Only pages that opt in are kept (the portal's pages, feeds and sitemap: ``cacheable()``),
only for visitors without a session (no login, nothing personal on the page), per address
and language. A page is served from the cache only while the portal is unchanged: every
publish, unpublish, move or delete writes an entry to Wagtail's page log, and the newest
entry's number is the cache's version (read at most once a second per process), so a new
article shows on the home page and in the feeds a second or so after it is published, in
every process. ``IOC_PORTAL_CACHE_SECONDS`` bounds how long anything is kept at all.

Cached pages hold no CSRF token: the portal's templates have no form that posts (the
language switch is a link), so one copy serves every reader.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from wagtail.models import PageLogEntry

from ioc.core.memo import remember

# Addresses that are never portal pages: no cache lookup, no version read.
SKIP = (
    "/ioc/",
    "/admin/",
    "/cms/",
    "/api/",
    "/accounts/",
    "/static/",
    "/media/",
    "/documents/",
    "/i18n/",
    "/feedback/",
    "/open311/",
    "/ogc/",
    "/healthz",
    "/readyz",
)
MAX_BYTES = 2 * 1024 * 1024


@remember(1.0, PageLogEntry)
def version() -> int:
    return PageLogEntry.objects.aggregate(last=Max("id"))["last"] or 0


def cacheable(response: HttpResponse) -> HttpResponse:
    """Mark a public response as one every anonymous reader may get a copy of."""
    response.portal_cache = True  # type: ignore[attr-defined]
    return response


def publicly_cached(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return cacheable(view(request, *args, **kwargs))

    return wrapper


def _key(request: HttpRequest) -> str:
    address = f"{request.get_host()}|{request.get_full_path()}|{request.LANGUAGE_CODE}"
    return "portal:" + hashlib.blake2b(address.encode(), digest_size=16).hexdigest()


class PortalCacheMiddleware:
    """Install after the locale middleware (the language is part of the key)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from ioc.portal import visits

        shared = (
            request.method in {"GET", "HEAD"}
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and "messages" not in request.COOKIES  # a note for this visitor ("thank you, ...")
            and not request.path.startswith(SKIP)
            and len(request.get_full_path()) <= 1000
            and bool(settings.IOC_PORTAL_CACHE_SECONDS)
        )
        if shared:
            key = _key(request)
            current = version()
            kept = cache.get(key)
            if kept is not None and kept[0] == current:
                _version, page_id, status, headers, content = kept
                response = HttpResponse(content, status=status)
                for name, value in headers:
                    response[name] = value
                response["X-Portal-Cache"] = "hit"
                if page_id:
                    visits.count(request, page_id)
                return response
        response = self.get_response(request)
        page_id = getattr(response, "portal_page_id", None)
        if page_id and response.status_code == 200:
            visits.count(request, page_id)
        if (
            shared
            and getattr(response, "portal_cache", False)
            and response.status_code == 200
            and not response.cookies
            and not response.streaming
            and len(response.content) <= MAX_BYTES
        ):
            headers = [(k, v) for k, v in response.items() if k.lower() != "set-cookie"]
            cache.set(
                key,
                (current, page_id, response.status_code, headers, response.content),
                settings.IOC_PORTAL_CACHE_SECONDS,
            )
            response["X-Portal-Cache"] = "miss"
        return response
