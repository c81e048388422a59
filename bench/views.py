from django.http import JsonResponse

from patients.models import Patient


def baseline(request):
    """One indexed SELECT (a patient by primary key) through the same middleware, no auth, no DRF: the floor."""
    row = Patient.objects.filter(pk=int(request.GET.get("id", "1"))).values("id", "first_name", "last_name").first()
    return JsonResponse(row or {}, status=200 if row else 404)
