from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from care import booking, holds, planning, records
from care.api import serializers as s
from clinic.api.filters import CountWithPagePagination
from clinic.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from clinic.api.permissions import CLINICAL, STAFF, is_clinical
from clinic.api.throttling import ScopedPostThrottle
from patients.api import serializers as ps
from patients.audit import access_record
from patients.models import Patient, PatientCondition
from scheduling import selectors
from scheduling.api import serializers as ss
from scheduling.closures import closures_between
from scheduling.filtersets import (
    AppointmentFilterSet,
)
from scheduling.models import Appointment
from scheduling.selectors import appointments_with_attention, carries_clinical_data
from treatments.api import serializers as ts
from treatments.api.serializers import ConsentCreateSerializer, ConsentSerializer
from treatments.models import TreatmentPlan, TreatmentSession
from treatments.selectors import plans_with_sessions

BOOKING_CONFLICTS = (409, 422)


def _lifecycle_schema(request_serializer=None, description=""):
    return extend_schema(
        request=request_serializer,
        responses={200: ss.AppointmentClinicalSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        description=description,
    )


class AppointmentPagination(CountWithPagePagination):
    """The list's pages (page and count in one statement), `page_size` up to 1000 so a location's week comes in one
    page; a list of days (`date`, or `date_from` and `date_to`) also answers the `closures` on those days."""

    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["closures"] = {
            "type": "array",
            "description": "With date or date_from/date_to: the closures on those local days (of ?location= or all).",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "location": {"type": "integer"},
                    "date": {"type": "string", "format": "date"},
                    "name": {"type": "string"},
                },
                "required": ["id", "location", "date", "name"],
            },
        }
        return response


class AppointmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Appointments: list and book, then the life cycle. Every POST accepts an Idempotency-Key."""

    queryset = Appointment.objects.select_related("patient", "practitioner", "session", "plan")
    serializer_class = ss.AppointmentClinicalSerializer
    filterset_class = AppointmentFilterSet
    pagination_class = AppointmentPagination

    @extend_schema(
        description="Appointments by start. `date` (one local day) or `date_from` and `date_to` (at most 31 local "
        "days, e.g. a week) of `location` answer that location's closures on those days too; `page_size` (up to "
        "1000) brings a busy week in one page; `patient` with `ordering=-start` is a patient's history."
    )
    def list(self, request, *args, **kwargs):
        # The serializer's fields read as plain rows (ss.AppointmentRows): a week's ~540 rows as model instances
        # through DRF's fields cost several times the rest of the request.
        rows = ss.AppointmentRows(clinical=is_clinical(request.user))
        queryset = self.filter_queryset(self.get_queryset()).values(*rows.columns)
        page = self.paginate_queryset(queryset)
        response = self.get_paginated_response(rows.page(page))
        if rows.clinical_patients:
            access_record(request, rows.clinical_patients)
        days = self.filterset.local_days()  # valid: the list would have been a 400 otherwise
        if days is not None:
            location = self.filterset.form.cleaned_data.get("location")
            found = closures_between(first_day=days[0], last_day=days[1], location=location)
            response.data["closures"] = ss.LocationClosureSerializer(found, many=True).data
        return response

    roles = {"*": STAFF, "complete": CLINICAL, "consent": CLINICAL, "release": CLINICAL}
    throttle_classes = [ScopedPostThrottle]
    throttle_scope = "booking"
    error_statuses = dict.fromkeys(
        ("create", "reschedule", "cancel", "check_in", "no_show", "complete", "consent", "release"), BOOKING_CONFLICTS
    )

    def get_queryset(self):
        # Built per request: "still ahead" and the closures are read now, not when the module was imported. A list
        # counts its page's patients' attendance in one grouped statement (AppointmentRows), not per row.
        appointments = appointments_with_attention(super().get_queryset())
        return appointments if self.action == "list" else selectors.with_patient_attendance(appointments)

    def get_serializer_class(self):
        # Clinical roles read the visit's record; the front desk reads `record: null`.
        if getattr(self, "swagger_fake_view", False) or is_clinical(self.request.user):
            return ss.AppointmentClinicalSerializer
        return ss.AppointmentSerializer

    def _answer(self, appointment: Appointment, code=status.HTTP_200_OK) -> Response:
        # The services return the row as saved, with patient and practitioner loaded: no need to read it again.
        return Response(self._read(appointment), status=code)

    def _read(self, appointment: Appointment) -> dict:
        """The appointment as this reader sees it; one carrying clinical data to a clinical reader is logged."""
        serializer = self.get_serializer_class()
        if serializer.clinical_reader and carries_clinical_data(vars(appointment)):
            access_record(self.request, [appointment.patient_id])
        return serializer(appointment).data

    def retrieve(self, request, *args, **kwargs):
        return Response(self._read(self.get_object()))

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        request=s.AppointmentBookSerializer,
        responses={201: ss.AppointmentClinicalSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        description="Book. The end comes from the therapy type; room and device are chosen when not given.",
    )
    @idempotent
    def create(self, request):
        appointment = booking.appointment_book(by=request.user, **self._input(s.AppointmentBookSerializer))
        return self._answer(appointment, status.HTTP_201_CREATED)

    @_lifecycle_schema(s.AppointmentRescheduleSerializer, "Move to another start (and practitioner).")
    @action(detail=True, methods=["post"], filterset_class=None)
    @idempotent
    def reschedule(self, request, pk=None):
        appointment = booking.appointment_reschedule(
            appointment=self.get_object(), by=request.user, **self._input(s.AppointmentRescheduleSerializer)
        )
        return self._answer(appointment)

    @_lifecycle_schema(s.AppointmentCancelSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    @idempotent
    def cancel(self, request, pk=None):
        appointment = booking.appointment_cancel(
            appointment=self.get_object(), by=request.user, **self._input(s.AppointmentCancelSerializer)
        )
        return self._answer(appointment)

    @_lifecycle_schema()
    @action(detail=True, methods=["post"], url_path="check-in", filterset_class=None)
    @idempotent
    def check_in(self, request, pk=None):
        return self._answer(booking.appointment_check_in(appointment=self.get_object(), by=request.user))

    @_lifecycle_schema()
    @action(detail=True, methods=["post"], url_path="no-show", filterset_class=None)
    @idempotent
    def no_show(self, request, pk=None):
        return self._answer(booking.appointment_no_show(appointment=self.get_object(), by=request.user))

    @_lifecycle_schema(s.AppointmentCompleteSerializer, "Complete the session with notes and the lot used.")
    @action(detail=True, methods=["post"], filterset_class=None)
    @idempotent
    def complete(self, request, pk=None):
        appointment = booking.appointment_complete(
            appointment=self.get_object(), by=request.user, **self._input(s.AppointmentCompleteSerializer)
        )
        return self._answer(appointment)

    @_lifecycle_schema(
        s.AppointmentReleaseSerializer,
        "Release an appointment from its hold after re-screening (practitioners, clinic admins). Clean: the hold "
        "goes; relative findings need `override_reason`; absolute ones stay `409 contraindicated`. An appointment "
        "not on hold is answered as it is.",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    @idempotent
    def release(self, request, pk=None):
        appointment = holds.appointment_release(
            appointment=self.get_object(), by=request.user, **self._input(s.AppointmentReleaseSerializer)
        )
        return self._answer(appointment)

    @extend_schema(
        request=ConsentCreateSerializer,
        responses={201: ConsentSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        description="Record the patient's consent before the visit: a one-off's own, or its plan's for a session.",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    @idempotent
    def consent(self, request, pk=None):
        consent = records.appointment_consent_record(
            appointment=self.get_object(), by=request.user, **self._input(ConsentCreateSerializer)
        )
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)


class PlanScheduleView(APIView):
    """Place every unbooked session of a plan in its window; sessions that cannot be placed say why."""

    roles = {"*": STAFF}
    error_statuses = {"post": BOOKING_CONFLICTS}

    @extend_schema(
        request=None,
        responses={200: s.PlanScheduleSerializer},
        parameters=[IDEMPOTENCY_PARAMETER, OpenApiParameter("id", int, OpenApiParameter.PATH)],
    )
    @idempotent
    def post(self, request, pk):
        plan = get_object_or_404(TreatmentPlan, pk=pk)
        placements = planning.plan_schedule(plan=plan, by=request.user)
        return Response(s.PlanScheduleSerializer({"plan": plan.pk, "placements": placements}).data)


class PatientConditionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """A patient's conditions, medications and allergies (clinical data: practitioners and clinic admins).

    The rows belong to patients; the endpoint lives here because a write re-screens the patient's plans and
    appointments in its transaction (care.holds), which sits above patients, treatments and scheduling.
    """

    serializer_class = ps.PatientConditionSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    roles = {"*": CLINICAL}

    def get_patient(self) -> Patient:
        return get_object_or_404(Patient, pk=self.kwargs["patient_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PatientCondition.objects.none()
        return PatientCondition.objects.filter(patient_id=self.kwargs["patient_pk"]).select_related("condition")

    def get_serializer_class(self):
        return ps.PatientConditionUpdateSerializer if self.action == "partial_update" else ps.PatientConditionSerializer

    def list(self, request, *args, **kwargs):
        patient = self.get_patient()
        response = super().list(request, *args, **kwargs)
        access_record(request, [patient])
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        access_record(request, [self.kwargs["patient_pk"]])
        return response

    @extend_schema(
        request=ps.PatientConditionSerializer,
        responses={201: ps.PatientConditionSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        patient = self.get_patient()
        serializer = ps.PatientConditionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = holds.patient_condition_record(patient=patient, by=request.user, **serializer.validated_data)
        return Response(ps.PatientConditionSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ps.PatientConditionUpdateSerializer, responses={200: ps.PatientConditionSerializer})
    def partial_update(self, request, *args, **kwargs):
        patient_condition = self.get_object()
        serializer = ps.PatientConditionUpdateSerializer(patient_condition, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        record = holds.patient_condition_update(
            patient_condition=patient_condition, by=request.user, **serializer.validated_data
        )
        return Response(ps.PatientConditionSerializer(record).data)


class PatientConditionVerifyView(APIView):
    """A practitioner's verdict on a patient's condition, typically one the patient declared in the questionnaire
    (true: confirmed; false: rejected, which makes it inactive and lifts the holds it caused)."""

    roles = {"*": CLINICAL}

    @extend_schema(
        request=ps.PatientConditionVerifySerializer,
        responses={200: ps.PatientConditionSerializer},
        parameters=[
            OpenApiParameter("patient_pk", int, OpenApiParameter.PATH),
            OpenApiParameter("pk", int, OpenApiParameter.PATH),
        ],
    )
    def post(self, request, patient_pk, pk):
        patient_condition = get_object_or_404(PatientCondition, patient_id=patient_pk, pk=pk)
        serializer = ps.PatientConditionVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = holds.patient_condition_verify(
            patient_condition=patient_condition, by=request.user, verified=serializer.validated_data["verified"]
        )
        access_record(request, [record.patient_id])
        return Response(ps.PatientConditionSerializer(record).data)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _plan_answer(request, plan: TreatmentPlan) -> Response:
    cascade = getattr(plan, "cascade", [])
    plan = plans_with_sessions().prefetch_related("sessions__appointments").get(pk=plan.pk)
    plan.cascade = cascade
    access_record(request, [plan.patient_id])
    serializer = ts.PlanSerializer if is_clinical(request.user) else ts.PlanDeskSerializer
    return Response(serializer(plan).data)


def _plan_action_schema(request_serializer, description: str):
    return extend_schema(
        request=request_serializer,
        responses={200: ts.PlanSerializer},
        parameters=[IDEMPOTENCY_PARAMETER, OpenApiParameter("id", int, OpenApiParameter.PATH)],
        description=description,
    )


class PlanReviewView(APIView):
    """A practitioner reviews a flagged plan (re-screened; relative findings need `override_reason`)."""

    roles = {"*": CLINICAL}
    error_statuses = {"post": (409,)}

    @_plan_action_schema(s.PlanReviewSerializer, "Re-screen the plan and clear its attention flag, or 409.")
    @idempotent
    def post(self, request, pk):
        data = _valid(s.PlanReviewSerializer, request)
        plan = planning.plan_review(plan=get_object_or_404(TreatmentPlan, pk=pk), by=request.user, **data)
        return _plan_answer(request, plan)


class PlanCancelView(APIView):
    """Cancel a plan and its appointments still ahead (the front desk may)."""

    roles = {"*": STAFF}
    error_statuses = {"post": (409,)}

    @_plan_action_schema(s.ReasonSerializer, "Cancel the plan: its future appointments are cancelled too.")
    @idempotent
    def post(self, request, pk):
        data = _valid(s.ReasonSerializer, request)
        plan = get_object_or_404(TreatmentPlan, pk=pk)
        return _plan_answer(request, planning.plan_cancel_with_appointments(plan=plan, by=request.user, **data))


class SessionSkipView(APIView):
    """A practitioner skips a session of a plan (its appointment, if any, is cancelled)."""

    roles = {"*": CLINICAL}
    error_statuses = {"post": (409,)}

    @extend_schema(
        request=s.ReasonSerializer,
        responses={200: ts.PlanSerializer},
        parameters=[
            IDEMPOTENCY_PARAMETER,
            OpenApiParameter("id", int, OpenApiParameter.PATH),
            OpenApiParameter("sid", int, OpenApiParameter.PATH),
        ],
        description="Skip the session: status `skipped`; the next window counts from the session before it.",
    )
    @idempotent
    def post(self, request, pk, sid):
        data = _valid(s.ReasonSerializer, request)
        session = get_object_or_404(TreatmentSession, pk=sid, plan_id=pk)
        return _plan_answer(request, planning.session_skip_with_appointment(session=session, by=request.user, **data))
