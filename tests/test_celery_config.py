"""Celery settings that keep the task queue safe through crashes, restarts and outages."""

from __future__ import annotations

import datetime as dt
import itertools
import numbers
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from celery.schedules import schedule as every
from django.conf import settings

from kudus_capil.celery import app

OUR_APPS = ("kudus_capil.", "registrations.", "schedules.", "blanks.")


def _our_tasks() -> dict:
    app.loader.import_default_modules()
    tasks = {name: task for name, task in app.tasks.items() if name.startswith(OUR_APPS)}
    assert len(tasks) >= 8  # the autodiscovery found the apps' tasks
    return tasks


def _seconds_between_runs(schedule) -> float:
    """The shortest gap between two consecutive runs of a beat schedule."""
    if isinstance(schedule, numbers.Real):
        return float(schedule)
    if isinstance(schedule, dt.timedelta):
        return schedule.total_seconds()
    if isinstance(schedule, crontab):
        runs = [dt.datetime(2024, 2, 1, 0, 0, tzinfo=ZoneInfo(settings.TIME_ZONE))]
        for _ in range(400):  # over a week of runs for the hourly and daily ones
            _last, delta, _now = schedule.remaining_delta(runs[-1])
            runs.append(runs[-1] + delta)
        runs = runs[1:]  # the first entry is the arbitrary start, not a run
        return min((later - earlier).total_seconds() for earlier, later in itertools.pairwise(runs))
    if isinstance(schedule, every):
        return schedule.run_every.total_seconds()
    raise AssertionError(f"unknown schedule type {type(schedule)}")


# Tasks that must not run twice (none so far): they keep early acknowledgement, and say why here.
NOT_IDEMPOTENT: dict[str, str] = {}


def test_late_acknowledgement_is_declared_task_by_task_never_globally():
    # Globally off, so a task acknowledges late only when its decorator says acks_late=True: every
    # task of ours is idempotent (style guide) and says so; a task that cannot run twice is listed
    # in NOT_IDEMPOTENT instead.
    assert app.conf.task_acks_late is False
    wrong = sorted(
        name for name, task in _our_tasks().items() if task.acks_late is not (name not in NOT_IDEMPOTENT)
    )
    assert wrong == [], f"declare acks_late=True (idempotent) or list in NOT_IDEMPOTENT: {wrong}"


def test_hard_time_limits_and_retry_delays_stay_below_the_visibility_timeout():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility == app.conf.broker_transport_options["visibility_timeout"]
    problems = []
    for name, task in _our_tasks().items():
        hard = task.time_limit or app.conf.task_time_limit
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        if not hard or hard >= visibility:
            problems.append(f"{name}: hard limit {hard} not below {visibility}")
        if soft and soft >= hard:
            problems.append(f"{name}: soft limit {soft} not below hard {hard}")
        # A retry waits as an unacknowledged ETA message: it too must come back before Redis
        # redelivers it.
        longest_retry_wait = max(getattr(task, "retry_backoff_max", 0) or 0, task.default_retry_delay or 0)
        if longest_retry_wait >= visibility:
            problems.append(f"{name}: retry delay {longest_retry_wait} not below {visibility}")
    assert problems == []


def test_every_periodic_task_expires_before_its_next_run():
    problems = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        gap = _seconds_between_runs(entry["schedule"])
        options = entry.get("options", {})
        expires, expire_seconds = options.get("expires"), options.get("expire_seconds")
        if not (isinstance(expires, numbers.Real) and 0 < expires < gap):
            problems.append(f"{name}: expires={expires} with runs {gap:.0f} s apart")
        if expire_seconds != expires:
            problems.append(f"{name}: expire_seconds={expire_seconds} (the database scheduler reads it)")
    assert problems == []
    assert _seconds_between_runs(crontab(minute=5)) == 3600  # the gap computation itself
    assert _seconds_between_runs(crontab(hour=3, minute=0)) == 24 * 3600


@pytest.mark.django_db
def test_the_database_scheduler_of_the_one_beat_keeps_every_expiry(monkeypatch):
    from django_celery_beat import schedulers
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    # The scheduler drops "old" connections as a long-running beat should; here that would be the
    # test's own connection, inside its transaction.
    monkeypatch.setattr(schedulers, "close_old_connections", lambda: None)

    from kudus_capil.beat import HeartbeatScheduler

    assert settings.CELERY_BEAT_SCHEDULER == "kudus_capil.beat:HeartbeatScheduler"
    assert issubclass(HeartbeatScheduler, DatabaseScheduler)
    scheduler = HeartbeatScheduler(app=app, lazy=False)
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        stored = PeriodicTask.objects.get(name=name)
        assert stored.expire_seconds == entry["options"]["expires"], name
        assert scheduler.schedule[name].options["expires"] == entry["options"]["expires"], name
