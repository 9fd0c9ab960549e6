"""Keep each room's live plan message in step with its plan.

Code that changes a plan calls `LivePlan.plan_changed(team_id, channel_id)`
after its transaction commits. One background thread (`start()`) then reads
the plan from the database and edits the room's live message with
`chat.update`, so the message always shows the latest state:

- The first change in a quiet room is sent at once. Changes that arrive
  within `interval` of the last update wait for its end and are sent as one
  update, so a burst of ten clicks makes two calls.
- Slack rate-limits each Web API method per workspace
  (api.slack.com/docs/rate-limits), so all rooms share a budget of
  `updates_per_minute` calls, and a 429 pauses every room for its Retry-After.
  NOTE: the default of 50 assumes that chat.update is in Slack's "Tier 3"
  (50+ calls a minute); its tier was not confirmed in Slack's reference.
- Without `start()`, nothing runs in the background: tests call `flush_due()`
  or `flush_now()` and move the injected clock instead of sleeping.

NOTE: the coalescing state lives in this process. With several web replicas
each one updates the message on its own, so a burst spread over replicas can
make one call per replica and interval.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.plan import Message, PlanLayout, lay_out_plan
from bot.dates import today_in_zone
from bot.services import utc_now
from storage import live_messages, plans
from storage.live_messages import LiveMessage

logger = logging.getLogger(__name__)

T = TypeVar("T")
RoomKey = tuple[str, str]

DEFAULT_INTERVAL = timedelta(seconds=1)
DEFAULT_UPDATES_PER_MINUTE = 50
# Errors after which a channel takes no more updates until the next `/map status`.
CHANNEL_ERRORS = frozenset({"channel_not_found", "is_archived", "not_in_channel"})
MESSAGE_GONE = "message_not_found"
# A failed update (network, database) is retried this many times, waiting
# interval * 2**attempt up to MAX_RETRY_DELAY, then dropped until the next change.
MAX_ATTEMPTS = 5
MAX_RETRY_DELAY = timedelta(seconds=60)
# A due time further ahead than this means that the wall clock moved back, so it is capped.
MAX_DELAY = timedelta(minutes=10)


@dataclass
class _Room:
    """Pending work of one room, guarded by `LivePlan._condition`."""

    live_pending: bool = False
    outdated: set[str] = field(default_factory=set)
    due: datetime | None = None
    last_update: datetime | None = None
    flushing: bool = False
    attempts: int = 0

    @property
    def pending(self) -> bool:
        return self.live_pending or bool(self.outdated)


@dataclass(frozen=True)
class _Work:
    key: RoomKey
    live: bool
    outdated: frozenset[str]


@dataclass(frozen=True)
class _Snapshot:
    live: LiveMessage
    layout: PlanLayout


class _SlackUnavailable(Exception):
    """Slack responded with a server error (HTTP 5xx), so the update is retried."""


class _RateLimited(Exception):
    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(f"rate limited for {retry_after}")
        self.retry_after = retry_after


class LivePlan:
    """Coalesces plan changes into `chat.update` calls on each room's live message.

    Safe to call from any thread. `sessions` must reach the same database the
    changes were written to.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        client: WebClient,
        *,
        clock: Callable[[], datetime] = utc_now,
        interval: timedelta = DEFAULT_INTERVAL,
        updates_per_minute: int = DEFAULT_UPDATES_PER_MINUTE,
    ) -> None:
        self.sessions = sessions
        self.client = client
        self.clock = clock
        self.interval = interval
        self.updates_per_minute = updates_per_minute
        self._condition = threading.Condition()
        self._rooms: dict[RoomKey, _Room] = {}
        self._recent_calls: deque[datetime] = deque()
        self._paused_until: datetime | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False

    # Called by listeners

    def plan_changed(self, team_id: str, channel_id: str, *, source_ts: str | None = None) -> None:
        """Schedule an update of the room's live message to the plan's current state.

        `source_ts` is the plan message a click came from. When it is not the
        live message, it is redrawn as well, with a notice that it is outdated.
        Returns at once, because the update runs on the flusher thread.
        """
        with self._condition:
            room = self._rooms.setdefault((team_id, channel_id), _Room())
            room.live_pending = True
            if source_ts:
                room.outdated.add(source_ts)
            self._schedule(room)

    def post(self, team_id: str, channel_id: str) -> str | None:
        """Post a new plan message on page 1, make it the live one, and return its ts.

        The message it replaces is redrawn once with a notice that it is no
        longer updated. Returns None when the channel is not a deal room.
        Raises SlackApiError when Slack rejects the post, and changes nothing.
        """
        key = (team_id, channel_id)
        # The new message is drawn from the database after this point, so an
        # update waiting for the old live message is no longer needed.
        with self._condition:
            waiting = key in self._rooms and self._rooms[key].live_pending
            if waiting:
                self._rooms[key].live_pending = False
        try:
            snapshot = self._read(team_id, channel_id)
            if snapshot is None:
                return None
            message = snapshot.layout.message(1)
            response = self.client.chat_postMessage(
                channel=channel_id, text=message.text, blocks=message.blocks
            )
        except BaseException:
            if waiting:
                self.plan_changed(team_id, channel_id)
            raise
        ts = str(response["ts"])
        previous = self._write(
            lambda session: live_messages.replace_live_message(
                session, team_id, channel_id, ts, seen=snapshot.live
            )
        )
        logger.info(
            "Posted a new live plan message (team=%s channel=%s ts=%s replaces=%s)",
            team_id,
            channel_id,
            ts,
            previous,
        )
        if previous is not None:
            with self._condition:
                room = self._rooms.setdefault((team_id, channel_id), _Room())
                room.outdated.add(previous)
                self._schedule(room)
        return ts

    # Running the updates

    def start(self) -> None:
        """Start the flusher thread, which runs until `stop()`."""
        with self._condition:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="live-plan", daemon=True)
            self._thread.start()
        logger.info("Live plan updates started (interval %s)", self.interval)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the flusher thread. Updates still pending are dropped."""
        with self._condition:
            thread, self._thread = self._thread, None
            self._stopping = True
            self._condition.notify_all()
        if thread is not None:
            thread.join(timeout)
            logger.info("Live plan updates stopped")

    def flush_due(self) -> int:
        """Run every update that is due now in this thread; return how many rooms ran."""
        return self._flush(self._claim(force=False))

    def flush_now(self) -> int:
        """Run every pending update now, ignoring the interval; return how many rooms ran.

        Rate-limit pauses still apply, because Slack would reject the calls.
        """
        return self._flush(self._claim(force=True))

    def pending_rooms(self) -> list[RoomKey]:
        """Return the rooms with updates still to send."""
        with self._condition:
            return [key for key, room in self._rooms.items() if room.pending]

    def wait_until_idle(self, timeout: float) -> bool:
        """Block until no update is due or running, and return False on timeout."""
        with self._condition:
            return self._condition.wait_for(self._idle, timeout)

    def _idle(self) -> bool:
        now = self.clock()
        for room in self._rooms.values():
            if room.flushing or (room.pending and room.due is not None and room.due <= now):
                return False
        return True

    def _run(self) -> None:
        while True:
            try:
                self.flush_due()
            except Exception:
                logger.exception("Failed to run live plan updates; retrying after the interval")
            with self._condition:
                if self._stopping:
                    return
                wait = self._seconds_to_next_due()
                if wait is None or wait > 0:
                    self._condition.wait(wait)

    # Scheduling. Callers hold self._condition.

    def _schedule(self, room: _Room) -> None:
        if room.flushing or room.due is not None:
            return
        now = self.clock()
        due = now
        if room.last_update is not None:
            due = max(due, room.last_update + self.interval)
        if self._paused_until is not None:
            due = max(due, self._paused_until)
        room.due = min(due, now + MAX_DELAY)
        self._condition.notify_all()

    def _seconds_to_next_due(self) -> float | None:
        dues = [room.due for room in self._rooms.values() if room.pending and room.due]
        if not dues:
            return None
        return max((min(dues) - self.clock()).total_seconds(), 0.0)

    def _claim(self, *, force: bool) -> list[_Work]:
        """Take the work of every room that is due, within the workspace call budget."""
        with self._condition:
            now = self.clock()
            if self._paused_until is not None and self._paused_until > now:
                return []
            self._forget_calls_until(now - timedelta(minutes=1))
            self._forget_quiet_rooms(now)
            budget = self.updates_per_minute - len(self._recent_calls)
            claimed: list[_Work] = []
            for key, room in self._rooms.items():
                if not room.pending:
                    room.due = None
                if room.flushing or room.due is None:
                    continue
                if not force and room.due > now:
                    continue
                if budget <= 0:
                    # The calls claimed just now are sent at `now`, so the window frees then.
                    oldest = self._recent_calls[0] if self._recent_calls else now
                    room.due = max(room.due, oldest + timedelta(minutes=1))
                    continue
                budget -= 1 + len(room.outdated)
                claimed.append(_Work(key, room.live_pending, frozenset(room.outdated)))
                room.live_pending = False
                room.outdated = set()
                room.due = None
                room.flushing = True
            return claimed

    def _forget_quiet_rooms(self, now: datetime) -> None:
        """Drop rooms with nothing pending whose last update is older than the interval."""
        quiet = [
            key
            for key, room in self._rooms.items()
            if not room.pending
            and not room.flushing
            and (room.last_update is None or room.last_update + self.interval <= now)
        ]
        for key in quiet:
            del self._rooms[key]

    def _forget_calls_until(self, moment: datetime) -> None:
        while self._recent_calls and self._recent_calls[0] <= moment:
            self._recent_calls.popleft()

    def _finish(self, work: _Work, *, retry: bool, retry_after: timedelta | None = None) -> None:
        with self._condition:
            room = self._rooms[work.key]
            room.flushing = False
            room.last_update = self.clock()
            if retry:
                room.live_pending = room.live_pending or work.live
                room.outdated |= work.outdated
            if retry_after is not None:
                self._paused_until = self.clock() + retry_after
            if room.pending:
                self._schedule(room)
            self._condition.notify_all()

    # Sending

    def _flush(self, claimed: list[_Work]) -> int:
        for work in claimed:
            self._flush_room(work)
        return len(claimed)

    def _flush_room(self, work: _Work) -> None:
        team_id, channel_id = work.key
        try:
            self._send(work)
        except _RateLimited as limited:
            logger.warning(
                "Slack rate-limited chat.update; pausing live plan updates for %s "
                "(team=%s channel=%s)",
                limited.retry_after,
                team_id,
                channel_id,
            )
            self._finish(work, retry=True, retry_after=limited.retry_after)
        except (_SlackUnavailable, SlackClientError, SQLAlchemyError, OSError):
            self._retry_later(work)
        else:
            with self._condition:
                self._rooms[work.key].attempts = 0
            self._finish(work, retry=False)

    def _retry_later(self, work: _Work) -> None:
        team_id, channel_id = work.key
        with self._condition:
            room = self._rooms[work.key]
            room.attempts += 1
            attempts = room.attempts
        if attempts >= MAX_ATTEMPTS:
            logger.exception(
                "Failed to update the live plan message %d times; giving up until the next "
                "change (team=%s channel=%s)",
                attempts,
                team_id,
                channel_id,
            )
            with self._condition:
                self._rooms[work.key].attempts = 0
            self._finish(work, retry=False)
            return
        delay = min(self.interval * 2**attempts, MAX_RETRY_DELAY)
        logger.warning(
            "Failed to update the live plan message; retrying in %s (team=%s channel=%s)",
            delay,
            team_id,
            channel_id,
            exc_info=True,
        )
        self._finish(work, retry=True, retry_after=None)
        with self._condition:
            room = self._rooms[work.key]
            if room.due is not None:
                room.due = max(room.due, self.clock() + delay)

    def _send(self, work: _Work) -> None:
        team_id, channel_id = work.key
        snapshot = self._read(team_id, channel_id)
        if snapshot is None:
            return
        live = snapshot.live
        if work.live and live.updatable and live.ts is not None:
            message = snapshot.layout.message(live.page)
            self._update_live(team_id, channel_id, live.ts, message)
        outdated = snapshot.layout.message(1, outdated=True)
        for ts in sorted(work.outdated - {live.ts}):
            self._update_outdated(team_id, channel_id, ts, outdated)

    def _update_live(self, team_id: str, channel_id: str, ts: str, message: Message) -> None:
        try:
            self._chat_update(channel_id, ts, message)
        except SlackApiError as error:
            code = str(error.response.get("error", ""))
            if code == MESSAGE_GONE:
                self._write(lambda s: live_messages.forget_live_message(s, team_id, channel_id, ts))
                logger.info(
                    "The live plan message was deleted; waiting for the next /map status "
                    "(team=%s channel=%s ts=%s)",
                    team_id,
                    channel_id,
                    ts,
                )
            elif code in CHANNEL_ERRORS:
                self._write(
                    lambda s: live_messages.stop_live_message(s, team_id, channel_id, ts, code)
                )
                logger.warning(
                    "Stopped live plan updates after %s; the next /map status restarts them "
                    "(team=%s channel=%s ts=%s)",
                    code,
                    team_id,
                    channel_id,
                    ts,
                )
            else:
                logger.exception(
                    "Slack rejected a live plan update with %s (team=%s channel=%s ts=%s)",
                    code,
                    team_id,
                    channel_id,
                    ts,
                )

    def _update_outdated(self, team_id: str, channel_id: str, ts: str, message: Message) -> None:
        try:
            self._chat_update(channel_id, ts, message)
        except SlackApiError as error:
            logger.info(
                "Failed to mark an older plan message as outdated (%s), so it stays "
                "as it is (team=%s channel=%s ts=%s)",
                error.response.get("error"),
                team_id,
                channel_id,
                ts,
            )

    def _chat_update(self, channel_id: str, ts: str, message: Message) -> None:
        with self._condition:
            self._recent_calls.append(self.clock())
        try:
            self.client.chat_update(
                channel=channel_id, ts=ts, text=message.text, blocks=message.blocks
            )
        except SlackApiError as error:
            status = error.response.status_code
            if status == 429:
                raise _RateLimited(_retry_after(error)) from error
            if status >= 500:
                raise _SlackUnavailable(f"HTTP {status}") from error
            raise

    # Database

    def _read(self, team_id: str, channel_id: str) -> _Snapshot | None:
        with self.sessions.begin() as session:
            room = plans.find_room(session, team_id, channel_id)
            if room is None:
                return None
            live = live_messages.live_message_of(room)
            plan = plans.load_plan_of(session, room)
        today: date = today_in_zone(self.clock(), plan.room.timezone)
        return _Snapshot(live=live, layout=lay_out_plan(plan, today))

    def _write(self, work: Callable[[Session], T]) -> T:
        with self.sessions.begin() as session:
            return work(session)


def _retry_after(error: SlackApiError) -> timedelta:
    headers = error.response.headers or {}
    raw = headers.get("Retry-After") or headers.get("retry-after") or "1"
    try:
        seconds = max(int(str(raw).strip()), 1)
    except ValueError:
        seconds = 1
    return timedelta(seconds=seconds)
