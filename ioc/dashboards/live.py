"""Live updates: Server-Sent Events at ``/ioc/live/``.

Each committed batch is a :class:`~ioc.warehouse.models.DataChange` row in the operational
database, whichever process wrote it. One poller per web process reads the new rows every
``POLL_SECONDS`` and hands them to every open stream of the process; each stream passes on
the changes of the datasets its user may see, as ``event: dataset`` with the change's id as
the event id. A browser that reconnects (network, server restart) sends the last id it saw
(``Last-Event-ID``, or ``?since=``) and gets what it missed first. A comment line every
``HEARTBEAT_SECONDS`` keeps proxies from closing a quiet stream.

With several web processes each polls on its own (one indexed query a second); nothing is
lost between processes because the rows, not the processes, are the source.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponseForbidden, StreamingHttpResponse
from django.http.response import HttpResponseBase

from ioc.warehouse.access import visible_datasets
from ioc.warehouse.models import DataChange

POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 15.0
RETRY_MS = 2000  # how soon the browser reconnects after losing the stream
REPLAY_LIMIT = 500  # changes replayed to a browser coming back


def _latest() -> int:
    return int(DataChange.objects.order_by("-id").values_list("id", flat=True).first() or 0)


def _since(last: int, limit: int = REPLAY_LIMIT) -> list[dict[str, Any]]:
    rows = (
        DataChange.objects.filter(id__gt=last)
        .order_by("id")
        .values("id", "dataset__slug", "time_min", "time_max", "units", "rows")[:limit]
    )
    return [
        {
            "id": r["id"],
            "dataset": r["dataset__slug"],
            "start": r["time_min"],
            "end": r["time_max"],
            "units": r["units"],
            "rows": r["rows"],
        }
        for r in rows
    ]


class Broadcaster:
    """The process's one poller, and the queues of its open streams."""

    def __init__(self) -> None:
        self.listeners: set[asyncio.Queue[dict[str, Any]]] = set()
        self.last = -1
        self.task: asyncio.Task[None] | None = None

    async def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self.listeners.add(queue)
        if self.last < 0:
            self.last = await sync_to_async(_latest)()
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self.listeners.discard(queue)

    async def _run(self) -> None:
        while self.listeners:
            try:
                changes = await sync_to_async(_since)(self.last)
            except Exception:  # the database restarting: try again on the next beat
                changes = []
            for change in changes:
                self.last = max(self.last, change["id"])
                for queue in list(self.listeners):
                    with contextlib.suppress(asyncio.QueueFull):  # a stuck reader
                        queue.put_nowait(change)
            await asyncio.sleep(POLL_SECONDS)
        self.last = -1  # nobody listens: start from "now" when someone comes back


broadcaster = Broadcaster()


def _event(change: dict[str, Any]) -> str:
    return f"id: {change['id']}\nevent: dataset\ndata: {json.dumps(change, ensure_ascii=False)}\n\n"


async def stream(request: HttpRequest) -> HttpResponseBase:
    user = await request.auser()
    if not user.is_authenticated or not await sync_to_async(user.has_perm)("dashboards.view_chart"):
        return HttpResponseForbidden()
    slugs = set(
        await sync_to_async(lambda: list(visible_datasets(user).values_list("slug", flat=True)))()
    )
    given = request.headers.get("Last-Event-ID") or request.GET.get("since") or ""
    since = int(given) if given.isdigit() else None

    async def events() -> AsyncIterator[str]:
        queue = await broadcaster.subscribe()  # first, so nothing falls between the two
        seen = since or 0
        try:
            yield f"retry: {RETRY_MS}\n: connected\n\n"
            if since is not None:
                for change in await sync_to_async(_since)(since):
                    seen = max(seen, change["id"])
                    if change["dataset"] in slugs:
                        yield _event(change)
            while True:
                try:
                    change = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield ": ping\n\n"
                    continue
                if change["id"] > seen and change["dataset"] in slugs:
                    seen = change["id"]
                    yield _event(change)
        finally:
            broadcaster.unsubscribe(queue)

    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response
