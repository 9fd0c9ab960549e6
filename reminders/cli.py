"""The reminder commands of `mapbot`: `scheduler`, `reminders run`, and `run --no-scheduler`.

`bot.cli` builds the parser and calls `add_commands` and `add_run_options`.
The handlers import what they need when they run, so `mapbot --help` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from reminders.scheduler import RunningWorker

logger = logging.getLogger(__name__)

INSTANT_EXAMPLE = "2026-12-07T09:00:00Z"


def add_run_options(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--no-scheduler",
        action="store_true",
        help="do not plan or send reminders in this process (run `mapbot scheduler` instead)",
    )


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scheduler = commands.add_parser(
        "scheduler", help="plan and send reminders only, without serving Slack requests"
    )
    scheduler.set_defaults(handler=run_scheduler)

    reminders = commands.add_parser("reminders", help="reminder maintenance")
    reminder_commands = reminders.add_subparsers(dest="reminders_command", required=True)
    once = reminder_commands.add_parser(
        "run",
        help="plan and deliver reminders once, as if it were the given instant, then exit",
    )
    once.add_argument(
        "--now",
        required=True,
        type=parse_instant,
        help=f"the instant to act as, in ISO 8601 with a UTC offset, such as {INSTANT_EXAMPLE}",
    )
    once.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would be sent, to whom and why, without sending or writing anything",
    )
    once.set_defaults(handler=run_reminders_once)


def parse_instant(text: str) -> datetime:
    """Read an ISO 8601 instant with a UTC offset, such as 2026-12-07T09:00:00Z."""
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 date and time. Use a form like {INSTANT_EXAMPLE}."
        ) from error
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no UTC offset. Add `Z` or an offset like +01:00, "
            f"as in {INSTANT_EXAMPLE}."
        )
    return instant.astimezone(UTC)


def start_embedded(runtime: Runtime) -> RunningWorker:
    """Start the reminder worker inside `mapbot run`, to stop when the process exits."""
    from reminders.scheduler import start_worker

    return start_worker(runtime.services.sessions, runtime.client, runtime.services.clock)


def run_scheduler(_args: argparse.Namespace) -> int:
    """Run the reminder worker until SIGINT or SIGTERM."""
    from bot.config import Config
    from bot.runtime import build_runtime
    from reminders.scheduler import start_worker

    runtime = build_runtime(Config.from_env())
    stopping = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("Stopping the reminder worker (signal %d)", signum)
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    running = start_worker(runtime.services.sessions, runtime.client, runtime.services.clock)
    stopping.wait()
    running.stop()
    runtime.engine.dispose()
    return 0


def run_reminders_once(args: argparse.Namespace) -> int:
    """Plan and deliver once as if it were `--now`, or only print that with `--dry-run`.

    A dry run needs only the database (`DATABASE_URL`), not Slack, and does not
    migrate it: it writes nothing.
    """
    from bot.config import Config
    from bot.runtime import build_runtime
    from reminders.scheduler import ReminderWorker

    now: datetime = args.now
    if args.dry_run:
        return _dry_run(now)

    runtime = build_runtime(Config.from_env())
    worker = ReminderWorker(runtime.services.sessions, runtime.client, clock_from(now))
    sweep, delivery = worker.run_once(now)
    print(
        f"Reminder run at {now.isoformat()}: planned {sweep.nudges} nudge(s) and "
        f"{sweep.summaries} summary(ies) in {len(sweep.messages)} message(s); "
        f"sent {delivery.sent}, cancelled {delivery.cancelled}, retrying {delivery.retried}, "
        f"failed {delivery.failed}."
    )
    return 0


def _dry_run(now: datetime) -> int:
    from bot.config import DEFAULT_DATABASE_URL
    from reminders.dry_run import format_preview, preview
    from storage.db import make_engine, make_session_factory

    engine = make_engine(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    try:
        print(format_preview(preview(make_session_factory(engine), now), now))
    finally:
        engine.dispose()
    return 0


def clock_from(start: datetime) -> Callable[[], datetime]:
    """Return a clock that reads `start` now and runs on at the pace of real time."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)
