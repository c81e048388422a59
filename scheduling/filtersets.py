from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import django_filters
from django.conf import settings

from clinic.api.filters import FilterSet
from scheduling.choices import AppointmentStatus, OfferStatus, ReminderStatus, WaitlistStatus
from scheduling.models import Appointment, Device, Location, Practitioner, Reminder, Room, WaitlistEntry, WaitlistOffer
from treatments.models import TherapyType


class AppointmentFilterSet(FilterSet):
    date = django_filters.DateFilter(
        method="filter_date",
        help_text="A calendar day in the location's time zone (the clinic's default zone without ?location=).",
    )
    date_from = django_filters.DateFilter(method="filter_from")
    date_to = django_filters.DateFilter(method="filter_to")
    status = django_filters.MultipleChoiceFilter(choices=AppointmentStatus.choices)
    location = django_filters.ModelChoiceFilter(queryset=Location.objects.all())

    class Meta:
        model = Appointment
        fields = ["date", "practitioner", "patient", "status", "location", "plan"]

    def filter_from(self, queryset, name, value):
        location = self.form.cleaned_data.get("location")
        zone = location.zone if location else ZoneInfo(settings.CLINIC_DEFAULT_TIME_ZONE)
        return queryset.filter(end__gt=datetime.combine(value, time.min, tzinfo=zone))

    def filter_to(self, queryset, name, value):
        location = self.form.cleaned_data.get("location")
        zone = location.zone if location else ZoneInfo(settings.CLINIC_DEFAULT_TIME_ZONE)
        return queryset.filter(start__lt=datetime.combine(value + timedelta(days=1), time.min, tzinfo=zone))

    def filter_date(self, queryset, name, value):
        location = self.form.cleaned_data.get("location")
        zone = location.zone if location else ZoneInfo(settings.CLINIC_DEFAULT_TIME_ZONE)
        day_start = datetime.combine(value, time.min, tzinfo=zone)
        day_end = datetime.combine(value + timedelta(days=1), time.min, tzinfo=zone)
        return queryset.overlapping(day_start, day_end)


class ReminderFilterSet(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ReminderStatus.choices)

    class Meta:
        model = Reminder
        fields = ["status", "appointment"]


class PractitionerFilterSet(FilterSet):
    therapy_types = django_filters.ModelChoiceFilter(queryset=TherapyType.objects.all(), label="Gives this therapy")
    locations = django_filters.ModelChoiceFilter(queryset=Location.objects.all(), label="Works at this location")

    class Meta:
        model = Practitioner
        fields = ["therapy_types", "locations", "active"]


class RoomFilterSet(FilterSet):
    class Meta:
        model = Room
        fields = ["location", "kind", "active"]


class DeviceFilterSet(FilterSet):
    kind = django_filters.CharFilter(max_length=32)

    class Meta:
        model = Device
        fields = ["location", "kind", "active"]


class WaitlistEntryFilterSet(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=WaitlistStatus.choices)

    class Meta:
        model = WaitlistEntry
        fields = ["status", "patient", "location", "therapy_type", "practitioner"]


class WaitlistOfferFilterSet(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=OfferStatus.choices)

    class Meta:
        model = WaitlistOffer
        fields = ["status", "entry", "practitioner"]
