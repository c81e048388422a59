"""`GET /api/v1/schedule/`: per practitioner the working intervals, time off and closures of a location over at most
31 local days, so the desk shades what cannot be booked before anyone clicks it."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.api.fields import AwareDateTimeField, BoundedDateField, IdRelatedField, StrictSerializer
from clinic.api.permissions import STAFF
from scheduling.filtersets import MAX_RANGE_DAYS
from scheduling.models import Location
from scheduling.schedule import location_schedule


class ScheduleQuerySerializer(StrictSerializer):
    location = IdRelatedField(queryset=Location.objects.all(), help_text="The location whose calendar is read.")
    date_from = BoundedDateField(help_text="First local day.")
    date_to = BoundedDateField(help_text=f"Last local day, included (at most {MAX_RANGE_DAYS} days in all).")

    def validate(self, attrs):
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": ["The range must end on or after its first day."]})
        if (attrs["date_to"] - attrs["date_from"]).days + 1 > MAX_RANGE_DAYS:
            raise serializers.ValidationError({"date_to": [f"Ask for at most {MAX_RANGE_DAYS} days at a time."]})
        return attrs


class IntervalSerializer(serializers.Serializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()


class ScheduleClosureSerializer(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField()


class PractitionerScheduleSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="practitioner.pk")
    display_name = serializers.CharField(source="practitioner.display_name")
    working = IntervalSerializer(
        many=True, help_text="When the practitioner works here, on the days the location is open, earliest first."
    )
    time_off = IntervalSerializer(many=True, help_text="Time off overlapping the days asked for.")


class ScheduleSerializer(serializers.Serializer):
    location = serializers.IntegerField(source="location.pk")
    time_zone = serializers.CharField(source="location.time_zone")
    date_from = serializers.DateField(source="first_day")
    date_to = serializers.DateField(source="last_day")
    closures = ScheduleClosureSerializer(many=True, help_text="Days the location is closed (no working intervals).")
    practitioners = PractitionerScheduleSerializer(many=True, help_text="The location's active practitioners.")


class ScheduleView(APIView):
    """A location's bookable time over a few local days: closures, and per practitioner working intervals (closed
    days left out) and time off. Times are ISO 8601 in UTC; `time_zone` is the location's."""

    roles = {"*": STAFF}

    @extend_schema(parameters=[ScheduleQuerySerializer], responses={200: ScheduleSerializer})
    def get(self, request):
        query = ScheduleQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        schedule = location_schedule(
            location=params["location"], first_day=params["date_from"], last_day=params["date_to"]
        )
        return Response(ScheduleSerializer(schedule).data)
