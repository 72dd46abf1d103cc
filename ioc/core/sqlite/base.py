"""Django's SQLite backend, with writers queued instead of polling.

SQLite lets one transaction write at a time. The web processes' threads (docs/adr/0010),
the task worker and the scheduler all write; when several ask for the write lock at once,
SQLite's busy handler makes each loser sleep and try again (1, 2, 5 ... 100 ms), so a busy
minute turned into multi-second waits although each write takes a millisecond or two.

Here a transaction first takes a lock of this process (a thread queue) and a lock of the
database file for all processes (``flock`` on ``<database>-writer``: the kernel wakes the
next waiter the moment it is released), then ``BEGIN IMMEDIATE``. Both are released at
commit, rollback or close. A write outside a transaction (an autocommit INSERT, UPDATE or
DELETE) takes its turn the same way, for that one statement.

Used by the embedded default (``IOC_DATABASE_URL`` empty); PostgreSQL needs none of this.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

WAIT_SECONDS = 30  # as long as the slowest write the platform makes, with room

_guard = threading.Lock()
_queues: dict[str, tuple[int, threading.Lock, int]] = {}  # path: (pid, lock, descriptor)


def _queue(path: str) -> tuple[threading.Lock, int]:
    with _guard:
        found = _queues.get(path)
        if found is None or found[0] != os.getpid():  # a forked child opens its own
            fd = os.open(f"{path}-writer", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            found = _queues[path] = (os.getpid(), threading.Lock(), fd)
        return found[1], found[2]


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class QueuedCursor(base.SQLiteCursorWrapper):
    owner: DatabaseWrapper

    def execute(self, query: str, params: Any = None) -> Any:
        with self.owner.turn_for(query):
            return super().execute(query, params)

    def executemany(self, query: str, param_list: Any) -> Any:
        with self.owner.turn_for(query):
            return super().executemany(query, param_list)


class DatabaseWrapper(base.DatabaseWrapper):
    _writing: tuple[threading.Lock, int] | None = None

    def create_cursor(self, name: str | None = None) -> QueuedCursor:
        cursor: QueuedCursor = self.connection.cursor(factory=QueuedCursor)
        cursor.owner = self
        return cursor

    @contextmanager
    def turn_for(self, query: str) -> Iterator[None]:
        """A write in autocommit mode waits its turn like a transaction."""
        if (
            self._writing is not None
            or self.in_atomic_block
            or not query.lstrip()[:7].upper().startswith(WRITES)
            or self.is_in_memory_db()
        ):
            yield
            return
        self._take()
        try:
            yield
        finally:
            self._give_back()

    def _start_transaction_under_autocommit(self) -> None:
        if not self.is_in_memory_db():
            self._take()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._give_back()
            raise

    def _take(self) -> None:
        lock, fd = _queue(str(self.settings_dict["NAME"]))
        if not lock.acquire(timeout=WAIT_SECONDS):
            raise OperationalError("database is locked (waited for the writer's turn)")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            lock.release()
            raise
        self._writing = (lock, fd)

    def _give_back(self) -> None:
        held, self._writing = self._writing, None
        if held is not None:
            lock, fd = held
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                lock.release()

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._give_back()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._give_back()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._give_back()
