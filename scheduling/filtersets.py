from datetime import date

import django_filters

from clinic.api.filters import FilterSet
from clinic.clock import clinic_zone
from scheduling.choices import AppointmentStatus
from scheduling.closures import local_day_bounds
from scheduling.models import Appointment, Device, Location, Practitioner, Room
from scheduling.selectors import appointments_needing_attention
from treatments.models import TherapyType

MAX_RANGE_DAYS = 31
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2100, 12, 31)


class AppointmentFilterSet(FilterSet):
    date = django_filters.DateFilter(
        method="filter_date",
        help_text="A calendar day in the location's time zone (the clinic's default zone without ?location=).",
    )
    date_from = django_filters.DateFilter(
        method="filter_range",
        help_text=f"First local day of a range (with date_to, at most {MAX_RANGE_DAYS} days): a week in one request.",
    )
    date_to = django_filters.DateFilter(method="filter_range", help_text="Last local day of the range, included.")
    status = django_filters.MultipleChoiceFilter(choices=AppointmentStatus.choices)
    location = django_filters.ModelChoiceFilter(queryset=Location.objects.all())
    needs_attention = django_filters.BooleanFilter(
        method="filter_needs_attention",
        help_text="true: future appointments a person must act on (holds, practitioner inactive, closed day, "
        "missed session), soonest first.",
    )
    ordering = django_filters.OrderingFilter(
        fields=(("start", "start"),), help_text="start (the default) or -start: a patient's history, latest first."
    )

    class Meta:
        model = Appointment
        fields = [
            "date",
            "date_from",
            "date_to",
            "practitioner",
            "patient",
            "status",
            "location",
            "plan",
            "needs_attention",
        ]

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if not valid:
            return False
        for field, message in self._range_errors().items():
            self.form.add_error(field, message)
            valid = False
        return valid

    def _range_errors(self) -> dict[str, str]:
        data = self.form.cleaned_data
        day, first, last = data.get("date"), data.get("date_from"), data.get("date_to")
        for name, value in (("date", day), ("date_from", first), ("date_to", last)):
            if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
                return {name: f"Give a day between {EARLIEST_DAY:%Y} and {LATEST_DAY:%Y}."}
        if day is not None and (first or last):
            return {"date": "Give either date or date_from and date_to, not both."}
        if (first is None) != (last is None):
            return {"date_to" if last is None else "date_from": "Give date_from and date_to together."}
        if first is not None and last < first:
            return {"date_to": "The range must end on or after its first day."}
        if first is not None and (last - first).days + 1 > MAX_RANGE_DAYS:
            return {"date_to": f"Ask for at most {MAX_RANGE_DAYS} days at a time."}
        return {}

    def local_days(self) -> tuple[date, date] | None:
        """The first and last local day asked for (date, or date_from..date_to), once valid; None without days."""
        data = self.form.cleaned_data
        if data.get("date") is not None:
            return data["date"], data["date"]
        if data.get("date_from") is not None:
            return data["date_from"], data["date_to"]
        return None

    def _zone(self):
        location = self.form.cleaned_data.get("location")
        return location.zone if location else clinic_zone()

    def filter_needs_attention(self, queryset, name, value):
        attention = appointments_needing_attention(queryset)
        return attention if value else queryset.exclude(pk__in=attention.values("pk"))

    def filter_date(self, queryset, name, value):
        day_start, day_end = local_day_bounds(value, self._zone())
        return queryset.overlapping(day_start, day_end)

    def filter_range(self, queryset, name, value):
        if name != "date_from":
            return queryset  # date_from's filter reads both ends
        first, last = self.local_days()
        zone = self._zone()
        return queryset.overlapping(local_day_bounds(first, zone)[0], local_day_bounds(last, zone)[1])


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
