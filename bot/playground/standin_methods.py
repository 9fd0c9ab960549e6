"""Web API methods of the Slack stand-in, each a function of the state and the call's params.

A method returns the fields of a successful response (without `ok`) or raises
ApiError with Slack's error code. Callers hold the stand-in's lock.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.playground.standin_limits import (
    MESSAGE_BLOCK_LIMIT,
    assign_block_ids,
    find_message_problem,
    find_view_problem,
)
from bot.playground.standin_state import (
    TRIGGER_LIFETIME_SECONDS,
    VIEW_STACK_MAX,
    ApiError,
    Channel,
    StandInState,
    StoredEphemeral,
    StoredMessage,
    StoredView,
)

Params = dict[str, Any]
Method = Callable[[StandInState, Params], dict[str, Any]]

HISTORY_DEFAULT_LIMIT = 100
HISTORY_MAX_LIMIT = 999


def json_param(params: Params, name: str, error: str) -> Any:
    """Return a parameter that may arrive as a JSON string (form bodies) or as JSON."""
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ApiError(error) from exc
    return value


def bool_param(params: Params, name: str) -> bool:
    value = params.get(name)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def str_param(params: Params, name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    return str(value)


def check_message_content(text: str | None, blocks: Any, *, require_content: bool) -> None:
    """Raise the ApiError that Slack gives for missing or oversized message content."""
    if require_content and not text and not blocks:
        raise ApiError("no_text")
    problem = find_message_problem(blocks, text, MESSAGE_BLOCK_LIMIT)
    if problem is not None:
        raise ApiError(problem.code, messages=problem.messages)


def message_blocks(state: StandInState, blocks: Any) -> list[Any]:
    if not blocks:
        return []
    return assign_block_ids(copy.deepcopy(blocks), f"sb{state.next_number()}-")


def writable_channel(state: StandInState, channel_id: str | None) -> Channel:
    """Resolve the channel a message goes to, with Slack's errors for unusable ones."""
    if not channel_id:
        raise ApiError("channel_not_found")
    if channel_id not in state.channels and channel_id in state.users:
        return direct_message_channel(state, channel_id)
    channel = state.channel(channel_id)
    if channel.is_archived:
        raise ApiError("is_archived")
    if not channel.bot_is_member:
        raise ApiError("not_in_channel")
    return channel


def direct_message_channel(state: StandInState, user_id: str) -> Channel:
    """Return the bot's DM with a user, creating it as Slack does on first post."""
    if state.users[user_id].deleted:
        raise ApiError("user_disabled")
    channel_id = f"D{user_id[1:]}"
    if channel_id not in state.channels:
        state.channels[channel_id] = Channel(
            id=channel_id, name=user_id, im_user=user_id, created=int(state.clock())
        )
    return state.channels[channel_id]


def check_rate_limit(state: StandInState, channel_id: str) -> None:
    """Reject with 429 when a channel gets more chat.postMessage calls than the set rate."""
    limit = state.rate_limit_per_second
    if limit is None:
        return
    now = state.clock()
    recent = [moment for moment in state.post_times.get(channel_id, []) if moment > now - 1.0]
    if len(recent) >= limit:
        retry_after = max(1, math.ceil(recent[0] + 1.0 - now))
        headers = {"Retry-After": str(retry_after)}
        raise ApiError("ratelimited", status=429, headers=headers)
    recent.append(now)
    state.post_times[channel_id] = recent


def metadata_param(params: Params) -> dict[str, Any] | None:
    metadata = json_param(params, "metadata", "invalid_metadata_format")
    if metadata is None:
        return None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str):
        raise ApiError("invalid_metadata_format")
    payload = metadata.get("event_payload", {})
    if not isinstance(payload, dict):
        raise ApiError("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": copy.deepcopy(payload)}


def auth_test(state: StandInState, params: Params) -> dict[str, Any]:
    config = state.config
    return {
        "url": state.base_url,
        "team": config.team_name,
        "user": state.users[config.bot_user_id].name,
        "team_id": config.team_id,
        "user_id": config.bot_user_id,
        "bot_id": config.bot_id,
        "is_enterprise_install": False,
    }


