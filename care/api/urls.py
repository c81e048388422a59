from django.urls import path

from care.api import views

urlpatterns = [
    path("patients/<id:pk>/notes/", views.PatientNotesView.as_view(), name="patient-notes"),
    path(
        "appointments/<id:pk>/questionnaire-read/",
        views.QuestionnaireReadView.as_view(),
        name="appointment-questionnaire-read",
    ),
]
