"""SQLAlchemy model for the nudge log.

The reminder settings and schedule of a room are columns of `deal_rooms`,
and a task's snooze is a column of `tasks`, both in `storage.models`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime
from storage.outbox_models import DEDUPE_KEY_MAX


class NudgeLog(Base):
    """One nudge planned for a task: its kind and the room-local day it was for.

    The unique constraint makes a nudge of a kind for a task and day a
    one-off, even if two planners ran at once or the schedule was reset.
    """

    __tablename__ = "nudge_log"
    __table_args__ = (
        UniqueConstraint("task_id", "kind", "local_day", name="uq_nudge_log_task_kind_day"),
        Index("ix_nudge_log_room_day", "room_id", "local_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("deal_rooms.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    # A `reminders.rules.NudgeKind` value.
    kind: Mapped[str] = mapped_column(String(16))
    local_day: Mapped[date] = mapped_column(Date)
    # The due date the nudge was planned for. A task moved to a later date since is not nudged.
    due_date: Mapped[date] = mapped_column(Date)
    # Dedupe key of the outbox message that carries the nudge.
    outbox_key: Mapped[str] = mapped_column(String(DEDUPE_KEY_MAX))
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime())
