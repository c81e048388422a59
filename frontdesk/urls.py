"""The front-desk page at /desk/ (filled by the front-desk issue)."""

urlpatterns = []
