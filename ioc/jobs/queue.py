"""Enqueue a task that belongs to the data being written.

``enqueue_with_commit(deliver, ids)`` makes the task exist exactly when the caller's
transaction commits. On the database queue (the default) the task's row is written inside
that transaction: one commit for both (on PostgreSQL one WAL flush instead of two, which the
citizens' form pays on every report), and a rollback drops the task with the data. Queues in
another server (Redis, RabbitMQ) cannot join the transaction: the task is sent after the
commit, and a periodic job picks up whatever a crash between the two left behind.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend


def enqueue_with_commit(task: Task[Any, Any], *args: Any, **kwargs: Any) -> None:
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
