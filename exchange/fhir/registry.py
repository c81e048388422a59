"""The resource types the FHIR API serves: for each, its rows, its builder, its searches and who may read it.

Every resource leaves through `validated()`: the fhir.resources R4B model of its type reads it first
(exchange.fhir.validation), so what we send parses with the same library a receiver uses.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.appointment import AppointmentParticipant
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.consent import Consent as FhirConsent
from fhir.resources.R4B.location import Location as FhirLocation
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.practitioner import Practitioner as FhirPractitioner
from fhir.resources.R4B.procedure import Procedure

from exchange.fhir import clinical, resources
from exchange.fhir.search import date_filter, reference_filter, string_filter, token_filter
from exchange.fhir.validation import VALIDATED
from patients.models import Patient, PatientCondition
from scheduling.choices import AppointmentStatus
from scheduling.models import Appointment, Location, Practitioner
from scheduling.selectors import CLINICAL_DATA_COLUMNS, carries_clinical_data
from treatments.models import Consent, TreatmentPlan

# A search: (the parameter's name, its values, the zone its dates are read in) -> a filter on the type's rows.
Search = Callable[[str, list[str], ZoneInfo], Q]


@dataclass(frozen=True)
class ResourceType:
    name: str
    model: type
    rows: Callable[[], QuerySet]
    build: Callable[[Any], dict]
    searches: dict[str, Search]
    clinical: bool = True  # practitioners and clinic admins only
    patient_of: Callable[[Any], int] | None = None  # whose record a read is (the access log); None: not logged
    # Whether this row read by this reader (True: a clinical role) is in the access log; by default every read is.
    logged_for: Callable[[Any, bool], bool] = field(default=lambda row, clinical_reader: True)
    ordering: tuple[str, ...] = ("pk",)
    searched_rows: Callable[[QuerySet], QuerySet] = field(default=lambda rows: rows)
    # List elements many resources of the type share, validated once each (ValidatedContent).
    shared_elements: dict[str, type] = field(default_factory=dict)

    def validated(self, row) -> dict:
        """The row as this type's FHIR JSON, checked by its fhir.resources model (ValidationError otherwise)."""
        data = self.build(row)
        VALIDATED.check(self.model, data, shared=self.shared_elements)
        return data


def _ids(field_name: str = "pk") -> Search:
    return lambda name, values, zone: reference_filter(field_name, name, values, "")


def _patient(field_name: str = "patient_id") -> Search:
    return lambda name, values, zone: reference_filter(field_name, name, values, "Patient")


def _reference(field_name: str, resource_type: str) -> Search:
    return lambda name, values, zone: reference_filter(field_name, name, values, resource_type)


def _moment(field_name: str) -> Search:
    return lambda name, values, zone: date_filter(field_name, name, values, zone)


APPOINTMENT_CODES = {fhir: [status] for status, fhir in resources.APPOINTMENT_STATUS.items()} | {
    code: [] for code in ("proposed", "pending", "arrived", "entered-in-error", "waitlist")
}
PLAN_CODES = {fhir: [status] for status, fhir in clinical.PLAN_STATUS.items()} | {
    code: [] for code in ("draft", "on-hold", "entered-in-error", "unknown")
}


def _appointment_rows() -> QuerySet:
    # Only the columns the resource shows, and those the access log decides by (_appointment_read_logged): a day's
    # search reads a hundred rows of five tables.
    return Appointment.objects.select_related("patient", "practitioner", "location", "room", "therapy_type").only(
        *CLINICAL_DATA_COLUMNS,
        "status",
        "start",
        "end",
        "created_at",
        "updated_at",
        "plan_id",
        "patient__first_name",
        "patient__last_name",
        "practitioner__display_name",
        "location__name",
        "location__time_zone",
        "room__name",
        "therapy_type__code",
        "therapy_type__name",
    )


def _appointment_read_logged(appointment: Appointment, clinical_reader: bool) -> bool:
    """An Appointment is logged exactly when the REST API's answer about the same visit to the same reader is
    (scheduling.selectors.carries_clinical_data): read by a practitioner or a clinic admin, and the visit
    holds clinical data (notes, the lot given, hold findings, an override, a clinician's cancel reason).

    What the resource itself shows (the patient's and practitioner's names, place, times, the therapy as
    serviceType, status, the CarePlan it belongs to) is what the REST answer shows the front desk, and the design
    does not count it as clinical: the desk's REST reads, the admin's appointment list and the desk's FHIR reads
    are not logged. The one difference is that for a clinical reader the REST answer carries the visit's clinical
    data and this resource leaves it out (it is in Procedure and CarePlan); we choose the stricter and log it
    anyway, so the log of who looked at a visit with clinical data does not depend on which door they came in by."""
    return clinical_reader and carries_clinical_data(vars(appointment))


