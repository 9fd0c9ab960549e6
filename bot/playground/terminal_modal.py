"""An open modal as the person fills it in the terminal: numbered fields and their answers.

The form is built from the view's input blocks, whatever the modal is, so any
modal the bot opens can be filled with `set N VALUE` and sent with `submit`.
Like Slack's client, the form keeps the initial values, refuses to submit while
a required field is empty, and shows the field errors that the app returns with
`response_action: errors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.playground.terminal_blocks import (
    TYPED_ELEMENTS,
    option_list,
    render_blocks,
    selected_values,
    wrap_text,
)
from bot.playground.terminal_text import Directory, text_object
from bot.playground.terminal_values import (
    MANY_OPTIONS,
    ONE_OPTION,
    TEXT_INPUTS,
    InvalidValue,
    parse_value,
)

# The key of each element's initial value, for elements whose value is not an option.
INITIAL_KEYS = {
    "users_select": "initial_user",
    "multi_users_select": "initial_users",
    "conversations_select": "initial_conversation",
    "multi_conversations_select": "initial_conversations",
    "channels_select": "initial_channel",
    "multi_channels_select": "initial_channels",
    "datepicker": "initial_date",
    "timepicker": "initial_time",
}
EMPTY = "(empty)"
FIELD_INDENT = "    "


@dataclass(frozen=True)
class Field:
    """One input block of the modal, numbered from 1 in the order of the view."""

    number: int
    block_id: str
    label: str
    element: dict[str, Any]
    optional: bool
    hint: str

    @property
    def element_type(self) -> str:
        return str(self.element.get("type", ""))


class ModalForm:
    """The fields of one open modal, the answers typed so far and the app's field errors."""

    def __init__(self, view: dict[str, Any], directory: Directory) -> None:
        self.view_id = str(view.get("id", ""))
        self.hash = str(view.get("hash", ""))
        self.blocks: list[Any] = list(view.get("blocks") or [])
        self.directory = directory
        self.title = text_object(view.get("title"), directory) or "Modal"
        self.submit_label = text_object(view.get("submit"), directory) if view.get("submit") else ""
        self.close_label = text_object(view.get("close"), directory) or "Cancel"
        self.fields = _fields(self.blocks, directory)
        self.answers: dict[str, Any] = {
            field.block_id: initial_value(field.element) for field in self.fields
        }
        self.errors: dict[str, str] = {}

    def carry_over(self, older: ModalForm) -> None:
        """Keep answers from an earlier version of the view, as Slack keeps typed input.

        An answer is kept when the new view has an input block with the same
        block_id and element type.
        """
        older_types = {field.block_id: field.element_type for field in older.fields}
        for field in self.fields:
            if older_types.get(field.block_id) == field.element_type:
                self.answers[field.block_id] = older.answers.get(field.block_id)

    def field(self, number: int) -> Field:
        if not 1 <= number <= len(self.fields):
            raise InvalidValue(self._no_field_message(number))
        return self.fields[number - 1]

    def set(self, number: int, typed: str) -> str:
        """Store the answer for field `number` and return a line that shows it.

        An empty `typed` clears the field.
        """
        field = self.field(number)
        if typed.strip():
            value = parse_value(field.element, typed, self.directory)
        else:
            value = [] if _is_multiple(field.element_type) else None
        self.answers[field.block_id] = value
        self.errors.pop(field.block_id, None)
        return f"[{field.number}] {field.label}: {self.value_text(field)}"

    def missing(self) -> list[Field]:
        """Return the required fields that have no answer, which Slack's client will not submit."""
        return [
            field
            for field in self.fields
            if not field.optional and self.answers.get(field.block_id) in (None, "", [])
        ]

    def submission(self) -> dict[str, Any]:
        """Return the answers keyed by block_id, for `SlackDriver.submit`."""
        return dict(self.answers)

    def show_errors(self, errors: dict[str, Any]) -> list[str]:
        """Attach the app's field errors; return those that name no field of this modal."""
        self.errors = {}
        unplaced = []
        known = {field.block_id for field in self.fields}
        for block_id, message in errors.items():
            if block_id in known:
                self.errors[block_id] = str(message)
            else:
                unplaced.append(f"{block_id}: {message}")
        return unplaced

    def render(self, width: int) -> list[str]:
        """Draw the modal: its other blocks as text, and each input as a numbered field.

        NOTE: buttons and menus outside input blocks are drawn but cannot be
        used, because `SlackDriver` sends no block_actions from a view.
        """
        by_block = {field.block_id: field for field in self.fields}

        def input_lines(block: dict[str, Any]) -> list[str]:
            field = by_block.get(str(block.get("block_id", "")))
            return self.field_lines(field, width) if field else []

        rendered = render_blocks(
            self.blocks, self.directory, width=width, first_number=None, render_input=input_lines
        )
        return [*rendered.lines, "", *wrap_text(self.instructions(), width)]

    def field_lines(self, field: Field, width: int) -> list[str]:
        """Draw one field: its number, label and value, then what it takes, its hint and error."""
        optional = " (optional)" if field.optional else ""
        head = f"[{field.number}] {field.label}{optional}: {self.value_text(field)}"
        lines = wrap_text(head, width)
        error = self.errors.get(field.block_id)
        notes = [self.choices(field), field.hint, f"✗ {error}" if error else ""]
        for note in notes:
            if note:
                lines.extend(FIELD_INDENT + line for line in wrap_text(note, width - 4))
        return lines

    def choices(self, field: Field) -> str:
        """Describe what `set N` takes for this field: its numbered options or a value form."""
        options = option_list(field.element)
        if options:
            names = "  ".join(
                f"{index}) {text_object(option.get('text'), self.directory)}"
                for index, option in enumerate(options, start=1)
            )
            many = " (several: 1,3)" if _is_multiple(field.element_type) else ""
            return f"options{many}: {names}"
        form = TYPED_ELEMENTS.get(field.element_type)
        if form == "NAME" or form == "NAME,NAME":
            return "people: " + ", ".join(self.directory.people_names())
        return f"type {form}" if form else ""

    def value_text(self, field: Field) -> str:
        value = self.answers.get(field.block_id)
        if value in (None, "", []):
            return EMPTY
        values = value if isinstance(value, list) else [value]
        return ", ".join(self._value_text_one(field, str(item)) for item in values)

    def instructions(self) -> str:
        if not self.fields and self.submit_label:
            # A confirmation, such as Delete task: nothing to fill, but it can be submitted.
            return f"Type submit ({self.submit_label}) or cancel ({self.close_label})."
        if not self.fields:
            return f"Type cancel to close it ({self.close_label})."
        submit = f"submit ({self.submit_label})" if self.submit_label else "submit"
        return f"Type set N VALUE to fill field N, then {submit} or cancel ({self.close_label})."

    def _value_text_one(self, field: Field, value: str) -> str:
        kind = field.element_type
        if kind in ONE_OPTION or kind in MANY_OPTIONS:
            for option in option_list(field.element):
                if str(option.get("value")) == value:
                    return text_object(option.get("text"), self.directory)
        if "users" in kind:
            return "@" + self.directory.user_name(value)
        if "conversation" in kind or "channel" in kind:
            return "#" + self.directory.channel_name(value)
        return value

    def _no_field_message(self, number: int) -> str:
        if not self.fields:
            return f"This modal has no fields to fill, so there is no field [{number}]."
        return f"There is no field [{number}]. This modal has fields 1 to {len(self.fields)}."


