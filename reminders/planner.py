"""Plan nudges and weekly summaries into the outbox.

A sweep at instant `now` looks only at rooms that are due by their schedule
(`next_nudge_at` or `next_summary_at` at or before `now`), so its cost follows
what is due, not how many rooms and tasks are stored. For each such room:

- Nudges: the room-local days since it was last planned, up to the latest
  working day whose reminder time has passed. Each open task gets at most one
  nudge, the latest one on those days that is still true, so a worker back
  from downtime sends one nudge per task, not one per missed day. The nudges
  go into one outbox message per destination (the channel, or each Slack
  owner's direct message), and into the nudge log.
- Summaries: one outbox message when the room has tasks, then the next
  summary time after `now`, so missed weeks are not sent one by one.

The room's schedule then moves past `now`, so a second sweep at the same
instant plans nothing. The nudge log and the outbox dedupe keys make sure a
nudge is not planned twice even if schedules are reset or planners race.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session, sessionmaker

from reminders.compose import NUDGE, SUMMARY
from reminders.rules import OverdueSchedule, TaskDates, latest_nudge
from reminders.summary import next_summary_at
from storage import outbox
from storage.models import DealRoom, NudgeDelivery
from storage.reminder_calendar import WorkWeek, latest_working_day_started
from storage.reminder_queries import (
    CandidateTask,
    NudgeRecord,
    logged_nudges,
    open_tasks_due_by,
    record_nudges,
    rooms_due_for_nudges,
    rooms_due_for_summary,
    rooms_with_tasks,
)
from storage.reminder_settings import next_nudge_instant, parse_steps

logger = logging.getLogger(__name__)

# Rooms planned per transaction, so locks are short and memory stays flat.
DEFAULT_BATCH_SIZE = 500
# A room with invalid reminder settings is looked at again after this long.
BAD_SETTINGS_RETRY = timedelta(hours=1)

Enqueue = Callable[..., bool]


@dataclass(frozen=True)
class PlannedMessage:
    """A message the sweep put into the outbox."""

    dedupe_key: str
    room_id: int
    destination: str
    kind: str
    payload: dict[str, Any]


@dataclass
class SweepReport:
    """Counts and messages of one sweep, or of one batch of it."""

    rooms_for_nudges: int = 0
    rooms_for_summaries: int = 0
    nudges: int = 0
    messages: list[PlannedMessage] = field(default_factory=list)

    @property
    def summaries(self) -> int:
        return sum(1 for message in self.messages if message.kind == SUMMARY)

    def add(self, other: SweepReport) -> None:
        self.rooms_for_nudges += other.rooms_for_nudges
        self.rooms_for_summaries += other.rooms_for_summaries
        self.nudges += other.nudges
        self.messages.extend(other.messages)


class Planner:
    """Runs sweeps in batches of rooms, one transaction per batch."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        enqueue: Enqueue = outbox.enqueue,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.sessions = sessions
        self.batch_size = batch_size
        self.enqueue = enqueue

    def sweep(self, now: datetime) -> SweepReport:
        """Plan everything due at `now`, committing after each batch of rooms."""
        report = SweepReport()
        while True:
            with self.sessions.begin() as session:
                batch = plan_due(session, now, limit=self.batch_size, enqueue=self.enqueue)
            report.add(batch)
            full = max(batch.rooms_for_nudges, batch.rooms_for_summaries) >= self.batch_size
            if not full:
                break
        if report.messages:
            logger.info(
                "Planned %d nudges and %d summaries in %d messages",
                report.nudges,
                report.summaries,
                len(report.messages),
            )
        return report


def plan_due(
    session: Session, now: datetime, *, limit: int | None, enqueue: Enqueue = outbox.enqueue
) -> SweepReport:
    """Plan up to `limit` rooms due for nudges and up to `limit` due for a summary.

    Does not commit: the caller owns the transaction.
    """
    report = SweepReport()
    nudge_rooms = rooms_due_for_nudges(session, now, limit)
    report.rooms_for_nudges = len(nudge_rooms)
    _plan_nudges(session, nudge_rooms, now, enqueue, report)
    summary_rooms = rooms_due_for_summary(session, now, limit)
    report.rooms_for_summaries = len(summary_rooms)
    _plan_summaries(session, summary_rooms, now, enqueue, report)
    return report


