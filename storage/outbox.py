"""The outbox: planned Slack messages that workers claim, send and mark.

Functions take a `Session` and never commit; the caller owns the transaction.
Each dedupe key gets one row, because `enqueue` ignores a key it already has,
and `claim` hands each due row to one worker at a time. On PostgreSQL the
claim locks rows with `FOR UPDATE SKIP LOCKED`, so workers never wait on each
other. On SQLite the claim is one UPDATE statement, which keeps the database's
write lock while it runs.

A worker that dies after claiming leaves its rows in `sending`. Once the claim
is older than the lease, another worker may claim them again, and such a row
comes back with `in_doubt=True`: Slack may already have its message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, case, delete, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import DealRoom
from storage.outbox_models import BlockedDestination, OutboxMessage, OutboxStatus

__all__ = [
    "BlockedDestination",
    "OutboxItem",
    "OutboxMessage",
    "OutboxStatus",
    "block_destination",
    "blocked_destinations",
    "claim",
    "count_by_status",
    "enqueue",
    "fail_blocked",
    "list_due",
    "mark_cancelled",
    "mark_failed",
    "mark_retry",
    "mark_sent",
    "release",
    "renew",
    "unblock_channel",
    "unblock_room",
]

# Reason recorded on rows that were not sent because their destination is blocked.
DESTINATION_BLOCKED = "destination_blocked"


@dataclass(frozen=True)
class OutboxItem:
    """A claimed outbox row, detached from any session."""

    id: int
    dedupe_key: str
    room_id: int
    destination: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    not_before: datetime
    created_at: datetime
    claimed_at: datetime | None
    in_doubt: bool
    error: str | None

    @property
    def is_direct_message(self) -> bool:
        """True when the destination is a user (a direct message) rather than a channel."""
        return self.destination[:1] in ("U", "W")


_ITEM_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.dedupe_key,
    OutboxMessage.room_id,
    OutboxMessage.destination,
    OutboxMessage.kind,
    OutboxMessage.payload,
    OutboxMessage.attempts,
    OutboxMessage.not_before,
    OutboxMessage.created_at,
    OutboxMessage.claimed_at,
    OutboxMessage.in_doubt,
    OutboxMessage.error,
)


def _item(row: Row[Any]) -> OutboxItem:
    return OutboxItem(**row._asdict())


def enqueue(
    session: Session,
    *,
    dedupe_key: str,
    room_id: int,
    destination: str,
    kind: str,
    payload: dict[str, Any],
    not_before: datetime,
    now: datetime,
) -> bool:
    """Add a pending message, or return False and change nothing if the key exists.

    The insert ignores a conflict on the dedupe key in the database itself, so
    two planners racing on the same key add one row and neither fails.
    """
    values = {
        "dedupe_key": dedupe_key,
        "room_id": room_id,
        "destination": destination,
        "kind": kind,
        "payload": payload,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "not_before": not_before,
        "in_doubt": False,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(OutboxMessage).values(**values)
    elif dialect == "sqlite":
        statement = sqlite.insert(OutboxMessage).values(**values)
    else:
        raise NotImplementedError(f"the outbox supports PostgreSQL and SQLite, not {dialect}")
    statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(
        OutboxMessage.id
    )
    # RETURNING shows reliably whether a row went in, but rowcount does not on every driver.
    return session.execute(statement).first() is not None


def _claimable(now: datetime, lease: timedelta) -> Any:
    due = and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now)
    abandoned = and_(
        OutboxMessage.status == OutboxStatus.SENDING,
        OutboxMessage.claimed_at < now - lease,
    )
    return or_(due, abandoned)


def claim(
    session: Session, *, worker_id: str, now: datetime, limit: int, lease: timedelta
) -> list[OutboxItem]:
    """Claim up to `limit` due rows for `worker_id`, oldest `not_before` first.

    Due rows are pending ones whose `not_before` has passed, and rows left in
    `sending` by a worker whose claim is older than `lease`. Each claimed row
    moves to `sending`, counts one more attempt, and is in doubt if it was
    taken over from another claim. Commit promptly: on SQLite the claim holds
    the write lock until the transaction ends.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    chosen = (
        select(OutboxMessage.id)
        .where(_claimable(now, lease))
        .order_by(OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    # SET expressions read the row as it was, so `status` here is the old status.
    taken_over = case((OutboxMessage.status == OutboxStatus.SENDING, True), else_=False)
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(chosen.scalar_subquery()))
        .values(
            status=OutboxStatus.SENDING,
            claimed_by=worker_id,
            claimed_at=now,
            attempts=OutboxMessage.attempts + 1,
            in_doubt=or_(OutboxMessage.in_doubt, taken_over),
        )
        .returning(*_ITEM_COLUMNS)
        .execution_options(synchronize_session=False)
    )
    items = [_item(row) for row in session.execute(statement)]
    return sorted(items, key=lambda item: (item.not_before, item.id))


