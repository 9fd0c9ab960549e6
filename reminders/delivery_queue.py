"""Claimed outbox rows waiting in memory, paced per destination."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from storage.outbox import OutboxItem


class DestinationQueues:
    """Claimed rows grouped by destination, each destination with the time it may send next.

    `next_ready` returns the destination that may send soonest, so one thread
    can keep many channels busy at once while each gets at most one message
    per `interval`. The earliest send times outlive the rows, so that a run
    that follows right after another does not send sooner than the interval.
    """

    def __init__(self, interval: timedelta) -> None:
        self.interval = interval
        self._rows: dict[str, deque[OutboxItem]] = {}
        self._ready_at: dict[str, datetime] = {}
        # (ready_at, sequence, destination); stale entries are skipped when popped.
        self._heap: list[tuple[datetime, int, str]] = []
        self._sequence = 0

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._rows.values())

    def add(self, items: Iterable[OutboxItem], now: datetime) -> None:
        for item in items:
            rows = self._rows.get(item.destination)
            if rows is None:
                rows = self._rows[item.destination] = deque()
                self._push(item.destination, max(now, self._ready_at.get(item.destination, now)))
            rows.append(item)

    def next_ready(self) -> tuple[str, datetime] | None:
        """Return the destination with rows that may send soonest, and from when."""
        while self._heap:
            ready_at, _, destination = self._heap[0]
            if destination in self._rows and self._ready_at.get(destination) == ready_at:
                return destination, ready_at
            heapq.heappop(self._heap)
        return None

    def take(self, destination: str) -> OutboxItem:
        """Remove and return the destination's first row."""
        rows = self._rows[destination]
        item = rows.popleft()
        if not rows:
            del self._rows[destination]
        return item

    def put_back(self, item: OutboxItem) -> None:
        """Return a row to the front of its destination's queue."""
        rows = self._rows.get(item.destination)
        if rows is None:
            self._rows[item.destination] = deque([item])
            self._push(item.destination, self._ready_at.get(item.destination, item.not_before))
        else:
            rows.appendleft(item)

    def sent(self, destination: str, at: datetime) -> None:
        """Note a send that ended at `at`: the next one waits a full interval."""
        self.hold(destination, at + self.interval)

    def hold(self, destination: str, until: datetime) -> None:
        """Let the destination send nothing before `until`."""
        self._push(destination, max(until, self._ready_at.get(destination, until)))

    def drop(self, destination: str, room_id: int) -> list[OutboxItem]:
        """Remove and return the destination's rows of one room."""
        rows = self._rows.get(destination)
        if rows is None:
            return []
        dropped = [item for item in rows if item.room_id == room_id]
        kept = deque(item for item in rows if item.room_id != room_id)
        if kept:
            self._rows[destination] = kept
        else:
            del self._rows[destination]
        return dropped

    def drain(self) -> Iterator[OutboxItem]:
        """Remove and yield every row still queued."""
        rows, self._rows = self._rows, {}
        for queue in rows.values():
            yield from queue

    def _push(self, destination: str, ready_at: datetime) -> None:
        self._ready_at[destination] = ready_at
        self._sequence += 1
        heapq.heappush(self._heap, (ready_at, self._sequence, destination))
