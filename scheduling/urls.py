"""Public pages outside the API: the signed confirm/cancel links in patient emails (filled by the Celery issue)."""

urlpatterns = []
