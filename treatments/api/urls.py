from django.urls import path
from rest_framework.routers import SimpleRouter

from treatments.api import views

router = SimpleRouter()
router.register("therapy-types", views.TherapyTypeViewSet, basename="therapy-type")
router.register("products", views.ProductViewSet, basename="product")
router.register("product-lots", views.ProductLotViewSet, basename="product-lot")
router.register("contraindications", views.ContraindicationViewSet, basename="contraindication")
router.register("plans", views.PlanViewSet, basename="plan")

urlpatterns = [
    path("screenings/", views.ScreeningView.as_view(), name="screening"),
    *router.urls,
]
