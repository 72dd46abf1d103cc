"""The scheduler and the task worker, on the real database backend of Django's tasks API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from ioc.integrations import scheduler
from ioc.integrations.models import Connection, ConnectionState, RunStatus, SyncRun

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)  # 16:00 in Hồ Chí Minh City


COLUMNS = [{"name": "ngay", "type": "date"}, {"name": "mm", "type": "decimal"}]


@pytest.fixture
def dataset(make_dataset: Any) -> Any:
    return make_dataset("mua", COLUMNS)


def make(dataset: Any, n: int, **kw: Any) -> list[Connection]:
    return Connection.objects.bulk_create(
        Connection(name=f"c{i}", kind="file", dataset=dataset, config={"path": "/nowhere"}, **kw)
        for i in range(n)
    )


def test_due_connections_are_dispatched_in_chunks_once(dataset: Any) -> None:
    make(dataset, 1200, interval_minutes=60)
    make(dataset, 3, interval_minutes=None)  # on demand only
    make(dataset, 2, interval_minutes=5, state=ConnectionState.PAUSED)
    Connection.objects.create(name="đẩy", kind="push", dataset=dataset, interval_minutes=5)
    assert scheduler.tick(NOW) == 1200  # a push connection is never fetched
    assert DBTaskResult.objects.count() == 3  # 500 + 500 + 200
    args = sorted(len(r.args_kwargs["args"][0]) for r in DBTaskResult.objects.all())
    assert args == [200, 500, 500]
    assert set(
        Connection.objects.filter(interval_minutes=60).values_list("next_run_at", flat=True)
    ) == {NOW + dt.timedelta(hours=1)}
    assert scheduler.tick(NOW + dt.timedelta(minutes=59)) == 0  # nothing due twice
    assert scheduler.tick(NOW + dt.timedelta(minutes=60)) == 1200


def test_cron_is_read_in_the_connections_time_zone(dataset: Any) -> None:
    (conn,) = make(dataset, 1, cron="0 17 * * 1-5", next_run_at=NOW)
    scheduler.tick(NOW)
    conn.refresh_from_db()
    # 17:00 in Hồ Chí Minh City (UTC+7) is 10:00 UTC, the same Thursday.
    assert conn.next_run_at == dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
    friday = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
    assert scheduler.next_cron("0 17 * * 1-5", "Asia/Ho_Chi_Minh", conn.next_run_at) == friday
    monday = scheduler.next_cron("0 17 * * 1-5", "Asia/Ho_Chi_Minh", friday)
    assert monday == dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)


def test_only_the_lease_holder_ticks(dataset: Any) -> None:
    make(dataset, 5, interval_minutes=10)
    assert scheduler.acquire_lease(NOW, holder="a")
    assert scheduler.tick(NOW, holder="b") == 0
    assert scheduler.tick(NOW + scheduler.LEASE + dt.timedelta(seconds=1), holder="b") == 5


@pytest.mark.parametrize(
    ("interval", "cron", "tz", "message"),
    [
        (5, "0 * * * *", "Asia/Ho_Chi_Minh", "not both"),
        (None, "every day at 5", "Asia/Ho_Chi_Minh", "invalid cron schedule"),
        (None, "0 17 * * *", "Mars/Olympus", "unknown time zone"),
    ],
)
def test_bad_schedules_are_refused_in_both_languages(interval, cron, tz, message) -> None:
    with pytest.raises(scheduler.ScheduleError, match=message):
        scheduler.validate(interval, cron, tz)


def test_backoff_doubles_and_never_passes_the_next_run() -> None:
    later = NOW + dt.timedelta(hours=1)
    assert scheduler.retry_at(1, NOW, later) == NOW + dt.timedelta(minutes=1)
    assert scheduler.retry_at(3, NOW, later) == NOW + dt.timedelta(minutes=4)
    assert scheduler.retry_at(9, NOW, later) == later


@pytest.mark.django_db(transaction=True)
def test_worker_once_runs_what_the_scheduler_dispatched(make_dataset: Any, tmp_path: Any) -> None:
    dataset = make_dataset(
        "mua", [{"name": "ngay", "type": "date"}, {"name": "mm", "type": "decimal"}]
    )
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.csv").write_text("ngay;mm\n01/11/2026;12,5\n02/11/2026;3\n")
    good = Connection.objects.create(
        name="Trạm mưa",
        kind="file",
        dataset=dataset,
        config={"path": str(drop)},
        interval_minutes=30,
    )
    bad = Connection.objects.create(
        name="Hỏng",
        kind="file",
        dataset=dataset,
        config={"path": str(tmp_path / "x")},
        interval_minutes=30,
    )
    call_command("worker", "--once")
    assert SyncRun.objects.get(connection=good).status == RunStatus.SUCCEEDED
    assert SyncRun.objects.get(connection=good).rows_accepted == 2
    failed = SyncRun.objects.get(connection=bad)
    assert failed.status == RunStatus.FAILED
    bad.refresh_from_db()
    assert bad.failures == 1
    # It comes back in a minute, not in half an hour.
    assert bad.next_run_at - bad.last_error_at < dt.timedelta(minutes=1, seconds=5)
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@pytest.fixture
def rain_station(make_dataset: Any, tmp_path: Any) -> Connection:
    """A drop-folder connection every 30 minutes, due now, with one row waiting."""
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.csv").write_text("ngay;mm\n01/11/2026;12,5\n")
    return Connection.objects.create(
        name="Trạm mưa",
        kind="file",
        dataset=make_dataset("mua", COLUMNS),
        config={"path": str(drop)},
        interval_minutes=30,
    )


@pytest.mark.django_db(transaction=True)
def test_the_redis_backend_queues_in_real_redis_and_a_worker_runs_it(
    rain_station: Connection, settings: Any
) -> None:
    """IOC_TASKS_BACKEND=redis: the scheduler's chunk goes to an RQ queue in Redis and an
    `ioc worker` (here in-process, without fork) runs it."""
    import django_rq

    from ioc.conftest import port_open, require
    from ioc.integrations.worker import redis_worker

    require(port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    url = "redis://127.0.0.1:6379/15"
    settings.RQ_QUEUES = {name: {"URL": url} for name in ("default", "sync")}
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default", "sync"]}
    }
    django_rq.get_connection("sync").flushdb()
    try:
        assert scheduler.tick() == 1
        assert django_rq.get_queue("sync").count == 1  # waiting in Redis
        assert not SyncRun.objects.exists()
        redis_worker(["sync"], fork=False).work(burst=True)
        run = SyncRun.objects.get()
        assert (run.status, run.rows_accepted) == (RunStatus.SUCCEEDED, 1)
    finally:
        django_rq.get_connection("sync").flushdb()


@pytest.fixture
def rabbitmq(settings: Any) -> Any:
    """IOC_TASKS_BACKEND=rabbitmq on the real broker, with queues of this test's own."""
    import pika

    from ioc.conftest import port_open, require
    from ioc.integrations import amqp

    require(port_open("127.0.0.1", 5672), "RabbitMQ on 127.0.0.1:5672")
    settings.IOC_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
    settings.TASKS = {
        "default": {
            "BACKEND": "ioc.integrations.amqp.RabbitMQBackend",
            "QUEUES": ["default", "sync"],
            "OPTIONS": {"PREFIX": f"ioc-test-{uuid.uuid4().hex[:8]}."},
        }
    }
    connection = pika.BlockingConnection(pika.URLParameters(settings.IOC_AMQP_URL))
    channel = connection.channel()

    def waiting(queue: str) -> int:
        declared = channel.queue_declare(amqp.queue_name(queue), durable=True, passive=True)
        return int(declared.method.message_count)

    yield channel, waiting
    for queue in ("default", "sync"):
        channel.queue_delete(amqp.queue_name(queue))
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_the_rabbitmq_backend_queues_in_real_rabbitmq_and_a_worker_runs_it(
    rain_station: Connection, rabbitmq: Any
) -> None:
    """IOC_TASKS_BACKEND=rabbitmq: the scheduler's chunk is a persistent message on the
    broker until `ioc worker --once` runs it and acknowledges it."""
    _channel, waiting = rabbitmq
    assert scheduler.tick() == 1
    assert waiting("sync") == 1  # on the broker
    assert not SyncRun.objects.exists()
    call_command("worker", "--once", "--no-scheduler")
    run = SyncRun.objects.get()
    assert (run.status, run.rows_accepted) == (RunStatus.SUCCEEDED, 1)
    assert waiting("sync") == 0  # acknowledged


@pytest.mark.django_db(transaction=True)
def test_a_poison_message_is_logged_and_does_not_block_the_queue(
    rain_station: Connection, rabbitmq: Any, caplog: Any
) -> None:
    from ioc.integrations import amqp
    from ioc.integrations.tasks import sync_connections

    channel, waiting = rabbitmq
    conn = rain_station
    channel.queue_declare(amqp.queue_name("sync"), durable=True)
    channel.basic_publish("", amqp.queue_name("sync"), b"{not json")
    sync_connections.enqueue([conn.pk], "manual")
    assert waiting("sync") == 2
    assert amqp.consume(["sync"], burst=True) == 2
    assert "task message failed" in caplog.text
    assert SyncRun.objects.get().rows_accepted == 1
    assert waiting("sync") == 0
