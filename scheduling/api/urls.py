from django.urls import path
from rest_framework.routers import SimpleRouter

from scheduling.api import views
from scheduling.api.schedule import ScheduleView

router = SimpleRouter()
router.register("locations", views.LocationViewSet, basename="location")
router.register("practitioners", views.PractitionerViewSet, basename="practitioner")
router.register("rooms", views.RoomViewSet, basename="room")
router.register("devices", views.DeviceViewSet, basename="device")
router.register("appointments", views.AppointmentViewSet, basename="appointment")
router.register("reminders", views.ReminderViewSet, basename="reminder")
# Registered before the entries: "offers" must not be read as an entry id.
router.register("waitlist/offers", views.WaitlistOfferViewSet, basename="waitlist-offer")
router.register("waitlist", views.WaitlistEntryViewSet, basename="waitlist-entry")

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
    path("availability/", views.AvailabilityView.as_view(), name="availability"),
    path("schedule/", ScheduleView.as_view(), name="schedule"),
    path("plans/<id:pk>/schedule/", views.PlanScheduleView.as_view(), name="plan-schedule"),
    path("plans/<id:pk>/review/", views.PlanReviewView.as_view(), name="plan-review"),
    path("plans/<id:pk>/cancel/", views.PlanCancelView.as_view(), name="plan-cancel"),
    path("plans/<id:pk>/sessions/<id:sid>/skip/", views.SessionSkipView.as_view(), name="plan-session-skip"),
    path("product-lots/<id:pk>/recipients/", views.LotRecipientsView.as_view(), name="lot-recipients"),
    path("product-lots/<id:pk>/recall/", views.LotRecallView.as_view(), name="lot-recall"),
    *router.urls,
]
