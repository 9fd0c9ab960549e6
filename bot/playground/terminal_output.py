"""Messages of the stand-in printed for the terminal, with numbered controls.

A message prints as `author (tags): text`, or as a head line followed by its
blocks indented by two spaces. Each control gets a `Target` that records which
stored message it is on, so a later `click N` reaches the right element.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from bot.playground.terminal_blocks import Control, render_blocks, wrap_text
from bot.playground.terminal_changes import MessageChange
from bot.playground.terminal_text import Directory, slack_to_text

INDENT = "  "
APP_NAME = "mapbot"


@dataclass(frozen=True)
class Target:
    """A numbered control on a stored message, and where that message is."""

    control: Control
    channel_id: str
    message_ts: str
    # The only user who sees the message when it is ephemeral, else None.
    visible_to: str | None


@dataclass(frozen=True)
class PrintedMessage:
    lines: list[str]
    targets: list[Target]


def print_message(
    record: dict[str, Any],
    *,
    channel_id: str,
    directory: Directory,
    width: int,
    tags: list[str],
    visible_to: str | None,
    first_number: int,
) -> PrintedMessage:
    """Lay out one stored message; its controls are numbered from `first_number`."""
    author = APP_NAME if visible_to else directory.user_name(str(record.get("user", "")))
    head = author + (f" ({', '.join(tags)})" if tags else "") + ":"
    blocks = record.get("blocks") or []
    if not blocks:
        text = slack_to_text(str(record.get("text", "")), directory)
        return PrintedMessage(_wrap_after_head(head, text, width), [])

    rendered = render_blocks(
        blocks, directory, width=width - len(INDENT), first_number=first_number
    )
    lines = [head, *(INDENT + line if line else "" for line in rendered.lines)]
    targets = [
        Target(control, channel_id, str(record.get("ts", "")), visible_to)
        for control in rendered.controls
    ]
    return PrintedMessage(lines, targets)


def change_tags(change: MessageChange, viewer: str) -> list[str]:
    """Describe a change for the head line: edited, only visible to you, in a thread."""
    tags = []
    if change.kind == "edited":
        tags.append("edited")
    if change.ephemeral and change.viewer == viewer:
        tags.append("only visible to you")
    thread_ts = change.record.get("thread_ts")
    if thread_ts and thread_ts != change.ts:
        tags.append("reply in a thread")
    return tags


def deleted_line(change: MessageChange, directory: Directory, width: int) -> str:
    author = APP_NAME if change.ephemeral else directory.user_name(str(change.record.get("user")))
    text = slack_to_text(str(change.record.get("text", "")), directory).split("\n", 1)[0]
    return textwrap.shorten(f"{author} deleted a message: {text}", width, placeholder="…")


def _wrap_after_head(head: str, text: str, width: int) -> list[str]:
    """Put the first line of a text message after its head; indent the rest."""
    first, _, rest = text.partition("\n")
    lines = textwrap.wrap(
        f"{head} {first}",
        width=width,
        subsequent_indent=INDENT,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [head]
    if rest:
        lines.extend(INDENT + line if line else "" for line in wrap_text(rest, width - len(INDENT)))
    return lines
