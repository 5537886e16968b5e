"""Where the schedules services publish their Celery tasks: the transactional outbox.

Until `kudus_capil.outbox` is on this branch, a stand-in with the same signature sends the task after
the commit (eagerly in the embedded default), so the services are written against the real API.
"""

from __future__ import annotations

try:
    from kudus_capil.outbox import outbox_enqueue
except ImportError:  # pragma: no cover - replaced when the outbox lands on main
    import datetime as dt
    from typing import Any

    from django.db import transaction

    def outbox_enqueue(
        name: str,
        payload: dict[str, Any],
        *,
        dedupe_key: str | None = None,
        eta: dt.datetime | None = None,
        expires_at: dt.datetime | None = None,
    ) -> None:
        from kudus_capil.celery import app

        def send() -> None:
            app.tasks[name].apply_async(kwargs=payload, eta=eta, expires=expires_at)

        transaction.on_commit(send)


__all__ = ["outbox_enqueue"]
