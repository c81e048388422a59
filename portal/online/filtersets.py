import django_filters
from django.db.models import Q

from clinic.api.filters import FilterSet
from portal.online.choices import BookingRequestStatus
from portal.online.models import BookingRequest


class BookingRequestFilterSet(FilterSet):
    needs_attention = django_filters.BooleanFilter(
        method="filter_needs_attention", help_text="true: a call-back or a possible duplicate nobody has dealt with."
    )
    status = django_filters.ChoiceFilter(choices=BookingRequestStatus.choices)

    class Meta:
        model = BookingRequest
        fields = ["needs_attention", "status", "location"]

    def filter_needs_attention(self, queryset, name, value):
        waiting = Q(attention_resolved_at__isnull=True) & (Q(call_back=True) | Q(possible_duplicate=True))
        return queryset.filter(waiting) if value else queryset.exclude(waiting)
