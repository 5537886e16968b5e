"""Password reset only where e-mail can arrive, and limited per address and per account
(core/password_reset.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core.password_reset import password_reset_available
from core.roles import staff_create

pytestmark = pytest.mark.django_db

PASSWORD = "kudus-Test-2024!"
RESET = "/accounts/password_reset/"
UNAVAILABLE = "Kata sandi tidak dapat diatur ulang lewat e-mail di portal ini"


@pytest.fixture
def staff(regions):
    return [
        staff_create(
            username=f"staff-{index}",
            role="supervisor",
            password=PASSWORD,
            email=f"staff{index}@kuduskab.go.id",
        )
        for index in range(7)
    ]


@pytest.fixture
def delivering(settings):
    settings.EMAIL_BACKEND = "tests.helpers.DeliveringEmailBackend"
    settings.PASSWORD_RESET_PER_ADDRESS = 5
    settings.PASSWORD_RESET_PER_ACCOUNT = 3
    return settings


def confirm_url(user) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/accounts/reset/{uidb64}/{default_token_generator.make_token(user)}/"


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
    ],
)
def test_without_a_delivering_backend_every_reset_page_says_ask_the_administrator(staff, settings, backend):
    settings.EMAIL_BACKEND = backend
    user = staff[0]
    client = Client()
    pages = [RESET, "/accounts/password_reset/done/", confirm_url(user), "/accounts/reset/done/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert UNAVAILABLE in response.content.decode(), url

    client.post(RESET, {"email": user.email})
    client.post(confirm_url(user), {"new_password1": "Taken-Over-2024!", "new_password2": "Taken-Over-2024!"})

    assert mail.outbox == []
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_development_mode_keeps_the_console_backend_usable(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.DEBUG = True
    assert password_reset_available()
    settings.DEBUG = False
    assert not password_reset_available()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert password_reset_available()


def test_with_a_delivering_backend_the_reset_works(staff, delivering):
    client = Client()
    form = client.get(RESET)
    assert form.status_code == 200 and 'name="email"' in form.content.decode()

    response = client.post(RESET, {"email": staff[0].email})

    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    assert [message.to for message in mail.outbox] == [[staff[0].email]]


def test_one_account_gets_at_most_three_mails_an_hour_and_the_answer_does_not_change(staff, delivering):
    answers = [Client(REMOTE_ADDR=f"10.8.0.{n}").post(RESET, {"email": staff[1].email}) for n in range(5)]

    assert [(a.status_code, a["Location"]) for a in answers] == [(302, "/accounts/password_reset/done/")] * 5
    assert len(mail.outbox) == 3
    Client(REMOTE_ADDR="10.8.0.9").post(RESET, {"email": staff[2].email.upper()})
    assert len(mail.outbox) == 4  # another account is not held back


def test_one_address_gets_five_requests_an_hour_then_429(staff, delivering):
    client = Client(REMOTE_ADDR="10.8.1.1")
    for user in staff[:5]:
        assert client.post(RESET, {"email": user.email}).status_code == 302

    refused = client.post(RESET, {"email": staff[5].email})

    assert refused.status_code == 429
    text = refused.content.decode()
    assert "Terlalu banyak permintaan atur ulang kata sandi dari alamat Anda" in text and "60 menit" in text
    assert len(mail.outbox) == 5
    assert Client(REMOTE_ADDR="10.8.1.2").post(RESET, {"email": staff[5].email}).status_code == 302
    assert len(mail.outbox) == 6
