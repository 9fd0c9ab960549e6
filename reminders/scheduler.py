"""The reminder worker: plan and deliver on fixed intervals with APScheduler 3.

There are exactly two jobs, whatever the number of rooms: one plans what is
due (nudges and summaries into the outbox), one delivers the outbox. Which
room is due when is stored in the database, so a restarted worker, or several
workers at once, continue from the stored schedule.

Each job sets its own `misfire_grace_time`: APScheduler 3.11's default of 1 second
silently skips a run that starts later than that, for example after a long
garbage collection pause. With `coalesce=True` a worker that was held up runs
a job once, not once per missed interval, and `max_instances=1` keeps a slow
run from overlapping the next.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from reminders.compose import compose
from reminders.delivery import Deliverer, DeliveryReport
from reminders.planner import Planner, SweepReport

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]

PLAN_JOB = "plan-reminders"
DELIVER_JOB = "deliver-outbox"


@dataclass(frozen=True)
class Intervals:
    """How often each job runs, and how late a run may start before it is skipped."""

    # Nudges go out at a room's reminder time, so planning runs every minute.
    plan_every: timedelta = timedelta(minutes=1)
    deliver_every: timedelta = timedelta(seconds=10)
    # A run that starts later than this is skipped. The next run plans or
    # delivers everything due by then, so a skipped run loses nothing.
    plan_grace: timedelta = timedelta(seconds=50)
    deliver_grace: timedelta = timedelta(seconds=10)


class ReminderWorker:
    """Plans reminders and delivers the outbox, once per call or on a schedule."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        client: WebClient,
        clock: Clock,
        *,
        planner: Planner | None = None,
        deliverer: Deliverer | None = None,
    ) -> None:
        self.clock = clock
        self.planner = planner or Planner(sessions)
        self.deliverer = deliverer or Deliverer(sessions, client, compose, clock)

    def plan(self) -> SweepReport | None:
        """Plan what is due now. A failure is logged, not raised, and the next run tries again."""
        try:
            return self.planner.sweep(self.clock())
        except Exception:
            logger.exception("Failed to plan reminders, the next run tries again")
            return None

    def deliver(self) -> DeliveryReport | None:
        """Deliver the due outbox rows. A failure is logged, not raised, and the next run tries."""
        try:
            return self.deliverer.deliver_due()
        except Exception:
            logger.exception("Failed to deliver the outbox, the next run tries again")
            return None

    def run_once(self, now: datetime) -> tuple[SweepReport, DeliveryReport]:
        """Plan and deliver everything due at `now`, raising any failure."""
        return self.planner.sweep(now), self.deliverer.deliver_due(now)

    def stop(self) -> None:
        """Ask a delivery run in progress to hand back its rows and end."""
        self.deliverer.stop.set()


def build_scheduler(
    worker: ReminderWorker, intervals: Intervals | None = None
) -> BackgroundScheduler:
    """Create a scheduler in UTC with the plan and deliver jobs, first runs due at once."""
    chosen = intervals or Intervals()
    scheduler = BackgroundScheduler(timezone=UTC)
    start = datetime.now(UTC)
    scheduler.add_job(
        worker.plan,
        "interval",
        id=PLAN_JOB,
        seconds=chosen.plan_every.total_seconds(),
        misfire_grace_time=int(chosen.plan_grace.total_seconds()),
        coalesce=True,
        max_instances=1,
        next_run_time=start,
    )
    scheduler.add_job(
        worker.deliver,
        "interval",
        id=DELIVER_JOB,
        seconds=chosen.deliver_every.total_seconds(),
        misfire_grace_time=int(chosen.deliver_grace.total_seconds()),
        coalesce=True,
        max_instances=1,
        next_run_time=start,
    )
    return scheduler


class RunningWorker:
    """A started scheduler and its worker. `stop()` ends both and is safe to call twice."""

    def __init__(self, worker: ReminderWorker, scheduler: BackgroundScheduler) -> None:
        self.worker = worker
        self.scheduler = scheduler
        self._lock = threading.Lock()
        self._stopped = False

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self.worker.stop()
        self.scheduler.shutdown(wait=True)
        logger.info("Reminder worker stopped")


def start_worker(
    sessions: sessionmaker[Session],
    client: WebClient,
    clock: Clock,
    intervals: Intervals | None = None,
) -> RunningWorker:
    """Start planning and delivering in background threads until `stop()` or exit."""
    chosen = intervals or Intervals()
    executor_logger = logging.getLogger("apscheduler.executors.default")
    if executor_logger.level == logging.NOTSET:
        # APScheduler logs two INFO lines per job run, thousands a day at these
        # intervals. Its warnings (missed runs) and errors still show.
        executor_logger.setLevel(logging.WARNING)
    worker = ReminderWorker(sessions, client, clock)
    scheduler = build_scheduler(worker, chosen)
    scheduler.start()
    running = RunningWorker(worker, scheduler)
    atexit.register(running.stop)
    logger.info(
        "Reminder worker started: planning every %s, delivering every %s",
        chosen.plan_every,
        chosen.deliver_every,
    )
    return running
