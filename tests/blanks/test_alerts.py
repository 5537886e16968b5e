"""Low-stock alerts: forecast from the last 7 days of issues, one alert per episode, e-mail to supervisors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from blanks.models import StockAlert
from blanks.selectors import stock_forecasts
from blanks.services import blank_issue_for_printing, blank_receive, stock_alerts_check
from blanks.tasks import check_stock_alerts, email_stock_alert
from kudus_capil.celery import app as celery_app
from registrations.models import ServiceRequest
from tests.factories import CitizenFactory, staff_user, stocked_location
from tests.helpers import wait_for

NOW = dt.datetime(2024, 2, 2, 3, 0, tzinfo=dt.UTC)


def _issue(location, count: int, when: dt.datetime) -> None:
    citizen = CitizenFactory()
    for _ in range(count):
        request = ServiceRequest.objects.create(
            citizen=citizen,
            service="printing",
            reason="lost",
            channel="office",
            status="completed",
            submitted_at=when,
            completed_at=when,
        )
        blank_issue_for_printing(location=location, service_request=request, actor=None, now=when)


@pytest.fixture
def supervisors(regions):
    staff_user("supervisor", email="kabid@example.go.id")
    staff_user("supervisor", email="")  # no address: skipped
    staff_user("operator", email="operator@example.go.id")  # not a supervisor


@pytest.mark.django_db
def test_days_of_cover_come_from_the_last_seven_days_of_issues(regions):
    location = stocked_location(60, min_days_of_cover=3)
    _issue(location, 21, NOW - dt.timedelta(days=3))  # 3 a day
    _issue(location, 5, NOW - dt.timedelta(days=8))  # too old to count
    (forecast,) = stock_forecasts(now=NOW)
    assert (forecast.balance, forecast.issued_last_7_days, str(forecast.daily_issue_rate)) == (34, 21, "3.00")
    assert str(forecast.days_of_cover) == "11.3" and forecast.runs_out_on == dt.date(2024, 2, 13)
    assert not forecast.is_low


@pytest.mark.django_db
def test_low_stock_raises_one_alert_and_mails_the_supervisors_once(
    supervisors, django_capture_on_commit_callbacks
):
    location = stocked_location(15, name="Kantor Kecamatan Bae", low_stock_threshold=20)
    with django_capture_on_commit_callbacks(execute=True):
        first = stock_alerts_check(now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        second = stock_alerts_check(now=NOW + dt.timedelta(hours=1))
    assert (first.raised, second.raised, second.open) == (1, 0, 1)
    alert = StockAlert.objects.get()
    assert (alert.location, alert.balance, alert.threshold) == (location, 15, 20)
    assert alert.emailed_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["kabid@example.go.id"]
    assert "Kantor Kecamatan Bae" in mail.outbox[0].subject and "15" in mail.outbox[0].body


@pytest.mark.django_db
def test_too_few_days_of_cover_raise_an_alert_even_above_the_threshold(regions):
    location = stocked_location(40, low_stock_threshold=10, min_days_of_cover=3)
    _issue(location, 35, NOW - dt.timedelta(days=1))  # 5 a day, 5 left: one day of cover
    assert stock_alerts_check(now=NOW).raised == 1
    assert "1.0" in StockAlert.objects.get().message or "1,0" in StockAlert.objects.get().message


@pytest.mark.django_db
def test_an_alert_is_resolved_when_stock_recovers_and_a_new_episode_raises_a_new_one(regions):
    location = stocked_location(5, low_stock_threshold=20)
    stock_alerts_check(now=NOW)
    blank_receive(location=location, quantity=100, reference="SJ-2")
    assert stock_alerts_check(now=NOW).resolved == 1
    assert StockAlert.objects.filter(resolved_at__isnull=True).count() == 0
    _issue(location, 90, NOW - dt.timedelta(days=1))
    assert stock_alerts_check(now=NOW).raised == 1
    assert StockAlert.objects.count() == 2


@pytest.mark.django_db
def test_the_alert_tasks_run_twice_with_the_same_result(supervisors, django_capture_on_commit_callbacks):
    stocked_location(0, low_stock_threshold=1)
    with django_capture_on_commit_callbacks(execute=True):
        check_stock_alerts()
        check_stock_alerts()
    alert = StockAlert.objects.get()
    assert email_stock_alert(alert_id=alert.pk) == 0  # already sent by the first run
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_an_alert_without_any_supervisor_address_sends_nothing(regions, django_capture_on_commit_callbacks):
    stocked_location(0, low_stock_threshold=1)
    with django_capture_on_commit_callbacks(execute=True):
        stock_alerts_check(now=NOW)
    assert StockAlert.objects.count() == 1 and mail.outbox == []


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_raises_the_alert_and_sends_its_mail(regions_tx, celery_worker_process):
    staff_user("supervisor", email="kabid@example.go.id")
    stocked_location(3, low_stock_threshold=10)
    celery_app.send_task("blanks.tasks.check_stock_alerts")
    alert = wait_for(lambda: StockAlert.objects.filter(emailed_at__isnull=False).first(), seconds=30)
    if alert is None:
        pytest.fail("the worker did not raise and mail the alert within 30 s")
    assert alert.balance == 3 and alert.emailed_at <= timezone.now()
