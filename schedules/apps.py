from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulesConfig(AppConfig):
    name = "schedules"
    verbose_name = _("Schedules")

    def ready(self) -> None:
        from core.retention import register_purger
        from schedules.services.appointments import appointment_contacts_purge

        register_purger(
            "appointment_contacts",
            appointment_contacts_purge,
            days_setting="SCHEDULES_CONTACT_RETENTION_DAYS",
        )
        from schedules.services.waiting_list import waitlist_entries_purge

        register_purger(
            "waitlist_entries",
            waitlist_entries_purge,
            days_setting="SCHEDULES_CONTACT_RETENTION_DAYS",
        )

        from registrations.signals import service_request_closed
        from schedules.receivers import close_visit_of_request

        service_request_closed.connect(close_visit_of_request, dispatch_uid="schedules.close_visit")

        from schedules.public_list import connect_signals

        connect_signals()
