from django.urls import path
from rest_framework.routers import SimpleRouter

from portal.online.api import staff, views

router = SimpleRouter()
router.register("online-requests", staff.OnlineRequestViewSet, basename="online-request")

urlpatterns = [
    path("public/catalog/", views.CatalogView.as_view(), name="public-catalog"),
    path("public/slots/", views.SlotsView.as_view(), name="public-slots"),
    path("public/questions/", views.QuestionsView.as_view(), name="public-questions"),
    path("public/booking-requests/", views.BookingRequestsView.as_view(), name="public-booking-requests"),
]
urlpatterns += router.urls
