"""The client's address, read the one way throttles and the sign-in lockout both use.

`CLINIC_TRUSTED_PROXIES` is the number of reverse proxies in front of the web processes (0: clients connect
directly). With 0, X-Forwarded-For is never read: anyone can send it. With N, each trusted proxy appends the address
it saw, so the client is the N-th entry from the right; entries further left were written by the client and are
ignored. The chain is parsed by django-ipware (python-ipware), not by hand.
"""

from django.conf import settings
from ipware.ip import get_client_ip


def client_address(request) -> str:
    """The address of the client that sent `request` (a Django HttpRequest or DRF Request), never a value the
    client chose: REMOTE_ADDR without trusted proxies, or when the proxies' header is missing or malformed."""
    request = getattr(request, "_request", request)
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.CLINIC_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    # ipware counts the proxies named inside the header; our last proxy is REMOTE_ADDR, so it names one fewer.
    found, _ = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=proxies - 1,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        strict=False,
    )
    return found or remote
