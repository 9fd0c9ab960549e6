"""SQLAlchemy models for deal rooms, their plans and the activity log."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

TITLE_MAX = 200
ID_LENGTH = 32


class Status(StrEnum):
    """Status of a task, and of a milestone."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    Status.NOT_STARTED: "Not started",
    Status.IN_PROGRESS: "In progress",
    Status.COMPLETED: "Completed",
}


class Side(StrEnum):
    """The party of the deal that owns a task."""

    BUYER = "buyer"
    SELLER = "seller"


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite has no time zone type and hands back naive values, so values are
    stored as naive UTC there and made aware again on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC datetime is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _status_type() -> Enum:
    return Enum(
        Status,
        native_enum=False,
        length=16,
        values_callable=lambda enum: [member.value for member in enum],
        validate_strings=True,
    )


def _side_type() -> Enum:
    return Enum(
        Side,
        native_enum=False,
        length=8,
        values_callable=lambda enum: [member.value for member in enum],
        validate_strings=True,
    )


class NudgeDelivery(StrEnum):
    """Destination of a room's nudges: its channel, or a direct message to each Slack owner."""

    CHANNEL = "channel"
    DM = "dm"


def _nudge_delivery_type() -> Enum:
    return Enum(
        NudgeDelivery,
        name="nudge_delivery",
        native_enum=False,
        length=8,
        values_callable=lambda enum: [member.value for member in enum],
        validate_strings=True,
    )


DEFAULT_REMINDER_TIME = time(9, 0)
# `next_nudge_at` of a room that was never planned: due at once.
NEVER_PLANNED = datetime(2000, 1, 1, tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class DealRoom(Base):
    """A channel in a workspace that contains one plan."""

    __tablename__ = "deal_rooms"
    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", name="uq_deal_rooms_team_channel"),
        Index("ix_deal_rooms_next_nudge_at", "next_nudge_at"),
        Index("ix_deal_rooms_next_summary_at", "next_summary_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    channel_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    deal_name: Mapped[str] = mapped_column(String(TITLE_MAX))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_by: Mapped[str] = mapped_column(String(ID_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The number the next task gets. Numbers are never reused, even after a delete.
    next_task_number: Mapped[int] = mapped_column(Integer, default=1)

    # Reminder settings, read in the room's time zone. Weekdays count from Monday = 0,
    # and `workday_mask` has Monday in bit 0 (31 is Monday to Friday).
    reminder_time: Mapped[time] = mapped_column(Time, default=DEFAULT_REMINDER_TIME)
    workday_mask: Mapped[int] = mapped_column(Integer, default=0b0011111)
    nudges_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Working days overdue on which a task is nudged, such as "1,3,7". After the last
    # step the nudges are weekly.
    overdue_steps: Mapped[str] = mapped_column(String(64), default="1,3,7")
    nudge_delivery: Mapped[NudgeDelivery] = mapped_column(
        _nudge_delivery_type(), default=NudgeDelivery.CHANNEL
    )
    # None turns the weekly summary off.
    summary_weekday: Mapped[int | None] = mapped_column(Integer, nullable=True, default=0)
    summary_time: Mapped[time] = mapped_column(Time, default=DEFAULT_REMINDER_TIME)
    # Reminder schedule, kept by the planner: the next summary's instant (None
    # when summaries are off or not scheduled yet), the instant the room is next
    # due for nudge planning, and the last room-local day nudges were planned for.
    next_summary_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    next_nudge_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=NEVER_PLANNED)
    nudges_planned_through: Mapped[date | None] = mapped_column(Date, nullable=True)

    # The live plan message: the bot edits it in place after every change. The
    # page it shows is shared by everyone in the channel. `plan_message_error`
    # is Slack's error code when updates stopped for good, such as `is_archived`;
    # the next `/map status` posts a new live message and clears it.
    plan_message_ts: Mapped[str | None] = mapped_column(String(ID_LENGTH), nullable=True)
    plan_page: Mapped[int] = mapped_column(Integer, default=1)
    plan_message_error: Mapped[str | None] = mapped_column(String(64), nullable=True)

    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="room",
        order_by="Milestone.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Milestone(Base):
    """A stage of the plan, such as Security review, that contains tasks."""

    __tablename__ = "milestones"
    __table_args__ = (Index("ix_milestones_room_position", "room_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("deal_rooms.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[Status] = mapped_column(_status_type(), default=Status.NOT_STARTED)
    # True when someone set the status by hand; it then stays until set back to automatic.
    status_manual: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    room: Mapped[DealRoom] = relationship(back_populates="milestones")
    tasks: Mapped[list[Task]] = relationship(
        back_populates="milestone",
        order_by="Task.number",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Task(Base):
    """A piece of work in a milestone, owned by someone on one side of the deal."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("room_id", "number", name="uq_tasks_room_number"),
        Index("ix_tasks_milestone", "milestone_id"),
        # The reminder planner reads a room's open tasks due up to a date.
        Index("ix_tasks_room_status_due", "room_id", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("deal_rooms.id", ondelete="CASCADE"))
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner_user_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), nullable=True)
    owner_name: Mapped[str | None] = mapped_column(String(TITLE_MAX), nullable=True)
    side: Mapped[Side] = mapped_column(_side_type())
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[Status] = mapped_column(_status_type(), default=Status.NOT_STARTED)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(ID_LENGTH), nullable=True)
    # No nudges for this task before this room-local day.
    snoozed_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    milestone: Mapped[Milestone] = relationship(back_populates="tasks")

    # Every UPDATE checks and bumps `version`, so a stale write raises StaleDataError.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Activity(Base):
    """One change to a plan: who did what, the values before and after, and when."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_room_created", "room_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("deal_rooms.id", ondelete="CASCADE"))
    # Kept as plain numbers, without foreign keys, so history outlives a deleted task.
    milestone_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    task_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_user_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    action: Mapped[str] = mapped_column(String(48))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
