"""ioc connections list|check|run|replay: data connections on the command line.

ioc connections list [--json]
ioc connections check ID                 test the source without loading
ioc connections run ID [--json]          one sync run now
ioc connections replay DATASET [--connection ID]   re-map the quarantine
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ioc.core.progress import ProgressBar
from ioc.integrations.connectors.base import ConnectorError
from ioc.integrations.models import Connection, SyncRun, Trigger
from ioc.integrations.services import connector_for, replay_quarantine, run_connection
from ioc.warehouse.models import Dataset


def _connection(pk: str) -> Connection:
    connection = (
        Connection.objects.select_related("dataset").filter(pk=pk).first() if pk.isdigit() else None
    )
    if connection is None:
        raise CommandError(f"Không có kết nối '{pk}' / no connection '{pk}'")
    return connection


def run_summary(run: SyncRun) -> dict[str, Any]:
    return {
        "run": run.pk,
        "status": run.status,
        "read": run.rows_read,
        "accepted": run.rows_accepted,
        "rejected": run.rows_rejected,
        "seconds": round(run.duration or 0.0, 3),
        "error": run.error,
    }


class Command(BaseCommand):
    help = "List, check and run data connections; replay a dataset's quarantine."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Every connection with its health.")
        listing.add_argument("--json", action="store_true")
        check = sub.add_parser("check", help="Test a connection's source.")
        check.add_argument("id")
        run = sub.add_parser("run", help="Run a connection now.")
        run.add_argument("id")
        run.add_argument("--json", action="store_true")
        replay = sub.add_parser("replay", help="Map a dataset's quarantined rows again.")
        replay.add_argument("dataset")
        replay.add_argument("--connection", help="Only the rows from this connection.")
        replay.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        getattr(self, f"do_{opts['action']}")(opts)

    def do_list(self, opts: dict[str, Any]) -> None:
        rows = [
            {
                "id": c.pk,
                "name": c.name,
                "kind": c.kind,
                "dataset": c.dataset.slug,
                "state": c.state,
                "interval_minutes": c.interval_minutes,
                "last_success_at": c.last_success_at.isoformat() if c.last_success_at else None,
                "last_error": c.last_error,
                "failures": c.failures,
            }
            for c in Connection.objects.select_related("dataset").order_by("pk")
        ]
        if opts["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for row in rows:
            self.stdout.write(
                f"{row['id']:>6}  {row['kind']:<8} {row['state']:<8}"
                f" {row['dataset']:<28} {row['name']}"
            )

    def do_check(self, opts: dict[str, Any]) -> None:
        connection = _connection(opts["id"])
        try:
            result = connector_for(connection).check()
        except (ConnectorError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"OK: {result}")

    def _report(self, run: SyncRun, as_json: bool) -> None:
        summary = run_summary(run)
        if as_json:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        else:
            self.stdout.write(
                f"run #{run.pk} {run.status}: đọc/read {run.rows_read}, nhận/accepted"
                f" {run.rows_accepted}, loại/rejected {run.rows_rejected}"
            )
        if run.error:
            raise CommandError(run.error)

    def do_run(self, opts: dict[str, Any]) -> None:
        connection = _connection(opts["id"])
        bar = ProgressBar(unit="rows", stream=sys.stderr, enabled=not opts["json"])
        run = run_connection(
            connection, trigger=Trigger.MANUAL, progress=lambda rows, _b: bar.update(rows)
        )
        bar.close()
        self._report(run, opts["json"])

    def do_replay(self, opts: dict[str, Any]) -> None:
        dataset = Dataset.objects.filter(slug=opts["dataset"]).first()
        if dataset is None:
            raise CommandError(
                f"Không có bộ dữ liệu '{opts['dataset']}' / no dataset '{opts['dataset']}'"
            )
        connection = _connection(opts["connection"]) if opts["connection"] else None
        run = replay_quarantine(dataset, connection=connection)
        self._report(run, opts["json"])
