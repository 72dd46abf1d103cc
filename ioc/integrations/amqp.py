"""Background tasks through RabbitMQ (``IOC_TASKS_BACKEND=rabbitmq``): a django-tasks
backend that publishes each task as a persistent message, and the worker that runs them.

One durable queue per task queue (``ioc.sync``, ``ioc.default``). A message is the task's
import path and its JSON arguments; the worker acknowledges it only after the task returned,
so a worker killed in the middle leaves the message for the next worker (tasks must be
safe to run twice, as the hub's syncs are: loads are idempotent, ADR 0007). Publishing uses
publisher confirms, so ``enqueue`` returns only once the broker has the message.

There are no stored results (``supports_get_result`` is false): what a sync did is on its
``SyncRun`` rows, as with the other backends.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import pika
import pika.exceptions
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id, normalize_json
from typing_extensions import ParamSpec

logger = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")


def queue_name(queue: str) -> str:
    """The broker's queue for a task queue: ``ioc.sync`` (the prefix is the backend's
    ``OPTIONS["PREFIX"]``, so several platforms or test runs can share one broker)."""
    backend: dict[str, Any] = settings.TASKS["default"]
    prefix = (backend.get("OPTIONS") or {}).get("PREFIX", "ioc.")
    return f"{prefix}{queue}"


def _parameters() -> pika.URLParameters:
    parameters = pika.URLParameters(settings.IOC_AMQP_URL)
    parameters.heartbeat = 60
    parameters.blocked_connection_timeout = 30
    parameters.connection_attempts = 3
    parameters.retry_delay = 1
    return parameters


class RabbitMQBackend(BaseTaskBackend):
    """Publishes tasks to RabbitMQ; ``ioc worker`` consumes them (:func:`consume`)."""

    supports_defer = False
    supports_get_result = False

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self._local = threading.local()

    def _channel(self) -> Any:
        channel = getattr(self._local, "channel", None)
        if channel is None or channel.is_closed:
            connection = pika.BlockingConnection(_parameters())
            channel = connection.channel()
            channel.confirm_delivery()
            for queue in self.queues:
                channel.queue_declare(queue_name(queue), durable=True)
            self._local.connection, self._local.channel = connection, channel
        return channel

    def _publish(self, queue: str, body: bytes) -> None:
        properties = pika.BasicProperties(
            content_type="application/json", delivery_mode=pika.DeliveryMode.Persistent
        )
        for attempt in (1, 2):  # a connection the broker closed since: open a new one once
            try:
                self._channel().basic_publish(
                    "", queue_name(queue), body, properties, mandatory=True
                )
                return
            except (pika.exceptions.AMQPConnectionError, pika.exceptions.ChannelClosed):
                self._local.channel = None
                if attempt == 2:
                    raise

    def enqueue(self, task: Task[P, T], args: P.args, kwargs: P.kwargs) -> TaskResult[T]:  # type: ignore[valid-type]
        self.validate_task(task)
        result: TaskResult[T] = TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=normalize_json(args),
            kwargs=normalize_json(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        body = json.dumps(
            {
                "id": result.id,
                "task": task.module_path,
                "args": result.args,
                "kwargs": result.kwargs,
                "enqueued_at": result.enqueued_at.isoformat() if result.enqueued_at else None,
            }
        ).encode()
        self._publish(task.queue_name, body)
        return result


def run_message(body: bytes) -> None:
    """Run one task message. A bad message or a failing task is logged, never raised: the
    message is acknowledged either way (a poison message must not loop forever)."""
    close_old_connections()
    try:
        message = json.loads(body)
        task = import_string(message["task"])
        task.call(*message.get("args", []), **message.get("kwargs", {}))
    except Exception:
        logger.exception("task message failed: %s", body[:500])
    finally:
        close_old_connections()


def consume(
    queues: list[str], *, burst: bool = False, should_stop: Callable[[], bool] | None = None
) -> int:
    """Run task messages from ``queues`` (``*``: all), one at a time, until stopped.

    ``burst``: stop when the queues are empty (``ioc worker --once``). Returns how many
    messages ran. A lost broker connection is reopened after a pause."""
    names = [q for q in queues if q != "*"] or list(settings.TASKS["default"]["QUEUES"])
    ran = 0
    while not (should_stop and should_stop()):
        try:
            connection = pika.BlockingConnection(_parameters())
        except pika.exceptions.AMQPConnectionError:
            if burst:
                raise
            logger.warning("RabbitMQ unreachable; trying again in 5 s")
            threading.Event().wait(5)
            continue
        try:
            channel = connection.channel()
            channel.basic_qos(prefetch_count=1)
            for name in names:
                channel.queue_declare(queue_name(name), durable=True)
            while not (should_stop and should_stop()):
                got = False
                for name in names:
                    method, _properties, body = channel.basic_get(queue_name(name))
                    if method is None:
                        continue
                    got = True
                    run_message(body)
                    channel.basic_ack(method.delivery_tag)
                    ran += 1
                if not got:
                    if burst:
                        return ran
                    connection.sleep(0.5)
        except pika.exceptions.AMQPConnectionError:
            logger.warning("RabbitMQ connection lost; reconnecting")
        finally:
            if connection.is_open:
                connection.close()
    return ran
