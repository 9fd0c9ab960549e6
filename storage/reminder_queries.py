"""Reads and writes of the reminder planner.

Functions take a `Session` and never commit, because the caller owns the
transaction. Each query is served by an index on what it filters, so a sweep costs in
proportion to the rooms due for planning and their open tasks due soon, not
to the number of rooms or tasks stored:

- Rooms due for nudges or a summary: `ix_deal_rooms_next_nudge_at` and
  `ix_deal_rooms_next_summary_at`.
- Their open tasks due by a date: `ix_tasks_room_status_due`, with one range
  per room and open status.
- Nudges already logged for those tasks: `uq_nudge_log_task_kind_day`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from storage.models import DealRoom, Status, Task
from storage.reminder_models import NudgeLog

OPEN_STATUSES = (Status.NOT_STARTED, Status.IN_PROGRESS)


@dataclass(frozen=True)
class CandidateTask:
    """An open task with a due date, as the planner reads it."""

    id: int
    room_id: int
    owner_user_id: str | None
    due_date: date
    snoozed_until: date | None


@dataclass(frozen=True)
class NudgeRecord:
    """A nudge to write to the nudge log."""

    room_id: int
    task_id: int
    kind: str
    local_day: date
    due_date: date
    outbox_key: str


def rooms_due_for_nudges(session: Session, now: datetime, limit: int | None) -> list[DealRoom]:
    """Lock and return up to `limit` rooms whose nudge planning is due at `now`.

    On PostgreSQL, rooms another planner has locked are skipped, so planners
    running at once split the rooms between them.
    """
    statement = (
        select(DealRoom)
        .where(DealRoom.next_nudge_at <= now)
        .order_by(DealRoom.next_nudge_at, DealRoom.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(statement))


def rooms_due_for_summary(session: Session, now: datetime, limit: int | None) -> list[DealRoom]:
    """Lock and return up to `limit` rooms whose weekly summary is due at `now`."""
    statement = (
        select(DealRoom)
        .where(DealRoom.next_summary_at <= now)
        .order_by(DealRoom.next_summary_at, DealRoom.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(statement))


def open_tasks_due_by(
    session: Session, room_ids: Collection[int], through: date
) -> list[CandidateTask]:
    """Return the open tasks of these rooms whose due date is on or before `through`."""
    if not room_ids:
        return []
    statement = select(
        Task.id, Task.room_id, Task.owner_user_id, Task.due_date, Task.snoozed_until
    ).where(
        Task.room_id.in_(room_ids),
        Task.status.in_(OPEN_STATUSES),
        Task.due_date <= through,
    )
    return [CandidateTask(**row._asdict()) for row in session.execute(statement)]


def logged_nudges(
    session: Session, task_ids: Collection[int], since: date
) -> set[tuple[int, str, date]]:
    """Return (task id, kind, local day) of the nudges logged for these tasks from `since` on."""
    if not task_ids:
        return set()
    statement = select(NudgeLog.task_id, NudgeLog.kind, NudgeLog.local_day).where(
        NudgeLog.task_id.in_(task_ids), NudgeLog.local_day >= since
    )
    return {(row.task_id, row.kind, row.local_day) for row in session.execute(statement)}


def record_nudges(session: Session, records: Iterable[NudgeRecord], now: datetime) -> int:
    """Write nudges to the log in one statement and return how many."""
    rows: list[dict[str, Any]] = [
        {
            "room_id": record.room_id,
            "task_id": record.task_id,
            "kind": record.kind,
            "local_day": record.local_day,
            "due_date": record.due_date,
            "outbox_key": record.outbox_key,
            "planned_at": now,
        }
        for record in records
    ]
    if rows:
        session.execute(insert(NudgeLog), rows)
    return len(rows)


def rooms_with_tasks(session: Session, room_ids: Collection[int]) -> set[int]:
    """Return which of these rooms have at least one task."""
    if not room_ids:
        return set()
    statement = select(Task.room_id).where(Task.room_id.in_(room_ids)).distinct()
    return set(session.scalars(statement))


def tasks_of_room(session: Session, room: DealRoom, task_ids: Collection[int]) -> list[Task]:
    """Return the tasks with these ids that belong to `room`, by task number.

    Ids of other rooms' tasks, or of deleted tasks, are left out.
    """
    if not task_ids:
        return []
    statement = (
        select(Task).where(Task.room_id == room.id, Task.id.in_(task_ids)).order_by(Task.number)
    )
    return list(session.scalars(statement))
