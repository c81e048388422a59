from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from clinic.api.permissions import CLINICAL, STAFF, is_clinical
from patients.audit import access_record
from treatments import consent as consent_services
from treatments import plans, screening
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
    # Rules carry clinical rationale: practitioners and clinic admins read them, the front desk does not.
    roles = {"*": CLINICAL}


class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Treatment plans; the front desk reads them without override reasons or notes."""

    queryset = TreatmentPlan.objects.select_related("patient").prefetch_related("sessions__appointments")
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

    @extend_schema(
        request=s.PlanCreateSerializer, responses={201: s.PlanSerializer}, parameters=[IDEMPOTENCY_PARAMETER]
    )
    @idempotent
    def create(self, request):
        """Open a plan. A relative contraindication needs `override_reason` (practitioners only)."""
        serializer = s.PlanCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = plans.plan_create(by=request.user, **serializer.validated_data)
        plan = self.get_queryset().get(pk=plan.pk)
        return Response(s.PlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.ConsentCreateSerializer, responses={201: s.ConsentSerializer}, parameters=[IDEMPOTENCY_PARAMETER]
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    @idempotent
    def consent(self, request, pk=None):
        """Record the patient's consent to this plan (needed before a session is completed)."""
        serializer = s.ConsentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consent = consent_services.consent_record(plan=self.get_object(), by=request.user, **serializer.validated_data)
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
