from __future__ import annotations

import pytest
from django.core.cache import cache

from schedules.messaging import LocmemSMSBackend
from tests.caches import locmem_caches

# The role fixtures (operator, jati_operator, field_staff, viewer, supervisor, admin, no_role_staff)
# and `english` / `as_user` are in tests/conftest.py.


@pytest.fixture(autouse=True)
def _sms_to_memory(settings):
    settings.SMS_BACKEND = "schedules.messaging.LocmemSMSBackend"
    settings.CACHES = locmem_caches("dash-ops")
    cache.clear()
    LocmemSMSBackend.outbox = []
    yield
    LocmemSMSBackend.outbox = []