def chat_post_message(state: StandInState, params: Params) -> dict[str, Any]:
    channel = writable_channel(state, str_param(params, "channel"))
    text = str_param(params, "text")
    blocks = json_param(params, "blocks", "invalid_blocks_format")
    check_message_content(text, blocks, require_content=True)
    metadata = metadata_param(params)
    check_rate_limit(state, channel.id)

    message = post_bot_message(
        state, channel.id, text or "", blocks, str_param(params, "thread_ts"), metadata
    )
    return {"channel": channel.id, "ts": message.ts, "message": message.api_object()}


def post_bot_message(
    state: StandInState,
    channel_id: str,
    text: str,
    blocks: Any,
    thread_ts: str | None,
    metadata: dict[str, Any] | None = None,
) -> StoredMessage:
    config = state.config
    message = StoredMessage(
        channel=channel_id,
        ts=state.next_ts(),
        text=text,
        blocks=message_blocks(state, blocks),
        user=config.bot_user_id,
        team=config.team_id,
        bot_id=config.bot_id,
        app_id=config.app_id,
        metadata=metadata,
        thread_ts=thread_ts,
    )
    state.messages.setdefault(channel_id, []).append(message)
    return message


def bot_message(state: StandInState, params: Params, not_yours: str) -> StoredMessage:
    channel_id = str_param(params, "channel") or ""
    state.channel(channel_id)
    message = state.find_message(channel_id, str_param(params, "ts") or "")
    if message is None:
        raise ApiError("message_not_found")
    if message.user != state.config.bot_user_id:
        raise ApiError(not_yours)
    return message


def chat_update(state: StandInState, params: Params) -> dict[str, Any]:
    message = bot_message(state, params, "cant_update_message")
    if state.channels[message.channel].is_archived:
        raise ApiError("is_archived")
    text = params.get("text")
    blocks = json_param(params, "blocks", "invalid_blocks_format")
    metadata = metadata_param(params)
    if text is None and blocks is None and metadata is None:
        raise ApiError("no_text")
    check_message_content(text, blocks, require_content=False)

    # Fields left out of chat.update keep their previous values, as on Slack.
    if text is not None:
        message.text = str(text)
    if blocks is not None:
        message.blocks = message_blocks(state, blocks)
    if metadata is not None:
        message.metadata = metadata
    message.updated += 1
    return {
        "channel": message.channel,
        "ts": message.ts,
        "text": message.text,
        "message": message.api_object(),
    }


def chat_delete(state: StandInState, params: Params) -> dict[str, Any]:
    message = bot_message(state, params, "cant_delete_message")
    state.messages[message.channel].remove(message)
    return {"channel": message.channel, "ts": message.ts}


def chat_post_ephemeral(state: StandInState, params: Params) -> dict[str, Any]:
    channel = writable_channel(state, str_param(params, "channel"))
    user_id = str_param(params, "user") or ""
    user = state.users.get(user_id)
    if user is None:
        raise ApiError("user_not_found")
    if user.deleted:
        raise ApiError("user_disabled")
    text = str_param(params, "text")
    blocks = json_param(params, "blocks", "invalid_blocks_format")
    check_message_content(text, blocks, require_content=True)

    ephemeral = StoredEphemeral(
        channel=channel.id,
        user=user_id,
        ts=state.next_ts(),
        text=text or "",
        blocks=message_blocks(state, blocks),
        source="chat.postEphemeral",
        thread_ts=str_param(params, "thread_ts"),
    )
    state.ephemerals.append(ephemeral)
    return {"message_ts": ephemeral.ts}


def chat_get_permalink(state: StandInState, params: Params) -> dict[str, Any]:
    channel_id = str_param(params, "channel") or ""
    state.channel(channel_id)
    ts = str_param(params, "message_ts") or ""
    if state.find_message(channel_id, ts) is None:
        raise ApiError("message_not_found")
    permalink = f"{state.base_url}archives/{channel_id}/p{ts.replace('.', '')}"
    return {"channel": channel_id, "permalink": permalink}


def conversations_info(state: StandInState, params: Params) -> dict[str, Any]:
    channel = state.channel(str_param(params, "channel") or "")
    return {"channel": channel_object(state, channel)}


