"""What changed in the stand-in between two moments: messages, ephemeral messages, modals.

The front end takes a `Snapshot` before and after each command or click, and
prints the difference, so the person sees what a Slack channel would show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bot.playground.standin import SlackStandIn

ChangeKind = Literal["new", "edited", "deleted"]
KIND_ORDER: dict[ChangeKind, int] = {"new": 0, "edited": 1, "deleted": 2}


@dataclass(frozen=True)
class Snapshot:
    """Copies of a channel's messages, its ephemeral messages and every open modal."""

    messages: dict[str, dict[str, Any]]
    ephemerals: dict[tuple[str, str], dict[str, Any]]
    modals: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class MessageChange:
    """A message that appeared, changed or went away; `record` is its latest copy."""

    kind: ChangeKind
    record: dict[str, Any]
    ephemeral: bool

    @property
    def ts(self) -> str:
        return str(self.record.get("ts", ""))

    @property
    def viewer(self) -> str | None:
        """The only user who sees an ephemeral message; None for a channel message."""
        return str(self.record.get("user")) if self.ephemeral else None


def take_snapshot(standin: SlackStandIn, channel_id: str) -> Snapshot:
    messages = {str(record["ts"]): record for record in standin.messages(channel_id)}
    ephemerals = {
        (str(record["user"]), str(record["ts"])): record
        for record in standin.ephemerals(channel_id)
    }
    return Snapshot(messages, ephemerals, open_modals(standin))


def open_modals(standin: SlackStandIn) -> dict[str, dict[str, Any]]:
    """Return every open modal by view id, oldest first; Home tabs are left out."""
    return {str(view["id"]): view for view in standin.views() if view.get("type") == "modal"}


def message_changes(before: Snapshot, after: Snapshot) -> list[MessageChange]:
    """List the changes to channel and ephemeral messages.

    New messages come first, then edited ones, then deleted ones, each group
    oldest first. So the reply to a command prints before the plan message
    that the command changed, and a reader sees the reply before its effect.
    """
    changes = _changes(before.messages, after.messages, "updated", ephemeral=False)
    changes += _changes(before.ephemerals, after.ephemerals, "replaced", ephemeral=True)
    return sorted(changes, key=lambda change: (KIND_ORDER[change.kind], ts_order(change.ts)))


def top_modal(modals: dict[str, dict[str, Any]], user_id: str) -> dict[str, Any] | None:
    """Return the modal the user sees: the newest open modal in their stack."""
    found = None
    for view in modals.values():
        if view.get("user") == user_id:
            found = view
    return found


def ts_order(ts: str) -> tuple[int, int]:
    """Sort key for a Slack message timestamp such as `1796419439.000500`."""
    seconds, _, micros = ts.partition(".")
    return (int(seconds or 0), int(micros or 0)) if (seconds + micros).isdecimal() else (0, 0)


def _changes(
    before: dict[Any, dict[str, Any]],
    after: dict[Any, dict[str, Any]],
    edit_counter: str,
    *,
    ephemeral: bool,
) -> list[MessageChange]:
    changes: list[MessageChange] = []
    for key, record in after.items():
        old = before.get(key)
        if old is None:
            changes.append(MessageChange("new", record, ephemeral))
        elif _edited(old, record, edit_counter):
            changes.append(MessageChange("edited", record, ephemeral))
    for key, record in before.items():
        if key not in after:
            changes.append(MessageChange("deleted", record, ephemeral))
    return changes


def _edited(old: dict[str, Any], new: dict[str, Any], edit_counter: str) -> bool:
    if old.get(edit_counter) != new.get(edit_counter):
        return True
    return bool(old.get("text") != new.get("text") or old.get("blocks") != new.get("blocks"))
