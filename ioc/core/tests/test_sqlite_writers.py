"""The embedded database's writers wait their turn (ioc.core.sqlite) instead of failing or
sleeping on SQLite's busy handler: a transaction that holds the write lock longer than the
busy timeout makes the next writer wait, not fail. On a database of its own, so it runs on
both test passes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connections, transaction

ALIAS = "writers_queue"


@pytest.fixture
def database(tmp_path: Path, django_db_blocker: Any) -> Iterator[Any]:
    def use(engine: str) -> None:
        connections.settings[ALIAS] = connections.configure_settings(
            {
                "default": connections.settings["default"],
                ALIAS: {
                    "ENGINE": engine,
                    "NAME": str(tmp_path / f"{engine}.sqlite3"),
                    "OPTIONS": {
                        "transaction_mode": "IMMEDIATE",
                        # a busy timeout far shorter than the first writer's transaction
                        "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=50",
                    },
                },
            }
        )[ALIAS]
        with connections[ALIAS].cursor() as cursor:
            cursor.execute("CREATE TABLE rows (writer TEXT)")
        connections[ALIAS].close()

    with django_db_blocker.unblock():
        yield use
        connections[ALIAS].close()
    del connections.settings[ALIAS]
    del connections[ALIAS]


def two_writers() -> tuple[list[str], list[BaseException]]:
    """A writes and keeps its transaction open 0.4 s; B starts writing meanwhile."""
    errors: list[BaseException] = []
    started = threading.Event()

    def writer(name: str, hold: float) -> None:
        try:
            with transaction.atomic(using=ALIAS):
                connections[ALIAS].cursor().execute("INSERT INTO rows VALUES (%s)", [name])
                started.set()
                time.sleep(hold)
        except BaseException as error:  # reported to the test
            errors.append(error)
        finally:
            started.set()
            connections[ALIAS].close()

    first = threading.Thread(target=writer, args=("A", 0.4))
    first.start()
    started.wait(5)
    second = threading.Thread(target=writer, args=("B", 0))
    second.start()
    first.join(10)
    second.join(10)
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("SELECT writer FROM rows ORDER BY rowid")
        written = [row[0] for row in cursor.fetchall()]
    return written, errors


def test_django_s_sqlite_fails_the_second_writer(database):
    database("django.db.backends.sqlite3")
    written, errors = two_writers()
    assert written == ["A"]
    assert len(errors) == 1 and isinstance(errors[0], OperationalError), errors


def test_queued_writers_wait_their_turn(database):
    database("ioc.core.sqlite")
    written, errors = two_writers()
    assert errors == []
    assert written == ["A", "B"]


def test_a_write_outside_a_transaction_waits_its_turn_too(database):
    database("ioc.core.sqlite")
    holding = threading.Event()
    errors: list[BaseException] = []

    def holder() -> None:
        with transaction.atomic(using=ALIAS):
            connections[ALIAS].cursor().execute("INSERT INTO rows VALUES ('A')")
            holding.set()
            time.sleep(0.4)
        connections[ALIAS].close()

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(5)
    try:  # autocommit: one statement, no BEGIN of ours
        connections[ALIAS].cursor().execute("INSERT INTO rows VALUES ('B')")
    except OperationalError as error:
        errors.append(error)
    thread.join(10)
    assert errors == []
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("SELECT writer FROM rows ORDER BY rowid")
        assert [row[0] for row in cursor.fetchall()] == ["A", "B"]