def channel_object(state: StandInState, channel: Channel) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": channel.id,
        "name": channel.name,
        "is_channel": channel.im_user is None and not channel.is_private,
        "is_group": channel.is_private,
        "is_im": channel.im_user is not None,
        "is_private": channel.is_private or channel.im_user is not None,
        "is_archived": channel.is_archived,
        "is_member": channel.bot_is_member,
        "is_shared": channel.is_ext_shared,
        "is_ext_shared": channel.is_ext_shared,
        "context_team_id": state.config.team_id,
        "created": channel.created,
    }
    if channel.im_user is not None:
        result["user"] = channel.im_user
    return result


def conversations_history(state: StandInState, params: Params) -> dict[str, Any]:
    channel = state.channel(str_param(params, "channel") or "")
    if not channel.bot_is_member:
        raise ApiError("not_in_channel")
    limit = history_limit(params)
    include_metadata = bool_param(params, "include_all_metadata")
    inclusive = bool_param(params, "inclusive")
    oldest = ts_param(params, "oldest", 0.0)
    latest = ts_param(params, "latest", math.inf)

    top_level = [
        message
        for message in state.messages.get(channel.id, [])
        if message.thread_ts is None or message.thread_ts == message.ts
    ]
    selected = [
        message
        for message in reversed(top_level)
        if in_window(float(message.ts), oldest, latest, inclusive)
    ]
    start = cursor_param(params)
    page = selected[start : start + limit]
    has_more = start + limit < len(selected)
    return {
        "messages": [m.api_object(include_metadata=include_metadata) for m in page],
        "has_more": has_more,
        "pin_count": 0,
        "response_metadata": {"next_cursor": str(start + limit) if has_more else ""},
    }


