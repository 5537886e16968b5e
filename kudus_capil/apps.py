from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KudusCapilConfig(AppConfig):
    name = "kudus_capil"
    verbose_name = _("Portal")

    def ready(self):
        from kudus_capil import checks  # noqa: F401 - registers the system checks
