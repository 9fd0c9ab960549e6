"""In-memory workspace state of the Slack stand-in: channels, users, messages, views.

Nothing here locks, because `SlackStandIn` takes its one lock around every read
and write.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Slack's limits on interactive plumbing, from Slack's interactivity docs: a
# trigger_id works once within 3 seconds, a response_url takes up to 5 posts
# within 30 minutes.
TRIGGER_LIFETIME_SECONDS = 3.0
RESPONSE_URL_MAX_POSTS = 5
RESPONSE_URL_LIFETIME_SECONDS = 30 * 60
# Slack keeps at most 3 views in a modal's stack.
VIEW_STACK_MAX = 3

# Message timestamps step by this many microseconds: "<seconds>.000100", ".000200".
TS_STEP_MICROS = 100
TS_STEPS_PER_SECOND = 1_000_000 // TS_STEP_MICROS


class ApiError(Exception):
    """A Web API call that Slack rejects with `ok: false` and this error code."""

    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        messages: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.messages = messages or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        result: dict[str, Any] = {"ok": False, "error": self.error}
        if self.messages:
            result["errors"] = [line.removeprefix("[ERROR] ") for line in self.messages]
            result["response_metadata"] = {"messages": list(self.messages)}
        return result


@dataclass
class Channel:
    id: str
    name: str
    is_ext_shared: bool = False
    is_private: bool = False
    is_archived: bool = False
    bot_is_member: bool = True
    im_user: str | None = None
    created: int = 0


@dataclass
class User:
    id: str
    team_id: str
    name: str
    real_name: str
    is_bot: bool = False
    deleted: bool = False
    tz: str = "UTC"


@dataclass
class StoredMessage:
    channel: str
    ts: str
    text: str
    blocks: list[Any]
    user: str
    team: str
    bot_id: str | None = None
    app_id: str | None = None
    metadata: dict[str, Any] | None = None
    thread_ts: str | None = None
    updated: int = 0

    def record(self) -> dict[str, Any]:
        """Return a detached copy for test inspection."""
        return copy.deepcopy(
            {
                "channel": self.channel,
                "ts": self.ts,
                "text": self.text,
                "blocks": self.blocks,
                "user": self.user,
                "bot_id": self.bot_id,
                "metadata": self.metadata,
                "thread_ts": self.thread_ts,
                "updated": self.updated,
            }
        )

    def api_object(self, *, include_metadata: bool = True) -> dict[str, Any]:
        """Return the message object as Slack's Web API and interaction payloads show it."""
        result: dict[str, Any] = {
            "type": "message",
            "text": self.text,
            "user": self.user,
            "ts": self.ts,
            "team": self.team,
        }
        if self.bot_id is not None:
            result["bot_id"] = self.bot_id
            result["app_id"] = self.app_id
        if self.blocks:
            result["blocks"] = self.blocks
        if self.thread_ts is not None:
            result["thread_ts"] = self.thread_ts
        if self.updated:
            result["edited"] = {"user": self.user, "ts": self.ts}
        if include_metadata and self.metadata is not None:
            result["metadata"] = self.metadata
        return copy.deepcopy(result)


@dataclass
class StoredEphemeral:
    channel: str
    user: str
    ts: str
    text: str
    blocks: list[Any]
    source: str
    thread_ts: str | None = None
    replaced: int = 0

    def record(self) -> dict[str, Any]:
        return copy.deepcopy(
            {
                "channel": self.channel,
                "user": self.user,
                "ts": self.ts,
                "text": self.text,
                "blocks": self.blocks,
                "source": self.source,
                "thread_ts": self.thread_ts,
                "replaced": self.replaced,
            }
        )

    def api_object(self) -> dict[str, Any]:
        """Return the message object that a block_actions payload shows for it."""
        return copy.deepcopy(
            {"type": "message", "text": self.text, "ts": self.ts, "blocks": self.blocks}
        )


