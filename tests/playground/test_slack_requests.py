"""Signed request builders, the sender and the driver, checked against slack_sdk and Bolt."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest
from slack_bolt import Ack, App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import Clock, SignatureVerifier

from bot.playground.driver import SlackDriver
from bot.playground.slack_requests import (
    SignedSender,
    action_from_element,
    block_actions_body,
    sign_request,
    slash_command_body,
    view_closed_body,
    view_state_values,
    view_submission_body,
)
from bot.playground.standin import SlackStandIn

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = 1767225600
TEAM = "T0HOME"
CHANNEL = "C0DEAL"
USER = "U0ADA"
GUEST = "U0GUEST"

# The fields of a real slash command body, in Slack's order.
SLASH_COMMAND_FIELDS = [
    "token",
    "team_id",
    "team_domain",
    "channel_id",
    "channel_name",
    "user_id",
    "user_name",
    "command",
    "text",
    "api_app_id",
    "is_enterprise_install",
    "response_url",
    "trigger_id",
]

BUTTON = {
    "type": "button",
    "action_id": "task_complete",
    "text": {"type": "plain_text", "text": "Complete"},
    "value": "task=1",
    "style": "primary",
}
OVERFLOW = {
    "type": "overflow",
    "action_id": "task_menu",
    "options": [
        {"text": {"type": "plain_text", "text": "In progress"}, "value": "in_progress:1"},
        {"text": {"type": "plain_text", "text": "Not started"}, "value": "not_started:1"},
    ],
}
SELECT = {
    "type": "static_select",
    "action_id": "cadence",
    "placeholder": {"type": "plain_text", "text": "Cadence"},
    "option_groups": [
        {
            "label": {"type": "plain_text", "text": "Often"},
            "options": [{"text": {"type": "plain_text", "text": "Weekly"}, "value": "weekly"}],
        }
    ],
}
DATEPICKER = {"type": "datepicker", "action_id": "due"}


class FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self.moment = now

    def now(self) -> float:
        return self.moment


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # urllib honours proxy variables, and loopback requests must never leave the machine.
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


def decode_payload(body: bytes) -> dict[str, Any]:
    fields = dict(parse_qsl(body.decode("ascii")))
    assert list(fields) == ["payload"]
    payload: dict[str, Any] = json.loads(fields["payload"])
    return payload


def bolt_request(body: bytes) -> BoltRequest:
    headers: dict[str, str | Sequence[str]] = dict(sign_request(body, SECRET, NOW))
    return BoltRequest(body=body.decode("ascii"), headers=headers)


def plan_message(ts: str = "1767225600.000100") -> dict[str, Any]:
    return {
        "type": "message",
        "text": "Plan",
        "user": "U0MAPBOT",
        "ts": ts,
        "bot_id": "B0MAPBOT",
        "blocks": [{"type": "actions", "block_id": "task_actions-1", "elements": [BUTTON]}],
    }


# sign_request


def test_signature_verified_by_slack_sdk() -> None:
    body = b"token=x&text=status+next+week"
    headers = sign_request(body, SECRET, NOW)
    verifier = SignatureVerifier(SECRET, clock=FixedClock(NOW + 10))

    assert verifier.is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert verifier.is_valid_request(body, headers)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_signature_fails_for_changed_body() -> None:
    headers = sign_request(b"text=status", SECRET, NOW)
    verifier = SignatureVerifier(SECRET, clock=FixedClock(NOW))

    assert not verifier.is_valid_request(b"text=statuz", headers)
    assert not SignatureVerifier("other", clock=FixedClock(NOW)).is_valid_request(
        b"text=status", headers
    )


def test_signature_fails_when_stale() -> None:
    body = b"text=status"
    verifier = SignatureVerifier(SECRET, clock=FixedClock(NOW + 301))

    assert not verifier.is_valid_request(body, sign_request(body, SECRET, NOW))


# Body builders


def test_slash_command_body_fields() -> None:
    body = slash_command_body(
        team_id=TEAM,
        channel_id=CHANNEL,
        user_id=USER,
        text="status next week",
        response_url="http://127.0.0.1:1/respond/r1",
        trigger_id="1.2.abc",
    )

    fields = parse_qsl(body.decode("ascii"), keep_blank_values=True)
    values = dict(fields)
    assert [name for name, _ in fields] == SLASH_COMMAND_FIELDS
    assert values["command"] == "/map"
    assert values["text"] == "status next week"
    assert values["is_enterprise_install"] == "false"


def test_slash_command_parsed_by_bolt() -> None:
    body = slash_command_body(
        team_id=TEAM,
        channel_id=CHANNEL,
        user_id=USER,
        text="status",
        response_url="http://127.0.0.1:1/respond/r1",
        trigger_id="1.2.abc",
    )

    request = bolt_request(body)

    assert request.context.team_id == TEAM
    assert request.context.user_id == USER
    assert request.context.channel_id == CHANNEL
    assert request.body["response_url"] == "http://127.0.0.1:1/respond/r1"


def test_block_actions_body_shape() -> None:
    action = action_from_element(BUTTON, "task_actions-1", action_ts="1767225660.123456")

    payload = decode_payload(
        block_actions_body(
            team_id=TEAM,
            user_id=GUEST,
            user_team_id="T0GUEST",
            channel_id=CHANNEL,
            message=plan_message(),
            action=action,
            response_url="http://127.0.0.1:1/respond/r2",
            trigger_id="1.2.def",
        )
    )

    assert payload["type"] == "block_actions"
    assert payload["container"] == {
        "type": "message",
        "message_ts": "1767225600.000100",
        "channel_id": CHANNEL,
        "is_ephemeral": False,
    }
    assert payload["team"]["id"] == TEAM
    assert payload["user"] == {
        "id": GUEST,
        "username": "standin.user",
        "name": "standin.user",
        "team_id": "T0GUEST",
    }
    assert payload["channel"]["id"] == CHANNEL
    assert payload["message"]["blocks"][0]["elements"][0]["action_id"] == "task_complete"
    assert payload["actions"] == [
        {
            "type": "button",
            "action_id": "task_complete",
            "block_id": "task_actions-1",
            "action_ts": "1767225660.123456",
            "text": {"type": "plain_text", "text": "Complete"},
            "value": "task=1",
            "style": "primary",
        }
    ]


def test_block_actions_parsed_by_bolt() -> None:
    body = block_actions_body(
        team_id=TEAM,
        user_id=USER,
        user_team_id=TEAM,
        channel_id=CHANNEL,
        message=plan_message(),
        action=action_from_element(BUTTON, "task_actions-1", action_ts="1767225660.000001"),
        response_url="http://127.0.0.1:1/respond/r2",
        trigger_id="1.2.def",
    )

    request = bolt_request(body)

    assert request.context.user_id == USER
    assert request.context.channel_id == CHANNEL
    assert request.context.response_url == "http://127.0.0.1:1/respond/r2"
    assert request.body["actions"][0]["value"] == "task=1"


def test_overflow_action_uses_selected_option() -> None:
    action = action_from_element(OVERFLOW, "t1", action_ts="1.0", selected="not_started:1")

    assert action["selected_option"]["value"] == "not_started:1"
    assert action["selected_option"]["text"]["text"] == "Not started"
    assert "value" not in action


def test_select_action_finds_grouped_option() -> None:
    action = action_from_element(SELECT, "b", action_ts="1.0", selected="weekly")

    assert action["selected_option"]["value"] == "weekly"
    assert action["placeholder"]["text"] == "Cadence"


def test_datepicker_action_uses_selected_date() -> None:
    action = action_from_element(DATEPICKER, "b", action_ts="1.0", selected="2026-01-30")

    assert action["selected_date"] == "2026-01-30"
    assert action["type"] == "datepicker"


def test_action_rejects_unoffered_option() -> None:
    with pytest.raises(ValueError, match="not offered"):
        action_from_element(OVERFLOW, "t1", action_ts="1.0", selected="deleted:1")


def test_action_rejects_unknown_element_type() -> None:
    with pytest.raises(ValueError, match="workflow_button"):
        action_from_element({"type": "workflow_button", "action_id": "w"}, "b", action_ts="1.0")


TASK_MODAL = {
    "id": "V0TASK",
    "type": "modal",
    "callback_id": "task_new",
    "private_metadata": json.dumps({"channel_id": CHANNEL}),
    "title": {"type": "plain_text", "text": "New task"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        },
        {
            "type": "input",
            "block_id": "due",
            "label": {"type": "plain_text", "text": "Due"},
            "element": {"type": "datepicker", "action_id": "value"},
        },
        {
            "type": "input",
            "block_id": "owner",
            "optional": True,
            "label": {"type": "plain_text", "text": "Owner"},
            "element": {"type": "users_select", "action_id": "value"},
        },
    ],
}


def test_view_state_values_by_block() -> None:
    values = view_state_values(TASK_MODAL, {"title": "Security review", "due": "2026-01-30"})

    assert values == {
        "title": {"value": {"type": "plain_text_input", "value": "Security review"}},
        "due": {"value": {"type": "datepicker", "selected_date": "2026-01-30"}},
        "owner": {"value": {"type": "users_select", "selected_user": None}},
    }


def test_view_state_values_unknown_block() -> None:
    with pytest.raises(ValueError, match="titel"):
        view_state_values(TASK_MODAL, {"titel": "typo"})


def test_view_submission_parsed_by_bolt() -> None:
    values = view_state_values(TASK_MODAL, {"title": "Kickoff"})

    body = view_submission_body(
        team_id=TEAM, user_id=GUEST, user_team_id="T0GUEST", view=TASK_MODAL, values=values
    )

    request = bolt_request(body)
    assert request.body["type"] == "view_submission"
    assert request.body["view"]["callback_id"] == "task_new"
    assert request.body["view"]["state"]["values"]["title"]["value"]["value"] == "Kickoff"
    assert request.body["user"]["team_id"] == "T0GUEST"
    assert request.context.user_id == GUEST


def test_view_closed_body_shape() -> None:
    payload = decode_payload(
        view_closed_body(team_id=TEAM, user_id=USER, user_team_id=TEAM, view=TASK_MODAL)
    )

    assert payload["type"] == "view_closed"
    assert payload["view"]["id"] == "V0TASK"
    assert payload["is_cleared"] is False


# SignedSender


class VerifyingHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        verifier = SignatureVerifier(SECRET, clock=FixedClock(NOW))
        valid = verifier.is_valid_request(body, dict(self.headers.items()))
        status, text = (200, body.decode("ascii")) if valid else (401, "invalid signature")
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Echo", "yes")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def verifying_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), VerifyingHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    server.shutdown()
    server.server_close()
    thread.join()


def test_sender_posts_signed_body(verifying_url: str) -> None:
    sender = SignedSender(verifying_url, SECRET, clock=lambda: NOW)

    response = sender.post(b"text=hello")

    assert response.status == 200
    assert response.body == "text=hello"
    assert response.headers["X-Echo"] == "yes"


def test_sender_returns_rejections(verifying_url: str) -> None:
    sender = SignedSender(verifying_url, SECRET, clock=lambda: NOW)

    forged = sender.post(b"text=hello", signature="v0=" + "0" * 64)
    stale = sender.post(b"text=hello", timestamp=NOW - 600)

    assert (forged.status, forged.body) == (401, "invalid signature")
    assert stale.status == 401


# SlackDriver against a Bolt app


class BoltHandler(BaseHTTPRequestHandler):
    """Feeds each POST to the Bolt app set on the server, like Bolt's HTTP adapters do."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
        headers: dict[str, str | Sequence[str]] = {
            name.lower(): value for name, value in self.headers.items()
        }
        app: App = self.server.app  # type: ignore[attr-defined]
        answer = app.dispatch(BoltRequest(body=body, headers=headers))
        data = answer.body.encode("utf-8")
        self.send_response(answer.status)
        for name, values in answer.headers.items():
            for value in values:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


