"""Deliver the outbox: claim due rows, render each at send time, post it, and mark it.

An earlier attempt at a row may have reached Slack: the worker died mid-send,
or the call timed out or got a 5xx. Such a row is first looked up by its
dedupe key, which every message carries in its metadata, in the recent
history of its channel, and it is sent only if the message is not there. A
message the lookup misses is sent again (see `find_posted`).

Messages to one destination are at least `DeliverySettings.interval` apart,
a 429 waits for its `Retry-After`, transient failures are retried with capped
exponential backoff, and permanent destination errors block the destination
until the room is used again.
"""

from __future__ import annotations

import copy
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from reminders.delivery_attempt import Compose
from reminders.delivery_queue import DestinationQueues
from reminders.delivery_run import DeliveryRun

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class DeliverySettings:
    """Limits of one delivery worker. Times are wall-clock durations."""

    # Rows claimed per database round trip.
    batch_size: int = 100
    # Web API calls in flight at once, each to a different destination.
    concurrency: int = 8
    # Rows held in memory at once, across destinations.
    max_held: int = 1000
    # A claim older than this may be taken over by another worker. It must be
    # longer than `max_run_time` plus one Web API call with its timeout.
    lease: timedelta = timedelta(minutes=5)
    # A run stops claiming after this long and hands back rows it has not sent.
    max_run_time: timedelta = timedelta(minutes=2)
    # Slack allows about one message a second per channel (chat.postMessage docs).
    interval: timedelta = timedelta(seconds=1)
    # A 429 whose Retry-After is longer than this ends the destination's turn
    # in this run; its rows go back to the outbox until then.
    max_wait: timedelta = timedelta(seconds=30)
    # Retries of transient failures wait backoff_base * 2**(attempt - 1), capped.
    backoff_base: timedelta = timedelta(seconds=5)
    backoff_cap: timedelta = timedelta(minutes=10)
    max_attempts: int = 8
    # How far before a row's creation its message is looked for in the history,
    # allowing for clock differences between this host and Slack.
    history_margin: timedelta = timedelta(minutes=5)
    history_pages: int = 5

    def __post_init__(self) -> None:
        counts = {
            "batch_size": self.batch_size,
            "concurrency": self.concurrency,
            "max_held": self.max_held,
            "max_attempts": self.max_attempts,
            "history_pages": self.history_pages,
        }
        for name, value in counts.items():
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if self.lease <= self.max_run_time:
            raise ValueError(
                f"lease ({self.lease}) must be longer than max_run_time ({self.max_run_time}), "
                "or another worker could take over rows this run still holds"
            )


@dataclass
class DeliveryReport:
    """Counts of what one `deliver_due` run did."""

    claimed: int = 0
    sent: int = 0
    # Rows in doubt whose message was found in Slack's history, so not sent again.
    found_in_history: int = 0
    cancelled: int = 0
    # Rows put back into the outbox for a later attempt.
    retried: int = 0
    failed: int = 0
    # 429 responses received.
    rate_limited: int = 0
    # Rows handed back unsent at the end of the run.
    released: int = 0
    # Rows another worker took over after this worker's lease ran out.
    lost: int = 0
    # (room id, destination, reason) of each destination blocked in this run.
    blocked: list[tuple[int, str, str]] = field(default_factory=list)
    # The token error that stopped the run, if any.
    stopped_by: str | None = None

    @property
    def busy(self) -> bool:
        return self.claimed > 0


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Deliverer:
    """Sends due outbox rows through the Slack Web API, several destinations at once.

    `compose(session, item, now)` renders a row's message from the current
    plan at send time, or returns None when nothing in it is still true, and
    the row is then cancelled. It is called from worker threads, each call
    with a session of its own. The Web API client is copied without its retry
    handlers: slack_sdk retries a reset connection by default, which could
    post a message twice, and this class does its own retries.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        client: WebClient,
        compose: Compose,
        clock: Clock,
        sleep: Sleep = time.sleep,
        worker_id: str | None = None,
        settings: DeliverySettings | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.sessions = sessions
        self.client = copy.copy(client)
        self.client.retry_handlers = []
        self.compose = compose
        self.clock = clock
        self.sleep = sleep
        self.worker_id = worker_id or default_worker_id()
        self.settings = settings or DeliverySettings()
        self.stop = stop or threading.Event()
        self.queues = DestinationQueues()

    def deliver_due(self, now: datetime | None = None) -> DeliveryReport:
        """Send every row due at `now` (default: the clock), within `max_run_time`."""
        report = DeliveryReport()
        DeliveryRun(self, now or self.clock(), report).execute()
        _log_summary(report, self.worker_id)
        return report


def _log_summary(report: DeliveryReport, worker_id: str) -> None:
    if not report.busy:
        logger.debug("No outbox messages due (worker=%s)", worker_id)
        return
    logger.info(
        "Delivered outbox: %d claimed, %d sent, %d found already posted, %d cancelled, "
        "%d retried later, %d failed, %d released, %d lost, %d rate limits (worker=%s)",
        report.claimed,
        report.sent,
        report.found_in_history,
        report.cancelled,
        report.retried,
        report.failed,
        report.released,
        report.lost,
        report.rate_limited,
        worker_id,
    )


def run_delivery(
    sessions: sessionmaker[Session],
    client: WebClient,
    compose: Compose,
    clock: Clock,
    *,
    now: datetime | None = None,
    sleep: Sleep = time.sleep,
    worker_id: str | None = None,
    settings: DeliverySettings | None = None,
) -> DeliveryReport:
    """Deliver what is due once, with a worker of its own: for the CLI and one-off runs."""
    deliverer = Deliverer(
        sessions, client, compose, clock, sleep=sleep, worker_id=worker_id, settings=settings
    )
    return deliverer.deliver_due(now)
