"""The audit log cannot be rewritten: not through the ORM, not with raw SQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from ioc.core.audit import record
from ioc.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry() -> AuditEntry:
    return record(actor=None, action="action", object_repr="original", message="original")


def test_orm_refuses_update_and_delete(entry: AuditEntry) -> None:
    entry.message = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(message="rewritten")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    fresh = AuditEntry.objects.get(pk=entry.pk)
    assert fresh.message == "original"


def test_sql_update_is_refused(entry: AuditEntry) -> None:
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET message = %s WHERE id = %s", ["x", entry.pk])  # noqa: S608
    assert AuditEntry.objects.get(pk=entry.pk).message == "original"


def test_sql_delete_is_refused_where_the_database_can(entry: AuditEntry) -> None:
    """PostgreSQL refuses DELETE too. SQLite keeps DELETE possible at the SQL level (Django's
    test flush needs it; see core migration 0002), so there the ORM is the guard."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    if connection.vendor == "postgresql":
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [entry.pk])  # noqa: S608
        assert AuditEntry.objects.filter(pk=entry.pk).exists()
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [AuditEntry._meta.db_table],
            )
            triggers = {row[0] for row in cursor.fetchall()}
        assert "core_auditentry_no_update" in triggers
    else:  # pragma: no cover
        pytest.fail(f"no append-only guard known for {connection.vendor}")
