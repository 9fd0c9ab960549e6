"""Helpers for outbox and delivery tests: rooms, rows, a payload composer, a fake sleep."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.plan import Message
from bot.playground.standin import SlackStandIn
from reminders.delivery_slack import METADATA_EVENT_TYPE
from storage import outbox, plans
from storage.outbox import OutboxItem, OutboxMessage
from tests.conftest import FIXED_NOW, FakeClock

TEAM = "T0HOME"
CHANNEL = "C0DEAL"
OTHER_CHANNEL = "C0OTHER"


def make_room(sessions: sessionmaker[Session], channel: str = CHANNEL) -> int:
    with sessions.begin() as session:
        room = plans.create_room(
            session,
            team_id=TEAM,
            channel_id=channel,
            deal_name=f"Deal in {channel}",
            actor="U0SELLER",
            now=FIXED_NOW,
        )
        return room.id


def enqueue(
    sessions: sessionmaker[Session],
    room_id: int,
    key: str,
    *,
    destination: str = CHANNEL,
    not_before: datetime = FIXED_NOW,
    now: datetime = FIXED_NOW,
    text: str | None = None,
    kind: str = "nudge",
) -> bool:
    payload: dict[str, Any] = {"text": text if text is not None else f"Message {key}"}
    with sessions.begin() as session:
        return outbox.enqueue(
            session,
            dedupe_key=key,
            room_id=room_id,
            destination=destination,
            kind=kind,
            payload=payload,
            not_before=not_before,
            now=now,
        )


def compose_from_payload(session: Session, item: OutboxItem, now: datetime) -> Message | None:
    """Render the payload's text; an empty text means nothing is true any more."""
    text = str(item.payload.get("text") or "")
    if not text:
        return None
    block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    return Message(text=text, blocks=[block])


def rows(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions.begin() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def row(sessions: sessionmaker[Session], key: str) -> OutboxMessage:
    with sessions.begin() as session:
        found = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
        return found.one()


class FakeSleep:
    """Records requested sleeps and moves the fake clock on instead of waiting."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(seconds=seconds)


def standin_clock(clock: Callable[[], datetime]) -> Callable[[], float]:
    """The stand-in's clock (seconds since the epoch) driven by a test clock."""
    return lambda: clock().timestamp()


def client_for(slack: SlackStandIn) -> WebClient:
    return WebClient(token=slack.bot_token, base_url=slack.api_url, timeout=5)


def posted_keys(slack: SlackStandIn, channel: str) -> list[str]:
    """Dedupe keys of the outbox messages in a channel, oldest first."""
    keys = []
    for message in slack.messages(channel):
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == METADATA_EVENT_TYPE:
            keys.append(str(metadata["event_payload"]["dedupe_key"]))
    return keys
