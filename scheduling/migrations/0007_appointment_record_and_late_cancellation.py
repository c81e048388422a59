"""Every appointment carries the clinical record of its visit (product, lot, notes, who completed it, consent)
and whether it was cancelled late; existing plan sessions' records are copied onto their appointments."""

from datetime import timedelta

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models



def records_from_sessions(apps, schema_editor):
    """A plan session's appointment takes the plan's product; a completed one takes the record its session kept
    (notes, lot, who) and the plan's latest consent. Cancellations inside the policy window are marked late."""
    if schema_editor.connection.vendor == "postgresql":
        # Check the foreign keys now, not at commit: a later ALTER TABLE in this migration refuses pending checks.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    Appointment = apps.get_model("scheduling", "Appointment")
    Consent = apps.get_model("treatments", "Consent")
    TreatmentPlan = apps.get_model("treatments", "TreatmentPlan")
    TreatmentSession = apps.get_model("treatments", "TreatmentSession")
    plan_product = TreatmentPlan.objects.filter(pk=models.OuterRef("plan_id")).values("product_id")[:1]
    Appointment.objects.filter(plan__isnull=False).update(product=models.Subquery(plan_product))
    session = TreatmentSession.objects.filter(pk=models.OuterRef("session_id"))
    latest_consent = Consent.objects.filter(plan=models.OuterRef("plan_id")).order_by("-consented_at").values("pk")[:1]
    Appointment.objects.filter(session__isnull=False, status="completed").update(
        notes=models.Subquery(session.values("notes")[:1]),
        product_lot=models.Subquery(session.values("product_lot_id")[:1]),
        completed_by=models.Subquery(session.values("completed_by_id")[:1]),
        consent=models.Subquery(latest_consent),
    )
    hours = settings.CLINIC_CANCELLATION_POLICY_HOURS
    for appointment in Appointment.objects.filter(status="cancelled", cancelled_at__isnull=False).only(
        "start", "cancelled_at"
    ).iterator():
        if appointment.start - appointment.cancelled_at < timedelta(hours=hours):
            Appointment.objects.filter(pk=appointment.pk).update(late_cancellation=True)


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0003_patient_search_text_trigram'),
        ('scheduling', '0006_location_closure'),
        ('treatments', '0004_lot_status_and_visit_consent'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='appointment',
            name='completed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='appointment',
            name='consent',
            field=models.ForeignKey(blank=True, help_text="The consent the visit is given under: its own for a one-off, the plan's for a session.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='appointments', to='treatments.consent'),
        ),
        migrations.AddField(
            model_name='appointment',
            name='late_cancellation',
            field=models.BooleanField(db_default=False, default=False, help_text='Cancelled within CLINIC_CANCELLATION_POLICY_HOURS of the start.'),
        ),
        migrations.AddField(
            model_name='appointment',
            name='notes',
            field=models.TextField(blank=True, db_default='', default=''),
        ),
        migrations.AddField(
            model_name='appointment',
            name='product',
            field=models.ForeignKey(blank=True, help_text="The product the visit uses: the plan's for a session, chosen at booking for a one-off.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='appointments', to='treatments.product'),
        ),
        migrations.AddField(
            model_name='appointment',
            name='product_lot',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='appointments', to='treatments.productlot'),
        ),
        migrations.AddField(
            model_name='historicalappointment',
            name='completed_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='historicalappointment',
            name='consent',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text="The consent the visit is given under: its own for a one-off, the plan's for a session.", null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='treatments.consent'),
        ),
        migrations.AddField(
            model_name='historicalappointment',
            name='late_cancellation',
            field=models.BooleanField(db_default=False, default=False, help_text='Cancelled within CLINIC_CANCELLATION_POLICY_HOURS of the start.'),
        ),
        migrations.AddField(
            model_name='historicalappointment',
            name='notes',
            field=models.TextField(blank=True, db_default='', default=''),
        ),
        migrations.AddField(
            model_name='historicalappointment',
            name='product',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text="The product the visit uses: the plan's for a session, chosen at booking for a one-off.", null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='treatments.product'),
        ),
        migrations.AddField(
            model_name='historicalappointment',
            name='product_lot',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='treatments.productlot'),
        ),
        migrations.RunPython(records_from_sessions, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=models.CheckConstraint(condition=models.Q(('product_lot__isnull', True), ('product__isnull', False), _connector='OR'), name='appointment_lot_has_product', violation_error_message='A lot is recorded only for a visit that uses a product.'),
        ),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'completed'), _negated=True), ('product__isnull', True), ('product_lot__isnull', False), _connector='OR'), name='appointment_completed_product_has_lot', violation_error_message='A completed visit that used a product records its lot.'),
        ),
    ]
