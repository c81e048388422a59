"""Public pages outside the API: the signed confirm/cancel links in patient emails."""

from django.urls import path

from scheduling.views import AppointmentLinkView

urlpatterns = [
    path(
        "appointments/confirm/<str:token>/",
        AppointmentLinkView.as_view(action="confirm"),
        name="appointment-confirm",
    ),
    path(
        "appointments/cancel/<str:token>/",
        AppointmentLinkView.as_view(action="cancel"),
        name="appointment-cancel",
    ),
]
