"""Helpers for planner, summary and settings tests: rooms with tasks, and outbox reads."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from reminders.planner import Planner, SweepReport
from storage import plans, reminder_settings
from storage.models import DealRoom, Milestone, Side, Task
from storage.outbox_models import OutboxMessage
from storage.reminder_models import NudgeLog

TEAM = "T0HOME"
CHANNEL = "C0DEAL"
SELLER = "U0SELLER"
BUYER = "U0BUYER"
# Rooms are created a week before the tests' dates.
CREATED = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def make_room(
    session: Session,
    *,
    channel: str = CHANNEL,
    zone: str = "UTC",
    now: datetime = CREATED,
) -> DealRoom:
    room = plans.create_room(
        session,
        team_id=TEAM,
        channel_id=channel,
        deal_name=f"Deal in {channel}",
        actor=SELLER,
        now=now,
    )
    if zone != "UTC":
        reminder_settings.set_timezone(session, room, zone, actor=SELLER, now=now)
    return room


def add_task(
    session: Session,
    room: DealRoom,
    title: str,
    due: date | None,
    *,
    owner: str | None = SELLER,
    owner_name: str | None = None,
    side: Side = Side.SELLER,
    milestone: str = "Security review",
) -> Task:
    target = session.scalars(
        select(Milestone).where(Milestone.room_id == room.id, Milestone.title == milestone)
    ).first()
    if target is None:
        target = plans.add_milestone(
            session, room, title=milestone, due_date=None, actor=SELLER, now=CREATED
        )
    new = plans.NewTask(
        title=title,
        side=side,
        owner_user_id=owner if owner_name is None else None,
        owner_name=owner_name,
        due_date=due,
    )
    return plans.add_task(session, room, target, new, actor=SELLER, now=CREATED)


def sweep(sessions: sessionmaker[Session], now: datetime, batch_size: int = 500) -> SweepReport:
    return Planner(sessions, batch_size=batch_size).sweep(now)


def outbox_rows(sessions: sessionmaker[Session], kind: str | None = None) -> list[OutboxMessage]:
    with sessions.begin() as session:
        statement = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            statement = statement.where(OutboxMessage.kind == kind)
        return list(session.scalars(statement))


def planned_items(row: OutboxMessage) -> list[tuple[int, str]]:
    """Return (task id, nudge kind) of each nudge in an outbox row."""
    return [(int(item["task_id"]), str(item["kind"])) for item in row.payload["items"]]


def nudge_log(sessions: sessionmaker[Session]) -> list[tuple[int, str, date]]:
    with sessions.begin() as session:
        rows = session.execute(
            select(NudgeLog.task_id, NudgeLog.kind, NudgeLog.local_day).order_by(NudgeLog.id)
        )
        return [(row.task_id, row.kind, row.local_day) for row in rows]


def room_state(sessions: sessionmaker[Session], room_id: int) -> dict[str, Any]:
    with sessions.begin() as session:
        room = session.get(DealRoom, room_id)
        assert room is not None
        return {
            "next_nudge_at": room.next_nudge_at,
            "planned_through": room.nudges_planned_through,
            "next_summary_at": room.next_summary_at,
        }
