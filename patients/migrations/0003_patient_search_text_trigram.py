"""One trigram index for patient search on PostgreSQL: the search matches every word case-insensitively against
name, email and phone joined by spaces (patients.models.search_text), which PostgreSQL answers from this one GIN
index instead of combining the four per-column indexes of migration 0002 (kept: the admin's search uses them).

The index must be on exactly the expression Django writes for `search_text__icontains`, so it is compiled from
the same Concat here (frozen: a later change to search_text needs a new migration, and
tests/patients/test_search.py fails on PostgreSQL until then). SQLite has no pg_trgm: there this does nothing.
"""

from django.db import migrations
from django.db.models import CharField, Value
from django.db.models.functions import Concat
from django.db.models.sql import Query
from psycopg import ClientCursor

NAME = "patient_search_text_trgm"


def search_text_sql(model, connection) -> str:
    text = Concat(
        "first_name", Value(" "), "last_name", Value(" "), "email", Value(" "), "phone", output_field=CharField()
    )
    query = Query(model)
    sql, params = query.get_compiler(connection=connection).compile(text.resolve_expression(query))
    connection.ensure_connection()
    # The parameters (the spaces) written into the statement, as the client-side cursor would send them.
    return ClientCursor(connection.connection).mogrify(sql, params)


def add_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    text = search_text_sql(apps.get_model("patients", "Patient"), connection)
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NAME} ON patients_patient USING gin ((UPPER(({text})::text)) gin_trgm_ops)"
    )


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_patient_search_trigram")]
    operations = [migrations.RunPython(add_index, remove_index)]
