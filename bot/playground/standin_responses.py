"""Posts to the stand-in's response_url endpoints, handled the way Slack handles them.

A response_url belongs to one interaction: a channel, the user who acted and, for
a click on a message, that message's ts. Slack responds to a post with a
plain-text body, `ok` on success or an error code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.playground.standin_limits import MESSAGE_BLOCK_LIMIT, find_message_problem
from bot.playground.standin_methods import message_blocks, post_bot_message
from bot.playground.standin_state import (
    RESPONSE_URL_LIFETIME_SECONDS,
    RESPONSE_URL_MAX_POSTS,
    ResponseUrl,
    StandInState,
    StoredEphemeral,
)

# NOTE: Slack documents the 5-post and 30-minute limits but not the HTTP status
# of each failure. The stand-in returns 404 for an unknown, used or expired URL,
# 404 when the message to replace or delete is gone, and 400 for a bad payload.
STATUS_OK = 200
STATUS_BAD_PAYLOAD = 400
STATUS_NOT_FOUND = 404
STATUS_ARCHIVED = 410


@dataclass(frozen=True)
class TextResponse:
    status: int
    body: str


def post_to_response_url(state: StandInState, token: str, payload: Any) -> TextResponse:
    """Apply one post to a response_url: reply ephemerally, post, replace or delete."""
    target = state.response_urls.get(token)
    if target is None:
        return TextResponse(STATUS_NOT_FOUND, "invalid_url")
    if state.clock() - target.created_at > RESPONSE_URL_LIFETIME_SECONDS:
        return TextResponse(STATUS_NOT_FOUND, "expired_url")
    if target.posts >= RESPONSE_URL_MAX_POSTS:
        return TextResponse(STATUS_NOT_FOUND, "used_url")
    if not isinstance(payload, dict):
        return TextResponse(STATUS_BAD_PAYLOAD, "invalid_payload")
    target.posts += 1
    return apply_response(state, target, payload)


def apply_response(
    state: StandInState, target: ResponseUrl, payload: dict[str, Any]
) -> TextResponse:
    """Show a response payload for an interaction, without the URL's post budget.

    Slack does the same with the body of an app's response to a slash command.
    """
    if _flag(payload, "delete_original"):
        return _delete_original(state, target)

    text = payload.get("text")
    blocks = payload.get("blocks")
    if not text and not blocks:
        return TextResponse(STATUS_BAD_PAYLOAD, "no_text")
    problem = find_message_problem(blocks, text, MESSAGE_BLOCK_LIMIT)
    if problem is not None:
        return TextResponse(STATUS_BAD_PAYLOAD, problem.code)

    if _flag(payload, "replace_original") and _replace_original(state, target, text, blocks):
        return TextResponse(STATUS_OK, "ok")
    if payload.get("response_type") == "in_channel":
        return _post_in_channel(state, target, text, blocks, payload.get("thread_ts"))
    _post_ephemeral(state, target, text, blocks)
    return TextResponse(STATUS_OK, "ok")


def _flag(payload: dict[str, Any], name: str) -> bool:
    value = payload.get(name)
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _delete_original(state: StandInState, target: ResponseUrl) -> TextResponse:
    ts = target.message_ts or target.last_ephemeral_ts
    if ts is not None:
        message = state.find_message(target.channel, ts)
        if message is not None:
            state.messages[target.channel].remove(message)
            return TextResponse(STATUS_OK, "ok")
        ephemeral = state.find_ephemeral(target.channel, target.user, ts)
        if ephemeral is not None:
            state.ephemerals.remove(ephemeral)
            return TextResponse(STATUS_OK, "ok")
    return TextResponse(STATUS_NOT_FOUND, "message_not_found")


def _replace_original(state: StandInState, target: ResponseUrl, text: Any, blocks: Any) -> bool:
    """Replace the message the URL belongs to, or return False when there is none.

    A slash command's URL has no message, so "original" means the last ephemeral
    reply posted through the same URL.
    """
    ts = target.message_ts or target.last_ephemeral_ts
    if ts is None:
        return False
    message = state.find_message(target.channel, ts)
    if message is not None:
        message.text = str(text or "")
        message.blocks = message_blocks(state, blocks)
        message.updated += 1
        return True
    ephemeral = state.find_ephemeral(target.channel, target.user, ts)
    if ephemeral is not None:
        ephemeral.text = str(text or "")
        ephemeral.blocks = message_blocks(state, blocks)
        ephemeral.replaced += 1
        return True
    return False


def _post_in_channel(
    state: StandInState, target: ResponseUrl, text: Any, blocks: Any, thread_ts: Any
) -> TextResponse:
    channel = state.channels.get(target.channel)
    if channel is None:
        return TextResponse(STATUS_NOT_FOUND, "channel_not_found")
    if channel.is_archived:
        return TextResponse(STATUS_ARCHIVED, "channel_is_archived")
    thread = str(thread_ts) if thread_ts else None
    post_bot_message(state, channel.id, str(text or ""), blocks, thread)
    return TextResponse(STATUS_OK, "ok")


def _post_ephemeral(state: StandInState, target: ResponseUrl, text: Any, blocks: Any) -> None:
    ephemeral = StoredEphemeral(
        channel=target.channel,
        user=target.user,
        ts=state.next_ts(),
        text=str(text or ""),
        blocks=message_blocks(state, blocks),
        source="response_url",
    )
    state.ephemerals.append(ephemeral)
    target.last_ephemeral_ts = ephemeral.ts
