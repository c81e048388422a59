from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0009_appointment_holds"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="waitlistentry",
            index=models.Index(fields=["location", "status", "joined_at", "id"], name="waitlist_queue_idx"),
        ),
    ]
