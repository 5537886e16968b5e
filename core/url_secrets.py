"""Secrets that travel in URL paths, and their masking for every log (no Django import: gunicorn's
master process loads this for its access log).

A booking's manage token (or the signed link sent in messages) is a path segment of the public
manage, confirmation and calendar URLs (`/appointments/<code>/m/<token>/…`,
`/appointments/<code>/confirmation/<token>/`), as is a waiting-list offer's signed value
(`/waitlist/<id>/<token>/`), not a query parameter: browsers and proxies keep query strings in
more places (history, Referer, analytics). The gunicorn access log and the
application logs replace the segment with "[token]".
"""

from __future__ import annotations

import re

_TOKEN_SEGMENT = re.compile(r"(/appointments/[^/\s?#]+/(?:m|confirmation)/|/waitlist/\d+/)[^/\s?#\"]+")
_TOKEN_PARAMETER = re.compile(r"([?&]token=)[^&\s#\"]+")
MASK = "[token]"


def mask_url_secrets(text: str) -> str:
    """`text` with manage tokens in paths (and any leftover `token=` parameter) masked."""
    if "/appointments/" not in text and "/waitlist/" not in text and "token=" not in text:
        return text
    return _TOKEN_PARAMETER.sub(rf"\g<1>{MASK}", _TOKEN_SEGMENT.sub(rf"\g<1>{MASK}", text))
