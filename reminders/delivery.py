"""Deliver the outbox: claim due rows, render each at send time, post it, and mark it.

A row whose earlier attempt may have reached Slack (the worker died mid-send,
a timeout, a 5xx) is first looked up in its channel's recent history by the
dedupe key carried in the message metadata, and is only sent if the message
is not there. A message the lookup misses is sent again (see `find_posted`). Messages to
one destination are at least `DeliverySettings.interval` apart, a 429 waits
for its `Retry-After`, transient failures are retried with capped exponential
backoff, and permanent destination errors block the destination until the
room is used again.
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

from bot.blocks.plan import Message
from reminders.delivery_queue import DestinationQueues
from reminders.delivery_slack import (
    UNEXPECTED_ERROR,
    Failure,
    SendError,
    classify,
    find_posted,
    post_message,
)
from storage import outbox
from storage.outbox import OutboxItem

logger = logging.getLogger(__name__)

Compose = Callable[[Session, OutboxItem, datetime], Message | None]
Clock = Callable[[], datetime]
Sleep = Callable[[float], None]

COMPOSE_FAILED = "compose_failed"


@dataclass(frozen=True)
class DeliverySettings:
    """Limits of one delivery worker. Times are wall-clock durations."""

    # Rows claimed per database round trip.
    batch_size: int = 100
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
    """Sends due outbox rows through the Slack Web API, one thread, many destinations.

    `compose(session, item, now)` renders a row's message from the current
    plan at send time, or returns None when nothing in it is still true, and
    the row is then cancelled. The Web API client is copied without its retry
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
        self.queues = DestinationQueues(self.settings.interval)

    def deliver_due(self, now: datetime | None = None) -> DeliveryReport:
        """Send every row due at `now` (default: the clock), within `max_run_time`."""
        run = _Run(self, now or self.clock())
        run.execute()
        return run.report


