"""Where a webhook may go: https to public addresses only, checked when an endpoint is saved and again at every
delivery after DNS resolution (a name can be re-pointed at 127.0.0.1 after it was accepted), and the delivery then
connects to the very address checked. CLINIC_WEBHOOKS_ALLOW_PRIVATE=true allows http and any address."""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeUrl(ValueError):
    """A webhook URL the clinic will not call; the message says why, in a sentence."""


@dataclass(frozen=True)
class Target:
    """A URL resolved and checked: connect to `address`, speak to `host`."""

    scheme: str
    host: str
    port: int
    address: str
    path: str  # with the query

    @property
    def pinned_url(self) -> str:
        address = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.scheme}://{address}:{self.port}{self.path}"

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def _refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why a connection to `ip` is refused, or None for a public address."""
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        return _refused(mapped)
    for test, words in (
        (ip.is_unspecified, "an unspecified"),
        (ip.is_loopback, "a loopback"),
        (ip.is_link_local, "a link-local"),
        (ip.is_private, "a private"),
        (ip.is_multicast, "a multicast"),
        (ip.is_reserved, "a reserved"),
        (not ip.is_global, "a non-public"),
    ):
        if test:
            return f"{ip} is {words} address"
    return None


def _split(url: str) -> tuple[str, str, int, str]:
    allow_private = settings.CLINIC_WEBHOOKS_ALLOW_PRIVATE
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"The URL is not valid: {exc}.") from exc
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise UnsafeUrl("A webhook URL must start with https://.")
    if not parts.hostname:
        raise UnsafeUrl("The URL has no host.")
    if parts.username or parts.password:
        raise UnsafeUrl("A webhook URL must not carry a user name or password.")
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def url_resolve(url: str) -> Target:
    """Resolve `url` and pick the address to connect to.

    Guarantees: UnsafeUrl unless the URL is https (or http with CLINIC_WEBHOOKS_ALLOW_PRIVATE), has a host that
    resolves, and every address it resolves to is public (any address with CLINIC_WEBHOOKS_ALLOW_PRIVATE): one
    private answer among public ones refuses the URL, so the connection cannot be steered to it.
    """
    scheme, host, port, path = _split(url)
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl(f"The host {host} does not resolve.") from exc
    addresses = list(dict.fromkeys(answer[4][0] for answer in answers))
    if not addresses:
        raise UnsafeUrl(f"The host {host} does not resolve.")
    if not settings.CLINIC_WEBHOOKS_ALLOW_PRIVATE:
        for address in addresses:
            reason = _refused(ipaddress.ip_address(address.split("%")[0]))
            if reason:
                raise UnsafeUrl(f"Webhooks are not sent to {host}: {reason}.")
    return Target(scheme=scheme, host=host, port=port, address=addresses[0], path=path)
