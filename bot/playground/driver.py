"""Acts as people in Slack: sends the app signed commands, clicks and submissions.

`SlackDriver` builds each request from what the stand-in stores, such as the
clicked message or the open modal, with a fresh response_url and trigger_id from
the stand-in. It posts the request with a `SignedSender` and then does what Slack
does with the app's HTTP response.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from bot.playground.slack_requests import (
    SentResponse,
    SignedSender,
    action_from_element,
    block_actions_body,
    slash_command_body,
    view_closed_body,
    view_state_values,
    view_submission_body,
)
from bot.playground.standin import SlackStandIn


@dataclass(frozen=True)
class Interaction:
    """One request the driver sent, with the response_url and trigger_id it carried."""

    response: SentResponse
    response_url: str | None
    trigger_id: str | None


class SlackDriver:
    """Sends the app requests as people in one channel of the stand-in's workspace."""

    def __init__(
        self,
        standin: SlackStandIn,
        sender: SignedSender,
        team_id: str,
        channel_id: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.standin = standin
        self.sender = sender
        self.team_id = team_id
        self.channel_id = channel_id
        self._clock = clock

    def command(
        self, user: str, text: str, *, command: str = "/map", channel_id: str | None = None
    ) -> Interaction:
        """Type a slash command. A non-empty response body is shown to the user, as on Slack."""
        channel = channel_id or self.channel_id
        response_url = self.standin.new_response_url(channel, user)
        trigger_id = self.standin.new_trigger_id(user)
        body = slash_command_body(
            team_id=self.team_id,
            channel_id=channel,
            user_id=user,
            text=text,
            response_url=response_url,
            trigger_id=trigger_id,
            command=command,
            user_name=self._user_name(user),
        )
        response = self.sender.post(body)
        payload = _command_answer(response)
        if payload is not None:
            self.standin.show_command_response(channel, user, payload)
        return Interaction(response, response_url, trigger_id)

    def click(
        self,
        user: str,
        message_ts: str,
        action_id: str,
        value: str | None = None,
        selected: Any = None,
        *,
        channel_id: str | None = None,
    ) -> Interaction:
        """Use an element of a stored message: press a button or pick from a menu.

        `value` picks among elements that share an action_id: a button with that
        value, or a menu that offers an option with that value, which is then
        selected. `selected` is the option value, date or id chosen.
        Raises LookupError when the message or element does not exist.
        """
        channel = channel_id or self.channel_id
        message = self.standin.message_payload(channel, message_ts)
        if message is None:
            raise LookupError(f"no message {message_ts} in channel {channel}")
        element, block_id = _find_element(message, action_id, value)
        if selected is None and value is not None and element.get("value") != value:
            selected = value
        action = action_from_element(
            element, block_id, action_ts=self._action_ts(), selected=selected
        )
        response_url = self.standin.new_response_url(channel, user, message_ts)
        trigger_id = self.standin.new_trigger_id(user)
        body = block_actions_body(
            team_id=self.team_id,
            user_id=user,
            user_team_id=self._user_team(user),
            channel_id=channel,
            message=message,
            action=action,
            response_url=response_url,
            trigger_id=trigger_id,
            is_ephemeral=self.standin.message(channel, message_ts) is None,
            user_name=self._user_name(user),
        )
        return Interaction(self.sender.post(body), response_url, trigger_id)

    def submit(self, user: str, view_id: str, answers: dict[str, Any]) -> Interaction:
        """Submit an open modal with the values entered, keyed by input block_id.

        The app's response is applied as Slack applies it: an empty body closes
        the modal, and `response_action` updates, pushes, clears or shows errors.
        """
        view = self._open_view(view_id)
        trigger_id = self.standin.new_trigger_id(user)
        body = view_submission_body(
            team_id=self.team_id,
            user_id=user,
            user_team_id=self._user_team(user),
            view=view,
            values=view_state_values(view, answers),
            trigger_id=trigger_id,
            user_name=self._user_name(user),
        )
        response = self.sender.post(body)
        if response.status == 200:
            answer = response.json()
            self.standin.apply_submission_response(
                view_id, answer if isinstance(answer, dict) else None
            )
        return Interaction(response, None, trigger_id)

    def close(self, user: str, view_id: str) -> Interaction | None:
        """Close a modal with its close button, and notify the app if notify_on_close is set."""
        view = self._open_view(view_id)
        self.standin.close_view(view_id)
        if not view.get("notify_on_close"):
            return None
        body = view_closed_body(
            team_id=self.team_id,
            user_id=user,
            user_team_id=self._user_team(user),
            view=view,
            user_name=self._user_name(user),
        )
        return Interaction(self.sender.post(body), None, None)

    def _open_view(self, view_id: str) -> dict[str, Any]:
        view = self.standin.view(view_id)
        if view is None:
            raise LookupError(f"no open view {view_id}")
        return view

    def _user_team(self, user: str) -> str:
        record = self.standin.user(user)
        return str(record["team_id"]) if record else self.team_id

    def _user_name(self, user: str) -> str:
        record = self.standin.user(user)
        return str(record["name"]) if record else user

    def _action_ts(self) -> str:
        return f"{self._clock():.6f}"


def _command_answer(response: SentResponse) -> dict[str, Any] | None:
    """Return the message in an app's response to a slash command, if it has one."""
    if response.status != 200 or not response.body.strip():
        return None
    try:
        decoded = json.loads(response.body)
    except ValueError:
        return {"text": response.body}
    return decoded if isinstance(decoded, dict) else {"text": response.body}


def _find_element(
    message: dict[str, Any], action_id: str, value: str | None
) -> tuple[dict[str, Any], str]:
    for element, block_id in _interactive_elements(message.get("blocks") or []):
        if element.get("action_id") != action_id:
            continue
        if value is None or element.get("value") == value or value in _option_values(element):
            return element, block_id
    description = action_id if value is None else f"{action_id} with value {value!r}"
    raise LookupError(f"no element {description} in message {message.get('ts')}")


def _option_values(element: dict[str, Any]) -> set[Any]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return {option.get("value") for option in options}


def _interactive_elements(blocks: list[Any]) -> Iterator[tuple[dict[str, Any], str]]:
    for block in blocks:
        block_id = str(block.get("block_id", ""))
        accessory = block.get("accessory")
        if isinstance(accessory, dict):
            yield accessory, block_id
        if block.get("type") == "actions":
            for element in block.get("elements") or []:
                yield element, block_id
        if block.get("type") == "input" and isinstance(block.get("element"), dict):
            yield block["element"], block_id
