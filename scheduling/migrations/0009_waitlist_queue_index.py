from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0008_waitlist_entry_product"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="waitlistentry",
            index=models.Index(fields=["location", "status", "joined_at", "id"], name="waitlist_queue_idx"),
        ),
    ]
