"""The access log is about a patient, so it lives in the patients app (patients 0004 takes it over).

The table is renamed, not copied: every row stays. The model leaves clinic's state only; patients 0004 adds it
to the patients app's state on the renamed table.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("clinic", "0002_idempotency_keys_and_access_log")]

    operations = [
        migrations.AlterModelTable(name="AccessLog", table="patients_accesslog"),
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="AccessLog")]),
    ]
