from __future__ import annotations

import pytest
from django.core.cache import cache

from schedules.messaging import LocmemSMSBackend

# The role fixtures (operator, jati_operator, field_staff, viewer, supervisor, admin, no_role_staff)
# and `english` / `as_user` are in tests/conftest.py.


@pytest.fixture(autouse=True)
def _sms_to_memory(settings):
    settings.SMS_BACKEND = "schedules.messaging.LocmemSMSBackend"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dash-ops"}
    }
    cache.clear()
    LocmemSMSBackend.outbox = []
    yield
    LocmemSMSBackend.outbox = []
