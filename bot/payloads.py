"""Typed views of the Slack payloads mapbot handles, parsed once per request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CommandRequest:
    """A `/map` slash command."""

    team_id: str
    channel_id: str
    user_id: str
    text: str
    response_url: str
    trigger_id: str

    @classmethod
    def from_payload(cls, command: dict[str, Any]) -> CommandRequest:
        return cls(
            team_id=str(command.get("team_id", "")),
            channel_id=str(command.get("channel_id", "")),
            user_id=str(command.get("user_id", "")),
            text=str(command.get("text", "")),
            response_url=str(command.get("response_url", "")),
            trigger_id=str(command.get("trigger_id", "")),
        )


@dataclass(frozen=True)
class ActionRequest:
    """A click on a button or menu in a message.

    `team_id` is the workspace the app is installed in (`team.id`); in a Slack
    Connect channel `user_team_id` is the clicker's home workspace.
    """

    team_id: str
    user_id: str
    user_team_id: str
    channel_id: str
    message_ts: str
    action_id: str
    value: str
    response_url: str
    trigger_id: str

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> ActionRequest:
        action = (body.get("actions") or [{}])[0]
        selected = action.get("selected_option") or {}
        container = body.get("container") or {}
        user = body.get("user") or {}
        return cls(
            team_id=str((body.get("team") or {}).get("id", "")),
            user_id=str(user.get("id", "")),
            user_team_id=str(user.get("team_id", "")),
            channel_id=str(
                container.get("channel_id") or (body.get("channel") or {}).get("id", "")
            ),
            message_ts=str(container.get("message_ts", "")),
            action_id=str(action.get("action_id", "")),
            value=str(action.get("value") or selected.get("value") or ""),
            response_url=str(body.get("response_url", "")),
            trigger_id=str(body.get("trigger_id", "")),
        )


def log_ids(body: dict[str, Any]) -> dict[str, str]:
    """Pick the ids worth logging from any payload, and nothing else."""
    team = body.get("team") or {}
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    user = body.get("user")
    user_id = user.get("id") if isinstance(user, dict) else body.get("user_id")
    kind = body.get("type") or ("command" if "command" in body else None)
    return {
        "team": str(team.get("id") or body.get("team_id") or "-"),
        "channel": str(
            channel.get("id") or container.get("channel_id") or body.get("channel_id") or "-"
        ),
        "user": str(user_id or "-"),
        "type": str(kind or "-"),
    }
