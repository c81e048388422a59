from django.urls import path
from rest_framework.routers import SimpleRouter

from messaging.webhooks.api import views

router = SimpleRouter()
router.register("webhooks", views.WebhookEndpointViewSet, basename="webhook")

urlpatterns = [
    path(
        "webhooks/<id:pk>/deliveries/",
        views.WebhookDeliveryListView.as_view({"get": "list"}),
        name="webhook-delivery-list",
    ),
    path(
        "webhooks/<id:pk>/deliveries/<id:did>/retry/",
        views.WebhookDeliveryRetryView.as_view(),
        name="webhook-delivery-retry",
    ),
    *router.urls,
]
