"""Run a function in real threads at once (each thread on its own database connection)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connection

needs_postgres = pytest.mark.skipif(
    not settings.DATABASE_IS_POSTGRES, reason="real concurrency needs PostgreSQL (make test)"
)


def run_concurrently(count: int, work: Callable[[int], object], timeout: float = 60) -> list[object]:
    """Call `work(i)` for i in range(count) in `count` threads released together; returns each
    result or the exception it raised."""
    start = threading.Barrier(count)
    results: list[object] = [None] * count

    def worker(index: int) -> None:
        try:
            start.wait(timeout=timeout)
            results[index] = work(index)
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()  # each thread opened its own connection

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a worker thread hung"
    return results
