"""Celery tasks of the blanks app: thin, idempotent, calling a service."""

from __future__ import annotations

from celery import shared_task

from blanks.services import stock_alert_email, stock_alerts_check


@shared_task(name="blanks.tasks.check_stock_alerts", ignore_result=True, acks_late=True)
def check_stock_alerts() -> dict:
    """Raise/resolve low-stock alerts (beat, hourly). Running it twice raises nothing new."""
    result = stock_alerts_check()
    return {"raised": result.raised, "resolved": result.resolved, "open": result.open}


@shared_task(
    name="blanks.tasks.email_stock_alert",
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=60,
    retry_backoff_max=1800,
    max_retries=8,
    acks_late=True,  # idempotent: the alert is claimed before it is sent
)
def email_stock_alert(*, alert_id: int) -> int:
    """E-mail one alert to the supervisors; a second run sends nothing (the alert is claimed)."""
    return stock_alert_email(alert_id=alert_id)
