"""Each room's live plan message: its ts, the page it shows, and whether it is updated.

Functions take a `Session` and never commit, because the caller owns the transaction.
Writes that follow a Web API call name the message `ts` they acted on and
change nothing if the room has moved to a newer message meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import DealRoom


@dataclass(frozen=True)
class LiveMessage:
    """A room's live plan message. `ts` is None when the room has none."""

    room_id: int
    channel_id: str
    ts: str | None
    page: int
    error: str | None

    @property
    def updatable(self) -> bool:
        return self.ts is not None and self.error is None


def find_live_message(session: Session, team_id: str, channel_id: str) -> LiveMessage | None:
    """Return the room's live message state, or None when the channel is not a deal room."""
    room = _room(session, team_id, channel_id, lock=False)
    return _live_message(room) if room is not None else None


def live_message_of(room: DealRoom) -> LiveMessage:
    """Return the live message state of a room that is already loaded."""
    return _live_message(room)


def replace_live_message(
    session: Session, team_id: str, channel_id: str, ts: str, *, seen: LiveMessage | None = None
) -> str | None:
    """Make `ts` the room's live message on page 1 and return the ts it replaces.

    With `seen`, the state read before posting, one conditional UPDATE does it
    when no other `/map status` replaced the message meanwhile. Otherwise the
    room row is locked (on PostgreSQL), so two `/map status` at once each get
    the other's message as the one replaced, and neither is left behind.
    Returns None when there was no live message or the room does not exist.
    """
    if seen is not None and _replace_if_unchanged(session, seen, ts):
        return seen.ts if seen.ts != ts else None
    room = _room(session, team_id, channel_id, lock=True)
    if room is None:
        return None
    previous = room.plan_message_ts
    room.plan_message_ts = ts
    room.plan_page = 1
    room.plan_message_error = None
    return previous if previous != ts else None


def _replace_if_unchanged(session: Session, seen: LiveMessage, ts: str) -> bool:
    statement = (
        update(DealRoom)
        .where(
            DealRoom.id == seen.room_id,
            DealRoom.plan_message_ts.is_not_distinct_from(seen.ts),
        )
        .values(plan_message_ts=ts, plan_page=1, plan_message_error=None)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(statement).rowcount == 1)  # type: ignore[attr-defined]


def forget_live_message(session: Session, team_id: str, channel_id: str, ts: str) -> bool:
    """Clear live message `ts` after Slack reported it deleted.

    Returns False, and changes nothing, if the room has another live message by now.
    """
    room = _room(session, team_id, channel_id, lock=True)
    if room is None or room.plan_message_ts != ts:
        return False
    room.plan_message_ts = None
    room.plan_page = 1
    room.plan_message_error = None
    return True


def stop_live_message(session: Session, team_id: str, channel_id: str, ts: str, error: str) -> bool:
    """Stop updates of live message `ts` until the next `/map status`.

    Returns False, and changes nothing, if the room has another live message by now.
    """
    room = _room(session, team_id, channel_id, lock=True)
    if room is None or room.plan_message_ts != ts:
        return False
    room.plan_message_error = error
    return True


def set_live_page(session: Session, team_id: str, channel_id: str, page: int) -> bool:
    """Store the page the live message shows; return False when the channel is not a room."""
    if page < 1:
        raise ValueError(f"page numbers start at 1, got {page}")
    room = _room(session, team_id, channel_id, lock=True)
    if room is None:
        return False
    room.plan_page = page
    return True


def _room(session: Session, team_id: str, channel_id: str, *, lock: bool) -> DealRoom | None:
    statement = select(DealRoom).where(
        DealRoom.team_id == team_id, DealRoom.channel_id == channel_id
    )
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return session.scalars(statement).one_or_none()


def _live_message(room: DealRoom) -> LiveMessage:
    return LiveMessage(
        room_id=room.id,
        channel_id=room.channel_id,
        ts=room.plan_message_ts,
        page=room.plan_page,
        error=room.plan_message_error,
    )
