"""Patient search finds a name one letter off (patients.search): PostgreSQL measures edits with the `fuzzystrmatch`
extension's levenshtein, word by word of the folded search text, in the immutable SQL function
`clinic_edit_distance`; SQLite gets the same function from Python (clinic.text)."""

from django.db import migrations

CREATE_EDIT_DISTANCE = """
CREATE OR REPLACE FUNCTION clinic_edit_distance(word text, body text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT min(public.levenshtein(left(word, 255), token))
  FROM unnest(string_to_array(body, ' ')) AS token
  WHERE token <> '' AND length(token) <= 255
$$
"""


def create_edit_distance(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch SCHEMA public")
        schema_editor.execute(CREATE_EDIT_DISTANCE)


def drop_edit_distance(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS clinic_edit_distance(text, text)")


class Migration(migrations.Migration):

    dependencies = [
        ("patients", "0012_patient_source"),
    ]

    operations = [
        migrations.RunPython(create_edit_distance, drop_edit_distance),
    ]