class _Run:
    """One pass of a Deliverer over the due outbox rows."""

    def __init__(self, deliverer: Deliverer, now: datetime) -> None:
        self.deliverer = deliverer
        self.settings = deliverer.settings
        self.queues = deliverer.queues
        self.worker_id = deliverer.worker_id
        # The run's timeline starts at `now` and moves with the clock, so a run
        # given an explicit instant (tests, `reminders run --now`) stays on it.
        self.started = now
        self.clock_at_start = deliverer.clock()
        self.report = DeliveryReport()
        self.exhausted = False

    # The loop

    def execute(self) -> None:
        with self.deliverer.sessions.begin() as session:
            outbox.fail_blocked(session)
        while not self._should_stop():
            upcoming = self.queues.next_ready()
            waiting = upcoming is None or upcoming[1] > self._now()
            if waiting and self._can_claim():
                self._claim()
                continue
            if upcoming is None:
                break
            destination, ready_at = upcoming
            pause = (ready_at - self._now()).total_seconds()
            if pause > 0:
                self.deliverer.sleep(pause)
            self._deliver(self.queues.take(destination))
        self._release_rest()
        self._log_summary()

    def _should_stop(self) -> bool:
        if self.report.stopped_by is not None or self.deliverer.stop.is_set():
            return True
        return self._now() - self.started >= self.settings.max_run_time

    def _can_claim(self) -> bool:
        return not self.exhausted and len(self.queues) < self.settings.max_held

    def _claim(self) -> None:
        room = self.settings.max_held - len(self.queues)
        limit = min(self.settings.batch_size, room)
        with self.deliverer.sessions.begin() as session:
            items = outbox.claim(
                session,
                worker_id=self.worker_id,
                now=self._now(),
                limit=limit,
                lease=self.settings.lease,
            )
        self.report.claimed += len(items)
        self.exhausted = len(items) < limit
        self.queues.add(items, self._now())

    def _release_rest(self) -> None:
        rest = list(self.queues.drain())
        if not rest:
            return
        with self.deliverer.sessions.begin() as session:
            released = outbox.release(session, [item.id for item in rest], worker_id=self.worker_id)
        self.report.released += released

    def _now(self) -> datetime:
        return self.started + (self.deliverer.clock() - self.clock_at_start)

    # One row

    def _deliver(self, item: OutboxItem) -> None:
        if item.in_doubt and self._settled_from_history(item):
            return
        message = self._compose(item)
        if message is None:
            return
        try:
            ts = post_message(self.deliverer.client, item, message)
        except Exception as error:
            # A failed call counts for pacing too. After a 429 the wait is longer.
            self.queues.sent(item.destination, self._now())
            self._failed(item, self._classify(item, error))
            return
        self.queues.sent(item.destination, self._now())
        self._mark_sent(item, ts)
        self.report.sent += 1

    def _settled_from_history(self, item: OutboxItem) -> bool:
        """Look for an in-doubt row's message in Slack.

        Returns True when nothing is left to do: the message was found and the
        row marked sent, or the lookup failed and the failure was handled.
        """
        oldest = item.created_at - self.settings.history_margin
        try:
            ts = find_posted(self.deliverer.client, item, oldest, self.settings.history_pages)
        except Exception as error:
            self._failed(item, self._classify(item, error))
            return True
        if ts is None:
            return False
        logger.info(
            "Found an in-doubt message already posted (outbox=%d destination=%s ts=%s)",
            item.id,
            item.destination,
            ts,
        )
        self._mark_sent(item, ts)
        self.report.found_in_history += 1
        return True

    def _classify(self, item: OutboxItem, error: Exception) -> SendError:
        failure = classify(error)
        if failure.reason == UNEXPECTED_ERROR:
            logger.error(
                "Unexpected error from a Web API call (outbox=%d destination=%s)",
                item.id,
                item.destination,
                exc_info=error,
            )
        return failure

    def _compose(self, item: OutboxItem) -> Message | None:
        """Render the row's message, holding the claim; None when there is nothing to send."""
        now = self._now()
        try:
            with self.deliverer.sessions.begin() as session:
                if not outbox.renew(session, item.id, worker_id=self.worker_id, now=now):
                    self._lost(item)
                    return None
                message = self.deliverer.compose(session, item, now)
                if message is None:
                    outbox.mark_cancelled(session, item.id, worker_id=self.worker_id)
                    self.report.cancelled += 1
                return message
        except Exception:
            logger.exception(
                "Failed to compose an outbox message (outbox=%d room=%d kind=%s)",
                item.id,
                item.room_id,
                item.kind,
            )
            with self.deliverer.sessions.begin() as session:
                outbox.mark_failed(
                    session, item.id, worker_id=self.worker_id, reason=COMPOSE_FAILED
                )
            self.report.failed += 1
            return None

    def _mark_sent(self, item: OutboxItem, ts: str) -> None:
        with self.deliverer.sessions.begin() as session:
            marked = outbox.mark_sent(
                session, item.id, worker_id=self.worker_id, message_ts=ts, now=self._now()
            )
        if not marked:
            # The message is in Slack, so the row must not be sent again; the
            # worker that took it over finds it in the history.
            logger.warning(
                "Posted a message whose claim another worker had taken (outbox=%d ts=%s)",
                item.id,
                ts,
            )

    def _lost(self, item: OutboxItem) -> None:
        logger.warning(
            "Skipped an outbox row another worker took over (outbox=%d worker=%s)",
            item.id,
            self.worker_id,
        )
        self.report.lost += 1

    # Failures

    def _failed(self, item: OutboxItem, error: SendError) -> None:
        match error.failure:
            case Failure.RATE_LIMITED:
                self._rate_limited(item, error)
            case Failure.TRANSIENT:
                self._retry_later(item, error)
            case Failure.DESTINATION:
                self._block(item, error)
            case Failure.TOKEN:
                self._stop(item, error)
            case Failure.MESSAGE:
                self._give_up(item, error.reason)

    def _rate_limited(self, item: OutboxItem, error: SendError) -> None:
        self.report.rate_limited += 1
        wait = timedelta(seconds=error.retry_after)
        until = self._now() + wait
        logger.info(
            "Slack rate-limited a send; retrying after %.0f s (outbox=%d destination=%s)",
            error.retry_after,
            item.id,
            item.destination,
        )
        if wait <= self.settings.max_wait:
            self.queues.put_back(item)
            self.queues.hold(item.destination, until)
            return
        rows = [item, *self.queues.drop(item.destination, item.room_id)]
        with self.deliverer.sessions.begin() as session:
            for row in rows:
                outbox.mark_retry(
                    session,
                    row.id,
                    worker_id=self.worker_id,
                    next_attempt_at=until,
                    reason=error.reason,
                    in_doubt=row.in_doubt,
                )
        self.report.retried += len(rows)

    def _retry_later(self, item: OutboxItem, error: SendError) -> None:
        if item.attempts >= self.settings.max_attempts:
            self._give_up(item, error.reason)
            return
        delay = min(
            self.settings.backoff_base * 2 ** (item.attempts - 1), self.settings.backoff_cap
        )
        logger.warning(
            "Failed to send an outbox message (%s); retrying in %.0f s "
            "(outbox=%d destination=%s attempt=%d)",
            error.reason,
            delay.total_seconds(),
            item.id,
            item.destination,
            item.attempts,
        )
        with self.deliverer.sessions.begin() as session:
            outbox.mark_retry(
                session,
                item.id,
                worker_id=self.worker_id,
                next_attempt_at=self._now() + delay,
                reason=error.reason,
                in_doubt=True,
            )
        self.report.retried += 1

    def _block(self, item: OutboxItem, error: SendError) -> None:
        rows = [item, *self.queues.drop(item.destination, item.room_id)]
        logger.warning(
            "Blocked a destination after a permanent error (%s); failing %d messages "
            "(room=%d destination=%s outbox=%d)",
            error.reason,
            len(rows),
            item.room_id,
            item.destination,
            item.id,
        )
        with self.deliverer.sessions.begin() as session:
            outbox.block_destination(
                session,
                room_id=item.room_id,
                destination=item.destination,
                reason=error.reason,
                now=self._now(),
            )
            outbox.mark_failed(session, item.id, worker_id=self.worker_id, reason=error.reason)
            for row in rows[1:]:
                outbox.mark_failed(
                    session, row.id, worker_id=self.worker_id, reason=outbox.DESTINATION_BLOCKED
                )
        self.report.failed += len(rows)
        self.report.blocked.append((item.room_id, item.destination, error.reason))

    def _stop(self, item: OutboxItem, error: SendError) -> None:
        logger.error(
            "Stopped delivering: Slack rejected the bot token (%s). Check SLACK_BOT_TOKEN "
            "and the app's scopes (outbox=%d)",
            error.reason,
            item.id,
        )
        self.queues.put_back(item)
        self.report.stopped_by = error.reason

    def _give_up(self, item: OutboxItem, reason: str) -> None:
        logger.error(
            "Failed to send an outbox message for good (%s) (outbox=%d room=%d destination=%s "
            "attempts=%d)",
            reason,
            item.id,
            item.room_id,
            item.destination,
            item.attempts,
        )
        with self.deliverer.sessions.begin() as session:
            outbox.mark_failed(session, item.id, worker_id=self.worker_id, reason=reason)
        self.report.failed += 1

    def _log_summary(self) -> None:
        report = self.report
        if not report.busy:
            logger.debug("No outbox messages due (worker=%s)", self.worker_id)
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
            self.worker_id,
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
