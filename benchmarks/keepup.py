"""Does the scheduler keep up with 28,881 connections on their schedules?

    IOC_VAR_DIR=/tmp/full .venv/bin/ioc demo --scale full        # once: the full-scale demo
    IOC_VAR_DIR=/tmp/full .venv/bin/python benchmarks/keepup.py [--sample 1000]

On the full-scale demo (its 28,881 connections, most of them agencies' daily reporting
channels, and the warehouse with 280 million rows), ``--sample`` reporting connections are
made due now, and each one's agency has just dropped its daily file (a few rows of its
dataset, Vietnamese formats). Then the real path runs, as `ioc serve` runs it: one scheduler
tick dispatches them through the database task backend and a task worker syncs them (read,
map, validate, upsert into the 280-million-row warehouse file, record the run).

The figure is runs per second, against the rate the schedules ask for: every connection's
runs per day, summed, divided by 86,400. Keeping up means a margin above 1; the margin also
says how fast a backlog clears (after an outage of H hours, H / margin hours).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ioc.settings")
os.environ["IOC_TASKS_BACKEND"] = "database"

import django

django.setup()

from django.db.models import Count, Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from ioc.core.models import AdministrativeUnit  # noqa: E402
from ioc.integrations import scheduler  # noqa: E402
from ioc.integrations.models import Connection, RunStatus, SyncRun  # noqa: E402
from ioc.integrations.worker import make_task_worker  # noqa: E402
from ioc.warehouse.schema import ColumnType, Role  # noqa: E402

SAMPLE_VALUES = {
    ColumnType.TEXT: "Mẫu",
    ColumnType.INTEGER: "12",
    ColumnType.DECIMAL: "3,5",
    ColumnType.BOOLEAN: "có",
    ColumnType.TIMESTAMP: "2026-11-26T08:00:00",
}


def daily_file(connection: Connection, n: int, unit: str) -> None:
    """The agency's file for today: a few rows with the dataset's labels as headers."""
    schema = connection.dataset.parsed_schema
    folder = connection.config["path"]
    lines = [";".join(c.label or c.name for c in schema.columns)]
    for row in range(3):
        cells = []
        for c in schema.columns:
            if c.role == Role.UNIT:
                cells.append(unit)
            elif c.type == ColumnType.DATE:
                cells.append(f"{1 + (n + row) % 28:02d}/10/2026")
            elif c.role == Role.DIMENSION:
                cells.append(f"Mẫu {row}")
            else:
                cells.append(SAMPLE_VALUES[c.type])
        lines.append(";".join(cells))
    with open(os.path.join(folder, f"bao_cao_{n}.csv"), "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def required_rate() -> float:
    """Runs per second that the active connections' schedules ask for."""
    per_day = 0.0
    for minutes, count in (
        Connection.objects.filter(state="active", interval_minutes__isnull=False)
        .values_list("interval_minutes")
        .annotate(n=Count("id"))
    ):
        per_day += count * 1440 / minutes
    cron = Connection.objects.filter(state="active").exclude(cron="").count()
    return (per_day + cron) / 86_400  # cron ones counted as daily


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", type=int, default=1000)
    args = parser.parse_args()

    total = Connection.objects.count()
    reporting = Connection.objects.filter(name__startswith="Điểm báo cáo ").select_related(
        "dataset"
    )
    if reporting.count() < args.sample:
        raise SystemExit("run `ioc demo --scale full` in this IOC_VAR_DIR first")
    unit_code = (
        AdministrativeUnit.objects.filter(in_area=True, level=3, valid_to__isnull=True)
        .values_list("code", flat=True)
        .first()
    )
    chosen = list(reporting.order_by("?")[: args.sample])
    for n, connection in enumerate(chosen):
        daily_file(connection, n, unit_code)
    now = timezone.now()
    # Only the sample is due: everything else waits for its own time.
    Connection.objects.filter(~Q(pk__in=[c.pk for c in chosen])).update(
        next_run_at=now + dt.timedelta(hours=6)
    )
    Connection.objects.filter(pk__in=[c.pk for c in chosen]).update(next_run_at=now)
    before = SyncRun.objects.count()

    started = time.monotonic()
    dispatched = scheduler.tick()
    ticked = time.monotonic() - started
    make_task_worker(queues=["*"], interval=0, batch=True).run()
    elapsed = time.monotonic() - started

    runs = SyncRun.objects.filter(pk__gt=before) if before else SyncRun.objects.all()
    ok = runs.filter(status=RunStatus.SUCCEEDED).count()
    accepted = sum(runs.values_list("rows_accepted", flat=True))
    need = required_rate()
    rate = ok / elapsed
    print(f"connections in all: {total:,}; schedules ask for {need:.2f} runs/s")
    print(f"tick: {dispatched} dispatched in {ticked:.2f} s")
    print(
        f"{ok} of {len(chosen)} runs succeeded ({accepted} rows) in {elapsed:.1f} s:"
        f" {rate:.1f} runs/s, {1000 * elapsed / max(ok, 1):.0f} ms per run"
    )
    print(f"margin: {rate / need:.0f}x the rate the schedules ask for")


if __name__ == "__main__":
    main()
