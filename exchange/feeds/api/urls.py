from django.urls import path

from exchange.feeds.api import views

urlpatterns = [
    path("practitioners/<id:pk>/calendar-feed/", views.CalendarFeedView.as_view(), name="practitioner-calendar-feed"),
]
