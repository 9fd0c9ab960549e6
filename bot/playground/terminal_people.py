"""The people `mapbot try` can act as, and the names the terminal shows for ids."""

from __future__ import annotations

from collections.abc import Sequence

from bot.playground.local import Person
from bot.playground.standin import SlackStandIn
from bot.playground.terminal_text import Directory

BOT_NAME = "mapbot"


def build_directory(standin: SlackStandIn, people: Sequence[Person], channel_id: str) -> Directory:
    """Collect the names the terminal shows: the people, the bot and the channel."""
    directory = Directory(
        users={person.user_id: person.name for person in people},
        real_names={person.user_id: person.real_name for person in people},
        people=[person.user_id for person in people],
    )
    directory.users[standin.bot_user_id] = BOT_NAME
    answer = standin.handle_api_request(
        "conversations.info", {"channel": channel_id}, standin.bot_token
    )
    channel = answer.body.get("channel") if answer.body.get("ok") else None
    directory.channels[channel_id] = str(channel.get("name")) if channel else channel_id
    return directory


def side_of(person: Person, home_team: str) -> str:
    """Return "seller" for people of the app's workspace and "buyer" for guests.

    The bot assigns sides the same way when a task's owner is a Slack user.
    """
    return "seller" if person.team_id == home_team else "buyer"


def workspace_note(person: Person, home_team: str) -> str:
    if person.team_id == home_team:
        return "member of this workspace"
    return f"Slack Connect guest from workspace {person.team_id}"


def who_lines(people: Sequence[Person], current: Person, home_team: str) -> list[str]:
    """List the people in columns, with `*` marking the current one."""
    name_width = max(len(person.name) for person in people) + 2
    real_width = max(len(person.real_name) for person in people) + 2
    lines = ["People you can act as (* marks you):"]
    for person in people:
        mark = "*" if person == current else " "
        lines.append(
            f"{mark} {person.name:<{name_width}}{person.real_name:<{real_width}}"
            f"{side_of(person, home_team)}, {workspace_note(person, home_team)}"
        )
    return lines


def find_person(people: Sequence[Person], directory: Directory, typed: str) -> Person | None:
    """Find a person by name, real name, id or a unique prefix of the name."""
    user_id = directory.find_user(typed)
    return next((person for person in people if person.user_id == user_id), None)
