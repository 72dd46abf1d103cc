"""Background work: the scheduler loop and a task worker, as threads.

`ioc worker` runs both in the foreground (one process per worker; several may run, the
scheduler lease keeps one scheduler). `ioc serve` starts them as daemon threads inside the
web server when ``IOC_EMBEDDED_WORKER`` is on (the default), so the platform needs no other
process on one machine.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils.crypto import get_random_string

logger = logging.getLogger(__name__)


def scheduler_loop(stop: threading.Event, seconds: float) -> None:
    from ioc.integrations.scheduler import tick

    while not stop.is_set():
        close_old_connections()
        try:
            tick()
        except Exception:  # a bad tick must not end the loop: log it and look again
            logger.exception("scheduler tick failed")
        stop.wait(seconds)


def make_task_worker(*, queues: list[str], interval: float, batch: bool = False) -> Any:
    """django-tasks-db's worker, for the database backend (the embedded default)."""
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=queues,
        interval=interval,
        batch=batch,  # True: stop when the queue is empty
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )


def uses_database_backend() -> bool:
    return bool(settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend")


def uses_redis_backend() -> bool:
    return bool(settings.TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend")


def uses_rabbitmq_backend() -> bool:
    return bool(settings.TASKS["default"]["BACKEND"] == "ioc.integrations.amqp.RabbitMQBackend")


def redis_worker(queues: list[str], *, fork: bool = True) -> Any:
    """An RQ worker on the task queues (the redis backend). ``fork=False``: jobs run in this
    process (tests; platforms without fork)."""
    import django_rq
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker, Worker

    names = [q for q in queues if q != "*"] or list(settings.RQ_QUEUES)
    worker_class: Any = Worker if fork else SimpleWorker
    # django-tasks-rq's Job runs the Task object RQ finds in the queue.
    return django_rq.get_worker(*names, worker_class=worker_class, job_class=Job)


class Background:
    """The scheduler and a task worker as daemon threads (for `ioc serve`)."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.worker: Any = None

    def start(self) -> None:
        seconds = float(settings.IOC_SCHEDULER_SECONDS)
        self.threads.append(
            threading.Thread(
                target=scheduler_loop, args=(self.stop, seconds), name="ioc-scheduler", daemon=True
            )
        )
        if uses_database_backend():
            self.worker = make_task_worker(queues=["*"], interval=1.0)
            self.threads.append(
                threading.Thread(target=self.worker.run, name="ioc-tasks", daemon=True)
            )
        # With redis or rabbitmq, `ioc worker` processes run the tasks; here only the scheduler.
        for thread in self.threads:
            thread.start()
        logger.info("embedded scheduler and task worker started")

    def shutdown(self) -> None:
        self.stop.set()
        if self.worker is not None:
            self.worker.running = False
