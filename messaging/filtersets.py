"""The reminder list's filters (the API's ?status=...&appointment=...)."""

import django_filters

from clinic.api.filters import FilterSet
from scheduling.choices import ReminderStatus
from scheduling.models import Reminder


class ReminderFilterSet(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ReminderStatus.choices)

    class Meta:
        model = Reminder
        fields = ["status", "appointment"]
