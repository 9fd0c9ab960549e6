"""One attempt at sending one claimed outbox row. Runs in a worker thread.

An attempt reads and writes the database through sessions of its own and
calls the Web API. It does not touch the run's queues or report: it returns
an `Attempt`, and the run's dispatcher thread applies it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.plan import Message
from reminders.delivery_slack import (
    UNEXPECTED_ERROR,
    SendError,
    classify,
    find_posted,
    post_message,
)
from storage import outbox
from storage.outbox import OutboxItem

logger = logging.getLogger(__name__)

Compose = Callable[[Session, OutboxItem, datetime], Message | None]

COMPOSE_FAILED = "compose_failed"


class Outcome(Enum):
    SENT = "sent"
    # An in-doubt row whose message was already in Slack's history.
    FOUND = "found"
    CANCELLED = "cancelled"
    COMPOSE_FAILED = "compose_failed"
    # Another worker took the row over, so this one left it alone.
    LOST = "lost"
    # A Web API call failed, with the classified error in `Attempt.error`.
    CALL_FAILED = "call_failed"


@dataclass(frozen=True)
class Attempt:
    """The result of an attempt at one row."""

    item: OutboxItem
    outcome: Outcome
    # When the last Slack response came, for pacing. None when Slack was not called.
    answered_at: datetime | None = None
    error: SendError | None = None


@dataclass(frozen=True)
class Sender:
    """Makes attempts for one worker. Safe to call from several threads at once."""

    sessions: sessionmaker[Session]
    client: WebClient
    compose: Compose
    now: Callable[[], datetime]
    worker_id: str
    history_margin: timedelta
    history_pages: int

    def attempt(self, item: OutboxItem) -> Attempt:
        answered_at: datetime | None = None
        if item.in_doubt:
            try:
                ts = find_posted(self.client, item, self._oldest(item), self.history_pages)
            except Exception as error:
                return self._call_failed(item, error)
            answered_at = self.now()
            if ts is not None:
                self._mark_sent(item, ts, found=True)
                return Attempt(item, Outcome.FOUND, answered_at)

        composed = self._compose(item)
        if isinstance(composed, Outcome):
            return Attempt(item, composed, answered_at)

        try:
            ts = post_message(self.client, item, composed)
        except Exception as error:
            return self._call_failed(item, error)
        answered_at = self.now()
        self._mark_sent(item, ts, found=False)
        return Attempt(item, Outcome.SENT, answered_at)

    def _oldest(self, item: OutboxItem) -> datetime:
        return item.created_at - self.history_margin

    def _compose(self, item: OutboxItem) -> Message | Outcome:
        """Render the row's message while holding the claim, or return why there is none."""
        now = self.now()
        try:
            with self.sessions.begin() as session:
                if not outbox.renew(session, item.id, worker_id=self.worker_id, now=now):
                    logger.warning(
                        "Skipped an outbox row another worker took over (outbox=%d worker=%s)",
                        item.id,
                        self.worker_id,
                    )
                    return Outcome.LOST
                message = self.compose(session, item, now)
                if message is None:
                    outbox.mark_cancelled(session, item.id, worker_id=self.worker_id)
                    return Outcome.CANCELLED
                return message
        except Exception:
            logger.exception(
                "Failed to compose an outbox message (outbox=%d room=%d kind=%s)",
                item.id,
                item.room_id,
                item.kind,
            )
            with self.sessions.begin() as session:
                outbox.mark_failed(
                    session, item.id, worker_id=self.worker_id, reason=COMPOSE_FAILED
                )
            return Outcome.COMPOSE_FAILED

    def _mark_sent(self, item: OutboxItem, ts: str, *, found: bool) -> None:
        with self.sessions.begin() as session:
            marked = outbox.mark_sent(
                session, item.id, worker_id=self.worker_id, message_ts=ts, now=self.now()
            )
        if found:
            logger.info(
                "Found an in-doubt message already posted (outbox=%d destination=%s ts=%s)",
                item.id,
                item.destination,
                ts,
            )
        if not marked:
            # The message is in Slack, so the row must not be sent again. The
            # worker that took the row over finds the message in the history.
            logger.warning(
                "Posted a message whose claim another worker had taken (outbox=%d ts=%s)",
                item.id,
                ts,
            )

    def _call_failed(self, item: OutboxItem, error: Exception) -> Attempt:
        failure = classify(error)
        if failure.reason == UNEXPECTED_ERROR:
            logger.error(
                "Unexpected error from a Web API call (outbox=%d destination=%s)",
                item.id,
                item.destination,
                exc_info=error,
            )
        return Attempt(item, Outcome.CALL_FAILED, self.now(), failure)
