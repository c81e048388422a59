from rest_framework.routers import SimpleRouter

from waitlist.api import views

router = SimpleRouter()
# Registered before the entries: "offers" must not be read as an entry id.
router.register("waitlist/offers", views.WaitlistOfferViewSet, basename="waitlist-offer")
router.register("waitlist", views.WaitlistEntryViewSet, basename="waitlist-entry")

urlpatterns = router.urls
