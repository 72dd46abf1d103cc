"""The scheduler: decide and dispatch 30,000 due connections.

    IOC_VAR_DIR=/tmp/bench-sched .venv/bin/python benchmarks/scheduler.py [--connections N]

Runs against a fresh SQLite database in IOC_VAR_DIR (migrated here) with the database task
backend (the embedded default): one tick finds the due connections, moves their next run
forward (half on intervals, a tenth on cron schedules in Asia/Ho_Chi_Minh) and enqueues them
in chunks. Prints the best and median of several ticks.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ioc.settings")
os.environ.setdefault("IOC_VAR_DIR", os.path.join(tempfile.gettempdir(), "ioc-bench-sched"))
os.environ["IOC_TASKS_BACKEND"] = "database"

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from ioc.core.models import AdministrativeUnit, Agency, Sector  # noqa: E402
from ioc.integrations import scheduler  # noqa: E402
from ioc.integrations.models import Connection, SchedulerLease  # noqa: E402
from ioc.warehouse.models import Dataset  # noqa: E402
from ioc.warehouse.schema import parse_schema  # noqa: E402
from ioc.warehouse.services import create_dataset  # noqa: E402


def setup(n: int) -> None:
    call_command("migrate", verbosity=0)
    unit, _ = AdministrativeUnit.objects.get_or_create(
        code="74", defaults={"name": "Tỉnh Bình Dương", "level": 1, "in_area": True}
    )
    sector, _ = Sector.objects.get_or_create(code="y-te", defaults={"name": "Y tế"})
    agency, _ = Agency.objects.get_or_create(
        code="so-y-te", defaults={"name": "Sở Y tế", "kind": "department", "unit": unit}
    )
    dataset = Dataset.objects.filter(slug="bench").first() or create_dataset(
        actor=None,
        slug="bench",
        name="bench",
        schema=parse_schema({"columns": [{"name": "a", "type": "text"}]}),
        sector_id=sector.pk,
        owner_id=agency.pk,
    )
    Connection.objects.all().delete()
    Connection.objects.bulk_create(
        (
            Connection(
                name=f"kết nối {i}",
                kind="file",
                dataset=dataset,
                config={"path": f"/srv/drop/{i}"},
                interval_minutes=None if i % 10 == 0 else [5, 15, 60, 1440][i % 4],
                cron="*/30 * * * *" if i % 10 == 0 else "",
            )
            for i in range(n)
        ),
        batch_size=5_000,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup(args.connections)
    times = []
    for _ in range(args.repeat):
        Connection.objects.update(next_run_at=None)
        DBTaskResult.objects.all().delete()
        SchedulerLease.objects.all().delete()
        now = timezone.now()
        started = time.perf_counter()
        dispatched = scheduler.tick(now)
        times.append(time.perf_counter() - started)
        assert dispatched == args.connections, dispatched
    tasks = DBTaskResult.objects.count()
    print(f"connections due and dispatched   {args.connections:>8}")
    print(f"tasks enqueued (chunks of {scheduler.CHUNK})    {tasks:>8}")
    print(f"tick, best                       {min(times):8.3f}s")
    print(f"tick, median of {args.repeat}                {statistics.median(times):8.3f}s")
    print(f"target: under 1 s                {'met' if min(times) < 1 else 'NOT met'}")
    shutil.rmtree(os.environ["IOC_VAR_DIR"], ignore_errors=True)


if __name__ == "__main__":
    main()
