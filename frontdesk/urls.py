"""The front-desk page at /desk/ and the practitioner's view of one patient."""

from django.urls import path

from frontdesk import views

app_name = "frontdesk"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("patients/<int:patient_id>/", views.patient, name="patient"),
]
