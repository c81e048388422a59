"""Read-only queries on patients (services write, selectors read)."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from patients.models import Patient

# scheduling.choices.AppointmentStatus.NO_SHOW: patients may not import scheduling (imports run scheduling ->
# treatments -> patients), so the value is repeated here and a test holds the two equal.
NO_SHOW_STATUS = "no_show"


def _count_of_appointments(**conditions) -> Coalesce:
    """How many of the patient's appointments meet `conditions`, as one correlated subquery per row read (no join
    and no GROUP BY: a page of the patient list costs the same one statement)."""
    appointments = Patient.appointments.rel.related_model.objects  # scheduling's Appointment, by the relation
    counted = (
        appointments.filter(patient=OuterRef("pk"), **conditions)
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def patients_with_attendance(patients: QuerySet[Patient] | None = None) -> QuerySet[Patient]:
    """Patients with `no_show_count` and `late_cancellation_count` annotated, read in the same statement."""
    patients = Patient.objects.all() if patients is None else patients
    return patients.annotate(
        no_show_count=_count_of_appointments(status=NO_SHOW_STATUS),
        late_cancellation_count=_count_of_appointments(late_cancellation=True),
    )
