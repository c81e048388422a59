"""Online requests as the clinic sees them: the pending ones (their slots are held) and those that need a person
(a call-back, a possible duplicate). The front desk reads neutral reasons; clinical roles read the answers, the
note and the findings, and those reads are audited."""

from django.utils.cache import patch_cache_control
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from clinic.api.permissions import STAFF, is_clinical
from patients.audit import access_record
from portal.online import confirming
from portal.online.filtersets import BookingRequestFilterSet
from portal.online.models import BookingRequest

CLINICAL_FIELDS = ("answers", "note", "findings")


class OnlineRequestSerializer(serializers.ModelSerializer):
    needs_attention = serializers.BooleanField(read_only=True)
    attention_reason = serializers.SerializerMethodField()
    therapy_type_name = serializers.CharField(source="therapy_type.name", read_only=True)
    room = serializers.IntegerField(source="slot_hold.room_id", read_only=True, help_text="The room the slot holds.")

    class Meta:
        model = BookingRequest
        fields = [
            "id",
            "status",
            "therapy_type",
            "therapy_type_name",
            "product",
            "location",
            "practitioner",
            "room",
            "start",
            "end",
            "expires_at",
            "first_name",
            "last_name",
            "email",
            "phone",
            "date_of_birth",
            "patient",
            "appointment",
            "call_back",
            "possible_duplicate",
            "duplicate_of",
            "needs_attention",
            "attention_reason",
            "attention_resolved_at",
            "created_at",
            *CLINICAL_FIELDS,
        ]
        read_only_fields = fields

    def get_attention_reason(self, request) -> str:
        return confirming.attention_reason(request, clinical=self.context.get("clinical", False))

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("clinical", False):
            for name in CLINICAL_FIELDS:
                data.pop(name, None)
        return data


@extend_schema_view(
    list=extend_schema(
        description="Online booking requests, newest first. `answers`, `note` and `findings`: clinical roles only."
    )
)
class OnlineRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = OnlineRequestSerializer
    roles = {"*": STAFF}

    queryset = BookingRequest.objects.select_related("therapy_type", "slot_hold").order_by("-created_at", "-id")
    filterset_class = BookingRequestFilterSet

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "clinical": is_clinical(self.request.user)}

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_cache_control(response, no_store=True)
        return response

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        self._audit(request, response.data.get("results", []))
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        self._audit(request, [response.data])
        return response

    def _audit(self, request, rows) -> None:
        if is_clinical(request.user):
            access_record(request, [row["patient"] for row in rows if row.get("patient")])

    @extend_schema(request=None, responses={200: OnlineRequestSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """A person dealt with it (called back, checked the record): it leaves the attention list."""
        resolved = confirming.booking_request_resolve(request=self.get_object(), by=request.user)
        return Response(self.get_serializer(resolved).data)
