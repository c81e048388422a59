from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api.permissions import CLINICAL, STAFF, is_clinical
from patients.audit import access_record
from patients.models import Patient, PatientCondition
from treatments import screening, services
from treatments.api import serializers as s
from treatments.filtersets import (
    ContraindicationFilterSet,
    ProductFilterSet,
    ProductLotFilterSet,
    TreatmentPlanFilterSet,
)
from treatments.models import Contraindication, Product, ProductLot, TherapyType, TreatmentPlan


class TherapyTypeViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = TherapyType.objects.all()
    serializer_class = s.TherapyTypeSerializer
    roles = {"*": STAFF}


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Product.objects.all()
    serializer_class = s.ProductSerializer
    filterset_class = ProductFilterSet
    roles = {"*": STAFF}


class ProductLotViewSet(viewsets.ReadOnlyModelViewSet):
    """Lots and their status; who received one and its recall are scheduling's (they read the visits)."""

    queryset = ProductLot.objects.all()
    serializer_class = s.ProductLotSerializer
    filterset_class = ProductLotFilterSet
    roles = {"*": STAFF}


class ContraindicationViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Contraindication.objects.select_related("condition", "therapy_type")
    serializer_class = s.ContraindicationSerializer
    filterset_class = ContraindicationFilterSet
    roles = {"*": STAFF}


class PatientConditionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """A patient's conditions, medications and allergies (clinical data: practitioners and clinic admins)."""

    serializer_class = s.PatientConditionSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    roles = {"*": CLINICAL}

    def get_patient(self) -> Patient:
        return get_object_or_404(Patient, pk=self.kwargs["patient_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PatientCondition.objects.none()
        return PatientCondition.objects.filter(patient_id=self.kwargs["patient_pk"]).select_related("condition")

    def get_serializer_class(self):
        return s.PatientConditionUpdateSerializer if self.action == "partial_update" else s.PatientConditionSerializer

    def list(self, request, *args, **kwargs):
        patient = self.get_patient()
        response = super().list(request, *args, **kwargs)
        access_record(request, [patient])
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        access_record(request, [self.kwargs["patient_pk"]])
        return response

    @extend_schema(request=s.PatientConditionSerializer, responses={201: s.PatientConditionSerializer})
    def create(self, request, *args, **kwargs):
        patient = self.get_patient()
        serializer = s.PatientConditionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.patient_condition_record(patient=patient, by=request.user, **serializer.validated_data)
        return Response(s.PatientConditionSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.PatientConditionUpdateSerializer, responses={200: s.PatientConditionSerializer})
    def partial_update(self, request, *args, **kwargs):
        patient_condition = self.get_object()
        serializer = s.PatientConditionUpdateSerializer(patient_condition, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        record = services.patient_condition_update(
            patient_condition=patient_condition, by=request.user, **serializer.validated_data
        )
        return Response(s.PatientConditionSerializer(record).data)


class PatientConditionVerifyView(APIView):
    """A practitioner's verdict on a patient's condition, typically one the patient declared in the questionnaire
    (true: confirmed; false: rejected, which makes it inactive)."""

    roles = {"*": CLINICAL}

    @extend_schema(
        request=s.PatientConditionVerifySerializer,
        responses={200: s.PatientConditionSerializer},
        parameters=[
            OpenApiParameter("patient_pk", int, OpenApiParameter.PATH),
            OpenApiParameter("pk", int, OpenApiParameter.PATH),
        ],
    )
    def post(self, request, patient_pk, pk):
        patient_condition = get_object_or_404(PatientCondition, patient_id=patient_pk, pk=pk)
        serializer = s.PatientConditionVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.patient_condition_verify(
            patient_condition=patient_condition, by=request.user, verified=serializer.validated_data["verified"]
        )
        access_record(request, [record.patient_id])
        return Response(s.PatientConditionSerializer(record).data)


class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Treatment plans; the front desk reads them without override reasons or notes."""

    queryset = TreatmentPlan.objects.prefetch_related("sessions__appointments")
    filterset_class = TreatmentPlanFilterSet
    roles = {"*": STAFF, "create": CLINICAL, "consent": CLINICAL}
    error_statuses = {"create": (409,), "consent": (409,)}

    def get_serializer_class(self):
        return s.PlanSerializer if is_clinical(self.request.user) else s.PlanDeskSerializer

    @extend_schema(responses=s.PlanSerializer(many=True))
    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        access_record(request, [plan["patient"] for plan in response.data["results"]])
        return response

    @extend_schema(responses=s.PlanSerializer)
    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        access_record(request, [response.data["patient"]])
        return response

    @extend_schema(request=s.PlanCreateSerializer, responses={201: s.PlanSerializer})
    def create(self, request):
        """Open a plan. A relative contraindication needs `override_reason` (practitioners only)."""
        serializer = s.PlanCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = services.plan_create(by=request.user, **serializer.validated_data)
        plan = self.get_queryset().get(pk=plan.pk)
        return Response(s.PlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ConsentCreateSerializer, responses={201: s.ConsentSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def consent(self, request, pk=None):
        """Record the patient's consent to this plan (needed before a session is completed)."""
        serializer = s.ConsentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consent = services.consent_record(plan=self.get_object(), by=request.user, **serializer.validated_data)
        return Response(s.ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)


class ScreeningView(APIView):
    """Screen a patient for a therapy (and product) without opening a plan."""

    roles = {"*": STAFF}

    @extend_schema(
        request=s.ScreeningRequestSerializer,
        responses={200: s.ScreeningResultSerializer},
        description="Practitioners and clinic admins get every finding in full; the front desk gets `eligible` and "
        "the condition names of the findings only.",
    )
    def post(self, request):
        serializer = s.ScreeningRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = screening.screen(data["patient"], data["therapy_type"], data.get("product")).as_dict()
        access_record(request, [data["patient"]])
        output = s.ScreeningResultSerializer if is_clinical(request.user) else s.ScreeningNamesSerializer
        return Response(output(result).data)
