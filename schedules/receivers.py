"""Receivers of lower apps' signals (connected in SchedulesConfig.ready)."""

from __future__ import annotations

from schedules.services.queue import visit_advance


def close_visit_of_request(sender, *, service_request, actor, now, **kwargs) -> None:
    """One truth for a visit: when a visit's last open request closes, the visit closes with it, in
    the same transaction (registrations.signals.service_request_closed is sent inside it)."""
    visit_advance(service_request=service_request, actor=actor, now=now)
