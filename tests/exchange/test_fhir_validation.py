"""Each resource passes its fhir.resources model: content already validated is remembered, not trusted blindly."""

import pytest
from fhir.resources.R4B.patient import Patient
from pydantic import ValidationError

from exchange.fhir.validation import ValidatedContent


def test_invalid_content_fails_even_beside_valid_content_already_seen():
    seen = ValidatedContent(size=10)
    seen.check(Patient, {"resourceType": "Patient", "id": "1", "birthDate": "1980-01-31"})
    with pytest.raises(ValidationError):
        seen.check(Patient, {"resourceType": "Patient", "id": "1", "birthDate": "1980-02-31"})
    with pytest.raises(ValidationError):  # a failure is never remembered as a pass
        seen.check(Patient, {"resourceType": "Patient", "id": "1", "birthDate": "1980-02-31"})


def test_it_keeps_only_the_most_recently_seen():
    seen = ValidatedContent(size=3)
    for pk in range(5):
        seen.check(Patient, {"resourceType": "Patient", "id": str(pk)})
    assert len(seen._seen) == 3


def test_shared_elements_are_validated_too():
    from fhir.resources.R4B.appointment import Appointment, AppointmentParticipant

    seen = ValidatedContent(size=10)
    shared = {"participant": AppointmentParticipant}
    good = {
        "resourceType": "Appointment",
        "status": "booked",
        "participant": [{"actor": {"reference": "Patient/1"}, "status": "accepted"}],
    }
    seen.check(Appointment, good, shared=shared)
    bad = {**good, "participant": [{"actor": {"reference": "Patient/1"}, "status": ""}]}
    with pytest.raises(ValidationError):
        seen.check(Appointment, bad, shared=shared)
    with pytest.raises(ValidationError):  # a resource without its required participant
        seen.check(Appointment, {"resourceType": "Appointment", "status": "booked"}, shared=shared)
