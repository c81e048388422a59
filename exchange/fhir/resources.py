"""The four resources every staff role reads: Patient, Practitioner, Location, Appointment, as FHIR R4 JSON.

Each builder returns the resource's JSON form (a dict); exchange.fhir.registry passes every one through its
fhir.resources R4B model before it leaves (validated, so an answer that would not parse is a 500 here, not a broken
record at the receiver).
"""

from datetime import UTC, datetime

from patients.models import Patient
from scheduling.choices import AppointmentStatus
from scheduling.models import Appointment, Location, Practitioner
from treatments.models import TherapyType

# The clinic's own code systems (therapy types, products, conditions): stable names, not addresses to resolve.
SYSTEM = "urn:clinic:fhir:code-system"
TIMEZONE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/timezone"

APPOINTMENT_STATUS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.CHECKED_IN: "checked-in",
    AppointmentStatus.COMPLETED: "fulfilled",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NO_SHOW: "noshow",
}


def instant(moment: datetime) -> str:
    """A FHIR instant in UTC (`...Z`)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local_instant(moment: datetime, zone) -> str:
    """A FHIR dateTime on the location's clock, with its offset: what the clinic's staff read."""
    return moment.astimezone(zone).isoformat()


def reference(resource_type: str, pk, display: str = "") -> dict:
    found = {"reference": f"{resource_type}/{pk}"}
    if display:
        found["display"] = display
    return found


def coded(system: str, code: str, display: str) -> dict:
    """A CodeableConcept with one coding of the clinic's own system and the text a person reads."""
    return {"coding": [{"system": f"{SYSTEM}/{system}", "code": code, "display": display}], "text": display}


def therapy_concept(therapy_type: TherapyType) -> dict:
    return coded("therapy-type", therapy_type.code, therapy_type.name)


def without_empty(**fields) -> dict:
    """FHIR has no empty strings or lists: leave such elements out."""
    return {name: value for name, value in fields.items() if value not in ("", None, [], {})}


def patient_resource(patient: Patient) -> dict:
    telecom = [
        {"system": system, "value": value}
        for system, value in (("phone", patient.phone), ("email", patient.email))
        if value
    ]
    name = without_empty(
        use="official",
        text=patient.full_name.strip(),
        family=patient.last_name,
        given=[patient.first_name] if patient.first_name else [],
    )
    return without_empty(
        resourceType="Patient",
        id=str(patient.pk),
        meta={"lastUpdated": instant(patient.updated_at)},
        active=patient.active,
        name=[name],
        telecom=telecom,
        birthDate=patient.date_of_birth.isoformat(),
    )


def practitioner_resource(practitioner: Practitioner) -> dict:
    return {
        "resourceType": "Practitioner",
        "id": str(practitioner.pk),
        "active": practitioner.active,
        "name": [{"text": practitioner.display_name}],
    }


def location_resource(location: Location) -> dict:
    return without_empty(
        resourceType="Location",
        id=str(location.pk),
        extension=[{"url": TIMEZONE_EXTENSION, "valueCode": location.time_zone}],
        status="active",
        name=location.name,
        mode="instance",
        telecom=[{"system": "phone", "value": location.phone}] if location.phone else [],
        address={"text": location.address} if location.address.strip() else None,
    )


def appointment_resource(appointment: Appointment) -> dict:
    """An appointment with its patient, practitioner, location and room as participants; times on the location's
    clock. No clinical text (the front desk reads it): notes and reasons belong to Procedure and CarePlan."""
    zone = appointment.location.zone
    participant = [
        {
            "actor": reference("Patient", appointment.patient_id, appointment.patient.full_name),
            "status": "accepted",
        },
        {
            "actor": reference("Practitioner", appointment.practitioner_id, appointment.practitioner.display_name),
            "status": "accepted",
        },
        {
            "actor": reference("Location", appointment.location_id, appointment.location.name),
            "status": "accepted",
        },
        # A room is not a resource of its own here: named, for the desk's eyes.
        {"actor": {"display": appointment.room.name}, "status": "accepted"},
    ]
    return without_empty(
        resourceType="Appointment",
        id=str(appointment.pk),
        meta={"lastUpdated": instant(appointment.updated_at)},
        status=APPOINTMENT_STATUS[appointment.status],
        serviceType=[therapy_concept(appointment.therapy_type)],
        start=local_instant(appointment.start, zone),
        end=local_instant(appointment.end, zone),
        minutesDuration=round((appointment.end - appointment.start).total_seconds() / 60),
        created=instant(appointment.created_at),
        supportingInformation=[reference("CarePlan", appointment.plan_id)] if appointment.plan_id else [],
        participant=participant,
    )
