"""The client address of a request, for login lockouts (axes) and the audit trail.

It follows settings.TRUSTED_PROXY_COUNT exactly as DRF's throttles follow NUM_PROXIES (set from the
same setting): with 0 the X-Forwarded-For header is ignored; with N trusted proxies the address is the
N-th entry from the right, the one written by the outermost proxy we trust. Entries further left are
whatever the client sent and never decide the address, so a spoofed header can neither lock out a
staff account nor escape a lockout. One difference from DRF: an entry that is not an IP address (a
proxy misconfiguration, or a request that bypassed the proxy) falls back to REMOTE_ADDR, because the
address is stored in IP-address columns.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _valid_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request) -> str | None:
    meta = request.META
    remote_addr = _valid_ip(meta.get("REMOTE_ADDR"))
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if proxies == 0 or not forwarded:
        return remote_addr
    entries = forwarded.split(",")
    return _valid_ip(entries[-min(proxies, len(entries))]) or remote_addr
