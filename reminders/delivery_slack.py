"""The Slack side of delivery: post an outbox message, find it again, classify failures."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.blocks.plan import Message
from storage.outbox import OutboxItem

logger = logging.getLogger(__name__)

# Every outbox message carries this metadata event type and its dedupe key,
# so a worker can tell from the channel history whether it was already posted.
METADATA_EVENT_TYPE = "mapbot_outbox"
HISTORY_PAGE_SIZE = 200

# Errors that mean this destination cannot take messages until people act:
# the channel is gone, archived or without the bot, or the user cannot get a DM.
# NOTE: Slack documents `account_inactive` as the bot token's workspace or user
# being deleted, which would fail every destination. It is treated as a
# destination error here, so each destination it hits gets blocked.
DESTINATION_ERRORS = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "account_inactive",
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "messages_tab_disabled",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "team_access_not_granted",
        "ekm_access_denied",
    }
)
# Errors about the app's token or scopes: every send would fail the same way.
TOKEN_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "not_allowed_token_type",
        "no_permission",
    }
)
# Slack documents that part of the operation may have succeeded for these.
UNCERTAIN_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
RATE_LIMITED_ERRORS = frozenset({"ratelimited", "rate_limited"})
DEFAULT_RETRY_AFTER_SECONDS = 1.0
UNEXPECTED_ERROR = "unexpected_error"


class Failure(Enum):
    """Meaning of a failed Web API call for its outbox row."""

    RATE_LIMITED = "rate_limited"  # not posted, so retry after Retry-After
    TRANSIENT = "transient"  # maybe posted, so retry later and check the history first
    DESTINATION = "destination"  # this channel or user is unusable, so block it
    TOKEN = "token"  # the app cannot send anything, so stop delivering
    MESSAGE = "message"  # this message is invalid, so fail the row


@dataclass(frozen=True)
class SendError:
    """A failed Web API call, classified, with Slack's error code or ours."""

    failure: Failure
    reason: str
    retry_after: float = 0.0


def classify(error: Exception) -> SendError:
    """Turn an exception from a Web API call into a SendError."""
    if isinstance(error, SlackApiError):
        return _classify_api_error(error)
    if isinstance(error, TimeoutError):
        return SendError(Failure.TRANSIENT, "timeout")
    if isinstance(error, OSError):
        # URLError, connection resets and refusals all derive from OSError.
        return SendError(Failure.TRANSIENT, "connection_error")
    if isinstance(error, SlackClientError):
        return SendError(Failure.MESSAGE, "client_error")
    # Anything else is a bug or an unknown library error: the call may or may
    # not have reached Slack, so it is retried like a timeout.
    return SendError(Failure.TRANSIENT, UNEXPECTED_ERROR)


def _classify_api_error(error: SlackApiError) -> SendError:
    response = error.response
    status = response.status_code
    body = response.data if isinstance(response.data, dict) else {}
    code = str(body.get("error") or f"http_{status}")
    if status == 429 or code in RATE_LIMITED_ERRORS:
        return SendError(Failure.RATE_LIMITED, "ratelimited", _retry_after(response.headers))
    if status >= 500:
        return SendError(Failure.TRANSIENT, f"http_{status}")
    if code in UNCERTAIN_ERRORS:
        return SendError(Failure.TRANSIENT, code)
    if code in DESTINATION_ERRORS:
        return SendError(Failure.DESTINATION, code)
    if code in TOKEN_ERRORS:
        return SendError(Failure.TOKEN, code)
    return SendError(Failure.MESSAGE, code)


def _retry_after(headers: Any) -> float:
    raw = None
    if headers:
        raw = headers.get("Retry-After") or headers.get("retry-after")
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    try:
        return max(float(raw), 0.0) if raw is not None else DEFAULT_RETRY_AFTER_SECONDS
    except ValueError:
        return DEFAULT_RETRY_AFTER_SECONDS


def post_message(client: WebClient, item: OutboxItem, message: Message) -> str:
    """Post the message with its dedupe key in the metadata; return Slack's ts.

    A user id as destination posts a direct message from the bot.
    """
    response = client.chat_postMessage(
        channel=item.destination,
        text=message.text,
        blocks=message.blocks,
        metadata={
            "event_type": METADATA_EVENT_TYPE,
            "event_payload": {"dedupe_key": item.dedupe_key},
        },
    )
    return str(response["ts"])


def find_posted(
    client: WebClient, item: OutboxItem, oldest: datetime, max_pages: int
) -> str | None:
    """Look for the item's message in its destination's history; return its ts or None.

    Reads up to `max_pages` pages of messages newer than `oldest`.
    NOTE: a message older than that window, or further back than those pages
    in a busy channel, is not found, and the caller then sends it again.
    Slack's conversations.history docs (2025) limit apps distributed outside
    the Marketplace to one call a minute and 15 messages a page, so there a
    lookup often ends in a 429 and the row waits for its Retry-After.
    """
    channel = _history_channel(client, item)
    cursor: str | None = None
    for _ in range(max_pages):
        response = client.conversations_history(
            channel=channel,
            oldest=f"{oldest.timestamp():.6f}",
            limit=HISTORY_PAGE_SIZE,
            include_all_metadata=True,
            cursor=cursor,
        )
        for message in response.get("messages") or []:
            if _carries_key(message, item.dedupe_key):
                return str(message["ts"])
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not response.get("has_more") or cursor is None:
            return None
    logger.warning(
        "Searched %d history pages without finding the message (outbox=%d channel=%s)",
        max_pages,
        item.id,
        channel,
    )
    return None


def _history_channel(client: WebClient, item: OutboxItem) -> str:
    if not item.is_direct_message:
        return item.destination
    # A direct message lives in the bot's DM channel with the user, whose id
    # conversations.open returns (the same one chat.postMessage posted to).
    response = client.conversations_open(users=item.destination)
    return str(response["channel"]["id"])


def _carries_key(message: dict[str, Any], dedupe_key: str) -> bool:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != METADATA_EVENT_TYPE:
        return False
    payload = metadata.get("event_payload") or {}
    return bool(payload.get("dedupe_key") == dedupe_key)
