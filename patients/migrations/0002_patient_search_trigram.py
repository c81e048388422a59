"""Trigram indexes so that patient search (`?search=` on name, email, phone) stays fast on PostgreSQL.

The API's search is a case-insensitive substring match (Django's `icontains`), which PostgreSQL writes as
`UPPER(column::text) LIKE UPPER('%term%')`. A leading wildcard defeats a btree index; a GIN trigram index on
exactly that expression serves it (and prefix and equality matches too). SQLite has no pg_trgm: there this
migration does nothing, and the model state is unchanged, so makemigrations stays clean on both backends.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

COLUMNS = ("first_name", "last_name", "email", "phone")


def index_name(column: str) -> str:
    return f"patient_{column}_trgm"


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {index_name(column)} ON patients_patient "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def remove_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index_name(column)}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]
    # The extension as an operation (it was a CREATE EXTENSION inside add_indexes): the same database, and
    # migrating back drops it only after the indexes that need it.
    operations = [TrigramExtension(), migrations.RunPython(add_indexes, remove_indexes)]
