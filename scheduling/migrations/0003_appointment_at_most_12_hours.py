"""On PostgreSQL, no appointment lasts longer than the longest session a therapy may have (12 hours,
treatments.models.MAX_SESSION_MINUTES), so queries for what overlaps a time may bound `start` from below
(scheduling.models.LONGEST_APPOINTMENT). Every appointment is written by scheduling.booking with the length of one
session, which treatments' own CHECK constraint bounds on both databases; SQLite's CHECK could only compare
datetimes through a Django-registered function, so there the booking service alone holds it.
"""

from django.db import migrations

NAME = "appointment_at_most_12_hours"


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {NAME} CHECK (\"end\" <= start + interval '12 hours')"
        )


def remove_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0002_no_overlap_exclusion_constraints"),
        ("treatments", "0003_therapy_session_at_most_12_hours"),
    ]

    operations = [migrations.RunPython(add_constraint, remove_constraint)]
