from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from core import checks  # noqa: F401 - registers the system checks
        from core.roles import setup_roles_after_migrate
        from core.signals import connect as connect_token_revocation

        # After the last app's post_migrate (apps without models get none): every app's
        # permissions exist by then.
        last_app = [config for config in apps.get_app_configs() if config.models_module][-1]
        post_migrate.connect(setup_roles_after_migrate, sender=last_app, dispatch_uid="kudus_setup_roles")
        connect_token_revocation()  # API tokens revoked on password change, deactivation, role removal
