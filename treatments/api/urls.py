from django.urls import path
from rest_framework.routers import SimpleRouter

from treatments.api import views

router = SimpleRouter()
router.register("therapy-types", views.TherapyTypeViewSet, basename="therapy-type")
router.register("products", views.ProductViewSet, basename="product")
router.register("product-lots", views.ProductLotViewSet, basename="product-lot")
router.register("contraindications", views.ContraindicationViewSet, basename="contraindication")
router.register("plans", views.PlanViewSet, basename="plan")

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
    path("screenings/", views.ScreeningView.as_view(), name="screening"),
    *router.urls,
]
