"""Patient search ignores accents and case (patients.search): PostgreSQL folds with the `unaccent` extension inside
the immutable SQL function `clinic_fold` (unaccent itself is only stable, so an index cannot hold it), and one
trigram index on the folded search text serves both LIKE and the typo operator `<%`. It replaces the index on
UPPER(search text), which nothing reads any more. SQLite gets clinic_fold from Python (clinic.text), no index.
"""

import clinic.db
import clinic.text
import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations, models

CREATE_FOLD = """
CREATE OR REPLACE FUNCTION clinic_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$
"""


def create_fold(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
        schema_editor.execute(CREATE_FOLD)


def drop_fold(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS clinic_fold(text)")


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0006_trigram_indexes_declared'),
    ]

    operations = [
        migrations.RunPython(create_fold, drop_fold),
        migrations.RemoveIndex(
            model_name='patient',
            name='patient_search_text_trgm',
        ),
        migrations.AddIndex(
            model_name='patient',
            index=clinic.db.PostgresGinIndex(django.contrib.postgres.indexes.OpClass(clinic.text.Folded(django.db.models.functions.text.Concat('first_name', models.Value(' '), 'last_name', models.Value(' '), 'email', models.Value(' '), 'phone', output_field=models.CharField())), name='gin_trgm_ops'), name='patient_search_folded_trgm'),
        ),
    ]
