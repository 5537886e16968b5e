"""The Celery application.

Without REDIS_URL (the embedded default) tasks run eagerly in the calling process, so `make run`
needs no broker. Periodic schedules live in one place, CELERY_BEAT_SCHEDULE in settings, and are
copied into django-celery-beat's tables by the database scheduler so staff can edit them in admin.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kudus_capil.settings")

app = Celery("kudus_capil")
# The default app of every thread, so `celery.current_app` (core.outbox, shared tasks) is this one in
# request threads, test threads and workers alike.
app.set_default()
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