def list_due(
    session: Session, *, now: datetime, lease: timedelta, limit: int = 100
) -> list[OutboxItem]:
    """Return the rows `claim` would take now, without claiming them."""
    statement = (
        select(*_ITEM_COLUMNS)
        .where(_claimable(now, lease))
        .order_by(OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
    )
    return [_item(row) for row in session.execute(statement)]


def _owned(row_id: int, worker_id: str) -> Any:
    return and_(
        OutboxMessage.id == row_id,
        OutboxMessage.status == OutboxStatus.SENDING,
        OutboxMessage.claimed_by == worker_id,
    )


def _update_owned(session: Session, row_id: int, worker_id: str, **values: Any) -> bool:
    statement = (
        update(OutboxMessage)
        .where(_owned(row_id, worker_id))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(statement).rowcount == 1)  # type: ignore[attr-defined]


def renew(session: Session, row_id: int, *, worker_id: str, now: datetime) -> bool:
    """Restart the lease of a row this worker holds. False means another worker took it over."""
    return _update_owned(session, row_id, worker_id, claimed_at=now)


def mark_sent(
    session: Session, row_id: int, *, worker_id: str, message_ts: str, now: datetime
) -> bool:
    """Record that Slack stored the message as `message_ts`. False means the claim was lost."""
    return _update_owned(
        session,
        row_id,
        worker_id,
        status=OutboxStatus.SENT,
        message_ts=message_ts,
        sent_at=now,
        in_doubt=False,
        error=None,
    )


def mark_retry(
    session: Session,
    row_id: int,
    *,
    worker_id: str,
    next_attempt_at: datetime,
    reason: str,
    in_doubt: bool = False,
) -> bool:
    """Put a row back to pending until `next_attempt_at`, noting why the attempt failed.

    Pass `in_doubt=True` when the failed attempt may still have reached Slack
    (a timeout or a 5xx), so the next attempt looks in the history first.
    """
    return _update_owned(
        session,
        row_id,
        worker_id,
        status=OutboxStatus.PENDING,
        not_before=next_attempt_at,
        claimed_by=None,
        claimed_at=None,
        in_doubt=in_doubt,
        error=reason,
    )


def mark_failed(session: Session, row_id: int, *, worker_id: str, reason: str) -> bool:
    """Give up on a row for good, keeping `reason` (a Slack error code or ours)."""
    return _update_owned(session, row_id, worker_id, status=OutboxStatus.FAILED, error=reason)


def mark_cancelled(
    session: Session, row_id: int, *, worker_id: str | None = None, reason: str | None = None
) -> bool:
    """Cancel a row whose message is no longer true.

    With `worker_id`, the row must be claimed by that worker; without, it must
    still be pending. Returns False when the row was in neither state.
    """
    if worker_id is not None:
        return _update_owned(
            session, row_id, worker_id, status=OutboxStatus.CANCELLED, error=reason
        )
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.CANCELLED, error=reason)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(statement).rowcount == 1)  # type: ignore[attr-defined]


def release(session: Session, row_ids: Iterable[int], *, worker_id: str) -> int:
    """Hand claimed rows back unsent, as if never claimed, and return how many.

    For rows a worker claimed but had no time to try, such as after a stop
    request. Their attempt is not counted.
    """
    ids = list(row_ids)
    if not ids:
        return 0
    statement = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_by == worker_id,
        )
        .values(
            status=OutboxStatus.PENDING,
            claimed_by=None,
            claimed_at=None,
            attempts=OutboxMessage.attempts - 1,
        )
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def count_by_status(session: Session) -> dict[OutboxStatus, int]:
    """Count outbox rows per status, with 0 for statuses that have none."""
    rows = session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    counts = dict.fromkeys(OutboxStatus, 0)
    counts.update({status: count for status, count in rows})
    return counts


# Blocked destinations


def block_destination(
    session: Session, *, room_id: int, destination: str, reason: str, now: datetime
) -> None:
    """Stop sends from a room to `destination` until `unblock_room`, keeping the first reason."""
    values = {"room_id": room_id, "destination": destination, "reason": reason, "blocked_at": now}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(BlockedDestination).values(**values)
    else:
        statement = sqlite.insert(BlockedDestination).values(**values)
    session.execute(statement.on_conflict_do_nothing(index_elements=["room_id", "destination"]))


def blocked_destinations(session: Session, room_id: int) -> dict[str, str]:
    """Return the room's blocked destinations, each with the reason it was blocked."""
    rows = session.execute(
        select(BlockedDestination.destination, BlockedDestination.reason).where(
            BlockedDestination.room_id == room_id
        )
    ).all()
    return {destination: reason for destination, reason in rows}


def fail_blocked(session: Session) -> int:
    """Fail pending rows whose destination is blocked, and return how many.

    They are failed rather than kept, so that a room that comes back gets the
    nudges planned from then on, not a backlog of old ones.
    """
    is_blocked = exists().where(
        BlockedDestination.room_id == OutboxMessage.room_id,
        BlockedDestination.destination == OutboxMessage.destination,
    )
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, is_blocked)
        .values(status=OutboxStatus.FAILED, error=DESTINATION_BLOCKED)
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def unblock_room(session: Session, room_id: int) -> int:
    """Lift every block of a room, and return how many destinations were unblocked."""
    found = session.scalar(
        select(func.count())
        .select_from(BlockedDestination)
        .where(BlockedDestination.room_id == room_id)
    )
    # Deleting only when there is something to delete keeps this a read on the
    # common path, which matters on SQLite, where any write takes the lock.
    if not found:
        return 0
    statement = delete(BlockedDestination).where(BlockedDestination.room_id == room_id)
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def unblock_channel(session: Session, team_id: str, channel_id: str) -> int:
    """Lift the blocks of the deal room of a channel, if the channel is one.

    Every command and click in a room calls this, so the common case, a room
    with no blocks, costs one read.
    """
    room_id = session.scalar(
        select(BlockedDestination.room_id)
        .join(DealRoom, DealRoom.id == BlockedDestination.room_id)
        .where(DealRoom.team_id == team_id, DealRoom.channel_id == channel_id)
        .limit(1)
    )
    if room_id is None:
        return 0
    statement = delete(BlockedDestination).where(BlockedDestination.room_id == room_id)
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]
