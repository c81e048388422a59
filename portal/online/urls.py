"""The online booking pages, mounted at /book/."""

from django.urls import path

from portal.online import views

urlpatterns = [
    path("", views.ChooseView.as_view(), name="online-choose"),
    path("times/", views.TimesView.as_view(), name="online-times"),
    path("details/", views.DetailsView.as_view(), name="online-details"),
    path("sent/", views.SentView.as_view(), name="online-sent"),
    path("requests/<str:secret>/", views.RequestView.as_view(), name="online-request"),
]
