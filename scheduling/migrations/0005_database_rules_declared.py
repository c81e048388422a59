"""The database's rules on appointments, declared in Appointment.Meta instead of raw SQL (migrations 0002, 0003).

On PostgreSQL the raw exclusion constraints and the 12-hour CHECK are dropped and the declared ones, of the same
names and meaning, created in the same transaction: no moment without them, and every row stays (an existing
overlap would make the migration fail rather than be kept silently). Migrating back puts the raw ones back.
On SQLite there were none and there are none (clinic.db's PostgreSQL-only classes write nothing there).
"""

import datetime
import importlib

import django.contrib.postgres.fields.ranges
import django.db.models.expressions
from django.db import migrations, models

import clinic.db

RESOURCES = ("practitioner", "room", "device", "patient")
RAW_CONSTRAINTS = (*(f"appointment_no_{resource}_overlap" for resource in RESOURCES), "appointment_at_most_12_hours")


def drop_raw_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in RAW_CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS {name}")


def create_raw_constraints(apps, schema_editor):
    importlib.import_module("scheduling.migrations.0002_no_overlap_exclusion_constraints").add_constraints(
        apps, schema_editor
    )
    importlib.import_module("scheduling.migrations.0003_appointment_at_most_12_hours").add_constraint(
        apps, schema_editor
    )


def no_overlap(resource):
    return clinic.db.PostgresExclusionConstraint(
        condition=models.Q((f"{resource}__isnull", False), ("status__in", ["booked", "checked_in"])),
        expressions=[
            (resource, "="),
            (
                clinic.db.TsTzRange("start", "end", django.contrib.postgres.fields.ranges.RangeBoundary()),
                "&&",
            ),
        ],
        name=f"appointment_no_{resource}_overlap",
        violation_error_message=f"The {resource} already has an appointment at that time.",
    )


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0004_waitlist_offers_questionnaire")]

    operations = [
        migrations.RunPython(drop_raw_constraints, create_raw_constraints),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=clinic.db.PostgresCheckConstraint(
                condition=models.Q(
                    (
                        "end__lte",
                        django.db.models.expressions.CombinedExpression(
                            models.F("start"), "+", models.Value(datetime.timedelta(seconds=43200))
                        ),
                    )
                ),
                name="appointment_at_most_12_hours",
            ),
        ),
        *(migrations.AddConstraint(model_name="appointment", constraint=no_overlap(r)) for r in RESOURCES),
    ]
