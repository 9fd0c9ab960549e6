"""Claimed outbox rows waiting in memory, paced per destination."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import datetime

from storage.outbox import OutboxItem


class DestinationQueues:
    """Claimed rows grouped by destination, each destination with the time it may send next.

    `next_ready` returns the destination that may send soonest, skipping those
    with a send in flight, so a few threads can keep many channels busy while
    each channel gets its messages one at a time and in order. The earliest
    send times outlive the rows, so that a run that follows right after
    another does not send sooner than the pacing allows.
    """

    def __init__(self) -> None:
        self._rows: dict[str, deque[OutboxItem]] = {}
        self._ready_at: dict[str, datetime] = {}
        self._busy: set[str] = set()
        # (ready_at, sequence, destination). Entries that no longer match
        # `_ready_at` are stale and skipped.
        self._heap: list[tuple[datetime, int, str]] = []
        self._sequence = 0

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._rows.values())

    @property
    def busy(self) -> int:
        """Destinations with a send in flight."""
        return len(self._busy)

    def add(self, items: Iterable[OutboxItem], now: datetime) -> None:
        for item in items:
            rows = self._rows.get(item.destination)
            if rows is None:
                rows = self._rows[item.destination] = deque()
                if item.destination not in self._busy:
                    ready_at = max(now, self._ready_at.get(item.destination, now))
                    self._push(item.destination, ready_at)
            rows.append(item)

    def next_ready(self) -> tuple[str, datetime] | None:
        """Return the idle destination with rows that may send soonest, and from when."""
        while self._heap:
            ready_at, _, destination = self._heap[0]
            current = (
                destination in self._rows
                and destination not in self._busy
                and self._ready_at.get(destination) == ready_at
            )
            if current:
                return destination, ready_at
            heapq.heappop(self._heap)
        return None

    def take(self, destination: str) -> OutboxItem:
        """Remove and return the destination's first row, marking the destination busy."""
        rows = self._rows[destination]
        item = rows.popleft()
        if not rows:
            del self._rows[destination]
        self._busy.add(destination)
        return item

    def finish(self, destination: str, ready_at: datetime) -> None:
        """End the destination's send in flight; it may send again from `ready_at`."""
        self._busy.discard(destination)
        self._push(destination, ready_at)

    def put_back(self, item: OutboxItem) -> None:
        """Return a row to the front of its destination's queue."""
        self._rows.setdefault(item.destination, deque()).appendleft(item)

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

    def forget_before(self, now: datetime) -> None:
        """Drop the send times of idle destinations without rows that are already past."""
        past = [
            destination
            for destination, ready_at in self._ready_at.items()
            if ready_at <= now and destination not in self._rows and destination not in self._busy
        ]
        for destination in past:
            del self._ready_at[destination]

    def drain(self) -> Iterator[OutboxItem]:
        """Remove and yield every row still queued."""
        rows, self._rows = self._rows, {}
        for queue in rows.values():
            yield from queue

    def _push(self, destination: str, ready_at: datetime) -> None:
        self._ready_at[destination] = ready_at
        self._sequence += 1
        heapq.heappush(self._heap, (ready_at, self._sequence, destination))
