"""The beat scheduler: django-celery-beat's database scheduler that also proves it is alive.

After every completed scheduling pass (at most DatabaseScheduler's 5-second loop interval apart) it
touches CELERY_BEAT_HEARTBEAT_FILE when that is set. The container healthcheck
(`scripts/healthcheck.py beat`) fails when the file is older than a minute, so a beat whose loop is
stuck or dead is reported, which a process check would not see.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)


class HeartbeatScheduler(DatabaseScheduler):
    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        heartbeat_touch()
        return interval


def heartbeat_touch() -> None:
    path = settings.CELERY_BEAT_HEARTBEAT_FILE
    if not path:
        return
    try:
        Path(path).touch()
    except OSError as exc:
        # Not fatal to scheduling; the healthcheck then reports the beat unhealthy.
        logger.warning("beat heartbeat file %s cannot be written: %s", path, exc)
