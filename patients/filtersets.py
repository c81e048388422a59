import django_filters

from clinic.api.filters import FilterSet
from patients.choices import ConditionKind
from patients.models import Condition, Patient
from patients.search import patients_matching


class PatientFilterSet(FilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text="Words matched against name, email and phone, accents and case ignored, typos ranked by "
        "similarity; a phone number in national form (the clinic's country) or international; a date of birth "
        "as 1977-09-14 or 14/09/1977. Best matches first.",
    )

    has_email = django_filters.BooleanFilter(
        method="filter_has_email", help_text="false: patients the clinic cannot email (the desk's call list)."
    )

    class Meta:
        model = Patient
        fields = ["search", "has_email"]

    def filter_has_email(self, queryset, name, value):
        return queryset.exclude(email="") if value else queryset.filter(email="")

    def filter_search(self, queryset, name, value):
        # Every word must match somewhere, so "jane smith" finds Jane Smith but not every Jane.
        return patients_matching(queryset, value)


class ConditionFilterSet(FilterSet):
    kind = django_filters.ChoiceFilter(choices=ConditionKind.choices)
    code = django_filters.CharFilter(max_length=64)

    class Meta:
        model = Condition
        fields = ["kind", "code"]