@dataclass(frozen=True)
class _RoomDays:
    """A room's settings as the rules read them, and the local days to plan."""

    room: DealRoom
    week: WorkWeek
    schedule: OverdueSchedule
    since: date
    until: date

    @property
    def wants_nudges(self) -> bool:
        return self.room.nudges_enabled and self.since <= self.until


def _plan_nudges(
    session: Session,
    rooms: Sequence[DealRoom],
    now: datetime,
    enqueue: Enqueue,
    report: SweepReport,
) -> None:
    planned = [days for room in rooms if (days := _room_days(room, now)) is not None]
    nudging = [days for days in planned if days.wants_nudges]
    candidates: dict[int, list[CandidateTask]] = defaultdict(list)
    logged: set[tuple[int, str, date]] = set()
    if nudging:
        horizon = max(days.week.next_working(days.until) for days in nudging)
        for task in open_tasks_due_by(session, [days.room.id for days in nudging], horizon):
            candidates[task.room_id].append(task)
        task_ids = [task.id for tasks in candidates.values() for task in tasks]
        logged = logged_nudges(session, task_ids, min(days.since for days in nudging))

    records: list[NudgeRecord] = []
    for days in nudging:
        records.extend(
            _enqueue_nudges(session, days, candidates[days.room.id], logged, now, enqueue, report)
        )
    report.nudges += record_nudges(session, records, now)

    for days in planned:
        _advance_nudge_schedule(days, now)


def _room_days(room: DealRoom, now: datetime) -> _RoomDays | None:
    """Work out which local days to plan for the room, or skip a room with invalid settings.

    Settings are checked when they are written, so an invalid one was edited in
    the database or names a zone that tzdata no longer has. Such a room is
    looked at again after BAD_SETTINGS_RETRY rather than at every sweep.
    """
    try:
        zone = ZoneInfo(room.timezone)
        week = WorkWeek(room.workday_mask)
        schedule = OverdueSchedule(parse_steps(room.overdue_steps))
    except (ZoneInfoNotFoundError, ValueError):
        logger.exception(
            "Skipped the nudges of a room with invalid settings (room=%d zone=%r workdays=%d "
            "steps=%r)",
            room.id,
            room.timezone,
            room.workday_mask,
            room.overdue_steps,
        )
        room.next_nudge_at = now + BAD_SETTINGS_RETRY
        return None
    until = latest_working_day_started(now, week, room.reminder_time, zone)
    previous = room.nudges_planned_through
    if previous is None:
        # Never planned: start with the first reminder time after the room was created.
        previous = latest_working_day_started(room.created_at, week, room.reminder_time, zone)
    since = week.next_working(previous)
    return _RoomDays(room=room, week=week, schedule=schedule, since=since, until=until)


def _enqueue_nudges(
    session: Session,
    days: _RoomDays,
    tasks: list[CandidateTask],
    logged: set[tuple[int, str, date]],
    now: datetime,
    enqueue: Enqueue,
    report: SweepReport,
) -> list[NudgeRecord]:
    """Enqueue a message per destination for the room's new nudges and return their log rows."""
    room = days.room
    blocked: set[str] = set()
    if room.nudge_delivery is NudgeDelivery.DM and tasks:
        blocked = set(outbox.blocked_destinations(session, room.id))
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for task in tasks:
        dates = TaskDates(due=task.due_date, snoozed_until=task.snoozed_until)
        nudge = latest_nudge(
            dates, since=days.since, until=days.until, week=days.week, schedule=days.schedule
        )
        if nudge is None or (task.id, nudge.kind.value, nudge.day) in logged:
            continue
        item = {
            "task_id": task.id,
            "kind": nudge.kind.value,
            "day": nudge.day.isoformat(),
            "due_date": task.due_date.isoformat(),
        }
        groups[_destination(room, task, blocked)].append(item)

    records: list[NudgeRecord] = []
    for destination, items in groups.items():
        key = _nudge_key(room.id, destination, days.until, items)
        payload = {"day": days.until.isoformat(), "items": items}
        added = enqueue(
            session,
            dedupe_key=key,
            room_id=room.id,
            destination=destination,
            kind=NUDGE,
            payload=payload,
            not_before=now,
            now=now,
        )
        if not added:
            continue
        report.messages.append(PlannedMessage(key, room.id, destination, NUDGE, payload))
        records.extend(
            NudgeRecord(
                room_id=room.id,
                task_id=int(item["task_id"]),
                kind=str(item["kind"]),
                local_day=date.fromisoformat(str(item["day"])),
                due_date=date.fromisoformat(str(item["due_date"])),
                outbox_key=key,
            )
            for item in items
        )
    return records


