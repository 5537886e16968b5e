"""System checks of the deployment settings (run by `manage.py check`, runserver and migrate)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

# Hosts that only this machine can reach: Django's own development defaults plus their spellings, and
# the test client's host (added by the test runner).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", ".localhost", "::1", "[::1]", "testserver"})


@register(Tags.security)
def development_secret_only_on_loopback(app_configs, **kwargs):
    """The development secret is public (it is in the source): sessions, CSRF tokens and password
    reset links signed with it can be forged, so it is allowed only in development mode serving
    loopback hosts."""
    if settings.SECRET_KEY != settings.DEVELOPMENT_SECRET_KEY:
        return []
    exposed = sorted(set(settings.ALLOWED_HOSTS) - LOOPBACK_HOSTS)
    if settings.DEBUG and not exposed:
        return []
    where = f"ALLOWED_HOSTS has {', '.join(exposed)}" if exposed else "DJANGO_DEBUG is off"
    return [
        Error(
            f"The public development secret key is in use and {where}.",
            hint="Set DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) to a long random value, or serve "
            "loopback hosts only (127.0.0.1, localhost, [::1]) in development mode.",
            id="kudus_capil.E001",
        )
    ]
