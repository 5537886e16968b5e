from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulesConfig(AppConfig):
    name = "schedules"
    verbose_name = _("Schedules")

    def ready(self) -> None:
        from core.retention import register_purger
        from schedules.services.appointments import appointment_contacts_purge

        register_purger("appointment_contacts", appointment_contacts_purge)
