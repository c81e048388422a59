"""The access log moves here from the clinic app (clinic 0003 renamed its table to patients_accesslog).

Only the migration state changes: the table, its rows and its index are the ones clinic created. The content
type moves too, so permissions granted on the access log (and the groups holding them) are kept.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if content_type.objects.using(db).filter(app_label="patients", model="accesslog").exists():
        return
    content_type.objects.using(db).filter(app_label="clinic", model="accesslog").update(app_label="patients")


def move_content_type_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if content_type.objects.using(db).filter(app_label="clinic", model="accesslog").exists():
        return
    content_type.objects.using(db).filter(app_label="patients", model="accesslog").update(app_label="clinic")


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0003_patient_search_text_trigram"),
        ("clinic", "0003_access_log_moves_to_patients"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AccessLog",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("endpoint", models.CharField(max_length=255)),
                        ("method", models.CharField(max_length=8)),
                        ("at", models.DateTimeField(auto_now_add=True)),
                        ("patient", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="access_log", to="patients.patient")),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "ordering": ["-at", "-id"],
                        "indexes": [models.Index(fields=["patient", "-at"], name="access_log_patient_idx")],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
