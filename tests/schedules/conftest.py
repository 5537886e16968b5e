from __future__ import annotations

import pytest
from django.core.cache import cache

from schedules.messaging import LocmemSMSBackend
from tests.caches import locmem_caches


@pytest.fixture(autouse=True)
def _sms_and_throttles(settings):
    """SMS to memory; throttle counters in a fresh in-memory cache for every test."""
    settings.SMS_BACKEND = "schedules.messaging.LocmemSMSBackend"
    settings.CACHES = locmem_caches("schedules-tests")
    cache.clear()
    LocmemSMSBackend.outbox = []
    yield
    LocmemSMSBackend.outbox = []
