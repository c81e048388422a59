from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinic.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/", include("clinic.api.urls")),
    path("desk/", include("frontdesk.urls")),
    # Included by name: the ground floor imports no app (exchange sits at the top of the layers).
    path("fhir/", include("exchange.fhir.urls")),
    path("feeds/", include("exchange.feeds.urls")),
    path("", include("portal.urls")),
]
