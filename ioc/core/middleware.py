"""Keeps who and where of the current request, so services can audit without a request arg."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.urls import Resolver404, resolve
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


View = TypeVar("View", bound=Callable[..., Any])


def language_from_address(view: View) -> View:
    """Marks a view whose language is its address's, not the visitor's choice: the portal's
    pages have one address per language (``/gioi-thieu/`` Vietnamese, ``/en/introduction/``
    English), so that search engines and shared links see the language they point at."""
    view.language_from_address = True  # type: ignore[attr-defined]
    return view


class VietnameseFirstLocaleMiddleware(LocaleMiddleware):
    """The language of a request: its address's prefix (``/en/...``) if it has one; else
    Vietnamese unless the visitor chose another language with the switcher (cookie).

    Django's own middleware follows the browser's Accept-Language, so an English-language
    browser would start in English; a Vietnamese government platform starts in Vietnamese.
    Pages marked with ``language_from_address`` (the portal's) stay Vietnamese at an address
    without a prefix whatever the cookie says: their English copy has its own address.
    """

    def process_request(self, request: HttpRequest) -> None:
        language = translation.get_language_from_path(request.path_info)
        if language is None:
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
            supported = {code for code, _name in settings.LANGUAGES}
            language = chosen if chosen in supported else settings.LANGUAGE_CODE
            if language != settings.LANGUAGE_CODE and _address_decides(request):
                language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


def _address_decides(request: HttpRequest) -> bool:
    """Whether the view at this (unprefixed) address takes its language from the address."""
    with translation.override(settings.LANGUAGE_CODE):  # unprefixed addresses resolve so
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return False
    return bool(getattr(match.func, "language_from_address", False))
