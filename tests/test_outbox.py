from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from core import outbox
from core.models import OutboxMessage
from core.outbox import outbox_enqueue, outbox_purge, outbox_relay
from kudus_capil.celery import app
from tests.helpers import wait_for

calls: list[dict] = []


@app.task(name="tests.record_call")
def record_call(**kwargs):
    calls.append(kwargs)
    return "ok"


@pytest.fixture(autouse=True)
def _reset():
    calls.clear()
    outbox._broker_backoff_until = 0.0
    yield
    outbox._broker_backoff_until = 0.0


def test_a_task_runs_only_after_the_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox_enqueue("tests.record_call", {"citizen_id": 7})
        assert calls == []  # not before the commit
    assert calls == [{"citizen_id": 7}]
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT


def test_a_rolled_back_change_publishes_nothing(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                outbox_enqueue("tests.record_call", {"x": 1})
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert calls == []
    assert OutboxMessage.objects.count() == 0


def test_a_dedupe_key_keeps_one_pending_message(db):
    first = outbox_enqueue("tests.record_call", {}, dedupe_key="coverage-refresh")
    second = outbox_enqueue("tests.record_call", {}, dedupe_key="coverage-refresh")
    assert first.pk == second.pk
    assert OutboxMessage.objects.filter(status="pending").count() == 1
    outbox_relay()
    third = outbox_enqueue("tests.record_call", {}, dedupe_key="coverage-refresh")
    assert third.pk != first.pk
    assert len(calls) == 1


def test_an_expired_message_is_dropped_not_run(db):
    now = timezone.now()
    message = outbox_enqueue("tests.record_call", {"reminder": 1}, expires_at=now - dt.timedelta(minutes=1))
    outbox_relay(now=now)
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.EXPIRED
    assert calls == []


def test_an_unknown_task_is_marked_failed(db):
    message = outbox_enqueue("no.such.task", {})
    assert outbox_relay() == 0
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED


def test_broker_down_leaves_messages_pending_and_the_sweeper_sends_them_later(
    db, django_capture_on_commit_callbacks
):
    app.conf.task_always_eager = False
    with mock.patch.object(app, "send_task", side_effect=OperationalError("connection refused")) as send:
        with django_capture_on_commit_callbacks(execute=True):
            first = outbox_enqueue("tests.record_call", {"n": 1})
        with django_capture_on_commit_callbacks(execute=True):
            outbox_enqueue("tests.record_call", {"n": 2})
        # The second commit did not even try the broker: the first failure opened the backoff.
        assert send.call_count == 1
    first.refresh_from_db()
    assert first.status == "pending" and first.attempts == 1 and "OperationalError" in first.last_error

    sent_ids = []
    with mock.patch.object(
        app, "send_task", side_effect=lambda *a, **k: sent_ids.append(k) or mock.Mock(id="t")
    ):
        assert outbox_relay() == 2
    assert [k["kwargs"] for k in sent_ids] == [{"n": 1}, {"n": 2}]
    assert OutboxMessage.objects.filter(status="sent").count() == 2


def test_purge_forgets_old_relayed_messages_only(db):
    old = outbox_enqueue("tests.record_call", {})
    outbox_relay()
    pending = outbox_enqueue("tests.record_call", {}, eta=None)
    OutboxMessage.objects.update(created_at=timezone.now() - dt.timedelta(days=30))
    assert outbox_purge() == 1
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()
    assert OutboxMessage.objects.filter(pk=pending.pk).exists()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_relayed_task(celery_worker_process):
    stale = OutboxMessage.objects.create(task="x", status="sent")
    OutboxMessage.objects.filter(pk=stale.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    with transaction.atomic():
        message = outbox_enqueue("core.tasks.purge_outbox", {})
    message.refresh_from_db()
    assert message.status == "sent" and message.task_id
    assert wait_for(lambda: not OutboxMessage.objects.filter(pk=stale.pk).exists(), seconds=20)
