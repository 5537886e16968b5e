from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KudusCapilConfig(AppConfig):
    name = "kudus_capil"
    verbose_name = _("Portal")
