"""ioc worker: run scheduled syncs and other background tasks.

    ioc worker                     the scheduler and a task worker, until stopped
    ioc worker --no-scheduler      only the task worker (when another process schedules)
    ioc worker --once              one scheduler tick, then every queued task, then exit

With IOC_TASKS_BACKEND=redis (RQ) or rabbitmq the tasks queue on that server, and any number
of `ioc worker` processes, on any machine that reaches it and the databases, run them.

Several `ioc worker` processes may run (on one machine or several, on the same database):
tasks are claimed once each, and only the holder of the scheduler lease dispatches.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ioc.integrations import amqp
from ioc.integrations.scheduler import tick
from ioc.integrations.worker import (
    make_task_worker,
    redis_worker,
    scheduler_loop,
    uses_database_backend,
    uses_rabbitmq_backend,
    uses_redis_backend,
)


class Command(BaseCommand):
    help = "Run the scheduler and a worker for background tasks (scheduled syncs)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-scheduler", action="store_true")
        parser.add_argument("--once", action="store_true", help="Tick once, drain the queue, exit.")
        parser.add_argument("--queue", action="append", help="Queues to work (default: all).")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")

    def handle(self, *args: Any, **opts: Any) -> None:
        from django.conf import settings

        queues = opts["queue"] or ["*"]
        if opts["once"]:
            dispatched = 0 if opts["no_scheduler"] else tick()
            self.stdout.write(f"dispatched {dispatched} connection(s)")
            if uses_database_backend():
                make_task_worker(queues=queues, interval=0, batch=True).run()
            elif uses_redis_backend():
                redis_worker(queues).work(burst=True)
            elif uses_rabbitmq_backend():
                amqp.consume(queues, burst=True)
            return
        if not (uses_redis_backend() or uses_database_backend() or uses_rabbitmq_backend()):
            raise CommandError(
                "IOC_TASKS_BACKEND=immediate chạy tác vụ ngay, không cần worker /"
                " IOC_TASKS_BACKEND=immediate runs tasks at once; there is nothing to work"
            )
        stop = threading.Event()
        if not opts["no_scheduler"]:
            threading.Thread(
                target=scheduler_loop,
                args=(stop, float(settings.IOC_SCHEDULER_SECONDS)),
                name="ioc-scheduler",
                daemon=True,
            ).start()
        try:
            if uses_redis_backend():
                redis_worker(queues).work()
            elif uses_rabbitmq_backend():
                amqp.consume(queues)
            else:
                worker = make_task_worker(queues=queues, interval=opts["interval"])
                worker.configure_signals()
                worker.run()
        finally:
            stop.set()
