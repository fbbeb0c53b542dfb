"""On PostgreSQL the database itself refuses UPDATE and DELETE on the case ledger, so
not even a direct SQL session can rewrite history unnoticed (verify_ledger still
catches what a superuser does after disabling the trigger).

TRUNCATE is not covered: it needs the table owner's privilege, which the application's
database role should not hold in production, and test databases are reset with it."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION cases_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'cases_caseevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_event_append_only
    BEFORE UPDATE OR DELETE ON cases_caseevent
    FOR EACH ROW EXECUTE FUNCTION cases_event_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS cases_event_append_only ON cases_caseevent;
DROP FUNCTION IF EXISTS cases_event_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_cases_and_ledger")]

    operations = [migrations.RunPython(forwards, backwards)]
