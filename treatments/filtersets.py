import django_filters
from django.db.models import Q

from clinic.api.filters import FilterSet
from treatments.choices import PlanStatus, ProductSource, Severity
from treatments.models import Contraindication, Product, ProductLot, TherapyType, TreatmentPlan


class ProductFilterSet(FilterSet):
    therapy_type = django_filters.ModelChoiceFilter(queryset=TherapyType.objects.all())
    source = django_filters.ChoiceFilter(choices=ProductSource.choices)

    class Meta:
        model = Product
        fields = ["therapy_type", "source", "active"]


class ProductLotFilterSet(FilterSet):
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.all())
    lot_number = django_filters.CharFilter(max_length=64)

    class Meta:
        model = ProductLot
        fields = ["product", "lot_number"]


class ContraindicationFilterSet(FilterSet):
    therapy_type = django_filters.ModelChoiceFilter(queryset=TherapyType.objects.all())
    severity = django_filters.ChoiceFilter(choices=Severity.choices)

    class Meta:
        model = Contraindication
        fields = ["therapy_type", "severity", "condition"]


class TreatmentPlanFilterSet(FilterSet):
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)
    needs_attention = django_filters.BooleanFilter(
        method="filter_needs_attention", help_text="true: active plans flagged for a person (closed plans never are)."
    )

    class Meta:
        model = TreatmentPlan
        fields = ["patient", "therapy_type", "status", "needs_attention"]

    def filter_needs_attention(self, queryset, name, value):
        flagged = Q(needs_attention=True, status=PlanStatus.ACTIVE)
        return queryset.filter(flagged) if value else queryset.exclude(flagged)
