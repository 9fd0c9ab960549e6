"""Block Kit blocks as terminal text, with every interactive element numbered.

`render_blocks` returns the lines and a `Control` per number, so the person can
type `click 2` for the element shown as `[2]`. A button is one number, each
option of an overflow menu, select menu, radio group or checkbox group is one
number, and a user, channel, date or time menu is one number that takes the
value typed after it (`click 4 bea.buyer`).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from bot.playground.terminal_text import (
    EMOJI_SYMBOLS,
    Directory,
    slack_to_text,
    text_object,
)

ROW_GAP = "   "
DIVIDER_WIDTH = 40
# Blocks that start after a blank line; context and actions blocks stay with the
# block above them, the way Slack draws them close together.
SPACED_BLOCKS = frozenset(
    {"header", "section", "divider", "image", "input", "rich_text", "markdown", "file", "video"}
)
# Elements used by picking one of their options, each option with its own number.
OPTION_ELEMENTS = frozenset({"overflow", "static_select", "radio_buttons"})
# Elements whose options each toggle one choice in a multiple selection.
TOGGLE_ELEMENTS = frozenset({"checkboxes", "multi_static_select"})
# Elements that take a value typed after their number, and the form of that value.
TYPED_ELEMENTS = {
    "users_select": "NAME",
    "multi_users_select": "NAME,NAME",
    "conversations_select": "#CHANNEL",
    "multi_conversations_select": "#CHANNEL,#CHANNEL",
    "channels_select": "#CHANNEL",
    "multi_channels_select": "#CHANNEL,#CHANNEL",
    "datepicker": "YYYY-MM-DD",
    "timepicker": "HH:MM",
}
# A task or item number such as `#12` in a section, added to the labels of the
# buttons under it so that `[1] Complete #12` shows which item the button acts on.
_SUBJECT = re.compile(r"(?<![\w&])#\d+\b")


@dataclass(frozen=True)
class Control:
    """A numbered element, or one numbered option of an element, in rendered blocks."""

    number: int
    label: str
    element: dict[str, Any]
    block_id: str
    option_value: str | None = None

    @property
    def element_type(self) -> str:
        return str(self.element.get("type", ""))

    @property
    def value_form(self) -> str | None:
        """The form of the value typed after the number, or None when it takes none."""
        return TYPED_ELEMENTS.get(self.element_type)

    @property
    def confirm(self) -> dict[str, Any] | None:
        dialog = self.element.get("confirm")
        return dialog if isinstance(dialog, dict) else None


@dataclass(frozen=True)
class Rendered:
    lines: list[str]
    controls: list[Control]


InputRenderer = Callable[[dict[str, Any]], list[str]]


def render_blocks(
    blocks: list[Any],
    directory: Directory,
    *,
    width: int,
    first_number: int | None = 1,
    render_input: InputRenderer | None = None,
) -> Rendered:
    """Render blocks as lines of at most `width` characters where words allow.

    Controls are numbered from `first_number`; with None they are shown without
    numbers and none are returned. `render_input` draws input blocks, which a
    modal numbers as fields instead.
    """
    renderer = _Renderer(directory, width, first_number, render_input)
    for index, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        if index and block.get("type") in SPACED_BLOCKS:
            renderer.lines.append("")
        renderer.block(block)
    return Rendered(renderer.lines, renderer.controls)


def wrap_text(text: str, width: int) -> list[str]:
    """Wrap each line of `text`, keeping blank lines and each line's indentation."""
    lines: list[str] = []
    for line in text.split("\n"):
        indent = line[: len(line) - len(line.lstrip())]
        wrapped = textwrap.wrap(
            line,
            width=max(width, 20),
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        lines.extend(wrapped or [""])
    return lines


def pack_row(items: list[str], width: int) -> list[str]:
    """Lay items out in rows of at most `width` characters without splitting an item."""
    rows: list[str] = []
    current = ""
    for item in items:
        candidate = f"{current}{ROW_GAP}{item}" if current else item
        if current and len(candidate) > width:
            rows.append(current)
            current = item
        else:
            current = candidate
    if current:
        rows.append(current)
    return rows


def option_list(element: dict[str, Any]) -> list[dict[str, Any]]:
    """Return an element's options, including those inside option groups."""
    options = [option for option in element.get("options") or [] if isinstance(option, dict)]
    for group in element.get("option_groups") or []:
        options.extend(option for option in group.get("options") or [] if isinstance(option, dict))
    return options


def selected_values(element: dict[str, Any]) -> list[str]:
    """Return the option values an element starts with (initial_option or initial_options)."""
    initial = element.get("initial_options")
    if initial is None and isinstance(element.get("initial_option"), dict):
        initial = [element["initial_option"]]
    return [str(option.get("value")) for option in initial or [] if isinstance(option, dict)]


class _Renderer:
    def __init__(
        self,
        directory: Directory,
        width: int,
        first_number: int | None,
        render_input: InputRenderer | None,
    ) -> None:
        self.directory = directory
        self.width = width
        self.next_number = first_number
        self.render_input = render_input
        self.lines: list[str] = []
        self.controls: list[Control] = []
        self.subject = ""

    def block(self, block: dict[str, Any]) -> None:
        kind = str(block.get("type", ""))
        draw = getattr(self, f"_{kind}", None)
        if draw is None:
            self.lines.append(f"[{kind or 'unknown'} block]")
        else:
            draw(block)
        if kind != "section":
            # Only the block right after a section belongs to the section's item.
            self.subject = ""

    def text(self, text: str) -> None:
        self.lines.extend(wrap_text(text, self.width))

    def row(self, items: list[str]) -> None:
        self.lines.extend(pack_row(items, self.width))

    # Blocks

    def _header(self, block: dict[str, Any]) -> None:
        title = text_object(block.get("text"), self.directory)
        self.text(title)
        self.lines.append("═" * min(len(title), self.width))

    def _section(self, block: dict[str, Any]) -> None:
        text = text_object(block.get("text"), self.directory) if block.get("text") else ""
        first_line = text.split("\n", 1)[0]
        found = _SUBJECT.search(first_line)
        self.subject = found.group(0) if found else ""
        if text:
            self.text(text)
        for field in block.get("fields") or []:
            self.text(text_object(field, self.directory))
        accessory = block.get("accessory")
        if isinstance(accessory, dict):
            self.row(self.element_items(accessory, str(block.get("block_id", ""))))

    def _context(self, block: dict[str, Any]) -> None:
        parts = []
        for element in block.get("elements") or []:
            if isinstance(element, dict) and element.get("type") == "image":
                parts.append(f"[image: {element.get('alt_text', '')}]")
            else:
                parts.append(text_object(element, self.directory))
        self.text("  ".join(part for part in parts if part))

    def _divider(self, block: dict[str, Any]) -> None:
        self.lines.append("─" * min(DIVIDER_WIDTH, self.width))

    def _actions(self, block: dict[str, Any]) -> None:
        items: list[str] = []
        for element in block.get("elements") or []:
            if isinstance(element, dict):
                items.extend(self.element_items(element, str(block.get("block_id", ""))))
        self.row(items)

    def _input(self, block: dict[str, Any]) -> None:
        if self.render_input is not None:
            self.lines.extend(self.render_input(block))
            return
        label = text_object(block.get("label"), self.directory)
        self.text(f"{label}: (an input field, which only a modal can submit)")

    def _image(self, block: dict[str, Any]) -> None:
        title = text_object(block.get("title"), self.directory) if block.get("title") else ""
        self.text(
            " ".join(part for part in (title, f"[image: {block.get('alt_text', '')}]") if part)
        )

    def _rich_text(self, block: dict[str, Any]) -> None:
        self.text(rich_text(block, self.directory))

    def _markdown(self, block: dict[str, Any]) -> None:
        self.text(str(block.get("text", "")))

    # Elements

    def element_items(self, element: dict[str, Any], block_id: str) -> list[str]:
        """Return the row items for one element, numbering what a person can use."""
        kind = str(element.get("type", ""))
        if kind == "image":
            return [f"[image: {element.get('alt_text', '')}]"]
        if kind == "button":
            label = self.labelled(text_object(element.get("text"), self.directory))
            if element.get("url"):
                label += f" (opens {element['url']})"
            return [self.control(label, element, block_id)]
        if kind in OPTION_ELEMENTS or kind in TOGGLE_ELEMENTS:
            return self.option_items(element, block_id)
        if kind in TYPED_ELEMENTS:
            return [self.typed_item(element, block_id)]
        name = text_object(element.get("placeholder"), self.directory) or kind
        return [f"({name}: a {kind}, which the playground cannot use)"]

    def option_items(self, element: dict[str, Any], block_id: str) -> list[str]:
        kind = str(element.get("type"))
        chosen = set(selected_values(element))
        items: list[str] = []
        for option in option_list(element):
            value = str(option.get("value"))
            label = self.labelled(text_object(option.get("text"), self.directory))
            if kind in TOGGLE_ELEMENTS:
                label = ("☑ " if value in chosen else "☐ ") + label
            elif value in chosen:
                label += " (selected)"
            items.append(self.control(label, element, block_id, value))
        lead = _option_lead(kind, text_object(element.get("placeholder"), self.directory))
        if lead and items:
            items[0] = f"{lead} {items[0]}"
        return items

    def typed_item(self, element: dict[str, Any], block_id: str) -> str:
        kind = str(element.get("type"))
        name = text_object(element.get("placeholder"), self.directory) or _typed_name(kind)
        current = _initial_typed(element, self.directory)
        label = f"{name} (now {current})" if current else name
        number = self.next_number
        item = self.control(label, element, block_id)
        if number is None:
            return item
        return f"{item} (type: click {number} {TYPED_ELEMENTS[kind]})"

    def labelled(self, text: str) -> str:
        """Add the section's item number to a control's label when the label lacks it."""
        if self.subject and self.subject not in text:
            return f"{text} {self.subject}"
        return text

    def control(
        self, label: str, element: dict[str, Any], block_id: str, option_value: str | None = None
    ) -> str:
        if self.next_number is None:
            return f"[{label}]"
        number = self.next_number
        self.next_number += 1
        self.controls.append(Control(number, label, element, block_id, option_value))
        return f"[{number}] {label}"


def _option_lead(kind: str, placeholder: str) -> str:
    if kind == "overflow":
        return "More:"
    if kind in ("static_select", "multi_static_select"):
        return f"{placeholder or 'Choose'}:"
    return ""


def _typed_name(kind: str) -> str:
    if "user" in kind:
        return "Choose a person"
    if "date" in kind:
        return "Choose a date"
    if "time" in kind:
        return "Choose a time"
    return "Choose a channel"


def _initial_typed(element: dict[str, Any], directory: Directory) -> str:
    for key in ("initial_user", "initial_date", "initial_time"):
        if element.get(key):
            value = str(element[key])
            return "@" + directory.user_name(value) if key == "initial_user" else value
    for key in ("initial_conversation", "initial_channel"):
        if element.get(key):
            return "#" + directory.channel_name(str(element[key]))
    users = element.get("initial_users") or []
    return ", ".join("@" + directory.user_name(str(user)) for user in users)


def rich_text(block: dict[str, Any], directory: Directory) -> str:
    """Flatten a rich_text block into lines: sections, lists, quotes and code."""
    lines: list[str] = []
    for element in block.get("elements") or []:
        kind = element.get("type")
        if kind == "rich_text_list":
            indent = "  " * int(element.get("indent", 0) or 0)
            for number, item in enumerate(element.get("elements") or [], start=1):
                bullet = f"{number}." if element.get("style") == "ordered" else "•"
                lines.append(f"{indent}{bullet} {_inline_text(item, directory)}")
        elif kind == "rich_text_quote":
            lines.extend(f"> {line}" for line in _inline_text(element, directory).split("\n"))
        else:
            lines.append(_inline_text(element, directory))
    return "\n".join(lines)


def _inline_text(container: dict[str, Any], directory: Directory) -> str:
    return "".join(_inline_parts(container, directory))


def _inline_parts(container: dict[str, Any], directory: Directory) -> Iterator[str]:
    for element in container.get("elements") or []:
        kind = element.get("type")
        if kind == "text":
            yield str(element.get("text", ""))
        elif kind == "link":
            yield str(element.get("text") or element.get("url", ""))
        elif kind == "user":
            yield "@" + directory.user_name(str(element.get("user_id", "")))
        elif kind == "channel":
            yield "#" + directory.channel_name(str(element.get("channel_id", "")))
        elif kind == "emoji":
            name = str(element.get("name", ""))
            yield EMOJI_SYMBOLS.get(name, f":{name}:")
        elif kind == "broadcast":
            yield f"@{element.get('range', 'here')}"
        elif kind == "date":
            yield str(element.get("fallback") or element.get("timestamp", ""))
        else:
            yield slack_to_text(str(element.get("text", "")), directory)