TASK_BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "block_id": "task-1", "text": {"type": "mrkdwn", "text": "Task 1"}},
    {"type": "actions", "block_id": "task_actions-1", "elements": [BUTTON, OVERFLOW]},
]


def build_app(slack: SlackStandIn, submissions: list[dict[str, Any]]) -> App:
    client = WebClient(token=slack.bot_token, base_url=slack.api_url, retry_handlers=[])
    app = App(
        signing_secret=SECRET,
        client=client,
        process_before_response=True,
        token_verification_enabled=False,
    )

    @app.command("/map")
    def map_command(ack: Ack, command: dict[str, Any], client: WebClient, respond: Any) -> None:
        if command["text"] == "new":
            ack()
            client.views_open(trigger_id=command["trigger_id"], view=TASK_MODAL)
            return
        ack("Posting the plan")
        client.chat_postMessage(channel=command["channel_id"], text="Plan", blocks=TASK_BLOCKS)
        respond(text="Plan posted")

    @app.action("task_complete")
    def complete(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        who = f"{body['user']['id']}@{body['user']['team_id']}"
        client.chat_update(
            channel=body["container"]["channel_id"],
            ts=body["container"]["message_ts"],
            text=f"Task 1 completed by {who}",
        )

    @app.action("task_menu")
    def menu(ack: Ack, action: dict[str, Any], respond: Any) -> None:
        ack()
        respond(text=f"Moved to {action['selected_option']['value']}", replace_original=False)

    @app.view("task_new")
    def submitted(ack: Ack, view: dict[str, Any]) -> None:
        title = view["state"]["values"]["title"]["value"]["value"]
        if not title:
            ack(response_action="errors", errors={"title": "Enter a task title."})
            return
        ack()
        submissions.append(view["state"]["values"])

    return app


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(clock=lambda: float(NOW), strict_triggers=True) as standin:
        standin.add_channel(CHANNEL, "deal-acme")
        standin.add_user(USER, TEAM, "ada")
        standin.add_user(GUEST, "T0GUEST", "grace")
        yield standin


@pytest.fixture
def submissions() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def driver(slack: SlackStandIn, submissions: list[dict[str, Any]]) -> Iterator[SlackDriver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BoltHandler)
    server.app = build_app(slack, submissions)  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    # Bolt checks signatures against the real time, so the sender signs with it.
    sender = SignedSender(f"http://127.0.0.1:{server.server_address[1]}/slack/events", SECRET)
    yield SlackDriver(slack, sender, TEAM, CHANNEL)
    server.shutdown()
    server.server_close()
    thread.join()


def test_driver_command_reaches_app(driver: SlackDriver, slack: SlackStandIn) -> None:
    interaction = driver.command(USER, "status")

    assert interaction.response.status == 200
    assert [m["text"] for m in slack.messages(CHANNEL)] == ["Plan"]
    ephemeral_texts = [e["text"] for e in slack.ephemerals(CHANNEL, USER)]
    assert ephemeral_texts == ["Plan posted", "Posting the plan"]
    assert slack.calls_to("response_url")[0]["text"] == "Plan posted"


def test_driver_click_updates_message(driver: SlackDriver, slack: SlackStandIn) -> None:
    driver.command(USER, "status")
    ts = slack.messages(CHANNEL)[0]["ts"]

    interaction = driver.click(GUEST, ts, "task_complete", value="task=1")

    assert interaction.response.status == 200
    assert slack.message(CHANNEL, ts)["text"] == "Task 1 completed by U0GUEST@T0GUEST"  # type: ignore[index]


def test_driver_overflow_selection(driver: SlackDriver, slack: SlackStandIn) -> None:
    driver.command(USER, "status")
    ts = slack.messages(CHANNEL)[0]["ts"]

    driver.click(USER, ts, "task_menu", selected="in_progress:1")

    assert slack.ephemerals(CHANNEL, USER)[-1]["text"] == "Moved to in_progress:1"


def test_driver_value_picks_menu_option(driver: SlackDriver, slack: SlackStandIn) -> None:
    driver.command(USER, "status")
    ts = slack.messages(CHANNEL)[0]["ts"]

    driver.click(USER, ts, "task_menu", value="not_started:1")

    assert slack.ephemerals(CHANNEL, USER)[-1]["text"] == "Moved to not_started:1"


def test_driver_click_unknown_element(driver: SlackDriver, slack: SlackStandIn) -> None:
    driver.command(USER, "status")
    ts = slack.messages(CHANNEL)[0]["ts"]

    with pytest.raises(LookupError, match="task_complete with value"):
        driver.click(USER, ts, "task_complete", value="task=2")
    with pytest.raises(LookupError, match="no message"):
        driver.click(USER, "1.000001", "task_complete")


def test_driver_modal_errors_then_closes(
    driver: SlackDriver, slack: SlackStandIn, submissions: list[dict[str, Any]]
) -> None:
    driver.command(USER, "new")
    [view] = slack.views(USER)

    rejected = driver.submit(USER, view["id"], {"title": "", "due": "2026-01-30"})
    assert rejected.response.json()["errors"] == {"title": "Enter a task title."}
    assert [v["id"] for v in slack.views(USER)] == [view["id"]]

    driver.submit(USER, view["id"], {"title": "Security review", "due": "2026-01-30"})

    assert slack.views(USER) == []
    assert submissions[0]["due"]["value"]["selected_date"] == "2026-01-30"
