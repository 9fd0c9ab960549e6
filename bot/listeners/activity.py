"""Lift a room's blocked reminder destinations when people use mapbot there again.

Delivery stops sending to a channel or user after a permanent Slack error
(archived, bot removed, user gone). A `/map` command or a click in the room
shows it is in use, so its blocks are lifted and the next planned messages go
out as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.payloads import ActionRequest, CommandRequest
from bot.services import Services
from storage import outbox

logger = logging.getLogger(__name__)


class RoomActivity:
    """Bolt middleware: after a command or click in a channel, unblock its room."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def __call__(self, body: dict[str, Any], next_: Callable[[], BoltResponse]) -> BoltResponse:
        response = next_()
        channel_id = self.channel_of(body)
        if channel_id is not None:
            # Runs after the listener and off the request thread, so the HTTP response
            # does not wait for it.
            self.services.later(lambda: self.unblock(channel_id))
        return response

    def channel_of(self, body: dict[str, Any]) -> str | None:
        """Return the channel of a command or click from this workspace, else None."""
        if "command" in body:
            command = CommandRequest.from_payload(body)
            team_id, channel_id = command.team_id, command.channel_id
        elif body.get("type") == "block_actions":
            click = ActionRequest.from_body(body)
            team_id, channel_id = click.team_id, click.channel_id
        else:
            return None
        if team_id != self.services.team_id or not channel_id:
            return None
        return channel_id

    def unblock(self, channel_id: str) -> None:
        try:
            lifted = self.services.write(
                lambda session: outbox.unblock_channel(session, self.services.team_id, channel_id)
            )
        except SQLAlchemyError:
            logger.exception(
                "Failed to lift the reminder blocks of a room (team=%s channel=%s)",
                self.services.team_id,
                channel_id,
            )
            return
        if lifted:
            logger.info(
                "Lifted %d blocked reminder destinations after activity (team=%s channel=%s)",
                lifted,
                self.services.team_id,
                channel_id,
            )


def register(app: App, services: Services) -> None:
    app.use(RoomActivity(services))
