"""The Slack stand-in, exercised through real slack_sdk clients over loopback HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.playground.standin import SlackStandIn, check_message, check_view
from bot.playground.standin_limits import (
    INVALID_ARGUMENTS,
    INVALID_BLOCKS,
    MSG_BLOCKS_TOO_LONG,
    MSG_TOO_LONG,
    find_message_problem,
)

START = 1767225600.0  # 2026-01-01T00:00:00Z
CHANNEL = "C0DEAL"
USER = "U0ADA"
GUEST = "U0GUEST"


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


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


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def slack(clock: FakeClock) -> Iterator[SlackStandIn]:
    with SlackStandIn(clock=clock) as standin:
        standin.add_channel(CHANNEL, "deal-acme")
        standin.add_user(USER, "T0HOME", "ada", real_name="Ada Lovelace", tz="America/New_York")
        standin.add_user(GUEST, "T0GUEST", "grace")
        yield standin


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    # No retry handlers, so a 429 reaches the test instead of being retried.
    return WebClient(token=slack.bot_token, base_url=slack.api_url, retry_handlers=[])


def api_error(call: Any, *args: Any, **kwargs: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call(*args, **kwargs)
    return caught.value


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def button(text: str = "Go", **extra: Any) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": "go",
        "text": {"type": "plain_text", "text": text},
        **extra,
    }


def options(count: int, text_length: int = 5) -> list[dict[str, Any]]:
    return [
        {"text": {"type": "plain_text", "text": "o" * text_length}, "value": f"v{index}"}
        for index in range(count)
    ]


def modal(title: str = "New task", blocks: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "blocks": blocks if blocks is not None else [section("hello")],
        **extra,
    }


# Server and auth


def test_api_url_is_loopback_with_trailing_slash(slack: SlackStandIn) -> None:
    assert slack.api_url.startswith("http://127.0.0.1:")
    assert slack.api_url.endswith("/api/")
    assert slack.port > 0


def test_auth_test_returns_workspace_ids(client: WebClient, slack: SlackStandIn) -> None:
    response = client.auth_test()

    assert response["team_id"] == "T0HOME"
    assert response["user_id"] == "U0MAPBOT"
    assert response["bot_id"] == "B0MAPBOT"
    assert response["url"] == slack.base_url


def test_missing_token_is_not_authed(slack: SlackStandIn) -> None:
    anonymous = WebClient(base_url=slack.api_url, retry_handlers=[])

    error = api_error(anonymous.auth_test)

    assert error.response["error"] == "not_authed"


def test_wrong_token_is_invalid_auth(slack: SlackStandIn) -> None:
    intruder = WebClient(token="xoxb-wrong", base_url=slack.api_url, retry_handlers=[])

    error = api_error(intruder.chat_postMessage, channel=CHANNEL, text="hi")

    assert error.response["error"] == "invalid_auth"
    assert slack.messages(CHANNEL) == []


def test_token_in_form_body_is_accepted(client: WebClient, slack: SlackStandIn) -> None:
    anonymous = WebClient(base_url=slack.api_url, retry_handlers=[])

    response = anonymous.api_call("auth.test", data={"token": slack.bot_token})

    assert response["ok"] is True
    assert slack.calls[-1] == ("auth.test", {})


def test_unknown_method_is_rejected(client: WebClient) -> None:
    error = api_error(client.api_call, "chat.teleport", json={"channel": CHANNEL})

    assert error.response["error"] == "unknown_method"


def test_stop_twice_is_harmless(clock: FakeClock) -> None:
    standin = SlackStandIn(clock=clock).start()
    standin.stop()
    standin.stop()

    with pytest.raises(RuntimeError):
        _ = standin.api_url


# chat.postMessage


def test_post_message_stores_message(client: WebClient, slack: SlackStandIn) -> None:
    metadata = {"event_type": "plan_posted", "event_payload": {"plan_id": 7}}

    response = client.chat_postMessage(
        channel=CHANNEL, text="Plan", blocks=[section("*Plan*", "intro")], metadata=metadata
    )

    assert response["channel"] == CHANNEL
    assert response["ts"] == "1767225600.000100"
    assert response["message"]["bot_id"] == "B0MAPBOT"
    stored = slack.messages(CHANNEL)
    assert len(stored) == 1
    assert stored[0]["text"] == "Plan"
    assert stored[0]["user"] == "U0MAPBOT"
    assert stored[0]["blocks"][0]["block_id"] == "intro"
    assert stored[0]["metadata"] == metadata
    assert stored[0]["updated"] == 0


def test_post_message_timestamps_increase(client: WebClient, clock: FakeClock) -> None:
    first = client.chat_postMessage(channel=CHANNEL, text="one")["ts"]
    second = client.chat_postMessage(channel=CHANNEL, text="two")["ts"]
    clock.advance(-60)
    third = client.chat_postMessage(channel=CHANNEL, text="three")["ts"]

    assert (first, second) == ("1767225600.000100", "1767225600.000200")
    assert float(third) > float(second)


def test_post_message_generates_missing_block_ids(client: WebClient, slack: SlackStandIn) -> None:
    client.chat_postMessage(channel=CHANNEL, text="x", blocks=[section("a"), section("b", "b")])

    block_ids = [block["block_id"] for block in slack.messages(CHANNEL)[0]["blocks"]]

    assert block_ids[1] == "b"
    assert block_ids[0]
    assert block_ids[0] != "b"


def test_post_message_accepts_form_body(client: WebClient, slack: SlackStandIn) -> None:
    form = {
        "channel": CHANNEL,
        "text": "form",
        "thread_ts": "1767225500.000100",
        "blocks": json.dumps([section("from a form")]),
        "metadata": json.dumps({"event_type": "e", "event_payload": {"k": "v"}}),
    }

    client.api_call("chat.postMessage", data=form)

    stored = slack.messages(CHANNEL)[0]
    assert stored["blocks"][0]["text"]["text"] == "from a form"
    assert stored["metadata"] == {"event_type": "e", "event_payload": {"k": "v"}}
    assert stored["thread_ts"] == "1767225500.000100"


def test_post_message_bad_blocks_json(client: WebClient) -> None:
    form = {"channel": CHANNEL, "text": "x", "blocks": "[{not json"}

    error = api_error(client.api_call, "chat.postMessage", data=form)

    assert error.response["error"] == "invalid_blocks_format"


@pytest.mark.parametrize(
    ("prepare", "channel", "expected"),
    [
        (lambda slack: None, "C0MISSING", "channel_not_found"),
        (lambda slack: slack.archive_channel(CHANNEL), CHANNEL, "is_archived"),
        (lambda slack: slack.set_bot_member(CHANNEL, False), CHANNEL, "not_in_channel"),
    ],
    ids=["missing", "archived", "not-member"],
)
def test_post_message_channel_errors(
    client: WebClient, slack: SlackStandIn, prepare: Any, channel: str, expected: str
) -> None:
    prepare(slack)

    error = api_error(client.chat_postMessage, channel=channel, text="hi")

    assert error.response["error"] == expected
    assert slack.messages(CHANNEL) == []


def test_post_message_without_content_is_no_text(client: WebClient) -> None:
    error = api_error(client.api_call, "chat.postMessage", json={"channel": CHANNEL})

    assert error.response["error"] == "no_text"


def test_post_message_to_user_opens_dm(client: WebClient, slack: SlackStandIn) -> None:
    response = client.chat_postMessage(channel=USER, text="Your task is due")

    assert response["channel"] == "D0ADA"
    assert slack.messages("D0ADA")[0]["text"] == "Your task is due"
    assert client.conversations_info(channel="D0ADA")["channel"]["is_im"] is True


# Block Kit limits through the API


def test_fifty_one_blocks_are_invalid(client: WebClient, slack: SlackStandIn) -> None:
    blocks = [section(f"row {index}") for index in range(51)]

    error = api_error(client.chat_postMessage, channel=CHANNEL, text="x", blocks=blocks)

    assert error.response["error"] == INVALID_BLOCKS
    assert error.response["response_metadata"]["messages"]
    assert slack.messages(CHANNEL) == []


def test_fifty_blocks_are_accepted(client: WebClient) -> None:
    blocks = [section(f"row {index}") for index in range(50)]

    assert client.chat_postMessage(channel=CHANNEL, text="x", blocks=blocks)["ok"] is True


def test_long_section_names_the_field(client: WebClient) -> None:
    blocks = [section("ok"), section("x" * 3001)]

    error = api_error(client.chat_postMessage, channel=CHANNEL, text="x", blocks=blocks)

    assert error.response["error"] == INVALID_BLOCKS
    messages = error.response["response_metadata"]["messages"]
    assert messages == [
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/1/text/text]"
    ]


def test_block_text_over_13000_is_too_long(client: WebClient) -> None:
    blocks = [section("x" * 2600) for _ in range(5)] + [section("y")]

    error = api_error(client.chat_postMessage, channel=CHANNEL, text="x", blocks=blocks)

    assert error.response["error"] == MSG_BLOCKS_TOO_LONG


def test_block_text_of_13000_is_accepted(client: WebClient) -> None:
    blocks = [section("x" * 2600) for _ in range(5)]

    assert client.chat_postMessage(channel=CHANNEL, text="x", blocks=blocks)["ok"] is True


def test_top_level_text_over_40000_is_too_long(client: WebClient) -> None:
    error = api_error(client.chat_postMessage, channel=CHANNEL, text="x" * 40_001)

    assert error.response["error"] == MSG_TOO_LONG


def test_duplicate_block_id_is_invalid(client: WebClient) -> None:
    blocks = [section("a", "same"), section("b", "same")]

    error = api_error(client.chat_postMessage, channel=CHANNEL, text="x", blocks=blocks)

    assert error.response["error"] == INVALID_BLOCKS


def test_limits_apply_to_update_and_ephemeral(client: WebClient) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="x")["ts"]
    too_many = [section(str(index)) for index in range(51)]

    update_error = api_error(client.chat_update, channel=CHANNEL, ts=ts, text="x", blocks=too_many)
    ephemeral_error = api_error(
        client.chat_postEphemeral, channel=CHANNEL, user=USER, text="x", blocks=too_many
    )

    assert update_error.response["error"] == INVALID_BLOCKS
    assert ephemeral_error.response["error"] == INVALID_BLOCKS


# Pure limit checks


def actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([section("fine")], None),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 150}}], None),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], INVALID_BLOCKS),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}], INVALID_BLOCKS),
        ([section("x", "b" * 256)], INVALID_BLOCKS),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], INVALID_BLOCKS),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}], INVALID_BLOCKS),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2000}] * 6}], None),
        ([{"type": "section"}], INVALID_BLOCKS),
        ([section("")], INVALID_BLOCKS),
        ([{"type": "secton", "text": {"type": "mrkdwn", "text": "typo"}}], INVALID_BLOCKS),
        ([actions(button("b" * 75))], None),
        ([actions(button("b" * 76))], INVALID_BLOCKS),
        ([actions(button(value="v" * 2001))], INVALID_BLOCKS),
        ([actions(button(action_id="a" * 256))], INVALID_BLOCKS),
        ([actions(button(style="green"))], INVALID_BLOCKS),
        ([actions(*[button(action_id=f"b{index}") for index in range(25)])], None),
        ([actions(*[button(action_id=f"b{index}") for index in range(26)])], INVALID_BLOCKS),
        ([actions(button(), button())], INVALID_BLOCKS),
        ([actions()], INVALID_BLOCKS),
        ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 10}], None),
        ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}], INVALID_BLOCKS),
        ([actions({"type": "overflow", "action_id": "o", "options": options(5)})], None),
        ([actions({"type": "overflow", "action_id": "o", "options": options(6)})], INVALID_BLOCKS),
        ([actions({"type": "overflow", "action_id": "o", "options": options(1)})], INVALID_BLOCKS),
        ([actions({"type": "static_select", "action_id": "s", "options": options(100)})], None),
        (
            [actions({"type": "static_select", "action_id": "s", "options": options(101)})],
            INVALID_BLOCKS,
        ),
        (
            [actions({"type": "static_select", "action_id": "s", "options": options(2, 76)})],
            INVALID_BLOCKS,
        ),
        (
            [
                actions(
                    {
                        "type": "static_select",
                        "action_id": "s",
                        "options": options(2),
                        "placeholder": {"type": "plain_text", "text": "p" * 151},
                    }
                )
            ],
            INVALID_BLOCKS,
        ),
        (
            [actions({"type": "datepicker", "action_id": "d", "initial_date": "2026-1-5"})],
            INVALID_BLOCKS,
        ),
        (
            [actions({"type": "checkboxes", "action_id": "c", "options": options(11)})],
            INVALID_BLOCKS,
        ),
        (
            [
                actions(
                    button(
                        confirm={
                            "title": {"type": "plain_text", "text": "t" * 101},
                            "text": {"type": "plain_text", "text": "sure?"},
                            "confirm": {"type": "plain_text", "text": "Yes"},
                            "deny": {"type": "plain_text", "text": "No"},
                        }
                    )
                )
            ],
            INVALID_BLOCKS,
        ),
    ],
)
def test_check_message_limits(blocks: list[Any], expected: str | None) -> None:
    assert check_message(blocks, "fallback") == expected


def test_check_message_custom_block_limit() -> None:
    blocks = [section(str(index)) for index in range(60)]

    assert check_message(blocks, "x", limit=100) is None
    assert check_message(blocks, "x") == INVALID_BLOCKS


def test_problem_lists_every_bad_field() -> None:
    blocks = [section("x" * 3001), actions(button("b" * 76))]

    problem = find_message_problem(blocks, "x")

    assert problem is not None
    assert len(problem.messages) == 2
    assert "/blocks/1/elements/0/text/text" in problem.messages[1]


def test_check_view_limits() -> None:
    input_block = {
        "type": "input",
        "label": {"type": "plain_text", "text": "Task"},
        "element": {"type": "plain_text_input", "action_id": "value", "max_length": 3000},
    }
    submit = {"type": "plain_text", "text": "Save"}

    assert check_view(modal(blocks=[section(str(index)) for index in range(100)])) is None
    assert (
        check_view(modal(blocks=[section(str(index)) for index in range(101)])) == INVALID_ARGUMENTS
    )
    assert check_view(modal(title="t" * 25)) == INVALID_ARGUMENTS
    assert check_view(modal(blocks=[input_block])) == INVALID_ARGUMENTS
    assert check_view(modal(blocks=[input_block], submit=submit)) is None
    assert check_view(modal(private_metadata="m" * 3001)) == INVALID_ARGUMENTS
    assert check_view({"type": "home", "blocks": [section("home")]}) is None
    assert check_view({"type": "workflow", "blocks": []}) == INVALID_ARGUMENTS


# chat.update, chat.delete, chat.postEphemeral, chat.getPermalink


def test_update_replaces_text_and_keeps_blocks(client: WebClient, slack: SlackStandIn) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="old", blocks=[section("body", "b1")])["ts"]

    response = client.chat_update(channel=CHANNEL, ts=ts, text="new")

    assert response["ts"] == ts
    stored = slack.message(CHANNEL, ts)
    assert stored is not None
    assert stored["text"] == "new"
    assert stored["blocks"][0]["block_id"] == "b1"
    assert stored["updated"] == 1


def test_update_missing_message(client: WebClient) -> None:
    error = api_error(client.chat_update, channel=CHANNEL, ts="1.000100", text="x")

    assert error.response["error"] == "message_not_found"


def test_update_someone_elses_message(client: WebClient, slack: SlackStandIn) -> None:
    ts = slack.add_message(CHANNEL, USER, "written by Ada")

    error = api_error(client.chat_update, channel=CHANNEL, ts=ts, text="edited")

    assert error.response["error"] == "cant_update_message"
    assert slack.message(CHANNEL, ts)["text"] == "written by Ada"  # type: ignore[index]


def test_delete_removes_message(client: WebClient, slack: SlackStandIn) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="bye")["ts"]

    client.chat_delete(channel=CHANNEL, ts=ts)

    assert slack.messages(CHANNEL) == []
    assert api_error(client.chat_delete, channel=CHANNEL, ts=ts).response["error"] == (
        "message_not_found"
    )


def test_ephemeral_is_stored_per_user(client: WebClient, slack: SlackStandIn) -> None:
    response = client.chat_postEphemeral(channel=CHANNEL, user=USER, text="only for Ada")

    assert response["message_ts"] == "1767225600.000100"
    assert [e["text"] for e in slack.ephemerals(CHANNEL, USER)] == ["only for Ada"]
    assert slack.ephemerals(CHANNEL, GUEST) == []
    assert slack.messages(CHANNEL) == []


def test_ephemeral_unknown_user(client: WebClient) -> None:
    error = api_error(client.chat_postEphemeral, channel=CHANNEL, user="U0NOBODY", text="x")

    assert error.response["error"] == "user_not_found"


def test_permalink_points_at_message(client: WebClient, slack: SlackStandIn) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="x")["ts"]

    permalink = client.chat_getPermalink(channel=CHANNEL, message_ts=ts)["permalink"]

    assert permalink == f"{slack.base_url}archives/{CHANNEL}/p1767225600000100"


# users.info and conversations.*


def test_users_info_returns_profile(client: WebClient) -> None:
    user = client.users_info(user=USER)["user"]

    assert user["team_id"] == "T0HOME"
    assert user["real_name"] == "Ada Lovelace"
    assert user["tz"] == "America/New_York"
    assert user["tz_offset"] == -5 * 3600
    assert user["is_bot"] is False


def test_users_info_guest_keeps_home_team(client: WebClient) -> None:
    assert client.users_info(user=GUEST)["user"]["team_id"] == "T0GUEST"


def test_users_info_unknown_user(client: WebClient) -> None:
    assert api_error(client.users_info, user="U0NOBODY").response["error"] == "user_not_found"


def test_conversations_info_fields(client: WebClient, slack: SlackStandIn) -> None:
    slack.add_channel("C0SHARED", "deal-shared", is_ext_shared=True)
    slack.archive_channel("C0SHARED")

    channel = client.conversations_info(channel="C0SHARED")["channel"]

    assert channel["name"] == "deal-shared"
    assert channel["is_ext_shared"] is True
    assert channel["is_archived"] is True


def test_conversations_info_unknown_channel(client: WebClient) -> None:
    error = api_error(client.conversations_info, channel="C0NOPE")

    assert error.response["error"] == "channel_not_found"


def test_history_is_newest_first_with_limit(client: WebClient) -> None:
    for index in range(4):
        client.chat_postMessage(channel=CHANNEL, text=f"m{index}")

    page = client.conversations_history(channel=CHANNEL, limit=3)

    assert [m["text"] for m in page["messages"]] == ["m3", "m2", "m1"]
    assert page["has_more"] is True
    cursor = page["response_metadata"]["next_cursor"]
    rest = client.conversations_history(channel=CHANNEL, limit=3, cursor=cursor)
    assert [m["text"] for m in rest["messages"]] == ["m0"]
    assert rest["has_more"] is False


def test_history_oldest_and_latest_bounds(client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel=CHANNEL, text=f"m{i}")["ts"] for i in range(4)]

    window = client.conversations_history(channel=CHANNEL, oldest=stamps[0], latest=stamps[3])
    inclusive = client.conversations_history(
        channel=CHANNEL, oldest=stamps[0], latest=stamps[3], inclusive=True
    )

    assert [m["text"] for m in window["messages"]] == ["m2", "m1"]
    assert [m["text"] for m in inclusive["messages"]] == ["m3", "m2", "m1", "m0"]


def test_history_rejects_bad_bounds(client: WebClient) -> None:
    latest = api_error(client.conversations_history, channel=CHANNEL, latest="yesterday")
    cursor = api_error(client.conversations_history, channel=CHANNEL, cursor="abc")

    assert latest.response["error"] == "invalid_ts_latest"
    assert cursor.response["error"] == "invalid_cursor"


def test_history_metadata_only_on_request(client: WebClient) -> None:
    metadata = {"event_type": "plan_posted", "event_payload": {"plan_id": 3}}
    client.chat_postMessage(channel=CHANNEL, text="x", metadata=metadata)

    plain = client.conversations_history(channel=CHANNEL)["messages"][0]
    full = client.conversations_history(channel=CHANNEL, include_all_metadata=True)["messages"][0]

    assert "metadata" not in plain
    assert full["metadata"] == metadata


def test_history_leaves_out_thread_replies(client: WebClient) -> None:
    parent = client.chat_postMessage(channel=CHANNEL, text="parent")["ts"]
    client.chat_postMessage(channel=CHANNEL, text="reply", thread_ts=parent)

    texts = [m["text"] for m in client.conversations_history(channel=CHANNEL)["messages"]]

    assert texts == ["parent"]


# Views


def test_views_open_with_issued_trigger(client: WebClient, slack: SlackStandIn) -> None:
    trigger_id = slack.new_trigger_id(USER)

    view = client.views_open(trigger_id=trigger_id, view=modal(callback_id="task_new"))["view"]

    assert view["id"].startswith("V")
    assert view["root_view_id"] == view["id"]
    assert view["callback_id"] == "task_new"
    assert [v["id"] for v in slack.views(USER)] == [view["id"]]


def test_views_open_trigger_works_once(client: WebClient, slack: SlackStandIn) -> None:
    trigger_id = slack.new_trigger_id(USER)
    client.views_open(trigger_id=trigger_id, view=modal())

    error = api_error(client.views_open, trigger_id=trigger_id, view=modal())

    assert error.response["error"] == "exchanged_trigger_id"


def test_views_open_trigger_expires(
    client: WebClient, slack: SlackStandIn, clock: FakeClock
) -> None:
    trigger_id = slack.new_trigger_id(USER)
    clock.advance(3.5)

    error = api_error(client.views_open, trigger_id=trigger_id, view=modal())

    assert error.response["error"] == "expired_trigger_id"
    assert slack.views() == []


def test_views_open_unknown_trigger(client: WebClient, clock: FakeClock) -> None:
    error = api_error(client.views_open, trigger_id="123.456.made-up", view=modal())

    assert error.response["error"] == "invalid_trigger_id"
    with SlackStandIn(clock=clock, strict_triggers=False) as lenient:
        lenient_client = WebClient(token=lenient.bot_token, base_url=lenient.api_url)
        assert lenient_client.views_open(trigger_id="123.456.made-up", view=modal())["ok"]


def test_views_open_rejects_bad_view(client: WebClient, slack: SlackStandIn) -> None:
    error = api_error(
        client.views_open, trigger_id=slack.new_trigger_id(USER), view=modal(title="t" * 25)
    )

    assert error.response["error"] == INVALID_ARGUMENTS
    assert "/view/title/text" in error.response["response_metadata"]["messages"][0]


def test_views_update_by_id_and_hash(client: WebClient, slack: SlackStandIn) -> None:
    opened = client.views_open(trigger_id=slack.new_trigger_id(USER), view=modal())["view"]

    updated = client.views_update(
        view_id=opened["id"], hash=opened["hash"], view=modal(title="Saved")
    )["view"]
    conflict = api_error(
        client.views_update, view_id=opened["id"], hash=opened["hash"], view=modal()
    )

    assert updated["id"] == opened["id"]
    assert updated["title"]["text"] == "Saved"
    assert updated["hash"] != opened["hash"]
    assert conflict.response["error"] == "hash_conflict"


def test_views_update_by_external_id(client: WebClient, slack: SlackStandIn) -> None:
    client.views_open(trigger_id=slack.new_trigger_id(USER), view=modal(external_id="plan-7"))

    updated = client.views_update(
        external_id="plan-7", view=modal(title="Again", external_id="plan-7")
    )

    assert updated["view"]["title"]["text"] == "Again"
    missing = api_error(client.views_update, external_id="plan-8", view=modal())
    assert missing.response["error"] == "not_found"


def test_views_push_stacks_up_to_three(client: WebClient, slack: SlackStandIn) -> None:
    root = client.views_open(trigger_id=slack.new_trigger_id(USER), view=modal())["view"]
    second = client.views_push(trigger_id=slack.new_trigger_id(USER), view=modal())["view"]
    client.views_push(trigger_id=slack.new_trigger_id(USER), view=modal())

    error = api_error(client.views_push, trigger_id=slack.new_trigger_id(USER), view=modal())

    assert second["root_view_id"] == root["id"]
    assert second["previous_view_id"] == root["id"]
    assert error.response["error"] == "push_limit_reached"
    assert len(slack.views(USER)) == 3


def test_views_publish_home_per_user(client: WebClient, slack: SlackStandIn) -> None:
    home = {"type": "home", "blocks": [section("Your tasks")]}

    first = client.views_publish(user_id=USER, view=home)["view"]
    second = client.views_publish(user_id=USER, view=home, hash=first["hash"])["view"]
    conflict = api_error(client.views_publish, user_id=USER, view=home, hash=first["hash"])

    assert second["id"] == first["id"]
    assert conflict.response["error"] == "hash_conflict"
    assert [view["type"] for view in slack.views(USER)] == ["home"]
    missing = api_error(client.views_publish, user_id="U0NOBODY", view=home)
    assert missing.response["error"] == "user_not_found"


def test_submission_response_closes_or_updates(client: WebClient, slack: SlackStandIn) -> None:
    view = client.views_open(trigger_id=slack.new_trigger_id(USER), view=modal())["view"]

    errors_outcome = slack.apply_submission_response(
        view["id"], {"response_action": "errors", "errors": {}}
    )
    updated = slack.apply_submission_response(
        view["id"], {"response_action": "update", "view": modal(title="Step 2")}
    )
    assert errors_outcome is None
    assert updated is not None
    assert slack.view(view["id"])["title"]["text"] == "Step 2"  # type: ignore[index]

    slack.apply_submission_response(view["id"], None)
    assert slack.views(USER) == []


# Fault injection and rate limits


def test_fail_next_429_shows_retry_after(client: WebClient, slack: SlackStandIn) -> None:
    slack.fail_next("chat.postMessage", retry_after=7)

    error = api_error(client.chat_postMessage, channel=CHANNEL, text="x")

    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"
    assert error.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel=CHANNEL, text="x")["ok"] is True
    assert len(slack.calls_to("chat.postMessage")) == 2


def test_fail_next_counts_calls(client: WebClient, slack: SlackStandIn) -> None:
    slack.fail_next("chat.update", status=500, count=2)
    ts = client.chat_postMessage(channel=CHANNEL, text="x")["ts"]

    statuses = []
    for _ in range(3):
        try:
            client.chat_update(channel=CHANNEL, ts=ts, text="y")
            statuses.append(200)
        except SlackApiError as exc:
            statuses.append(exc.response.status_code)

    assert statuses == [500, 500, 200]


def test_fail_next_with_error_code(client: WebClient, slack: SlackStandIn) -> None:
    slack.fail_next("chat.postMessage", error="channel_not_found")

    error = api_error(client.chat_postMessage, channel=CHANNEL, text="x")

    assert error.response.status_code == 200
    assert error.response["error"] == "channel_not_found"
    assert slack.messages(CHANNEL) == []


def test_rate_limit_per_channel(client: WebClient, slack: SlackStandIn, clock: FakeClock) -> None:
    slack.add_channel("C0OTHER", "deal-other")
    slack.set_rate_limit(per_channel_per_second=1)
    client.chat_postMessage(channel=CHANNEL, text="first")

    limited = api_error(client.chat_postMessage, channel=CHANNEL, text="second")
    other = client.chat_postMessage(channel="C0OTHER", text="elsewhere")
    clock.advance(1.0)
    later = client.chat_postMessage(channel=CHANNEL, text="later")

    assert limited.response.status_code == 429
    assert limited.response.headers["Retry-After"] == "1"
    assert other["ok"] is True
    assert later["ok"] is True
    assert [m["text"] for m in slack.messages(CHANNEL)] == ["first", "later"]


# Call records


def test_calls_record_params_without_token(client: WebClient, slack: SlackStandIn) -> None:
    client.chat_postMessage(channel=CHANNEL, text="x")
    client.users_info(user=USER)

    assert [method for method, _ in slack.calls] == ["chat.postMessage", "users.info"]
    assert slack.calls_to("users.info") == [{"user": USER}]
    assert all("token" not in params for _, params in slack.calls)
    slack.reset_calls()
    assert slack.calls == []


def test_concurrent_posts_get_unique_timestamps(slack: SlackStandIn) -> None:
    def post_ten() -> None:
        worker = WebClient(token=slack.bot_token, base_url=slack.api_url, retry_handlers=[])
        for index in range(10):
            worker.chat_postMessage(channel=CHANNEL, text=str(index))

    threads = [threading.Thread(target=post_ten) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stamps = [message["ts"] for message in slack.messages(CHANNEL)]
    assert len(stamps) == 40
    assert len(set(stamps)) == 40
    assert stamps == sorted(stamps, key=float)


# response_url


def test_response_url_defaults_to_ephemeral(slack: SlackStandIn) -> None:
    url = slack.new_response_url(CHANNEL, USER)

    response = WebhookClient(url).send(text="Only you can see this")

    assert (response.status_code, response.body) == (200, "ok")
    assert [e["text"] for e in slack.ephemerals(CHANNEL, USER)] == ["Only you can see this"]
    assert slack.messages(CHANNEL) == []
    assert slack.calls[-1][0] == "response_url"


def test_response_url_in_channel_posts(slack: SlackStandIn) -> None:
    url = slack.new_response_url(CHANNEL, USER)

    WebhookClient(url).send(text="Everyone sees this", response_type="in_channel")

    assert [m["text"] for m in slack.messages(CHANNEL)] == ["Everyone sees this"]
    assert slack.messages(CHANNEL)[0]["user"] == "U0MAPBOT"


def test_response_url_replaces_original_message(slack: SlackStandIn) -> None:
    ts = slack.post_as_bot(CHANNEL, "Task 1: Not started")
    url = slack.new_response_url(CHANNEL, USER, message_ts=ts)

    WebhookClient(url).send(text="Task 1: Completed", replace_original=True)

    stored = slack.message(CHANNEL, ts)
    assert stored is not None
    assert stored["text"] == "Task 1: Completed"
    assert stored["updated"] == 1
    assert slack.ephemerals(CHANNEL) == []


def test_response_url_deletes_original(slack: SlackStandIn) -> None:
    ts = slack.post_as_bot(CHANNEL, "Pick a task")
    url = slack.new_response_url(CHANNEL, USER, message_ts=ts)

    response = WebhookClient(url).send_dict({"delete_original": True})

    assert response.status_code == 200
    assert slack.messages(CHANNEL) == []


def test_command_url_replaces_last_ephemeral(slack: SlackStandIn) -> None:
    url = slack.new_response_url(CHANNEL, USER)
    client = WebhookClient(url)

    client.send(text="Working on it")
    client.send(text="Done", replace_original=True)

    assert [e["text"] for e in slack.ephemerals(CHANNEL, USER)] == ["Done"]


def test_response_url_takes_five_posts(slack: SlackStandIn) -> None:
    client = WebhookClient(slack.new_response_url(CHANNEL, USER))

    statuses = [client.send(text=f"reply {index}").status_code for index in range(6)]
    last = client.send(text="again")

    assert statuses == [200, 200, 200, 200, 200, 404]
    assert last.body == "used_url"
    assert len(slack.ephemerals(CHANNEL, USER)) == 5


def test_response_url_expires(slack: SlackStandIn, clock: FakeClock) -> None:
    client = WebhookClient(slack.new_response_url(CHANNEL, USER))
    clock.advance(30 * 60 + 1)

    response = client.send(text="too late")

    assert (response.status_code, response.body) == (404, "expired_url")


def test_response_url_checks_blocks(slack: SlackStandIn) -> None:
    client = WebhookClient(slack.new_response_url(CHANNEL, USER))

    response = client.send(text="x", blocks=[section(str(index)) for index in range(51)])

    assert (response.status_code, response.body) == (400, INVALID_BLOCKS)
    assert slack.ephemerals(CHANNEL) == []


def test_unknown_response_url(slack: SlackStandIn) -> None:
    response = WebhookClient(f"{slack.base_url}respond/nope").send(text="x")

    assert response.status_code == 404
