from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.roles import CLINIC_ADMIN, PRACTITIONER, has_role
from exchange.feeds.api.serializers import CalendarFeedSerializer
from exchange.feeds.services import calendar_feed_issue, calendar_feed_revoke
from scheduling.models import Practitioner

PRACTITIONER_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The practitioner's id.")


class CalendarFeedView(APIView):
    """A practitioner's private calendar feed: the practitioner themself or a clinic admin issues (POST) or
    revokes (DELETE) it."""

    roles = {"*": (PRACTITIONER, CLINIC_ADMIN)}

    def practitioner(self, pk) -> Practitioner:
        practitioner = get_object_or_404(Practitioner, pk=pk)
        if not has_role(self.request.user, CLINIC_ADMIN) and practitioner.user_id != self.request.user.pk:
            raise PermissionDenied("Only the practitioner or a clinic admin manages this calendar feed.")
        return practitioner

    @extend_schema(
        request=None,
        responses={201: CalendarFeedSerializer},
        parameters=[PRACTITIONER_ID],
        description="A new secret address for the practitioner's appointments (the last 30 and next 180 days; the "
        "therapy and the patient's initials only) as iCalendar. Any earlier address stops working. The address is "
        "in this answer only (the clinic keeps its hash), so no Idempotency-Key replay: posting again issues "
        "another.",
    )
    def post(self, request, pk):
        if request.data:
            raise ValidationError({"non_field_errors": ["Send no body."]})
        secret = calendar_feed_issue(practitioner=self.practitioner(pk), by=request.user)
        url = request.build_absolute_uri(reverse("calendar-feed", kwargs={"secret": secret}))
        return Response(CalendarFeedSerializer({"url": url}).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={204: None},
        parameters=[PRACTITIONER_ID],
        description="Revoke the practitioner's feed: its address stops working (204 also when there was none).",
    )
    def delete(self, request, pk):
        calendar_feed_revoke(practitioner=self.practitioner(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
