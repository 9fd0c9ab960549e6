"""A local stand-in for Slack's Web API, for tests and `mapbot try`.

`SlackStandIn` runs a real HTTP server on 127.0.0.1 that serves the Web API
methods mapbot calls, with Slack's response shapes and error codes, so a real
`slack_sdk.WebClient(base_url=standin.api_url)` works against it. It also serves
response_url endpoints and issues trigger ids, records every call, and can inject
rate limits and failures.

Example::

    with SlackStandIn() as slack:
        slack.add_channel("C0DEAL", "deal-acme")
        client = WebClient(token=slack.bot_token, base_url=slack.api_url)
        client.chat_postMessage(channel="C0DEAL", text="hello")
        assert slack.messages("C0DEAL")[0]["text"] == "hello"
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.playground.standin_limits import check_message, check_view
from bot.playground.standin_methods import METHODS, Params, post_bot_message
from bot.playground.standin_responses import TextResponse, apply_response, post_to_response_url
from bot.playground.standin_state import (
    ApiError,
    Channel,
    Fault,
    ResponseUrl,
    StandInState,
    StoredMessage,
    Trigger,
    User,
    WorkspaceConfig,
)

__all__ = ["ApiResponse", "SlackStandIn", "check_message", "check_view"]

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
RESPOND_PREFIX = "/respond/"
MAX_BODY_BYTES = 5_000_000
# serve_forever checks for a shutdown request this often, so stop() waits up to this long.
SHUTDOWN_POLL_SECONDS = 0.01


@dataclass
class ApiResponse:
    """One HTTP response of the stand-in: status, JSON body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class SlackStandIn:
    """Slack's Web API for one workspace, served on loopback. Safe to use from threads."""

    def __init__(
        self,
        bot_token: str = "xoxb-standin",
        team_id: str = "T0HOME",
        bot_user_id: str = "U0MAPBOT",
        *,
        bot_id: str = "B0MAPBOT",
        app_id: str = "A0MAPBOT",
        team_name: str = "Stand-in Workspace",
        clock: Callable[[], float] | None = None,
        strict_triggers: bool = True,
    ) -> None:
        config = WorkspaceConfig(
            bot_token=bot_token,
            team_id=team_id,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            app_id=app_id,
            team_name=team_name,
            strict_triggers=strict_triggers,
        )
        self._lock = threading.RLock()
        self._state = StandInState(config, clock or time.time)
        self._state.users[bot_user_id] = User(
            id=bot_user_id, team_id=team_id, name="mapbot", real_name="mapbot", is_bot=True
        )
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Life cycle

    def start(self) -> SlackStandIn:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.standin = self  # type: ignore[attr-defined]
        self._server = server
        with self._lock:
            self._state.base_url = f"http://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="slack-standin",
            daemon=True,
        )
        self._thread.start()
        logger.info("Slack stand-in listening on %s", self.api_url)
        return self

    def stop(self) -> None:
        """Stop serving and release the port. Calling it twice is harmless."""
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join()
        logger.info("Slack stand-in stopped")

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the Slack stand-in is not running. Call start() first.")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def api_url(self) -> str:
        """Web API base URL for `WebClient(base_url=...)`, with the trailing slash."""
        return f"{self.base_url}api/"

    @property
    def bot_token(self) -> str:
        return self._state.config.bot_token

    @property
    def team_id(self) -> str:
        return self._state.config.team_id

    @property
    def bot_user_id(self) -> str:
        return self._state.config.bot_user_id

    # Workspace set-up

    def add_user(
        self,
        user_id: str,
        team_id: str,
        name: str,
        real_name: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        tz: str = "UTC",
    ) -> None:
        """Register a user for users.info. A Slack Connect guest has another team_id."""
        user = User(user_id, team_id, name, real_name or name, is_bot, deleted, tz)
        with self._lock:
            self._state.users[user_id] = user

    def add_channel(
        self, channel_id: str, name: str, is_ext_shared: bool = False, *, is_private: bool = False
    ) -> None:
        """Register a channel the bot is a member of."""
        with self._lock:
            created = int(self._state.clock())
            self._state.channels[channel_id] = Channel(
                channel_id, name, is_ext_shared, is_private, created=created
            )

    def user(self, user_id: str) -> dict[str, Any] | None:
        """Return the registered user's fields, or None for an unknown id."""
        with self._lock:
            found = self._state.users.get(user_id)
            return dataclasses.asdict(found) if found else None

    def archive_channel(self, channel_id: str) -> None:
        with self._lock:
            self._known_channel(channel_id).is_archived = True

    def set_bot_member(self, channel_id: str, is_member: bool) -> None:
        with self._lock:
            self._known_channel(channel_id).bot_is_member = is_member

    def add_message(
        self, channel_id: str, user_id: str, text: str, blocks: list[Any] | None = None
    ) -> str:
        """Store a message written by a person (not the bot) and return its ts."""
        with self._lock:
            state = self._state
            self._known_channel(channel_id)
            message = StoredMessage(
                channel=channel_id,
                ts=state.next_ts(),
                text=text,
                blocks=list(blocks or []),
                user=user_id,
                team=state.users[user_id].team_id
                if user_id in state.users
                else state.config.team_id,
            )
            state.messages.setdefault(channel_id, []).append(message)
            return message.ts

    def post_as_bot(self, channel_id: str, text: str, blocks: list[Any] | None = None) -> str:
        """Store a bot message without an API call or limit checks and return its ts."""
        with self._lock:
            self._known_channel(channel_id)
            return post_bot_message(self._state, channel_id, text, blocks, None).ts

    # Fault injection

    def fail_next(
        self,
        method: str,
        *,
        status: int | None = None,
        retry_after: int | None = 1,
        count: int = 1,
        error: str | None = None,
    ) -> None:
        """Make the next `count` calls to `method` fail before the method runs.

        With `error`, the calls get HTTP 200 and `{"ok": false, "error": error}`.
        Otherwise they get `status` (429 by default): a 429 carries `Retry-After`
        and the body `{"ok": false, "error": "ratelimited"}`, other statuses the
        body `{"ok": false, "error": "fatal_error"}`.
        """
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        if error is not None:
            fault = Fault(status or 200, error, None, count)
        elif status is None or status == 429:
            fault = Fault(429, "ratelimited", retry_after, count)
        else:
            fault = Fault(status, "fatal_error", None, count)
        with self._lock:
            self._state.faults.setdefault(method, []).append(fault)

    def set_rate_limit(self, per_channel_per_second: int | None = 1) -> None:
        """Reject chat.postMessage with 429 past this many posts a second per channel.

        The window is measured with the stand-in's clock. None turns the limit off.
        """
        with self._lock:
            self._state.rate_limit_per_second = per_channel_per_second
            self._state.post_times.clear()

    # Records for tests

    @property
    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        """Every Web API call and response_url post so far, as (method, params)."""
        with self._lock:
            return [(method, dict(params)) for method, params in self._state.calls]

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    def reset_calls(self) -> None:
        with self._lock:
            self._state.calls.clear()

    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        """Current messages of a channel, oldest first, thread replies included."""
        with self._lock:
            return [message.record() for message in self._state.messages.get(channel_id, [])]

    def message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._state.find_message(channel_id, ts)
            return found.record() if found else None

    def message_payload(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        """Return the message as an interaction payload shows it, for a channel or ephemeral ts."""
        with self._lock:
            found = self._state.find_message(channel_id, ts)
            if found is not None:
                return found.api_object(include_metadata=False)
            for ephemeral in self._state.ephemerals:
                if (ephemeral.channel, ephemeral.ts) == (channel_id, ts):
                    return ephemeral.api_object()
            return None

    def ephemerals(self, channel_id: str, user: str | None = None) -> list[dict[str, Any]]:
        """Ephemeral messages shown in a channel, oldest first, optionally for one user."""
        with self._lock:
            return [
                ephemeral.record()
                for ephemeral in self._state.ephemerals
                if ephemeral.channel == channel_id and user in (None, ephemeral.user)
            ]

    def views(self, user: str | None = None) -> list[dict[str, Any]]:
        """Open modals and published Home tabs, each with a `user` key."""
        with self._lock:
            return [
                view.record() for view in self._state.views.values() if user in (None, view.user)
            ]

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._state.views.get(view_id)
            return found.record() if found else None

    # Interactive plumbing

    def new_trigger_id(self, user_id: str | None = None) -> str:
        """Issue a trigger_id that views.open or views.push accept once within 3 seconds."""
        with self._lock:
            state = self._state
            number = state.next_number()
            trigger_id = f"{number:013d}.{int(state.clock()):010d}.standin{number:024x}"
            state.triggers[trigger_id] = Trigger(trigger_id, user_id, state.clock())
            return trigger_id

    def new_response_url(self, channel_id: str, user_id: str, message_ts: str | None = None) -> str:
        """Issue a response_url on this stand-in for one interaction."""
        with self._lock:
            state = self._state
            token = f"r{state.next_number():08d}"
            state.response_urls[token] = ResponseUrl(
                token, channel_id, user_id, message_ts, state.clock()
            )
            return f"{self.base_url}respond/{token}"

    def show_command_response(
        self, channel_id: str, user_id: str, payload: dict[str, Any]
    ) -> TextResponse:
        """Show the body of an app's response to a slash command, as Slack does.

        The payload has the fields of a response_url post (text, blocks,
        response_type). It is shown without being recorded as a call.
        """
        with self._lock:
            state = self._state
            target = ResponseUrl("", channel_id, user_id, None, state.clock())
            return apply_response(state, target, payload)

    def close_view(self, view_id: str, *, clear: bool = False) -> None:
        """Close a modal as Slack does after a submission. `clear` closes its whole stack."""
        with self._lock:
            state = self._state
            view = state.views.get(view_id)
            if view is None:
                return
            stack = state.modal_stacks.get(view.user or "", [])
            doomed = list(stack) if clear and view_id in stack else [view_id]
            for doomed_id in doomed:
                state.remove_view(doomed_id)

    def apply_submission_response(
        self, view_id: str, response: dict[str, Any] | None
    ) -> ApiResponse | None:
        """Act on the app's response to a view_submission as Slack does.

        No `response_action` closes the view, `clear` closes the stack, `update`
        replaces the view, `push` stacks a new one and `errors` keeps it open.
        Returns the outcome of the update or push, which fails like views.update
        or views.push would on an invalid view.
        """
        action = (response or {}).get("response_action")
        if action in (None, "clear"):
            self.close_view(view_id, clear=action == "clear")
            return None
        new_view = (response or {}).get("view")
        if action == "update":
            return self._run_method("views.update", {"view_id": view_id, "view": new_view})
        if action == "push":
            with self._lock:
                found = self._state.views.get(view_id)
                user = found.user if found else None
            trigger_id = self.new_trigger_id(user)
            return self._run_method("views.push", {"trigger_id": trigger_id, "view": new_view})
        return None

    # Request handling, also callable without HTTP

    def handle_api_request(self, method: str, params: Params, token: str) -> ApiResponse:
        """Record one Web API call and return its response, as the HTTP endpoint does."""
        with self._lock:
            params = {key: value for key, value in params.items() if key != "token"}
            self._state.calls.append((method, dict(params)))
            try:
                self._check_token(token)
                self._raise_injected_fault(method)
            except ApiError as exc:
                logger.debug("stand-in rejected %s: %s (HTTP %s)", method, exc.error, exc.status)
                return ApiResponse(exc.status, exc.body(), dict(exc.headers))
            return self._run_method(method, params)

    def _run_method(self, method: str, params: Params) -> ApiResponse:
        with self._lock:
            handler = METHODS.get(method)
            try:
                if handler is None:
                    raise ApiError("unknown_method")
                body = handler(self._state, params)
            except ApiError as exc:
                logger.debug("stand-in %s failed: %s (HTTP %s)", method, exc.error, exc.status)
                return ApiResponse(exc.status, exc.body(), dict(exc.headers))
            except Exception:
                # Any other exception is a stand-in bug. Respond like a Slack outage
                # rather than drop the connection, and log the traceback.
                logger.exception("stand-in %s crashed", method)
                return ApiResponse(500, {"ok": False, "error": "fatal_error"})
            return ApiResponse(200, {"ok": True, **body})

    def handle_response_url_post(self, token: str, payload: Any) -> TextResponse:
        with self._lock:
            record = dict(payload) if isinstance(payload, dict) else {"body": payload}
            self._state.calls.append(("response_url", {**record, "response_url_token": token}))
            return post_to_response_url(self._state, token, payload)

    def _check_token(self, token: str) -> None:
        if not token:
            raise ApiError("not_authed")
        if token != self._state.config.bot_token:
            raise ApiError("invalid_auth")

    def _raise_injected_fault(self, method: str) -> None:
        queue = self._state.faults.get(method)
        if not queue:
            return
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        raise ApiError(fault.error, status=fault.status, headers=headers)

    def _known_channel(self, channel_id: str) -> Channel:
        channel = self._state.channels.get(channel_id)
        if channel is None:
            raise KeyError(f"unknown channel {channel_id!r}: call add_channel first")
        return channel


class _Handler(BaseHTTPRequestHandler):
    """Routes /api/<method> and /respond/<token> to the stand-in."""

    server_version = "SlackStandIn/1"

    @property
    def standin(self) -> SlackStandIn:
        return self.server.standin  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self._route(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send_text(413, "request_too_large")
            return
        self._route(self.rfile.read(length))

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("stand-in %s", format % args)

    def _route(self, body: bytes) -> None:
        parts = urlsplit(self.path)
        if parts.path.startswith(API_PREFIX):
            self._handle_api(parts.path[len(API_PREFIX) :], parts.query, body)
        elif parts.path.startswith(RESPOND_PREFIX) and self.command == "POST":
            self._handle_response_url(parts.path[len(RESPOND_PREFIX) :], body)
        else:
            self._send_text(404, "not_found")

    def _handle_api(self, method: str, query: str, body: bytes) -> None:
        params: Params = dict(parse_qsl(query, keep_blank_values=True))
        try:
            params.update(self._body_params(body))
        except ValueError:
            self._send_json(ApiResponse(200, {"ok": False, "error": "invalid_json"}))
            return
        self._send_json(self.standin.handle_api_request(method, params, self._token(params)))

    def _body_params(self, body: bytes) -> Params:
        if not body:
            return {}
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            decoded = json.loads(body)
            if not isinstance(decoded, dict):
                raise ValueError("JSON body is not an object")
            return decoded
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))

    def _token(self, params: Params) -> str:
        header = self.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header[len("Bearer ") :].strip()
        return str(params.get("token") or "")

    def _handle_response_url(self, token: str, body: bytes) -> None:
        try:
            payload: Any = json.loads(body) if body else None
        except ValueError:
            payload = None
        answer = self.standin.handle_response_url_post(token, payload)
        self._send_text(answer.status, answer.body)

    def _send_json(self, response: ApiResponse) -> None:
        data = json.dumps(response.body).encode("utf-8")
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_text(self, status: int, text: str) -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
