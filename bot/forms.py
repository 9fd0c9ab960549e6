"""Typed views of modal submissions and of the state mapbot keeps in a modal.

Slack sends a submitted modal's inputs as `view.state.values[block_id][action_id]`.
They are read here once into dataclasses, so the modal listeners never index payloads.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

from bot import ids
from storage.models import Side, Status


@dataclass(frozen=True)
class ModalContext:
    """The state a modal needs at submit time, kept in its `private_metadata`.

    A view submission carries no channel, so the channel of the deal room
    travels here. `message_ts` is the plan message the modal was opened from,
    if any. `version`, `owner_user_id` and `side` are the task as the edit
    form showed it, and `fingerprint` is `storage.plan_edits.edit_fingerprint` of
    what it showed. `past_due_ok` is a past due date that the person was
    warned about, so submitting it again keeps it. `shown_values` maps the
    milestone fields that a milestone form changes to the values it showed
    (see `storage.plan_edits.milestone_fields`).
    """

    channel_id: str
    message_ts: str | None = None
    task_id: int | None = None
    milestone_id: int | None = None
    version: int | None = None
    fingerprint: str | None = None
    owner_user_id: str | None = None
    side: str | None = None
    past_due_ok: str | None = None
    shown_values: dict[str, str | None] | None = None

    def encode(self) -> str:
        values = {key: value for key, value in asdict(self).items() if value is not None}
        return json.dumps(values, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str) -> ModalContext:
        """Read metadata written by `encode`; raise ValueError for anything else."""
        values = json.loads(text or "{}")
        if not isinstance(values, dict) or not isinstance(values.get("channel_id"), str):
            raise ValueError("private_metadata has no channel_id")
        if not isinstance(values.get("shown_values", {}), dict):
            raise ValueError("private_metadata has shown_values that are not an object")
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        return cls(**known)

    def with_past_due_ok(self, due: date) -> ModalContext:
        return replace(self, past_due_ok=due.isoformat())


@dataclass(frozen=True)
class Submission:
    """A `view_submission` payload: who submitted which modal, and its raw input values."""

    team_id: str
    user_id: str
    view_id: str
    view_hash: str
    callback_id: str
    context: ModalContext
    values: dict[str, Any] = field(repr=False)
    view: dict[str, Any] = field(repr=False)

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Submission:
        """Parse a view submission; raise ValueError when its metadata is not mapbot's."""
        view = body.get("view") or {}
        return cls(
            team_id=str((body.get("team") or {}).get("id", "")),
            user_id=str((body.get("user") or {}).get("id", "")),
            view_id=str(view.get("id", "")),
            view_hash=str(view.get("hash", "")),
            callback_id=str(view.get("callback_id", "")),
            context=ModalContext.decode(str(view.get("private_metadata", ""))),
            values=(view.get("state") or {}).get("values") or {},
            view=view,
        )

    def text(self, block_id: str) -> str | None:
        """Return a text input's value, or None when it was left empty."""
        value = self._state(block_id).get("value")
        return value if isinstance(value, str) and value.strip() else None

    def option(self, block_id: str) -> str | None:
        """Return the value of the option picked in a select or radio buttons."""
        selected = self._state(block_id).get("selected_option") or {}
        value = selected.get("value")
        return value if isinstance(value, str) else None

    def user(self, block_id: str) -> str | None:
        value = self._state(block_id).get("selected_user")
        return value if isinstance(value, str) and value else None

    def checked(self, block_id: str) -> bool:
        """Return whether any checkbox of a checkboxes input is ticked."""
        return bool(self._state(block_id).get("selected_options"))

    def date_text(self, block_id: str) -> str | None:
        """Return a datepicker's `YYYY-MM-DD` value as sent, or None when no date was picked."""
        value = self._state(block_id).get("selected_date")
        return value if isinstance(value, str) and value else None

    def _state(self, block_id: str) -> dict[str, Any]:
        block = self.values.get(block_id) or {}
        state = block.get(block_id) or {}
        return state if isinstance(state, dict) else {}


class FieldErrors(dict[str, str]):
    """Errors to show under modal inputs, keyed by block_id, as `response_action: errors` takes."""


def read_due_date(submission: Submission, errors: FieldErrors) -> date | None:
    """Read the due date input as the calendar date it names, with no time zone involved.

    Slack's datepicker cannot be cleared once a date is picked, so edit forms
    offer a "Remove the due date" checkbox, which wins over the picker.
    """
    if submission.checked(ids.FIELD_REMOVE_DUE_DATE):
        return None
    return parse_picked_date(submission.date_text(ids.FIELD_DUE_DATE), ids.FIELD_DUE_DATE, errors)


def parse_picked_date(text: str | None, block_id: str, errors: FieldErrors) -> date | None:
    """Read a datepicker value as the calendar date it names, with no time zone involved."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[block_id] = f"{text} is not a date. Pick one from the calendar."
        return None


@dataclass(frozen=True)
class TaskForm:
    """The task modal as submitted. Empty inputs are None."""

    title: str | None
    milestone_id: int | None
    owner_user_id: str | None
    owner_name: str | None
    side: Side | None
    due_date: date | None
    description: str | None

    @classmethod
    def read(cls, submission: Submission, errors: FieldErrors) -> TaskForm:
        """Read the inputs; a value that cannot be read adds to `errors`."""
        milestone = submission.option(ids.FIELD_MILESTONE)
        side = submission.option(ids.FIELD_SIDE)
        return cls(
            title=submission.text(ids.FIELD_TITLE),
            milestone_id=int(milestone) if milestone and milestone.isdecimal() else None,
            owner_user_id=submission.user(ids.FIELD_OWNER),
            owner_name=submission.text(ids.FIELD_OWNER_NAME),
            side=Side(side) if side in (Side.BUYER.value, Side.SELLER.value) else None,
            due_date=read_due_date(submission, errors),
            description=submission.text(ids.FIELD_DESCRIPTION),
        )


@dataclass(frozen=True)
class MilestoneForm:
    """The add or edit milestone modal as submitted. Empty inputs are None."""

    title: str | None
    due_date: date | None
    position: int | None

    @classmethod
    def read(cls, submission: Submission, errors: FieldErrors) -> MilestoneForm:
        position_text = submission.text(ids.FIELD_POSITION)
        position = None
        if position_text is not None:
            cleaned = position_text.strip()
            if cleaned.lstrip("-").isdecimal():
                position = int(cleaned)
            else:
                errors[ids.FIELD_POSITION] = (
                    f"{cleaned[:20]} is not a whole number. Type a position such as 2, "
                    "or leave it empty to add at the end."
                )
        return cls(
            title=submission.text(ids.FIELD_TITLE),
            due_date=read_due_date(submission, errors),
            position=position,
        )


# The status modal's option for "derive the status from the tasks again".
AUTOMATIC_STATUS = "automatic"


def picked_status(submission: Submission) -> tuple[bool, Status | None]:
    """Return whether a status was picked, and the status (None means automatic)."""
    value = submission.option(ids.FIELD_STATUS)
    if value == AUTOMATIC_STATUS:
        return True, None
    if value in {status.value for status in Status}:
        return True, Status(value)
    return False, None
