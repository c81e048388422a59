"""Lots get a status (released, quarantined, recalled); a consent names its patient and may cover one visit
instead of a plan. Existing consents take their plan's patient."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models



def consent_patient_from_plan(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Check the foreign keys now, not at commit: a later ALTER TABLE in this migration refuses pending checks.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    Consent = apps.get_model("treatments", "Consent")
    TreatmentPlan = apps.get_model("treatments", "TreatmentPlan")
    Consent.objects.update(
        patient=models.Subquery(TreatmentPlan.objects.filter(pk=models.OuterRef("plan_id")).values("patient_id")[:1])
    )


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0003_patient_search_text_trigram'),
        ('treatments', '0003_therapy_session_at_most_12_hours'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='consent',
            name='patient',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='consents', to='patients.patient'),
        ),
        migrations.AddField(
            model_name='historicalconsent',
            name='patient',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='patients.patient'),
        ),
        migrations.AddField(
            model_name='productlot',
            name='recalled_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='productlot',
            name='recalled_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='productlot',
            name='status',
            field=models.CharField(choices=[('released', 'Released for use'), ('quarantined', 'Quarantined (not to be used)'), ('recalled', 'Recalled')], db_default='released', default='released', max_length=16),
        ),
        migrations.AddField(
            model_name='productlot',
            name='status_reason',
            field=models.TextField(blank=True, db_default='', default='', help_text='Why it was quarantined or recalled.'),
        ),
        migrations.AlterField(
            model_name='consent',
            name='plan',
            field=models.ForeignKey(blank=True, help_text='The course consented to; empty for the consent to a single visit.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='consents', to='treatments.treatmentplan'),
        ),
        migrations.AlterField(
            model_name='historicalconsent',
            name='plan',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text='The course consented to; empty for the consent to a single visit.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='treatments.treatmentplan'),
        ),
        migrations.RunPython(consent_patient_from_plan, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="consent",
            name="patient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="consents", to="patients.patient"
            ),
        ),
    ]
