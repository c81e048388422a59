"""On PostgreSQL, the database itself refuses overlapping active appointments per practitioner, room, device
and patient: exclusion constraints over half-open tstzrange [start, end), so back-to-back bookings are allowed
and cancelled, completed or no-show appointments do not block. The booking service checks first (with
buffers); these constraints are the last line of defence. SQLite has no equivalent: there the booking service's
IMMEDIATE transaction serialises writers.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

RESOURCES = ("practitioner", "room", "device", "patient")
ACTIVE = "status IN ('booked', 'checked_in')"


def constraint_name(resource: str) -> str:
    return f"appointment_no_{resource}_overlap"


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for resource in RESOURCES:
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {constraint_name(resource)} "
            f"EXCLUDE USING gist ({resource}_id WITH =, tstzrange(start, \"end\", '[)') WITH &&) "
            f"WHERE ({ACTIVE} AND {resource}_id IS NOT NULL)"
        )


def remove_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for resource in RESOURCES:
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS {constraint_name(resource)}"
        )


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    # The extension as an operation (it was a CREATE EXTENSION inside add_constraints): the same database, and
    # migrating back drops it only after the constraints that need it.
    operations = [BtreeGistExtension(), migrations.RunPython(add_constraints, remove_constraints)]
