"""The last line of defence: log unexpected errors and apologise without their text."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk.webhook import WebhookClient

from bot.blocks.modals import notice_modal
from bot.payloads import log_ids

logger = logging.getLogger(__name__)

APOLOGY = (
    "Sorry, something went wrong on my side. Please try again, "
    "or type `/map status` to see where the plan stands."
)


def handle_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
    """Log `error` with the request's ids and tell the person, without exception text.

    The answer is always HTTP 200: with `process_before_response` a listener's
    exception would otherwise become a 500, and Slack would retry the request.
    """
    ids = log_ids(body)
    logger.exception(
        "Failed to handle a %s request (team=%s channel=%s user=%s)",
        ids["type"],
        ids["team"],
        ids["channel"],
        ids["user"],
    )
    if "command" in body:
        # A slash command shows the HTTP response body to the person who typed it.
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", "text": APOLOGY}),
            headers={"content-type": "application/json"},
        )
    if body.get("type") == "view_submission":
        # A modal shows no response_url message, and an empty response would close it.
        answer = {"response_action": "update", "view": notice_modal("Not saved", APOLOGY)}
        return BoltResponse(
            status=200, body=json.dumps(answer), headers={"content-type": "application/json"}
        )
    _send_apology(body.get("response_url"))
    return BoltResponse(status=200, body="")


def _send_apology(response_url: Any) -> None:
    if not isinstance(response_url, str) or not response_url:
        return
    try:
        WebhookClient(response_url, timeout=3).send(
            text=APOLOGY, response_type="ephemeral", replace_original=False
        )
    except Exception:
        logger.exception("Failed to send the apology through the response URL")


def register(app: App) -> None:
    app.error(handle_error)
