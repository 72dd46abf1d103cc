"""The audit log refuses UPDATE (and DELETE on PostgreSQL) at the database itself.

On SQLite, DELETE stays possible at the SQL level because Django's test flush uses it; the
ORM refuses it (AuditEntry.delete, AuditEntryQuerySet.delete). On PostgreSQL, the test flush
uses TRUNCATE, which row-level triggers do not see.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "CREATE TRIGGER IF NOT EXISTS core_auditentry_no_update BEFORE UPDATE ON "
            "core_auditentry BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
        )
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$;"
        )
        schema_editor.execute(
            "CREATE TRIGGER core_auditentry_no_change BEFORE UPDATE OR DELETE ON "
            "core_auditentry FOR EACH ROW EXECUTE FUNCTION core_auditentry_append_only();"
        )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS core_auditentry_no_update")
    elif vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS core_auditentry_no_change ON core_auditentry"
        )
        schema_editor.execute("DROP FUNCTION IF EXISTS core_auditentry_append_only()")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
