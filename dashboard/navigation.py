"""Where a dashboard form goes back to after a POST (post/redirect/get)."""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_back(request, default: str) -> HttpResponseRedirect:
    """303 to the form's `next` when it is a URL of this site, else to `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = default
    response = HttpResponseRedirect(target)
    response.status_code = 303
    return response


def query_without_page(data) -> str:
    """The query string of a filtered list without its page number (for the pager links)."""
    query = data.copy()
    query.pop("page", None)
    return query.urlencode()
