"""Check a Slack user picked as a task owner, and work out their side of the deal."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from storage.errors import InvalidInputError
from storage.models import Side

NAME_INSTEAD = "or type `owner &lt;name&gt;` for a buyer contact who is not in Slack"


def check_slack_owner(client: WebClient, user_id: str, room_team_id: str) -> Side:
    """Return the side a Slack user is on; raise InvalidInputError if they can't own a task.

    People from the room's own workspace are sellers. People from another
    workspace, such as Slack Connect guests from the buyer, are buyers.
    """
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        if error.response.get("error") == "user_not_found":
            raise InvalidInputError(
                f"There is no Slack user `{user_id}`. Mention a person in this channel, "
                f"{NAME_INSTEAD}."
            ) from error
        raise
    if user.get("is_bot"):
        raise InvalidInputError(
            f"<@{user_id}> is a bot and can't own a task. Pick a person, {NAME_INSTEAD}."
        )
    if user.get("deleted"):
        raise InvalidInputError(
            f"<@{user_id}> has been deactivated and can't own a task. Pick someone else, "
            f"{NAME_INSTEAD}."
        )
    return Side.SELLER if user.get("team_id") == room_team_id else Side.BUYER
