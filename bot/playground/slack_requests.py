"""Requests in the formats Slack sends to an app, signed with the app's signing secret.

The body builders are pure. `SignedSender` posts a body to the app's request URL
with Slack's signature headers, using only the standard library.

Slack signs `v0:<timestamp>:<body>` with HMAC-SHA256 keyed by the signing secret
and sends `v0=<hex digest>` in `X-Slack-Signature`, with the Unix timestamp in
`X-Slack-Request-Timestamp`.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
DEFAULT_USER_NAME = "standin.user"
DEFAULT_CHANNEL_NAME = "deal-room"
DEFAULT_API_APP_ID = "A0MAPBOT"
DEFAULT_TEAM_DOMAIN = "standin-home"
DEFAULT_VERIFICATION_TOKEN = "standin-verification-token"

# Element types whose selection is one option or several, and the keys that contain them.
SINGLE_OPTION_TYPES = frozenset({"overflow", "static_select", "external_select", "radio_buttons"})
MULTI_OPTION_TYPES = frozenset({"checkboxes", "multi_static_select", "multi_external_select"})
SELECTED_KEYS = {
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "plain_text_input": "value",
    "email_text_input": "value",
    "url_text_input": "value",
    "number_input": "value",
}


def sign_request(body: bytes, signing_secret: str, timestamp: int) -> dict[str, str]:
    """Return the headers Slack sends with a request body: timestamp, signature, type."""
    basestring = b"v0:" + str(timestamp).encode("ascii") + b":" + body
    digest = hmac.new(signing_secret.encode("utf-8"), basestring, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": FORM_CONTENT_TYPE,
    }


def slash_command_body(
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    text: str,
    response_url: str,
    trigger_id: str,
    command: str = "/map",
    user_name: str = DEFAULT_USER_NAME,
    channel_name: str = DEFAULT_CHANNEL_NAME,
    api_app_id: str = DEFAULT_API_APP_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    token: str = DEFAULT_VERIFICATION_TOKEN,
) -> bytes:
    """Build a slash command body: form fields at the top level, as Slack posts them."""
    fields = [
        ("token", token),
        ("team_id", team_id),
        ("team_domain", team_domain),
        ("channel_id", channel_id),
        ("channel_name", channel_name),
        ("user_id", user_id),
        ("user_name", user_name),
        ("command", command),
        ("text", text),
        ("api_app_id", api_app_id),
        ("is_enterprise_install", "false"),
        ("response_url", response_url),
        ("trigger_id", trigger_id),
    ]
    return urlencode(fields).encode("ascii")


def action_from_element(
    element: dict[str, Any], block_id: str, *, action_ts: str, selected: Any = None
) -> dict[str, Any]:
    """Build the `actions[0]` entry Slack sends when a person uses this element.

    `selected` is what the person picked: an option value (or a list of them) for
    menus, overflow, radio buttons and checkboxes, a `YYYY-MM-DD` string for a
    datepicker, a user or channel id for those menus. Buttons take none.
    """
    element_type = element.get("type")
    action: dict[str, Any] = {
        "type": element_type,
        "action_id": element.get("action_id"),
        "block_id": block_id,
        "action_ts": action_ts,
    }
    if element_type == "button":
        for key in ("text", "value", "style", "url"):
            if key in element:
                action[key] = copy.deepcopy(element[key])
        return action
    if "placeholder" in element:
        action["placeholder"] = copy.deepcopy(element["placeholder"])
    action.update(selection_fields(element, selected))
    return action


def selection_fields(element: dict[str, Any], selected: Any) -> dict[str, Any]:
    """Return the payload fields that carry a selection in this element.

    Raises ValueError for an option value the element does not offer, or for an
    element type this module does not know.
    """
    element_type = str(element.get("type"))
    if element_type in SINGLE_OPTION_TYPES:
        option = _find_option(element, selected) if selected is not None else None
        return {"selected_option": option}
    if element_type in MULTI_OPTION_TYPES:
        values = list(selected or [])
        return {"selected_options": [_find_option(element, value) for value in values]}
    key = SELECTED_KEYS.get(element_type)
    if key is None:
        raise ValueError(f"cannot build a selection for element type {element_type!r}")
    return {key: selected}


def view_state_values(view: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """Build `view.state.values` for a submission, keyed by block_id then action_id.

    `answers` maps an input block's block_id to what the person entered, in the
    form `selection_fields` takes. Input blocks missing from `answers` submit empty.
    """
    values: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block.get("element", {})
        block_id = block.get("block_id")
        state = {"type": element.get("type")}
        state.update(selection_fields(element, answers.get(block_id)))
        values[block_id] = {element.get("action_id"): state}
    unknown = set(answers) - set(values)
    if unknown:
        raise ValueError(f"no input block with block_id {sorted(unknown)!r} in the view")
    return values


def block_actions_body(
    *,
    team_id: str,
    user_id: str,
    user_team_id: str,
    channel_id: str,
    message: dict[str, Any],
    action: dict[str, Any],
    response_url: str,
    trigger_id: str,
    is_ephemeral: bool = False,
    state_values: dict[str, Any] | None = None,
    user_name: str = DEFAULT_USER_NAME,
    channel_name: str = DEFAULT_CHANNEL_NAME,
    api_app_id: str = DEFAULT_API_APP_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    token: str = DEFAULT_VERIFICATION_TOKEN,
) -> bytes:
    """Build a block_actions body for a click on a message: `payload=<JSON>`.

    `team_id` is the workspace the app is installed in and `user_team_id` the
    clicker's home workspace. They differ for a Slack Connect guest.
    """
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, user_team_id, user_name),
        "api_app_id": api_app_id,
        "token": token,
        "container": {
            "type": "message",
            "message_ts": message.get("ts"),
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name},
        "message": message,
        "state": {"values": state_values or {}},
        "response_url": response_url,
        "actions": [action],
    }
    return _payload_body(payload)


def view_block_actions_body(
    *,
    team_id: str,
    user_id: str,
    user_team_id: str,
    view: dict[str, Any],
    action: dict[str, Any],
    trigger_id: str,
    user_name: str = DEFAULT_USER_NAME,
    api_app_id: str = DEFAULT_API_APP_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    token: str = DEFAULT_VERIFICATION_TOKEN,
) -> bytes:
    """Build a block_actions body for an element used inside a modal or Home tab."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, user_team_id, user_name),
        "api_app_id": api_app_id,
        "token": token,
        "container": {"type": "view", "view_id": view.get("id")},
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": view,
        "state": copy.deepcopy(view.get("state", {"values": {}})),
        "actions": [action],
    }
    return _payload_body(payload)


