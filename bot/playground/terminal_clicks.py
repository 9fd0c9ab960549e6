"""Selections and confirmation dialogs for `click N [VALUE]` on a numbered control."""

from __future__ import annotations

from typing import Any

from bot.playground.terminal_blocks import (
    OPTION_ELEMENTS,
    TOGGLE_ELEMENTS,
    Control,
    selected_values,
)
from bot.playground.terminal_text import Directory, text_object
from bot.playground.terminal_values import InvalidValue, parse_value

YES_ANSWERS = frozenset({"y", "yes"})


def selection(control: Control, typed: str, directory: Directory) -> Any:
    """Return what a click selects: None for a button, else the option or typed value.

    Raises InvalidValue when a value is missing, not expected, or not accepted.
    """
    form = control.value_form
    if form is not None:
        if not typed:
            raise InvalidValue(
                f"[{control.number}] needs a value: type click {control.number} {form}."
            )
        return parse_value(control.element, typed, directory)
    if typed:
        raise InvalidValue(
            f"[{control.number}] takes no value after its number. Type click {control.number}."
        )
    kind = control.element_type
    if kind in OPTION_ELEMENTS:
        return control.option_value
    if kind in TOGGLE_ELEMENTS:
        return toggled(selected_values(control.element), str(control.option_value))
    return None


def lookup_value(control: Control) -> str | None:
    """Return the value `SlackDriver.click` finds the element by.

    That is a button's value, or the option picked in a menu.
    NOTE: a date picker or user menu has no such value, so when two of them in
    one message share an action_id, the driver uses the first.
    """
    if control.option_value is not None:
        return control.option_value
    if control.element_type == "button" and control.element.get("value") is not None:
        return str(control.element["value"])
    return None


def toggled(chosen: list[str], value: str) -> list[str]:
    """Return the selection after a click on one checkbox: `value` added or removed."""
    if value in chosen:
        return [item for item in chosen if item != value]
    return [*chosen, value]


def confirm_question(dialog: dict[str, Any], directory: Directory) -> tuple[str, str]:
    """Return the text of a confirmation dialog and the y/n question to ask after it."""
    title = text_object(dialog.get("title"), directory)
    text = text_object(dialog.get("text"), directory)
    yes = text_object(dialog.get("confirm"), directory) or "Yes"
    no = text_object(dialog.get("deny"), directory) or "Cancel"
    return (f"{title}: {text}" if title else text), f"{yes} (y) or {no} (n)? "


def is_yes(answer: str | None) -> bool:
    return answer is not None and answer.strip().lower() in YES_ANSWERS
