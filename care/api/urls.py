from django.urls import path
from rest_framework.routers import SimpleRouter

from care.api import notes, views

router = SimpleRouter()
router.register("appointments", views.AppointmentViewSet, basename="appointment")

patient_conditions = views.PatientConditionViewSet.as_view({"get": "list", "post": "create"})
patient_condition = views.PatientConditionViewSet.as_view({"get": "retrieve", "patch": "partial_update"})

urlpatterns = [
    path("patients/<id:patient_pk>/conditions/", patient_conditions, name="patient-condition-list"),
    path("patients/<id:patient_pk>/conditions/<id:pk>/", patient_condition, name="patient-condition-detail"),
    path(
        "patients/<id:patient_pk>/conditions/<id:pk>/verify/",
        views.PatientConditionVerifyView.as_view(),
        name="patient-condition-verify",
    ),
    path("patients/<id:pk>/notes/", notes.PatientNotesView.as_view(), name="patient-notes"),
    path(
        "appointments/<id:pk>/questionnaire-read/",
        notes.QuestionnaireReadView.as_view(),
        name="appointment-questionnaire-read",
    ),
    path("plans/<id:pk>/schedule/", views.PlanScheduleView.as_view(), name="plan-schedule"),
    path("plans/<id:pk>/review/", views.PlanReviewView.as_view(), name="plan-review"),
    path("plans/<id:pk>/cancel/", views.PlanCancelView.as_view(), name="plan-cancel"),
    path("plans/<id:pk>/sessions/<id:sid>/skip/", views.SessionSkipView.as_view(), name="plan-session-skip"),
    *router.urls,
]
