"""Background tasks of the integration hub (Django's tasks API, the django-tasks backport).

``sync_connections`` runs a chunk of connections one after the other; a failing one never
stops the others (its failure is recorded on its run and its health). The scheduler
(`ioc.integrations.scheduler`) enqueues these; "Run now" in the web UI runs at once.
"""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from ioc.integrations.models import Connection, ConnectionState, Trigger

logger = logging.getLogger(__name__)


@task(queue_name="sync")
def sync_connections(connection_ids: list[int], trigger: str = Trigger.SCHEDULE) -> dict[str, int]:
    from ioc.integrations.scheduler import retry_at
    from ioc.integrations.services import run_connection

    done = failed = skipped = 0
    for connection in Connection.objects.filter(pk__in=connection_ids).select_related("dataset"):
        if connection.state != ConnectionState.ACTIVE:
            skipped += 1  # paused since it was dispatched
            continue
        try:
            run = run_connection(connection, trigger=trigger)
        except Exception:  # never let one connection stop the chunk
            logger.exception("sync of connection %s crashed", connection.pk)
            failed += 1
            continue
        if run.error:
            failed += 1
            if connection.state == ConnectionState.ACTIVE:
                Connection.objects.filter(pk=connection.pk).update(
                    next_run_at=retry_at(
                        connection.failures, timezone.now(), connection.next_run_at
                    )
                )
        else:
            done += 1
    return {"done": done, "failed": failed, "skipped": skipped}
