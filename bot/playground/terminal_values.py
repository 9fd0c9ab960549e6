"""Values typed in the terminal for Block Kit elements, checked as Slack's client checks them.

`parse_value` returns the selection in the form that
`bot.playground.slack_requests.selection_fields` takes: a string for text
inputs, an option value, a user id, a `YYYY-MM-DD` date, or a list of those for
multiple selections. Bad input raises `InvalidValue` with a message that names
the value and shows what to type instead.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from bot.playground.terminal_blocks import option_list
from bot.playground.terminal_text import Directory, text_object

TEXT_INPUTS = frozenset({"plain_text_input", "email_text_input", "url_text_input", "number_input"})
ONE_OPTION = frozenset({"static_select", "radio_buttons", "overflow"})
MANY_OPTIONS = frozenset({"checkboxes", "multi_static_select"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class InvalidValue(ValueError):
    """A typed value that the element does not accept; the message is for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_value(element: dict[str, Any], typed: str, directory: Directory) -> Any:
    """Convert what a person typed for this element into its selection."""
    kind = str(element.get("type", ""))
    typed = typed.strip()
    if kind in TEXT_INPUTS:
        return _text_value(element, typed)
    if kind in ONE_OPTION:
        return option_value(element, typed, directory)
    if kind in MANY_OPTIONS:
        return [option_value(element, part, directory) for part in split_list(typed)]
    if kind == "users_select":
        return _user(typed, directory)
    if kind == "multi_users_select":
        return [_user(part, directory) for part in split_list(typed)]
    if kind in ("conversations_select", "channels_select"):
        return _channel(typed, directory)
    if kind in ("multi_conversations_select", "multi_channels_select"):
        return [_channel(part, directory) for part in split_list(typed)]
    if kind == "datepicker":
        return _date(typed)
    if kind == "timepicker":
        return _time(typed)
    raise InvalidValue(f"The playground cannot fill a {kind or 'untyped'} element.")


def split_list(typed: str) -> list[str]:
    return [part.strip() for part in typed.split(",") if part.strip()]


def option_value(element: dict[str, Any], typed: str, directory: Directory) -> str:
    """Return the value of the option chosen by its number, value or text.

    A number counts first, so `2` picks the second option even when another
    option's value is "2".
    """
    options = option_list(element)
    if typed.isdecimal() and 1 <= int(typed) <= len(options):
        return str(options[int(typed) - 1].get("value"))
    query = typed.casefold()
    for option in options:
        value = str(option.get("value"))
        label = text_object(option.get("text"), directory)
        if query in (value.casefold(), label.casefold()):
            return value
    labels = ", ".join(text_object(option.get("text"), directory) for option in options)
    raise InvalidValue(
        f"'{typed}' is not one of the options. Type an option number from 1 to "
        f"{len(options)}, or one of: {labels}."
    )


def _text_value(element: dict[str, Any], typed: str) -> str:
    kind = element.get("type")
    max_length = element.get("max_length")
    min_length = element.get("min_length")
    if isinstance(max_length, int) and len(typed) > max_length:
        raise InvalidValue(
            f"The text is {len(typed)} characters long; this field takes at most {max_length}."
        )
    if isinstance(min_length, int) and typed and len(typed) < min_length:
        raise InvalidValue(
            f"The text is {len(typed)} characters long; this field needs at least {min_length}."
        )
    if kind == "number_input":
        _check_number(element, typed)
    if kind == "email_text_input" and not _EMAIL.match(typed):
        raise InvalidValue(f"'{typed}' is not an email address. Type one like ada@example.com.")
    if kind == "url_text_input" and not typed.startswith(("http://", "https://")):
        raise InvalidValue(f"'{typed}' is not a URL. Type one that starts with https://.")
    return typed


def _check_number(element: dict[str, Any], typed: str) -> None:
    decimals = bool(element.get("is_decimal_allowed"))
    try:
        number = float(typed) if decimals else int(typed)
    except ValueError:
        kind = "a number" if decimals else "a whole number"
        raise InvalidValue(f"'{typed}' is not {kind}. Type one like 3.") from None
    low, high = element.get("min_value"), element.get("max_value")
    if low is not None and number < float(low):
        raise InvalidValue(f"{typed} is below the minimum of {low}.")
    if high is not None and number > float(high):
        raise InvalidValue(f"{typed} is above the maximum of {high}.")


def _user(typed: str, directory: Directory) -> str:
    user_id = directory.find_user(typed)
    if user_id is None:
        names = ", ".join(directory.people_names())
        raise InvalidValue(f"No person is called '{typed}'. Type one of: {names}.")
    return user_id


def _channel(typed: str, directory: Directory) -> str:
    channel_id = directory.find_channel(typed)
    if channel_id is None:
        names = ", ".join(f"#{name}" for name in directory.channels.values())
        raise InvalidValue(f"No channel is called '{typed}'. Type one of: {names}.")
    return channel_id


def _date(typed: str) -> str:
    try:
        if not _DATE.match(typed):
            raise ValueError(typed)
        date.fromisoformat(typed)
    except ValueError:
        raise InvalidValue(
            f"'{typed}' is not a date. Type it as YYYY-MM-DD, for example 2027-03-09."
        ) from None
    return typed


def _time(typed: str) -> str:
    if not _TIME.match(typed):
        raise InvalidValue(f"'{typed}' is not a time. Type it as HH:MM, for example 09:30.")
    return typed
