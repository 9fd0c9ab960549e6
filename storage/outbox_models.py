"""SQLAlchemy models of the outbox: messages waiting to be sent, and blocked destinations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import ID_LENGTH, Base, UTCDateTime

DEDUPE_KEY_MAX = 200
KIND_MAX = 32
REASON_MAX = 64
WORKER_ID_MAX = 128


class OutboxStatus(StrEnum):
    """Life-cycle state of an outbox message.

    pending -> sending (claimed by a worker) -> sent, failed or cancelled.
    A retry moves a row from sending back to pending.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


def _outbox_status_type() -> Enum:
    return Enum(
        OutboxStatus,
        name="outbox_status",
        native_enum=False,
        length=16,
        values_callable=lambda enum: [member.value for member in enum],
        validate_strings=True,
    )


class OutboxMessage(Base):
    """A message planned for Slack, with a dedupe key unique across the outbox."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
        Index("ix_outbox_status_not_before", "status", "not_before"),
        Index("ix_outbox_room", "room_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(DEDUPE_KEY_MAX))
    room_id: Mapped[int] = mapped_column(ForeignKey("deal_rooms.id", ondelete="CASCADE"))
    # A channel id, or a user id for a direct message from the bot.
    destination: Mapped[str] = mapped_column(String(ID_LENGTH))
    kind: Mapped[str] = mapped_column(String(KIND_MAX))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(_outbox_status_type())
    # Claims so far, counting those whose worker died.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(WORKER_ID_MAX), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # True when an earlier attempt may have reached Slack (a timeout, a 5xx, a
    # worker that died mid-send), so the channel history is checked before sending.
    in_doubt: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    message_ts: Mapped[str | None] = mapped_column(String(ID_LENGTH), nullable=True)
    # Slack's error code, or a reason code of ours, from the last failed attempt.
    error: Mapped[str | None] = mapped_column(String(REASON_MAX), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BlockedDestination(Base):
    """A channel or user of a room that failed permanently, so nothing more is sent there.

    The block is lifted when someone uses mapbot in the room again.
    """

    __tablename__ = "outbox_blocked_destinations"
    __table_args__ = (
        UniqueConstraint("room_id", "destination", name="uq_outbox_blocked_room_destination"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("deal_rooms.id", ondelete="CASCADE"))
    destination: Mapped[str] = mapped_column(String(ID_LENGTH))
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    blocked_at: Mapped[datetime] = mapped_column(UTCDateTime())