def view_submission_body(
    *,
    team_id: str,
    user_id: str,
    user_team_id: str,
    view: dict[str, Any],
    values: dict[str, Any],
    trigger_id: str = "",
    user_name: str = DEFAULT_USER_NAME,
    api_app_id: str = DEFAULT_API_APP_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    token: str = DEFAULT_VERIFICATION_TOKEN,
) -> bytes:
    """Build a view_submission body with `values` as `view.state.values`."""
    submitted = {key: value for key, value in view.items() if key != "user"}
    submitted["state"] = {"values": values}
    payload: dict[str, Any] = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": team_domain},
        "user": _user(user_id, user_team_id, user_name),
        "api_app_id": api_app_id,
        "token": token,
        "trigger_id": trigger_id,
        "enterprise": None,
        "is_enterprise_install": False,
        "view": submitted,
        "response_urls": [],
    }
    return _payload_body(payload)


def view_closed_body(
    *,
    team_id: str,
    user_id: str,
    user_team_id: str,
    view: dict[str, Any],
    is_cleared: bool = False,
    user_name: str = DEFAULT_USER_NAME,
    api_app_id: str = DEFAULT_API_APP_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    token: str = DEFAULT_VERIFICATION_TOKEN,
) -> bytes:
    """Build a view_closed body, which Slack sends when notify_on_close is set."""
    payload: dict[str, Any] = {
        "type": "view_closed",
        "team": {"id": team_id, "domain": team_domain},
        "user": _user(user_id, user_team_id, user_name),
        "api_app_id": api_app_id,
        "token": token,
        "enterprise": None,
        "is_enterprise_install": False,
        "view": {key: value for key, value in view.items() if key != "user"},
        "is_cleared": is_cleared,
    }
    return _payload_body(payload)


@dataclass(frozen=True)
class SentResponse:
    """The app's HTTP response to a signed request."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """Return the body decoded as JSON, or None for an empty body."""
        return json.loads(self.body) if self.body.strip() else None


class SignedSender:
    """Posts bodies to an app's request URL with Slack's signature headers."""

    def __init__(
        self,
        url: str,
        signing_secret: str,
        clock: Callable[[], float] = time.time,
        *,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self._signing_secret = signing_secret
        self._clock = clock
        self._timeout = timeout
        # An empty ProxyHandler keeps requests off any proxy named in the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def post(
        self, body: bytes, *, timestamp: int | None = None, signature: str | None = None
    ) -> SentResponse:
        """Sign and post `body`, and return the response, including non-2xx statuses.

        `timestamp` and `signature` override the signed values, to test how the
        app rejects stale or forged requests. Connection failures raise URLError.
        """
        when = int(self._clock()) if timestamp is None else timestamp
        headers = sign_request(body, self._signing_secret, when)
        if signature is not None:
            headers["X-Slack-Signature"] = signature
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                return _sent_response(response.status, response.read(), response.headers)
        except urllib.error.HTTPError as error:
            with error:
                return _sent_response(error.code, error.read(), error.headers)


def _sent_response(status: int, body: bytes, headers: Any) -> SentResponse:
    header_map = {name: value for name, value in headers.items()} if headers else {}
    return SentResponse(status, body.decode("utf-8", errors="replace"), header_map)


def _user(user_id: str, user_team_id: str, user_name: str) -> dict[str, str]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": user_team_id}


def _payload_body(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode("ascii")


def _find_option(element: dict[str, Any], value: Any) -> dict[str, Any]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    for option in options:
        if option.get("value") == value:
            return copy.deepcopy(option)
    offered = [option.get("value") for option in options]
    raise ValueError(f"option {value!r} is not offered by {element.get('action_id')!r}: {offered}")
