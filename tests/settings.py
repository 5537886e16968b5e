"""Settings of the test suite: the portal's settings in development mode, whatever the shell says.

pytest-django loads this module (pyproject: DJANGO_SETTINGS_MODULE) before any conftest. The first
load, in the pytest process, pins the variables below in os.environ, so the suite does not depend
on the developer's environment and the processes it starts (Celery worker, gunicorn, manage.py)
inherit the same base; a test that starts a process in production mode overrides them in that
process's environment, and the marker keeps this module from pinning them again there.
"""

from __future__ import annotations

import os

_PINNED = {"DJANGO_DEBUG": "1"}
# Deployment choices of a developer's shell that would change what the tests see.
_UNSET = (
    "DJANGO_SECRET_KEY",
    "DJANGO_SECRET_KEY_FILE",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_HTTPS",
    "DJANGO_SSL_REDIRECT",
    "TRUSTED_PROXY_COUNT",
    "DATABASE_PASSWORD",
    "DATABASE_PASSWORD_FILE",
)
if os.environ.get("KUDUS_TEST_ENV_PINNED") != "1":
    for _name in _UNSET:
        os.environ.pop(_name, None)
    os.environ.update(_PINNED, KUDUS_TEST_ENV_PINNED="1")

from kudus_capil.settings import *  # noqa: E402, F403
