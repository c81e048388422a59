from rest_framework.routers import SimpleRouter

from patients.api import views

router = SimpleRouter()
router.register("patients", views.PatientViewSet, basename="patient")
router.register("conditions", views.ConditionViewSet, basename="condition")

urlpatterns = router.urls
