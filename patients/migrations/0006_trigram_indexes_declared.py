"""The trigram indexes of patient search, declared in Patient.Meta instead of raw SQL (migrations 0002, 0003).

On PostgreSQL the raw indexes are dropped and the declared ones, of the same names on the same expressions, are
created (the table's rows are untouched; only the indexes are rebuilt). Migrating back puts the raw ones back.
On SQLite there were none and there are none (clinic.db.PostgresGinIndex writes nothing there).
"""

import importlib

import django.contrib.postgres.indexes
import django.db.models.functions.comparison
import django.db.models.functions.text
from django.db import migrations, models

import clinic.db

RAW_INDEXES = ("patient_first_name_trgm", "patient_last_name_trgm", "patient_email_trgm", "patient_phone_trgm")
RAW_SEARCH_INDEX = "patient_search_text_trgm"


def drop_raw_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in (*RAW_INDEXES, RAW_SEARCH_INDEX):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def create_raw_indexes(apps, schema_editor):
    importlib.import_module("patients.migrations.0002_patient_search_trigram").add_indexes(apps, schema_editor)
    importlib.import_module("patients.migrations.0003_patient_search_text_trigram").add_index(apps, schema_editor)


def trigram(expression, name):
    return clinic.db.PostgresGinIndex(
        django.contrib.postgres.indexes.OpClass(
            django.db.models.functions.text.Upper(
                django.db.models.functions.comparison.Cast(expression, models.TextField())
            ),
            name="gin_trgm_ops",
        ),
        name=name,
    )


SEARCH_TEXT = django.db.models.functions.text.Concat(
    "first_name",
    models.Value(" "),
    "last_name",
    models.Value(" "),
    "email",
    models.Value(" "),
    "phone",
    output_field=models.CharField(),
)


class Migration(migrations.Migration):
    dependencies = [("patients", "0005_patientcondition_source_verified")]

    operations = [
        migrations.RunPython(drop_raw_indexes, create_raw_indexes),
        migrations.AddIndex(model_name="patient", index=trigram(SEARCH_TEXT, "patient_search_text_trgm")),
        migrations.AddIndex(model_name="patient", index=trigram("first_name", "patient_first_name_trgm")),
        migrations.AddIndex(model_name="patient", index=trigram("last_name", "patient_last_name_trgm")),
        migrations.AddIndex(model_name="patient", index=trigram("email", "patient_email_trgm")),
        migrations.AddIndex(model_name="patient", index=trigram("phone", "patient_phone_trgm")),
    ]
