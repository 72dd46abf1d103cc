"""The platform as an ASGI application (``ioc serve`` runs it on uvicorn).

Every page and API call but one is sync Django code. Through Django's ASGI handler each such
request hops between the event loop and a thread three times (in to the sync middleware, out
to the async ones, in again to the view), and by default runs in a new thread of its own.
Here they go to Django's WSGI handler, run by ``IOC_WEB_THREADS`` long-lived threads a
process (a2wsgi): the whole middleware chain and the view in one thread, one hop, and each
thread keeps its database connection. The streams that stay open (the dashboards' live
updates, cameras' MJPEG passthrough) are async views and go through Django's ASGI handler.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ioc.settings")

from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application
from django.urls import reverse

asgi_django = get_asgi_application()  # sets Django up: the apps' modules import after it
wsgi_django = WSGIMiddleware(
    get_wsgi_application(),  # type: ignore[arg-type]
    workers=settings.IOC_WEB_THREADS,
)

from ioc.cameras.mjpeg import PREFIX as MJPEG_PREFIX  # noqa: E402

ASYNC_PATHS = (reverse("dashboards:live"), MJPEG_PREFIX)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and not scope["path"].startswith(ASYNC_PATHS):
        await wsgi_django(scope, receive, send)  # type: ignore[arg-type]
    else:
        await asgi_django(scope, receive, send)
