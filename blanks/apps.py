from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BlanksConfig(AppConfig):
    name = "blanks"
    verbose_name = _("Blanks")
