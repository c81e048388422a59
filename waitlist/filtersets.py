"""The waitlist's list filters (the API's ?status=... on entries and offers)."""

import django_filters

from clinic.api.filters import FilterSet
from scheduling.choices import OfferStatus, WaitlistStatus
from scheduling.models import WaitlistEntry, WaitlistOffer


class WaitlistEntryFilterSet(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=WaitlistStatus.choices)

    class Meta:
        model = WaitlistEntry
        fields = ["status", "patient", "location", "therapy_type", "practitioner", "needs_attention"]


class WaitlistOfferFilterSet(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=OfferStatus.choices)

    class Meta:
        model = WaitlistOffer
        fields = ["status", "entry", "practitioner"]
