"""A task enqueued with the data it belongs to exists exactly when that data commits."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from ioc.jobs.queue import enqueue_with_commit

# Not a transactional test: each test runs inside the test's transaction, so the blocks below
# are savepoints (a rollback of one is a rollback of the data and of the task alike), and the
# commit is the one django_capture_on_commit_callbacks stands in for.
pytestmark = pytest.mark.django_db

RAN: list[str] = []


@task()
def remember_word(word: str) -> None:
    RAN.append(word)


def queued() -> list[Any]:
    return [
        row.args_kwargs["args"]
        for row in DBTaskResult.objects.filter(task_path=remember_word.module_path)
    ]


def test_on_the_database_queue_the_task_is_written_in_the_same_transaction() -> None:
    with transaction.atomic():
        enqueue_with_commit(remember_word, "một")
        assert queued() == [["một"]]  # inside the transaction, before its commit
    assert queued() == [["một"]]

    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_with_commit(remember_word, "hai")
        raise RuntimeError("the data is rolled back")
    assert queued() == [["một"]]  # and its task with it


def test_on_another_queue_the_task_is_sent_after_the_commit(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    RAN.clear()
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_with_commit(remember_word, "ba")
        assert RAN == []  # not while the data may still roll back
    assert RAN == ["ba"]
    assert queued() == []
