"""Answers that carry clinical data are never kept by a browser or a proxy.

The one access-log rule (patients.audit.access_record) marks the request whose answer carries clinical data; the
middleware below then sends `Cache-Control: no-store` with that answer, whatever view or page produced it."""

from django.utils.cache import add_never_cache_headers

MARK = "clinic_clinical_answer"


def mark_clinical_answer(request) -> None:
    """Note that this request's answer carries clinical data (a DRF Request or a Django HttpRequest)."""
    setattr(getattr(request, "_request", request), MARK, True)


class ClinicalAnswerNoStoreMiddleware:
    """Adds `Cache-Control: no-store` (and Django's never-cache headers) to every answer marked clinical."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, MARK, False):
            add_never_cache_headers(response)
        return response