def initial_value(element: dict[str, Any]) -> Any:
    """Return the value an element starts with, in the form `parse_value` returns."""
    kind = str(element.get("type", ""))
    if kind in TEXT_INPUTS:
        initial = element.get("initial_value")
        return None if initial is None else str(initial)
    if kind in ONE_OPTION:
        chosen = selected_values(element)
        return chosen[0] if chosen else None
    if kind in MANY_OPTIONS:
        return selected_values(element)
    key = INITIAL_KEYS.get(kind)
    initial = element.get(key) if key else None
    if _is_multiple(kind):
        return list(initial or [])
    return initial


def _is_multiple(kind: str) -> bool:
    return kind.startswith("multi_") or kind == "checkboxes"


def _fields(blocks: list[Any], directory: Directory) -> list[Field]:
    fields: list[Field] = []
    for block in blocks:
        if not isinstance(block, dict) or block.get("type") != "input":
            continue
        element = block.get("element")
        if not isinstance(element, dict):
            continue
        fields.append(
            Field(
                number=len(fields) + 1,
                block_id=str(block.get("block_id", "")),
                label=text_object(block.get("label"), directory),
                element=element,
                optional=bool(block.get("optional", False)),
                hint=text_object(block.get("hint"), directory) if block.get("hint") else "",
            )
        )
    return fields
