from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RegistrationsConfig(AppConfig):
    name = "registrations"
    verbose_name = _("Registrations")

    def ready(self) -> None:
        from registrations.roles import setup_roles_after_migrate

        # After the last app's migrate: every app's permissions exist by then.
        last_app = list(apps.get_app_configs())[-1]
        post_migrate.connect(setup_roles_after_migrate, sender=last_app, dispatch_uid="kudus_setup_roles")
