"""Small text helpers for Slack mrkdwn."""

from __future__ import annotations

from datetime import UTC, date, datetime

from storage.errors import escape
from storage.models import Side, Status
from storage.views import TaskView

__all__ = [
    "STATUS_EMOJI",
    "escape",
    "format_date",
    "owner_text",
    "shorten",
    "side_label",
    "slack_time",
]

ELLIPSIS = "…"

STATUS_EMOJI = {
    Status.NOT_STARTED: ":white_circle:",
    Status.IN_PROGRESS: ":large_blue_circle:",
    Status.COMPLETED: ":white_check_mark:",
}


def shorten(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def format_date(value: date, today: date) -> str:
    """Format a due date briefly: `Fri Jan 9`, with the year when it is not this year."""
    day = f"{value:%a} {value:%b} {value.day}"
    return day if value.year == today.year else f"{day}, {value.year}"


def owner_text(task: TaskView) -> str:
    if task.owner_user_id:
        who = f"<@{task.owner_user_id}>"
    elif task.owner_name:
        who = escape(shorten(task.owner_name, 60))
    else:
        who = "no owner"
    return f"{who} ({side_label(task.side)})"


def side_label(side: Side) -> str:
    return "buyer" if side is Side.BUYER else "seller"


def slack_time(moment: datetime) -> str:
    """Format an instant as a Slack date token, such as `Today at 3:05 PM`.

    Slack shows the token in each viewer's own time zone and clock format.
    Clients that cannot render it show the fallback, which is in UTC.
    """
    if moment.tzinfo is None:
        raise ValueError("moment must be a timezone-aware datetime")
    seconds = int(moment.timestamp())
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{seconds}^{{date_short_pretty}} at {{time}}|{fallback}>"
