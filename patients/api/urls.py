from django.urls import path
from rest_framework.routers import SimpleRouter

from patients.api import views

router = SimpleRouter()
router.register("patients", views.PatientViewSet, basename="patient")
router.register("conditions", views.ConditionViewSet, basename="condition")

urlpatterns = [
    path("patients/<id:pk>/access-log/", views.PatientAccessLogView.as_view(), name="patient-access-log"),
    *router.urls,
]
