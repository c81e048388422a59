"""Pages that only hand the browser a shell: every read and write goes through the REST API (/api/v1/)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from clinic.roles import CLINIC_ADMIN, FRONT_DESK, PRACTITIONER, has_role, user_roles
from scheduling.choices import AppointmentStatus
from treatments.choices import ConsentMethod, Indication


def _staff_context(request) -> dict:
    """What the page scripts need to know up front: who is at the desk and the labels of the API's choices."""
    if not has_role(request.user, FRONT_DESK, PRACTITIONER, CLINIC_ADMIN):
        raise PermissionDenied("The desk is for clinic staff.")
    return {
        "desk_config": {
            "api": "/api/v1/",
            "username": request.user.get_username(),
            "roles": sorted(user_roles(request.user)),
            "indications": dict(Indication.choices),
            "consent_methods": dict(ConsentMethod.choices),
            "appointment_statuses": dict(AppointmentStatus.choices),
            "check_in_opens_minutes": getattr(settings, "CLINIC_CHECK_IN_OPENS_MINUTES", 120),
        }
    }


@login_required
@ensure_csrf_cookie
def desk(request):
    """The day view, patient search and registration, booking and the lists that need a person."""
    return render(request, "frontdesk/desk.html", _staff_context(request))


@login_required
@ensure_csrf_cookie
def patient(request, patient_id: int):
    """The practitioner's view of one patient: conditions, screening, plans, completing sessions."""
    context = _staff_context(request)
    context["desk_config"]["patient_id"] = patient_id
    return render(request, "frontdesk/patient.html", context)
