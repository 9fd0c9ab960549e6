"""Slack users as modals need them: plain-text names, and whether they can own a task.

Modal field errors are plain text, where a `<@U…>` mention does not render,
so these messages name people by their Slack name instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from storage.models import Side

logger = logging.getLogger(__name__)

NAME_INSTEAD = "or type a name below for a buyer contact who is not in Slack"


@dataclass(frozen=True)
class SlackPerson:
    """The fields of a `users.info` response that decide whether someone can own a task."""

    user_id: str
    team_id: str
    name: str
    is_bot: bool
    deleted: bool

    def side(self, home_team_id: str) -> Side:
        """People of the app's own workspace are sellers; anyone else, such as a guest, a buyer."""
        return Side.SELLER if self.team_id == home_team_id else Side.BUYER

    def owner_problem(self) -> str | None:
        """Return why this person cannot own a task, or None if they can."""
        if self.is_bot:
            return f"{self.name} is a bot and can't own a task. Pick a person, {NAME_INSTEAD}."
        if self.deleted:
            return (
                f"{self.name} has been deactivated and can't own a task. "
                f"Pick someone else, {NAME_INSTEAD}."
            )
        return None


def look_up_person(client: WebClient, user_id: str) -> SlackPerson | None:
    """Fetch a user with `users.info`; return None if Slack has no such user."""
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        if error.response.get("error") == "user_not_found":
            return None
        raise
    profile = user.get("profile") or {}
    name = (
        user.get("real_name")
        or profile.get("real_name")
        or profile.get("display_name")
        or user.get("name")
        or user_id
    )
    return SlackPerson(
        user_id=user_id,
        team_id=str(user.get("team_id", "")),
        name=str(name),
        is_bot=bool(user.get("is_bot")),
        deleted=bool(user.get("deleted")),
    )


def person_name(client: WebClient, user_id: str) -> str:
    """Return a user's Slack name for plain text, or the user id if it cannot be fetched."""
    try:
        person = look_up_person(client, user_id)
    except SlackApiError as error:
        logger.warning(
            "Failed to fetch a user's name: %s (user=%s)", error.response.get("error"), user_id
        )
        return user_id
    return person.name if person is not None else user_id