def ts_param(params: Params, name: str, default: float) -> float:
    raw = str_param(params, name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ApiError(f"invalid_ts_{name}") from exc


def cursor_param(params: Params) -> int:
    raw = str_param(params, "cursor") or "0"
    if not raw.isdecimal():
        raise ApiError("invalid_cursor")
    return int(raw)


def history_limit(params: Params) -> int:
    raw = str_param(params, "limit")
    if raw is None:
        return HISTORY_DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError as exc:
        raise ApiError("invalid_limit") from exc
    return min(max(value, 1), HISTORY_MAX_LIMIT)


def in_window(ts: float, oldest: float, latest: float, inclusive: bool) -> bool:
    if inclusive:
        return oldest <= ts <= latest
    return oldest < ts < latest


def conversations_open(state: StandInState, params: Params) -> dict[str, Any]:
    """Return the bot's DM channel with one user, creating it if needed.

    NOTE: only one-user DMs are modelled. A list of users, which opens a
    multi-person DM on Slack, is rejected with `not_supported`.
    """
    users = [user for user in (str_param(params, "users") or "").split(",") if user]
    if not users:
        raise ApiError("users_list_not_supplied")
    if len(users) > 1:
        raise ApiError("not_supported")
    if users[0] not in state.users:
        raise ApiError("user_not_found")
    channel = direct_message_channel(state, users[0])
    return {"channel": {"id": channel.id}}


def users_info(state: StandInState, params: Params) -> dict[str, Any]:
    user = state.users.get(str_param(params, "user") or "")
    if user is None:
        raise ApiError("user_not_found")
    return {
        "user": {
            "id": user.id,
            "team_id": user.team_id,
            "name": user.name,
            "real_name": user.real_name,
            "deleted": user.deleted,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "tz": user.tz,
            "tz_label": user.tz,
            "tz_offset": tz_offset_seconds(user.tz, state.clock()),
            "profile": {
                "real_name": user.real_name,
                "display_name": user.name,
                "team": user.team_id,
            },
        }
    }


def tz_offset_seconds(tz_name: str, now: float) -> int:
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    offset = datetime.fromtimestamp(now, zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def take_trigger(state: StandInState, params: Params) -> str | None:
    """Use up the trigger_id of a views.open or views.push call and return its user."""
    trigger_id = str_param(params, "trigger_id") or str_param(params, "interactivity_pointer")
    if trigger_id is None:
        raise ApiError("invalid_trigger_id")
    trigger = state.triggers.get(trigger_id)
    if trigger is None:
        if state.config.strict_triggers:
            raise ApiError("invalid_trigger_id")
        return None
    if trigger.used:
        raise ApiError("exchanged_trigger_id")
    if state.clock() - trigger.issued_at > TRIGGER_LIFETIME_SECONDS:
        raise ApiError("expired_trigger_id")
    trigger.used = True
    return trigger.user


def view_param(state: StandInState, params: Params, expected_type: str) -> dict[str, Any]:
    view = json_param(params, "view", "invalid_arguments")
    problem = find_view_problem(view)
    if problem is not None:
        raise ApiError(problem.code, messages=problem.messages)
    if not isinstance(view, dict):
        raise ApiError("invalid_arguments")
    if view.get("type") != expected_type:
        detail = f"[ERROR] must be {expected_type} [json-pointer:/view/type]"
        raise ApiError("invalid_arguments", messages=[detail])
    external_id = view.get("external_id")
    if external_id:
        holder = state.view_by_external_id(str(external_id))
        if holder is not None and holder.id != params.get("view_id"):
            raise ApiError("duplicate_external_id")
    definition = copy.deepcopy(view)
    definition["blocks"] = assign_block_ids(definition.get("blocks", []), "vb")
    return definition


def new_view(state: StandInState, user: str | None, definition: dict[str, Any]) -> StoredView:
    view_id = state.next_view_id()
    config = state.config
    view = StoredView(
        id=view_id,
        user=user,
        team_id=config.team_id,
        app_id=config.app_id,
        bot_id=config.bot_id,
        definition=definition,
        hash=state.next_hash(),
        root_view_id=view_id,
    )
    state.views[view_id] = view
    return view


def views_open(state: StandInState, params: Params) -> dict[str, Any]:
    definition = view_param(state, params, "modal")
    user = take_trigger(state, params)
    view = new_view(state, user, definition)
    if user is not None:
        state.modal_stacks[user] = [view.id]
    return {"view": view.api_object()}


def views_push(state: StandInState, params: Params) -> dict[str, Any]:
    definition = view_param(state, params, "modal")
    user = take_trigger(state, params)
    stack = state.modal_stacks.get(user or "", [])
    if not stack:
        raise ApiError("not_found")
    if len(stack) >= VIEW_STACK_MAX:
        raise ApiError("push_limit_reached")
    view = new_view(state, user, definition)
    view.root_view_id = stack[0]
    view.previous_view_id = stack[-1]
    stack.append(view.id)
    return {"view": view.api_object()}


def views_update(state: StandInState, params: Params) -> dict[str, Any]:
    view_id = str_param(params, "view_id")
    external_id = str_param(params, "external_id")
    view = state.open_view(view_id) if view_id else None
    if view is None and external_id:
        view = state.view_by_external_id(external_id)
    if view is None:
        raise ApiError("not_found")
    expected_hash = str_param(params, "hash")
    if expected_hash is not None and expected_hash != view.hash:
        raise ApiError("hash_conflict")

    params = {**params, "view_id": view.id}
    view.definition = view_param(state, params, view.type)
    view.hash = state.next_hash()
    return {"view": view.api_object()}


def views_publish(state: StandInState, params: Params) -> dict[str, Any]:
    user_id = str_param(params, "user_id") or ""
    if user_id not in state.users:
        raise ApiError("user_not_found")
    existing_id = state.home_views.get(user_id)
    existing = state.views.get(existing_id) if existing_id else None
    expected_hash = str_param(params, "hash")
    if existing is not None and expected_hash is not None and expected_hash != existing.hash:
        raise ApiError("hash_conflict")

    definition = view_param(state, {**params, "view_id": existing_id}, "home")
    if existing is None:
        existing = new_view(state, user_id, definition)
        state.home_views[user_id] = existing.id
    else:
        existing.definition = definition
        existing.hash = state.next_hash()
    return {"view": existing.api_object()}


METHODS: dict[str, Method] = {
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.getPermalink": chat_get_permalink,
    "conversations.info": conversations_info,
    "conversations.history": conversations_history,
    "conversations.open": conversations_open,
    "users.info": users_info,
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
}
