"""Keeps who and where of the current request, so services can audit without a request arg."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from ioc.core.audit import RequestContext, bind_request_context


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the connection's, or with IOC_PROXY_COUNT=N proxies in front,
    the N-th entry from the right of X-Forwarded-For (the one our own proxy appended)."""
    count = int(getattr(settings, "IOC_PROXY_COUNT", 0) or 0)
    if count > 0:
        forwarded: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [h.strip() for h in forwarded.split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= count:
            return hops[-count]
    remote: str | None = request.META.get("REMOTE_ADDR")
    return remote or None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ip = client_ip(request)
        ctx = RequestContext(
            ip=ip or None, user_agent=request.META.get("HTTP_USER_AGENT", "")[:300]
        )
        with bind_request_context(ctx):
            return self.get_response(request)


class VietnameseFirstLocaleMiddleware(LocaleMiddleware):
    """Vietnamese unless the visitor chose another language with the switcher (cookie).

    Django's own middleware follows the browser's Accept-Language, so an English-language
    browser would start in English; a Vietnamese government platform starts in Vietnamese.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
