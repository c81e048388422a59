from django.urls import path

from exchange.api import views

urlpatterns = [
    path("patients/<id:pk>/export/", views.PatientExportView.as_view(), name="patient-export"),
]
