"""Keeps who and where of the current request, so services can audit without a request arg."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ioc.core.audit import RequestContext, bind_request_context


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
        ctx = RequestContext(
            ip=ip or None, user_agent=request.META.get("HTTP_USER_AGENT", "")[:300]
        )
        with bind_request_context(ctx):
            return self.get_response(request)
