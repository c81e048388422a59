from django.urls import path
from rest_framework.routers import SimpleRouter

from scheduling.api import views
from scheduling.api.schedule import ScheduleView

router = SimpleRouter()
router.register("locations", views.LocationViewSet, basename="location")
router.register("practitioners", views.PractitionerViewSet, basename="practitioner")
router.register("rooms", views.RoomViewSet, basename="room")
router.register("devices", views.DeviceViewSet, basename="device")

urlpatterns = [
    path("availability/", views.AvailabilityView.as_view(), name="availability"),
    path("availability/days/", views.AvailabilityDaysView.as_view(), name="availability-days"),
    path("schedule/", ScheduleView.as_view(), name="schedule"),
    path("product-lots/<id:pk>/recipients/", views.LotRecipientsView.as_view(), name="lot-recipients"),
    path("product-lots/<id:pk>/recall/", views.LotRecallView.as_view(), name="lot-recall"),
    *router.urls,
]
