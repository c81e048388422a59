"""Public pages outside the API: the signed confirm/cancel links in patient emails."""

from django.urls import path

from portal.views import AppointmentLinkView, QuestionnaireLinkView, RescheduleLinkView, WaitlistOfferView

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
    path("appointments/reschedule/<str:token>/", RescheduleLinkView.as_view(), name="appointment-reschedule"),
    path("appointments/questionnaire/<str:token>/", QuestionnaireLinkView.as_view(), name="appointment-questionnaire"),
    path("waitlist/offers/<str:token>/", WaitlistOfferView.as_view(), name="waitlist-offer"),
]
