"""The staff login form, with the length limits Django's own form only puts on the widget.

AuthenticationForm sets `max_length` on its username field after construction, which adds no
validator: a 100 kB username reached `authenticate()` and django-axes' failed-login log (a
varchar(255) column), and PostgreSQL answered with an error, a 500. Here both fields are checked
before anything authenticates.
"""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

USERNAME_MAX_LENGTH = 150  # auth.User.username
PASSWORD_MAX_LENGTH = 4096  # far above any real password; hashing a huge one is slow on purpose


class StaffAuthenticationForm(AuthenticationForm):
    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].validators.append(MaxLengthValidator(USERNAME_MAX_LENGTH))
        self.fields["password"].validators.append(MaxLengthValidator(PASSWORD_MAX_LENGTH))