def _destination(room: DealRoom, task: CandidateTask, blocked: set[str]) -> str:
    """Pick the owner's direct messages if the room is set to them and the owner is in Slack.

    An owner whose direct messages delivery has blocked, for example a Slack
    Connect guest the app cannot message, is nudged in the channel instead.
    NOTE: once the block is lifted (the room is used again), the next nudge
    tries the direct message again and is lost if Slack still rejects it.
    """
    owner = task.owner_user_id
    if room.nudge_delivery is NudgeDelivery.DM and owner and owner not in blocked:
        return owner
    return room.channel_id


def _nudge_key(room_id: int, destination: str, day: date, items: list[dict[str, Any]]) -> str:
    """Build a dedupe key that is the same for the same nudges, and differs otherwise."""
    content = ",".join(sorted(f"{item['task_id']}/{item['kind']}/{item['day']}" for item in items))
    digest = hashlib.sha256(content.encode()).hexdigest()[:16]
    return f"{NUDGE}:{room_id}:{destination}:{day.isoformat()}:{digest}"


def _advance_nudge_schedule(days: _RoomDays, now: datetime) -> None:
    room = days.room
    previous = room.nudges_planned_through
    through = days.until if previous is None else max(previous, days.until)
    room.nudges_planned_through = through
    room.next_nudge_at = next_nudge_instant(room, through)
    if room.next_summary_at is None and room.summary_weekday is not None:
        # A new room's first summary is scheduled when it is first planned.
        try:
            room.next_summary_at = next_summary_at(room, now)
        except ValueError:
            logger.exception(
                "Failed to schedule the summary of a room (room=%d weekday=%r)",
                room.id,
                room.summary_weekday,
            )


def _plan_summaries(
    session: Session,
    rooms: Sequence[DealRoom],
    now: datetime,
    enqueue: Enqueue,
    report: SweepReport,
) -> None:
    with_tasks = rooms_with_tasks(session, [room.id for room in rooms])
    for room in rooms:
        scheduled = room.next_summary_at
        try:
            zone = ZoneInfo(room.timezone)
            following = next_summary_at(room, now)
        except (ZoneInfoNotFoundError, ValueError):
            logger.exception(
                "Skipped the summary of a room with invalid settings (room=%d zone=%r weekday=%r)",
                room.id,
                room.timezone,
                room.summary_weekday,
            )
            room.next_summary_at = now + BAD_SETTINGS_RETRY
            continue
        if scheduled is not None and room.summary_weekday is not None and room.id in with_tasks:
            local_day = scheduled.astimezone(zone).date()
            key = f"{SUMMARY}:{room.id}:{local_day.isoformat()}"
            payload = {"scheduled_at": scheduled.isoformat()}
            added = enqueue(
                session,
                dedupe_key=key,
                room_id=room.id,
                destination=room.channel_id,
                kind=SUMMARY,
                payload=payload,
                not_before=now,
                now=now,
            )
            if added:
                report.messages.append(
                    PlannedMessage(key, room.id, room.channel_id, SUMMARY, payload)
                )
        room.next_summary_at = following
