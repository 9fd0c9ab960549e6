"""One delivery run: claim due rows, hand them to worker threads, apply the outcomes.

The dispatcher (the thread that calls `DeliveryRun.execute`) owns the queues
and the report. Worker threads only make attempts (see delivery_attempt), and
each destination has at most one attempt in flight, so its messages go out
one at a time, in order, at least `interval` apart.
"""

from __future__ import annotations

import logging
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from reminders.delivery_attempt import Attempt, Outcome, Sender
from reminders.delivery_slack import Failure, SendError
from storage import outbox
from storage.outbox import OutboxItem

if TYPE_CHECKING:
    from reminders.delivery import Deliverer, DeliveryReport

logger = logging.getLogger(__name__)


class DeliveryRun:
    """One pass of a Deliverer over the due outbox rows."""

    def __init__(self, deliverer: Deliverer, now: datetime, report: DeliveryReport) -> None:
        self.deliverer = deliverer
        self.settings = deliverer.settings
        self.queues = deliverer.queues
        self.worker_id = deliverer.worker_id
        self.sessions = deliverer.sessions
        # The run's timeline starts at `now` and moves with the clock, so a run
        # given an explicit instant (tests, `reminders run --now`) stays on it.
        self.started = now
        self.clock_at_start = deliverer.clock()
        self.report = report
        self.exhausted = False
        self.in_flight: dict[Future[Attempt], str] = {}
        self.sender = Sender(
            sessions=deliverer.sessions,
            client=deliverer.client,
            compose=deliverer.compose,
            now=self.now,
            worker_id=deliverer.worker_id,
            history_margin=self.settings.history_margin,
            history_pages=self.settings.history_pages,
        )

    def now(self) -> datetime:
        return self.started + (self.deliverer.clock() - self.clock_at_start)

    # The loop

    def execute(self) -> None:
        self.queues.forget_before(self.now())
        with self.sessions.begin() as session:
            outbox.fail_blocked(session)
        with ThreadPoolExecutor(self.settings.concurrency, "mapbot-delivery") as pool:
            while not self._should_stop():
                if not self._step(pool):
                    break
            self._wait_for_all()
        self._release_rest()

    def _step(self, pool: ThreadPoolExecutor) -> bool:
        """Do the next thing: apply, claim, wait or dispatch. False when there is nothing left."""
        self._apply_finished()
        upcoming = self.queues.next_ready()
        ready = upcoming is not None and upcoming[1] <= self.now()
        if not ready and self._can_claim():
            self._claim()
            return True
        if upcoming is None:
            if not self.in_flight:
                return False
            self._wait_for_one(None)
            return True
        destination, ready_at = upcoming
        pause = (ready_at - self.now()).total_seconds()
        if pause > 0:
            if self.in_flight:
                self._wait_for_one(pause)
                return True
            self.deliverer.sleep(pause)
        if len(self.in_flight) >= self.settings.concurrency:
            self._wait_for_one(None)
            return True
        item = self.queues.take(destination)
        self.in_flight[pool.submit(self.sender.attempt, item)] = destination
        return True

    def _should_stop(self) -> bool:
        if self.report.stopped_by is not None or self.deliverer.stop.is_set():
            return True
        return self.now() - self.started >= self.settings.max_run_time

    def _can_claim(self) -> bool:
        return not self.exhausted and len(self.queues) < self.settings.max_held

    def _claim(self) -> None:
        limit = min(self.settings.batch_size, self.settings.max_held - len(self.queues))
        with self.sessions.begin() as session:
            items = outbox.claim(
                session,
                worker_id=self.worker_id,
                now=self.now(),
                limit=limit,
                lease=self.settings.lease,
            )
        self.report.claimed += len(items)
        self.exhausted = len(items) < limit
        self.queues.add(items, self.now())

    def _wait_for_one(self, timeout: float | None) -> None:
        wait(self.in_flight, timeout=timeout, return_when=FIRST_COMPLETED)
        self._apply_finished()

    def _wait_for_all(self) -> None:
        wait(self.in_flight)
        self._apply_finished()

    def _release_rest(self) -> None:
        rest = list(self.queues.drain())
        if not rest:
            return
        with self.sessions.begin() as session:
            released = outbox.release(session, [item.id for item in rest], worker_id=self.worker_id)
        self.report.released += released

    # Outcomes

    def _apply_finished(self) -> None:
        for future in [future for future in self.in_flight if future.done()]:
            destination = self.in_flight.pop(future)
            attempt = future.result()
            # After a Slack response, the destination waits a full interval.
            ready_at = self.now()
            if attempt.answered_at is not None:
                ready_at = attempt.answered_at + self.settings.interval
            self.queues.finish(destination, ready_at)
            self._apply(attempt)

    def _apply(self, attempt: Attempt) -> None:
        report = self.report
        match attempt.outcome:
            case Outcome.SENT:
                report.sent += 1
            case Outcome.FOUND:
                report.found_in_history += 1
            case Outcome.CANCELLED:
                report.cancelled += 1
            case Outcome.COMPOSE_FAILED:
                report.failed += 1
            case Outcome.LOST:
                report.lost += 1
            case Outcome.CALL_FAILED:
                assert attempt.error is not None
                self._failed(attempt.item, attempt.error)

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
        wait_for = timedelta(seconds=error.retry_after)
        until = self.now() + wait_for
        logger.info(
            "Slack rate-limited a send; retrying after %.0f s (outbox=%d destination=%s)",
            error.retry_after,
            item.id,
            item.destination,
        )
        if wait_for <= self.settings.max_wait:
            self.queues.put_back(item)
            self.queues.finish(item.destination, until)
            return
        rows = [item, *self.queues.drop(item.destination, item.room_id)]
        with self.sessions.begin() as session:
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
            "Failed to send an outbox message (%s), retrying in %.0f s "
            "(outbox=%d destination=%s attempt=%d)",
            error.reason,
            delay.total_seconds(),
            item.id,
            item.destination,
            item.attempts,
        )
        with self.sessions.begin() as session:
            outbox.mark_retry(
                session,
                item.id,
                worker_id=self.worker_id,
                next_attempt_at=self.now() + delay,
                reason=error.reason,
                in_doubt=True,
            )
        self.report.retried += 1

    def _block(self, item: OutboxItem, error: SendError) -> None:
        rows = [item, *self.queues.drop(item.destination, item.room_id)]
        logger.warning(
            "Blocked a destination after a permanent error (%s), failing %d messages "
            "(room=%d destination=%s outbox=%d)",
            error.reason,
            len(rows),
            item.room_id,
            item.destination,
            item.id,
        )
        with self.sessions.begin() as session:
            outbox.block_destination(
                session,
                room_id=item.room_id,
                destination=item.destination,
                reason=error.reason,
                now=self.now(),
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
        with self.sessions.begin() as session:
            outbox.mark_failed(session, item.id, worker_id=self.worker_id, reason=reason)
        self.report.failed += 1
