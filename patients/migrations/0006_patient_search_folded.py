"""Patient search ignores accents and case (patients.search): PostgreSQL folds with the `unaccent` extension inside
the immutable SQL function `clinic_fold` (unaccent itself is only stable, so an index cannot hold it), and one
trigram index on the folded search text serves both LIKE and the typo operator `<%`. It replaces migration 0003's
index on UPPER(search text), which nothing reads any more. SQLite gets clinic_fold from Python (clinic.text).
"""

from django.db import migrations
from django.db.models import CharField, Func, Value
from django.db.models.functions import Concat
from django.db.models.sql import Query
from psycopg import ClientCursor

NAME = "patient_search_folded_trgm"
OLD_NAME = "patient_search_text_trgm"

CREATE_FOLD = """
CREATE OR REPLACE FUNCTION clinic_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$
"""


def folded_search_text_sql(model, connection) -> str:
    """patients.search.folded_search_text() compiled, frozen here: a change there needs a new migration."""
    text = Func(
        Concat("first_name", Value(" "), "last_name", Value(" "), "email", Value(" "), "phone", output_field=CharField()),
        function="clinic_fold",
        output_field=CharField(),
    )
    query = Query(model)
    sql, params = query.get_compiler(connection=connection).compile(text.resolve_expression(query))
    connection.ensure_connection()
    return ClientCursor(connection.connection).mogrify(sql, params)


def add_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
    schema_editor.execute(CREATE_FOLD)
    text = folded_search_text_sql(apps.get_model("patients", "Patient"), connection)
    schema_editor.execute(f"DROP INDEX IF EXISTS {OLD_NAME}")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON patients_patient USING gin (({text}) gin_trgm_ops)")


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0005_patientcondition_source_verified")]
    operations = [migrations.RunPython(add_index, remove_index)]
