"""Database triggers that make a table append-only (used by migrations of audit logs and ledgers).

PostgreSQL refuses UPDATE and DELETE of a row (TRUNCATE, used only by test teardown, is not a row
operation). SQLite, the embedded default, refuses UPDATE only: Django's test flush deletes rows
there.
"""

from __future__ import annotations


def forbid_changes(table: str):
    """A `RunPython` pair (forwards, backwards) installing/removing the trigger on `table`."""

    def forwards(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(
                """
                CREATE OR REPLACE FUNCTION kudus_forbid_change() RETURNS trigger AS $$
                BEGIN
                    RAISE EXCEPTION '% on %: the table is append-only', TG_OP, TG_TABLE_NAME
                        USING ERRCODE = 'restrict_violation';
                END
                $$ LANGUAGE plpgsql
                """,
                params=None,  # no client-side interpolation: the body contains `%`
            )
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION kudus_forbid_change()"
            )
        elif vendor == "sqlite":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'UPDATE on {table}: the table is append-only'); END"
            )

    def backwards(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only")

    return forwards, backwards
