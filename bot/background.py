"""The thread pool that runs listener work after Slack has its HTTP response."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

WORKERS = 8


class BackgroundWork(ThreadPoolExecutor):
    """A thread pool that can report when all submitted work has finished.

    Bolt runs lazy listeners here. The local playground and the tests wait for
    it after each request, so what they check has already happened.
    """

    def __init__(self, workers: int = WORKERS) -> None:
        super().__init__(max_workers=workers, thread_name_prefix="mapbot-work")
        self._pending = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        with self._idle:
            self._pending += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: Future[Any]) -> None:
        with self._idle:
            self._pending -= 1
            if self._pending == 0:
                self._idle.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no work is pending; return False if `timeout` seconds pass first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)
