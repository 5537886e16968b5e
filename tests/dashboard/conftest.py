from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from schedules.messaging import LocmemSMSBackend
from tests.caches import locmem_caches
from tests.factories import staff_user

KALIWUNGU = "33.19.01"
JATI = "33.19.03"


@pytest.fixture(autouse=True)
def _sms_to_memory(settings):
    settings.SMS_BACKEND = "schedules.messaging.LocmemSMSBackend"
    settings.CACHES = locmem_caches("dash-ops")
    cache.clear()
    LocmemSMSBackend.outbox = []
    yield
    LocmemSMSBackend.outbox = []


@pytest.fixture
def english(client):
    """Pages in English (the default is Bahasa Indonesia), so tests read the msgids."""
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def operator(regions):
    return staff_user("operator", kecamatan=(KALIWUNGU,), username="op-kaliwungu")


@pytest.fixture
def jati_operator(regions):
    return staff_user("operator", kecamatan=(JATI,), username="op-jati")


@pytest.fixture
def field_staff(regions):
    return staff_user("field", kecamatan=(KALIWUNGU,), username="field-kaliwungu")


@pytest.fixture
def viewer(regions):
    return staff_user("viewer", username="viewer")


@pytest.fixture
def supervisor(regions):
    return staff_user("supervisor", username="supervisor")


@pytest.fixture
def as_user(english):
    """`as_user(user)`: the English-speaking test client, signed in as `user`."""

    def login(user):
        english.force_login(user)
        return english

    return login
