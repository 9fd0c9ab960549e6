"""Show what a reminder run would send at an instant, without sending or writing.

The planner runs for real inside a transaction that is rolled back, so the
preview follows exactly the rules of a real run. It lists the messages the
run would plan and those already waiting in the outbox, each rendered as
delivery would render it at that instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.text import format_date
from reminders.compose import NUDGE, SUMMARY, compose
from reminders.planner import plan_due
from reminders.rules import NudgeKind
from storage import outbox
from storage.models import DealRoom
from storage.outbox import OutboxItem
from storage.reminder_queries import tasks_of_room

# Maximum rows listed, because a preview is for reading, not for a backlog of thousands.
MAX_ROWS = 1000
# Same lease as delivery's default: rows claimed longer ago count as due again.
LEASE = timedelta(minutes=5)

KIND_NAMES = {
    NudgeKind.HEADS_UP.value: "heads-up, due the next working day",
    NudgeKind.DUE.value: "due-day nudge",
    NudgeKind.OVERDUE.value: "overdue nudge",
    NudgeKind.SNOOZE_ENDED.value: "snooze ended",
}


@dataclass(frozen=True)
class PreviewMessage:
    """One message a run would send (or skip), with its reasons."""

    kind: str
    destination: str
    room: str
    reasons: list[str]
    # The message's plain text, or None when nothing in it is still true.
    text: str | None


def preview(sessions: sessionmaker[Session], now: datetime) -> list[PreviewMessage]:
    """Plan as if it were `now` and render every due outbox row, then roll everything back."""
    with sessions() as session:
        try:
            plan_due(session, now, limit=None)
            due = outbox.list_due(session, now=now, lease=LEASE, limit=MAX_ROWS)
            return [_preview_row(session, item, now) for item in due]
        finally:
            session.rollback()


def format_preview(messages: list[PreviewMessage], now: datetime) -> str:
    """Format the preview for a terminal."""
    sendable = sum(1 for message in messages if message.text is not None)
    lines = [
        f"Dry run at {now.isoformat()}: {sendable} message(s) would be sent. "
        "Nothing was sent or written."
    ]
    for number, message in enumerate(messages, start=1):
        lines.append(f"{number}. {message.kind} to {message.destination} ({message.room})")
        lines.extend(f"   why: {reason}" for reason in message.reasons)
        if message.text is None:
            lines.append("   not sent: nothing in it is still true at this instant")
        else:
            lines.append(f"   text: {message.text}")
    return "\n".join(lines)


def _preview_row(session: Session, item: OutboxItem, now: datetime) -> PreviewMessage:
    room = session.get(DealRoom, item.room_id)
    room_name = f"room {item.room_id}, {room.deal_name}" if room else f"room {item.room_id}"
    rendered = compose(session, item, now)
    return PreviewMessage(
        kind=_kind_name(item.kind),
        destination=_destination_name(item),
        room=room_name,
        reasons=_reasons(session, room, item),
        text=rendered.text if rendered is not None else None,
    )


def _kind_name(kind: str) -> str:
    return {NUDGE: "Nudge", SUMMARY: "Weekly summary"}.get(kind, kind)


def _destination_name(item: OutboxItem) -> str:
    if item.is_direct_message:
        return f"direct message to user {item.destination}"
    return f"channel {item.destination}"


def _reasons(session: Session, room: DealRoom | None, item: OutboxItem) -> list[str]:
    if item.kind == SUMMARY:
        return [f"weekly summary scheduled for {item.payload.get('scheduled_at', 'now')}"]
    if item.kind != NUDGE or room is None:
        return []
    items: list[dict[str, Any]] = list(item.payload.get("items", []))
    tasks = {task.id: task for task in tasks_of_room(session, room, [i["task_id"] for i in items])}
    reasons = []
    for planned in items:
        task = tasks.get(int(planned["task_id"]))
        name = f"#{task.number} {task.title}" if task else f"task {planned['task_id']} (deleted)"
        day = date.fromisoformat(planned["day"])
        kind = KIND_NAMES.get(planned["kind"], planned["kind"])
        due = date.fromisoformat(planned["due_date"])
        reasons.append(f"{name}: {kind} for {format_date(day, day)}, due {due.isoformat()}")
    return reasons