@dataclass
class StoredView:
    id: str
    user: str | None
    team_id: str
    app_id: str
    bot_id: str
    definition: dict[str, Any]
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    state_values: dict[str, Any] = field(default_factory=dict)

    @property
    def external_id(self) -> str:
        return str(self.definition.get("external_id") or "")

    @property
    def type(self) -> str:
        return str(self.definition.get("type", ""))

    def api_object(self) -> dict[str, Any]:
        """Return the view object as views.* methods and view payloads show it."""
        view = self.definition
        result: dict[str, Any] = {
            "id": self.id,
            "team_id": self.team_id,
            "type": self.type,
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": self.state_values},
            "hash": self.hash,
            "title": view.get("title"),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": self.previous_view_id,
            "root_view_id": self.root_view_id,
            "app_id": self.app_id,
            "external_id": self.external_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        return copy.deepcopy(result)

    def record(self) -> dict[str, Any]:
        return {**self.api_object(), "user": self.user}


@dataclass
class Trigger:
    id: str
    user: str | None
    issued_at: float
    used: bool = False


@dataclass
class ResponseUrl:
    token: str
    channel: str
    user: str
    message_ts: str | None
    created_at: float
    posts: int = 0
    last_ephemeral_ts: str | None = None


@dataclass
class Fault:
    status: int
    error: str
    retry_after: int | None
    remaining: int


@dataclass
class WorkspaceConfig:
    bot_token: str
    team_id: str
    bot_user_id: str
    bot_id: str
    app_id: str
    team_name: str
    strict_triggers: bool


class StandInState:
    """Everything the stand-in stores, plus the id and timestamp generators."""

    def __init__(self, config: WorkspaceConfig, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self.base_url = ""
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, User] = {}
        self.messages: dict[str, list[StoredMessage]] = {}
        self.ephemerals: list[StoredEphemeral] = []
        self.views: dict[str, StoredView] = {}
        self.modal_stacks: dict[str, list[str]] = {}
        self.home_views: dict[str, str] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.faults: dict[str, list[Fault]] = {}
        self.rate_limit_per_second: int | None = None
        self.post_times: dict[str, list[float]] = {}
        self._last_ts_micros = 0
        self._ts_sequence = 0
        self._counter = 0

    def next_number(self) -> int:
        self._counter += 1
        return self._counter

    def next_ts(self) -> str:
        """Return a message timestamp that is unique and greater than every earlier one."""
        self._ts_sequence += 1
        step = self._ts_sequence % TS_STEPS_PER_SECOND
        candidate = int(self.clock()) * 1_000_000 + step * TS_STEP_MICROS
        micros = max(candidate, self._last_ts_micros + TS_STEP_MICROS)
        self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def next_view_id(self) -> str:
        return f"V0{self.next_number():08d}"

    def next_hash(self) -> str:
        return f"{int(self.clock())}.{self.next_number():08x}"

    def channel(self, channel_id: str) -> Channel:
        found = self.channels.get(channel_id)
        if found is None:
            raise ApiError("channel_not_found")
        return found

    def find_message(self, channel_id: str, ts: str) -> StoredMessage | None:
        for message in self.messages.get(channel_id, []):
            if message.ts == ts:
                return message
        return None

    def find_ephemeral(self, channel_id: str, user: str, ts: str) -> StoredEphemeral | None:
        for ephemeral in self.ephemerals:
            if (ephemeral.channel, ephemeral.user, ephemeral.ts) == (channel_id, user, ts):
                return ephemeral
        return None

    def open_view(self, view_id: str) -> StoredView | None:
        return self.views.get(view_id)

    def view_by_external_id(self, external_id: str) -> StoredView | None:
        for view in self.views.values():
            if view.external_id == external_id:
                return view
        return None

    def remove_view(self, view_id: str) -> None:
        view = self.views.pop(view_id, None)
        if view is None or view.user is None:
            return
        stack = self.modal_stacks.get(view.user, [])
        if view_id in stack:
            stack.remove(view_id)
        if self.home_views.get(view.user) == view_id:
            del self.home_views[view.user]
