"""Render an outbox message at send time, from the plan as it is then.

The planner stores only references (task ids, the day, the due date it saw),
so a nudge never shows a stale plan. A task completed, deleted, moved to a
later date, snoozed or given to another owner since it was planned is left
out, and a message with nothing left is not sent at all.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.blocks.plan import Message
from bot.blocks.reminders import nudge_entries, nudge_message, summary_message
from reminders.summary import weekly_summary
from storage import plans
from storage.models import DealRoom, Status, Task
from storage.reminder_calendar import WorkWeek
from storage.reminder_queries import tasks_of_room

logger = logging.getLogger(__name__)

NUDGE = "nudge"
SUMMARY = "summary"


class OutboxRow(Protocol):
    """The fields of an outbox row that composing reads."""

    @property
    def room_id(self) -> int: ...
    @property
    def destination(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...


def compose(session: Session, row: OutboxRow, now: datetime) -> Message | None:
    """Render the row's message as of `now`, or return None when nothing in it is still true.

    Raises ValueError for a kind of row this module does not plan.
    """
    room = session.get(DealRoom, row.room_id)
    if room is None:
        return None
    if row.kind == NUDGE:
        return _compose_nudge(session, room, row, now)
    if row.kind == SUMMARY:
        return _compose_summary(session, room, now)
    raise ValueError(f"unknown outbox message kind {row.kind!r}")


def room_today(room: DealRoom, now: datetime) -> date:
    return now.astimezone(ZoneInfo(room.timezone)).date()


def _compose_nudge(
    session: Session, room: DealRoom, row: OutboxRow, now: datetime
) -> Message | None:
    if not room.nudges_enabled:
        return None
    planned_due = {
        int(item["task_id"]): date.fromisoformat(item["due_date"]) for item in row.payload["items"]
    }
    today = room_today(room, now)
    direct = row.destination != room.channel_id
    tasks = [
        task
        for task in tasks_of_room(session, room, planned_due.keys())
        if _still_due(task, planned_due[task.id], today)
        and (not direct or task.owner_user_id == row.destination)
    ]
    if not tasks:
        return None
    tasks.sort(key=lambda task: (task.due_date or today, task.number))
    entries = nudge_entries(tasks, today, WorkWeek(room.workday_mask))
    return nudge_message(room.deal_name, room.channel_id, entries, today, direct=direct)


def _still_due(task: Task, planned_due: date, today: date) -> bool:
    if task.status is Status.COMPLETED or task.due_date is None:
        return False
    if task.due_date > planned_due:
        return False
    return task.snoozed_until is None or task.snoozed_until <= today


def _compose_summary(session: Session, room: DealRoom, now: datetime) -> Message | None:
    if room.summary_weekday is None:
        return None
    content = weekly_summary(plans.load_plan_of(session, room), now, room_today(room, now))
    return summary_message(content) if content is not None else None
