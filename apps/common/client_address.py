"""The client's IP address, trusting ``X-Forwarded-For`` only as far as the configured proxies.

Every place that keys anything on "the client" (REST throttles, login lockout, logs) asks this
module, so a header a client chose never becomes its address. ``TRUSTED_PROXY_COUNT`` is the
number of reverse proxies in front of the application that each *append* the address they saw
to ``X-Forwarded-For`` (or, for the one proxy of docs/operations.md, overwrite it). With 0 (the
default) the header is ignored and the peer address is the client.
"""

import ipaddress
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest


def client_address_resolve(
    *, peer_address: str | None, forwarded_for: str | None, trusted_proxy_count: int
) -> str | None:
    """The client address: the ``trusted_proxy_count``-th entry from the right of
    ``forwarded_for`` (the one the outermost trusted proxy saw), or ``peer_address`` when no
    proxy is trusted, the header is absent, or that entry is not an IP address."""
    if trusted_proxy_count <= 0 or not forwarded_for:
        return peer_address
    entries = [entry.strip() for entry in forwarded_for.split(",")]
    # Fewer entries than proxies: the outermost proxy overwrote the header; its first entry is
    # the address that proxy saw (the same rule as DRF's NUM_PROXIES).
    candidate = entries[-min(trusted_proxy_count, len(entries))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        # A trusted proxy never writes garbage; refuse to key anything on it.
        return peer_address


def client_address_from_meta(meta: Mapping[str, Any]) -> str | None:
    return client_address_resolve(
        peer_address=meta.get("REMOTE_ADDR") or None,
        forwarded_for=meta.get("HTTP_X_FORWARDED_FOR"),
        trusted_proxy_count=settings.TRUSTED_PROXY_COUNT,
    )


def client_address_of_request(request: HttpRequest) -> str | None:
    """The client address of a Django (or DRF) request; also django-axes' IP callable."""
    return client_address_from_meta(request.META)