def _procedure_rows() -> QuerySet:
    return Appointment.objects.filter(status=AppointmentStatus.COMPLETED).select_related(
        "practitioner", "location", "therapy_type", "product", "product_lot", "plan"
    )


def _conditions_of_kind(kinds) -> Callable[[], QuerySet]:
    return lambda: PatientCondition.objects.filter(condition__kind__in=kinds).select_related("condition")


def _patient_id(row) -> int:
    return row.patient_id


TYPES: dict[str, ResourceType] = {
    resource_type.name: resource_type
    for resource_type in (
        ResourceType(
            name="Patient",
            model=FhirPatient,
            rows=Patient.objects.all,
            build=resources.patient_resource,
            searches={
                "_id": _ids(),
                "name": lambda name, values, zone: string_filter(["first_name", "last_name"], name, values),
                "birthdate": lambda name, values, zone: date_filter("date_of_birth", name, values, None),
            },
            clinical=False,
            patient_of=lambda row: row.pk,
            # As the REST list: a deactivated patient is read by id but found by no search.
            searched_rows=lambda rows: rows.filter(active=True),
        ),
        ResourceType(
            name="Practitioner",
            model=FhirPractitioner,
            rows=Practitioner.objects.all,
            build=resources.practitioner_resource,
            searches={
                "_id": _ids(),
                "name": lambda name, values, zone: string_filter(["display_name"], name, values, "icontains"),
            },
            clinical=False,
        ),
        ResourceType(
            name="Location",
            model=FhirLocation,
            rows=Location.objects.all,
            build=resources.location_resource,
            searches={
                "_id": _ids(),
                "name": lambda name, values, zone: string_filter(["name"], name, values, "icontains"),
            },
            clinical=False,
        ),
        ResourceType(
            name="Appointment",
            model=FhirAppointment,
            rows=_appointment_rows,
            build=resources.appointment_resource,
            searches={
                "_id": _ids(),
                "patient": _patient(),
                "practitioner": _reference("practitioner_id", "Practitioner"),
                "location": _reference("location_id", "Location"),
                "date": _moment("start"),
                "status": lambda name, values, zone: token_filter("status", name, values, APPOINTMENT_CODES),
            },
            clinical=False,
            shared_elements={"serviceType": CodeableConcept, "participant": AppointmentParticipant},
            patient_of=_patient_id,
            logged_for=_appointment_read_logged,
            ordering=("start", "pk"),
        ),
        ResourceType(
            name="CarePlan",
            model=CarePlan,
            rows=lambda: TreatmentPlan.objects.select_related("therapy_type", "product").prefetch_related(
                "sessions__appointments"
            ),
            build=clinical.care_plan_resource,
            searches={
                "_id": _ids(),
                "patient": _patient(),
                "subject": _patient(),
                "status": lambda name, values, zone: token_filter("status", name, values, PLAN_CODES),
            },
            patient_of=_patient_id,
        ),
        ResourceType(
            name="Procedure",
            model=Procedure,
            rows=_procedure_rows,
            build=clinical.procedure_resource,
            searches={"_id": _ids(), "patient": _patient(), "subject": _patient(), "date": _moment("start")},
            patient_of=_patient_id,
            ordering=("start", "pk"),
        ),
        ResourceType(
            name="Condition",
            model=Condition,
            rows=_conditions_of_kind(clinical.CONDITION_KINDS),
            build=clinical.condition_resource,
            searches={"_id": _ids(), "patient": _patient(), "subject": _patient()},
            patient_of=_patient_id,
        ),
        ResourceType(
            name="AllergyIntolerance",
            model=AllergyIntolerance,
            rows=_conditions_of_kind(clinical.ALLERGY_KINDS),
            build=clinical.allergy_resource,
            searches={"_id": _ids(), "patient": _patient()},
            patient_of=_patient_id,
        ),
        ResourceType(
            name="Consent",
            model=FhirConsent,
            rows=lambda: Consent.objects.select_related("plan").prefetch_related("appointments"),
            build=clinical.consent_resource,
            searches={"_id": _ids(), "patient": _patient()},
            patient_of=_patient_id,
        ),
    )
}
