"""Slack text as a terminal shows it, and terminal input as Slack sends it.

`slack_to_text` turns mrkdwn into readable text: mentions become `@name`,
`<!date^...|fallback>` its fallback, links `label (url)`, HTML entities are
decoded and common emoji codes become one symbol. `*bold*` and `code` markers
stay, because readers of a transcript know them.

`escape_typed_text` does what Slack does to the text of a slash command whose
`should_escape` flag is on: it escapes `&`, `<` and `>`, and turns `@name`,
`#channel` and bare URLs into `<@U123|name>`, `<#C123|name>` and `<url>`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Emoji codes the bot uses, and a few common ones, as single-width symbols.
# Other codes are kept as typed, which is how Slack shows an unknown emoji.
EMOJI_SYMBOLS = {
    "white_check_mark": "✓",
    "heavy_check_mark": "✓",
    "white_circle": "○",
    "large_blue_circle": "◐",
    "warning": "⚠",
    "x": "✗",
    "no_entry": "⛔",
    "hourglass": "⌛",
    "hourglass_flowing_sand": "⌛",
    "calendar": "▦",
    "date": "▦",
    "spiral_calendar_pad": "▦",
    "bell": "♪",
    "star": "★",
    "arrow_right": "→",
    "point_right": "→",
}

_TOKEN = re.compile(r"<([^<>\n]+)>")
_EMOJI = re.compile(r":([a-z0-9_+\-']+):")
_TYPED_MENTION = re.compile(r"(?<![\w<@])@([A-Za-z0-9][\w.\-]*\w|[A-Za-z0-9])")
_TYPED_CHANNEL = re.compile(r"(?<![\w<#&])#([a-z0-9][a-z0-9_\-]*)")
_TYPED_URL = re.compile(r"(?<![<|\w])(https?://[^\s<>]+[^\s<>.,;:!?)\]])")


@dataclass
class Directory:
    """Names of the known users and channels, by id."""

    users: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    real_names: dict[str, str] = field(default_factory=dict)
    # Ids of the people a person can choose in a user menu; the bot is not one.
    people: list[str] = field(default_factory=list)

    def user_name(self, user_id: str, fallback: str | None = None) -> str:
        return self.users.get(user_id) or fallback or user_id

    def channel_name(self, channel_id: str, fallback: str | None = None) -> str:
        return self.channels.get(channel_id) or fallback or channel_id

    def people_names(self) -> list[str]:
        return [self.user_name(user_id) for user_id in self.people]

    def find_user(self, typed: str) -> str | None:
        """Return the id of the user named by a name, real name or id, with or without `@`.

        A unique prefix of a name is enough (`bea` for `bea.buyer`).
        """
        query = typed.strip().removeprefix("@").casefold()
        if not query:
            return None
        for user_id, name in self.users.items():
            real_name = self.real_names.get(user_id, "")
            if query in (user_id.casefold(), name.casefold(), real_name.casefold()):
                return user_id
        starts = [
            user_id for user_id, name in self.users.items() if name.casefold().startswith(query)
        ]
        return starts[0] if len(starts) == 1 else None

    def find_channel(self, typed: str) -> str | None:
        query = typed.strip().removeprefix("#").casefold()
        for channel_id, name in self.channels.items():
            if query in (channel_id.casefold(), name.casefold()):
                return channel_id
        return None


def slack_to_text(text: str, directory: Directory) -> str:
    """Render Slack mrkdwn for a terminal."""
    resolved = _TOKEN.sub(lambda match: _token_text(match.group(1), directory), text)
    return decode_entities(replace_emoji(resolved))


def text_object(value: Any, directory: Directory) -> str:
    """Render a Block Kit text object (plain_text or mrkdwn), or a bare string."""
    if isinstance(value, str):
        return slack_to_text(value, directory)
    if not isinstance(value, Mapping):
        return ""
    text = str(value.get("text", ""))
    if value.get("type") == "plain_text":
        return replace_emoji(text) if value.get("emoji", True) else text
    return slack_to_text(text, directory)


def replace_emoji(text: str) -> str:
    return _EMOJI.sub(lambda match: EMOJI_SYMBOLS.get(match.group(1), match.group(0)), text)


def decode_entities(text: str) -> str:
    """Decode the three entities Slack escapes; `&amp;` last, so `&amp;lt;` stays `&lt;`."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _token_text(token: str, directory: Directory) -> str:
    target, _, label = token.partition("|")
    if target.startswith("@"):
        return "@" + directory.user_name(target[1:], label or None)
    if target.startswith("#"):
        return "#" + directory.channel_name(target[1:], label or None)
    if target.startswith("!"):
        return _special_text(target[1:], label)
    if label:
        return f"{label} ({target})"
    return target.removeprefix("mailto:")


def _special_text(target: str, label: str) -> str:
    """Render `<!here>`, `<!subteam^S1|@team>`, `<!date^...|fallback>` and the like."""
    name, _, rest = target.partition("^")
    if label:
        return label
    if name == "date":
        return _date_without_fallback(rest)
    return f"@{name}"


def _date_without_fallback(rest: str) -> str:
    """Show a date token that lacks its fallback as UTC; Slack requires the fallback."""
    seconds = rest.split("^", 1)[0]
    if not seconds.isdecimal():
        return "(date)"
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%d %H:%M UTC")


def escape_typed_text(text: str, directory: Directory) -> str:
    """Turn what a person typed after a slash command into the text Slack sends the app."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = _TYPED_MENTION.sub(lambda match: _typed_mention(match, directory), escaped)
    escaped = _TYPED_CHANNEL.sub(lambda match: _typed_channel(match, directory), escaped)
    return _TYPED_URL.sub(lambda match: f"<{match.group(1)}>", escaped)


def _typed_mention(match: re.Match[str], directory: Directory) -> str:
    typed = match.group(1)
    user_id = _exact_user(typed, directory)
    if user_id is None:
        return match.group(0)
    return f"<@{user_id}|{directory.user_name(user_id)}>"


def _exact_user(typed: str, directory: Directory) -> str | None:
    """Match a typed name or id exactly; Slack only links a mention that names one person."""
    query = typed.casefold()
    for user_id, name in directory.users.items():
        if query in (user_id.casefold(), name.casefold()):
            return user_id
    return None


def _typed_channel(match: re.Match[str], directory: Directory) -> str:
    name = match.group(1)
    for channel_id, known in directory.channels.items():
        if known == name:
            return f"<#{channel_id}|{name}>"
    return match.group(0)
