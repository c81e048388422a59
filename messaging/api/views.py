from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from clinic.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from clinic.api.permissions import STAFF
from messaging import reminders
from messaging.api import serializers as s
from scheduling.filtersets import (
    ReminderFilterSet,
)
from scheduling.models import Reminder


class ReminderViewSet(viewsets.ReadOnlyModelViewSet):
    """Reminder emails owed to patients and their delivery state."""

    queryset = Reminder.objects.select_related("appointment__patient")
    serializer_class = s.ReminderSerializer
    filterset_class = ReminderFilterSet
    roles = {"*": STAFF}
    error_statuses = {"retry": (409,)}

    @extend_schema(
        request=None,
        responses={200: s.ReminderSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        description="Send a failed reminder again: it becomes pending and goes out at once (409 unless failed).",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    @idempotent
    def retry(self, request, pk=None):
        reminder = reminders.reminder_retry(reminder=self.get_object(), by=request.user)
        return Response(s.ReminderSerializer(reminder).data)
