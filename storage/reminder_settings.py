"""A room's reminder settings: read them, change them, and keep its schedule in step.

Functions take a `Session` and never commit, because the caller owns the
transaction. Each change records an activity row and recomputes the room's schedule
(`next_nudge_at`, `next_summary_at`), so a new reminder hour or time zone
takes effect from the next sweep without sending anything twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from storage.models import NEVER_PLANNED, Activity, DealRoom, NudgeDelivery, Task
from storage.reminder_calendar import WorkWeek, local_instant, next_weekly_instant

STEPS_SEPARATOR = ","


@dataclass(frozen=True)
class ReminderSettings:
    """A room's reminder settings as plain values."""

    timezone: str
    reminder_time: time
    work_week: WorkWeek
    nudges_enabled: bool
    overdue_steps: tuple[int, ...]
    nudge_delivery: NudgeDelivery
    # Monday is 0, and None turns the weekly summary off.
    summary_weekday: int | None
    summary_time: time
    next_summary_at: datetime | None


def settings_of(room: DealRoom) -> ReminderSettings:
    return ReminderSettings(
        timezone=room.timezone,
        reminder_time=room.reminder_time,
        work_week=WorkWeek(room.workday_mask),
        nudges_enabled=room.nudges_enabled,
        overdue_steps=parse_steps(room.overdue_steps),
        nudge_delivery=room.nudge_delivery,
        summary_weekday=room.summary_weekday,
        summary_time=room.summary_time,
        next_summary_at=room.next_summary_at,
    )


def parse_steps(stored: str) -> tuple[int, ...]:
    """Read the stored overdue steps, such as "1,3,7"."""
    return tuple(int(step) for step in stored.split(STEPS_SEPARATOR))


def set_timezone(session: Session, room: DealRoom, zone: str, *, actor: str, now: datetime) -> None:
    """Set the room's IANA time zone, which the caller has validated."""
    _change(session, room, actor, now, "timezone", room.timezone, zone)
    room.timezone = zone
    _reschedule(room, now)


def set_nudges_enabled(
    session: Session, room: DealRoom, enabled: bool, *, actor: str, now: datetime
) -> None:
    """Turn nudges on or off. Turned on, today's nudges still go out if their hour has passed."""
    _change(session, room, actor, now, "nudges_enabled", room.nudges_enabled, enabled)
    if enabled and not room.nudges_enabled and room.nudges_planned_through is not None:
        # The planner kept advancing while nudges were off, so step back to yesterday.
        yesterday = now.astimezone(ZoneInfo(room.timezone)).date() - timedelta(days=1)
        room.nudges_planned_through = min(room.nudges_planned_through, yesterday)
    room.nudges_enabled = enabled
    _reschedule(room, now)


def set_overdue_steps(
    session: Session, room: DealRoom, steps: tuple[int, ...], *, actor: str, now: datetime
) -> None:
    """Set the working days overdue on which tasks are nudged, as validated by the caller."""
    stored = STEPS_SEPARATOR.join(str(step) for step in steps)
    _change(session, room, actor, now, "overdue_steps", room.overdue_steps, stored)
    room.overdue_steps = stored


def set_nudge_delivery(
    session: Session, room: DealRoom, delivery: NudgeDelivery, *, actor: str, now: datetime
) -> None:
    before = room.nudge_delivery.value
    _change(session, room, actor, now, "nudge_delivery", before, delivery.value)
    room.nudge_delivery = delivery


def set_reminder_time(
    session: Session, room: DealRoom, wall_time: time, *, actor: str, now: datetime
) -> None:
    before = room.reminder_time.strftime("%H:%M")
    _change(session, room, actor, now, "reminder_time", before, wall_time.strftime("%H:%M"))
    room.reminder_time = wall_time
    _reschedule(room, now)


def set_work_week(
    session: Session, room: DealRoom, week: WorkWeek, *, actor: str, now: datetime
) -> None:
    before = list(WorkWeek(room.workday_mask).weekdays)
    _change(session, room, actor, now, "workdays", before, list(week.weekdays))
    room.workday_mask = week.mask
    _reschedule(room, now)


def set_summary(
    session: Session,
    room: DealRoom,
    weekday: int | None,
    wall_time: time | None,
    *,
    actor: str,
    now: datetime,
) -> None:
    """Set the weekly summary's day and time, or turn it off with `weekday=None`."""
    before = _summary_value(room.summary_weekday, room.summary_time)
    after = _summary_value(weekday, wall_time or room.summary_time)
    _change(session, room, actor, now, "summary", before, after)
    room.summary_weekday = weekday
    if wall_time is not None:
        room.summary_time = wall_time
    _reschedule(room, now)


def snooze_task(
    session: Session, room: DealRoom, task: Task, until: date, *, actor: str, now: datetime
) -> None:
    """Silence the task's nudges before the room-local day `until`.

    On the first working day from `until` on, the task gets one nudge if it
    is still open and due within a working day, then its schedule resumes.
    """
    if task.room_id != room.id:
        raise ValueError(f"task {task.id} is not in room {room.id}")
    before = task.snoozed_until.isoformat() if task.snoozed_until else None
    task.snoozed_until = until
    room.updated_at = now
    session.add(
        Activity(
            room_id=room.id,
            task_id=task.id,
            milestone_id=task.milestone_id,
            actor_user_id=actor,
            action="task.snoozed",
            before={"snoozed_until": before},
            after={"snoozed_until": until.isoformat()},
            created_at=now,
        )
    )


def next_nudge_instant(room: DealRoom, planned_through: date) -> datetime:
    """Return when the room's nudges after `planned_through` are next due."""
    week = WorkWeek(room.workday_mask)
    zone = ZoneInfo(room.timezone)
    return local_instant(week.next_working(planned_through), room.reminder_time, zone)


def next_summary_instant(room: DealRoom, after: datetime) -> datetime | None:
    """Return the room's first summary time after `after`, or None when summaries are off."""
    if room.summary_weekday is None:
        return None
    zone = ZoneInfo(room.timezone)
    return next_weekly_instant(after, room.summary_weekday, room.summary_time, zone)


def _reschedule(room: DealRoom, now: datetime) -> None:
    if room.nudges_planned_through is None:
        room.next_nudge_at = NEVER_PLANNED
    else:
        room.next_nudge_at = next_nudge_instant(room, room.nudges_planned_through)
    room.next_summary_at = next_summary_instant(room, now)


def _summary_value(weekday: int | None, wall_time: time) -> dict[str, Any] | None:
    if weekday is None:
        return None
    return {"weekday": weekday, "time": wall_time.strftime("%H:%M")}


def _change(
    session: Session,
    room: DealRoom,
    actor: str,
    now: datetime,
    setting: str,
    before: Any,
    after: Any,
) -> None:
    room.updated_at = now
    session.add(
        Activity(
            room_id=room.id,
            actor_user_id=actor,
            action="room.settings",
            before={setting: before},
            after={setting: after},
            created_at=now,
        )
    )
