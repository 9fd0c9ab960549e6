"""Run-time dependencies of the listeners, passed in explicitly instead of module globals."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

if TYPE_CHECKING:
    from bot.background import BackgroundWork
    from bot.live_plan import LivePlan

logger = logging.getLogger(__name__)

T = TypeVar("T")

# A write that lost a race (a stale version, or SQLite's busy snapshot) is retried
# this many times in a fresh transaction, which reads the winner's result.
WRITE_RETRIES = 2


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    sessions: sessionmaker[Session]
    # The workspace the app is installed in; deal rooms are keyed by it.
    team_id: str
    clock: Callable[[], datetime] = utc_now
    # Updates each room's live plan message; None where no Slack client is wired up.
    live_plan: LivePlan | None = None
    # Runs work after Slack has its HTTP response; None runs it in the request instead.
    background: BackgroundWork | None = None

    def later(self, work: Callable[[], object]) -> None:
        """Run `work` on the background pool, or now when there is none."""
        if self.background is None:
            work()
        else:
            self.background.submit(work)

    def now(self) -> datetime:
        return self.clock()

    def plan_changed(self, channel_id: str, *, source_ts: str | None = None) -> None:
        """Schedule an update of the room's live plan message; call it after the commit.

        `source_ts` is the plan message a click came from, if any. See LivePlan.
        """
        if self.live_plan is not None:
            self.live_plan.plan_changed(self.team_id, channel_id, source_ts=source_ts)

    def write(self, work: Callable[[Session], T]) -> T:
        """Run `work` in a transaction, retrying when a concurrent write got there first."""
        for attempt in range(WRITE_RETRIES + 1):
            try:
                with self.sessions.begin() as session:
                    return work(session)
            except (StaleDataError, OperationalError) as error:
                if attempt == WRITE_RETRIES or not _is_retryable(error):
                    raise
                logger.info("Retrying a write after a concurrent change (attempt %d)", attempt + 1)
        raise AssertionError("unreachable")

    def read(self, work: Callable[[Session], T]) -> T:
        with self.sessions.begin() as session:
            return work(session)


def _is_retryable(error: Exception) -> bool:
    if isinstance(error, StaleDataError):
        return True
    message = str(error).lower()
    return "database is locked" in message or "could not serialize" in message
