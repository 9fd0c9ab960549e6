"""Block Kit limits that Slack enforces on messages and views, as pure checks.

The numbers come from Slack's Block Kit reference (docs.slack.dev, "Blocks", the
page of each block and element, "Option object", "Text object", "Modal views").
The stand-in rejects API calls with the error code these checks return, and tests
can call `check_message` and `check_view` directly.

Error details imitate Slack's `response_metadata.messages` lines, for example
`[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

INVALID_BLOCKS = "invalid_blocks"
INVALID_BLOCKS_FORMAT = "invalid_blocks_format"
INVALID_ARGUMENTS = "invalid_arguments"
MSG_TOO_LONG = "msg_too_long"
MSG_BLOCKS_TOO_LONG = "msg_blocks_too_long"
VIEW_TOO_LARGE = "view_too_large"

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
MESSAGE_TEXT_LIMIT = 40_000
# NOTE: Slack does not document this limit. Users report msg_blocks_too_long from
# about 11,300 to 13,300 characters of block text, depending on the block types,
# and a Slack maintainer described it as 12,000 characters plus a buffer for the
# block containers. The stand-in rejects more than 13,000 characters.
MESSAGE_BLOCKS_TEXT_LIMIT = 13_000
# Slack documents views.open, views.update, views.push and views.publish as
# rejecting a view larger than 250 kB with view_too_large.
VIEW_SIZE_LIMIT = 250_000

BLOCK_ID_MAX = 255
ACTION_ID_MAX = 255
TEXT_OBJECT_MAX = 3000
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
INPUT_LABEL_MAX = 2000
INPUT_HINT_MAX = 2000
IMAGE_URL_MAX = 3000
IMAGE_ALT_TEXT_MAX = 2000
IMAGE_TITLE_MAX = 2000
MARKDOWN_BLOCK_TEXT_MAX = 12_000
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
BUTTON_URL_MAX = 3000
BUTTON_ACCESSIBILITY_LABEL_MAX = 75
PLACEHOLDER_MAX = 150
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTION_DESCRIPTION_MAX = 75
OPTION_URL_MAX = 3000
OPTION_GROUP_LABEL_MAX = 75
SELECT_OPTIONS_MAX = 100
SELECT_OPTION_GROUPS_MAX = 100
# NOTE: older Slack references give the overflow menu 2 to 5 options. The current
# reference states only "up to five", and slack_sdk 3.48 accepts a single option, so
# the minimum of 2 here may be stricter than Slack.
OVERFLOW_OPTIONS_MIN = 2
OVERFLOW_OPTIONS_MAX = 5
CHOICE_OPTIONS_MAX = 10
PLAIN_TEXT_INPUT_LENGTH_MAX = 3000
CONFIRM_TITLE_MAX = 100
CONFIRM_TEXT_MAX = 300
CONFIRM_BUTTON_MAX = 30
VIEW_TITLE_MAX = 24
VIEW_BUTTON_MAX = 24
VIEW_PRIVATE_METADATA_MAX = 3000
VIEW_CALLBACK_ID_MAX = 255
VIEW_EXTERNAL_ID_MAX = 255

# Block types listed in Slack's Block Kit reference. Any other type is rejected.
KNOWN_BLOCK_TYPES = frozenset(
    {
        "actions",
        "alert",
        "card",
        "carousel",
        "container",
        "context",
        "context_actions",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)
STATIC_SELECT_TYPES = frozenset({"static_select", "multi_static_select"})
PLACEHOLDER_ELEMENT_TYPES = frozenset(
    {
        "static_select",
        "multi_static_select",
        "external_select",
        "multi_external_select",
        "users_select",
        "multi_users_select",
        "conversations_select",
        "multi_conversations_select",
        "channels_select",
        "multi_channels_select",
        "datepicker",
        "timepicker",
        "plain_text_input",
        "email_text_input",
        "url_text_input",
        "number_input",
    }
)
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME_PATTERN = re.compile(r"^\d{2}:\d{2}$")


@dataclass
class LimitProblem:
    """A rejected payload: Slack's error code and its `[ERROR] ...` detail lines."""

    code: str
    messages: list[str] = field(default_factory=list)


def check_message(blocks: Any, text: Any, limit: int = MESSAGE_BLOCK_LIMIT) -> str | None:
    """Return the error code Slack gives this message, or None if Slack accepts it."""
    problem = find_message_problem(blocks, text, limit)
    return problem.code if problem else None


def check_view(view: Any) -> str | None:
    """Return the error code Slack gives this modal or Home tab view, or None."""
    problem = find_view_problem(view)
    return problem.code if problem else None


def find_message_problem(
    blocks: Any, text: Any, limit: int = MESSAGE_BLOCK_LIMIT
) -> LimitProblem | None:
    """Check a message's top-level text and blocks against Slack's limits."""
    if isinstance(text, str) and len(text) > MESSAGE_TEXT_LIMIT:
        return LimitProblem(MSG_TOO_LONG, [f"[ERROR] text is longer than {MESSAGE_TEXT_LIMIT}"])
    if blocks is None:
        return None
    if not isinstance(blocks, list):
        return LimitProblem(INVALID_BLOCKS_FORMAT, ["[ERROR] must provide an array"])

    errors = _block_list_errors(blocks, "/blocks", limit)
    if errors:
        return LimitProblem(INVALID_BLOCKS, errors)

    total = blocks_text_length(blocks)
    if total > MESSAGE_BLOCKS_TEXT_LIMIT:
        detail = f"[ERROR] blocks contain {total} characters of text"
        return LimitProblem(MSG_BLOCKS_TOO_LONG, [detail])
    return None


def find_view_problem(view: Any) -> LimitProblem | None:
    """Check a view object against Slack's limits for modals and Home tabs.

    NOTE: Slack's reference does not list the code for a bad block in a view. The
    stand-in returns invalid_arguments with json pointers under /view, as Slack's
    views methods are seen to do, rather than invalid_blocks.
    """
    if not isinstance(view, dict):
        return LimitProblem(
            INVALID_ARGUMENTS, ["[ERROR] must provide an object [json-pointer:/view]"]
        )
    if len(json.dumps(view)) > VIEW_SIZE_LIMIT:
        return LimitProblem(
            VIEW_TOO_LARGE, [f"[ERROR] view is larger than {VIEW_SIZE_LIMIT} bytes"]
        )

    errors = _view_field_errors(view)
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        errors.append(_error("must provide an array", "/view/blocks"))
    else:
        errors.extend(_block_list_errors(blocks, "/view/blocks", VIEW_BLOCK_LIMIT))
    if errors:
        return LimitProblem(INVALID_ARGUMENTS, errors)
    return None


def blocks_text_length(blocks: Any) -> int:
    """Count the characters of every `text` string anywhere inside the blocks."""
    return sum(len(text) for text in _text_strings(blocks))


def assign_block_ids(blocks: list[Any], prefix: str) -> list[Any]:
    """Give each block without a block_id a generated one, as Slack does on post."""
    used_ids = {block.get("block_id") for block in blocks if isinstance(block, dict)}
    result: list[Any] = []
    for index, block in enumerate(blocks):
        if isinstance(block, dict) and not block.get("block_id"):
            candidate = f"{prefix}{index}"
            while candidate in used_ids:
                candidate += "x"
            used_ids.add(candidate)
            block = {**block, "block_id": candidate}
        result.append(block)
    return result


def _text_strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                yield item
            else:
                yield from _text_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _text_strings(item)


def _error(problem: str, pointer: str) -> str:
    return f"[ERROR] {problem} [json-pointer:{pointer}]"


def _too_long(value: Any, maximum: int, pointer: str) -> list[str]:
    if isinstance(value, str) and len(value) > maximum:
        return [_error(f"must be less than {maximum + 1} characters", pointer)]
    return []


def _text_object_errors(
    obj: Any, pointer: str, maximum: int, *, plain_only: bool = False, required: bool = True
) -> list[str]:
    if obj is None:
        return [_error("must provide an object", pointer)] if required else []
    if not isinstance(obj, dict):
        return [_error("must provide an object", pointer)]
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if obj.get("type") not in allowed:
        return [_error(f"must be one of {', '.join(allowed)}", f"{pointer}/type")]
    text = obj.get("text")
    if not isinstance(text, str):
        return [_error("must provide a string", f"{pointer}/text")]
    if not text:
        return [_error("must be at least 1 character", f"{pointer}/text")]
    return _too_long(text, min(maximum, TEXT_OBJECT_MAX), f"{pointer}/text")


def _block_list_errors(blocks: list[Any], pointer: str, limit: int) -> list[str]:
    if len(blocks) > limit:
        return [_error(f"no more than {limit} items allowed", pointer)]
    errors: list[str] = []
    seen_block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        block_pointer = f"{pointer}/{index}"
        errors.extend(_block_errors(block, block_pointer))
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str) and block_id:
            if block_id in seen_block_ids:
                errors.append(
                    _error(f"duplicate block_id {block_id!r}", f"{block_pointer}/block_id")
                )
            seen_block_ids.add(block_id)
    return errors


def _block_errors(block: Any, pointer: str) -> list[str]:
    if not isinstance(block, dict):
        return [_error("must provide an object", pointer)]
    block_type = block.get("type")
    if block_type not in KNOWN_BLOCK_TYPES:
        return [_error(f"unsupported type: {block_type}", f"{pointer}/type")]
    errors = _too_long(block.get("block_id"), BLOCK_ID_MAX, f"{pointer}/block_id")
    checker = _BLOCK_CHECKERS.get(block_type)
    if checker is not None:
        errors.extend(checker(block, pointer))
    return errors


def _section_errors(block: dict[str, Any], pointer: str) -> list[str]:
    text = block.get("text")
    fields = block.get("fields")
    if text is None and fields is None:
        return [_error("must provide text or fields", pointer)]
    errors: list[str] = []
    if text is not None:
        errors.extend(_text_object_errors(text, f"{pointer}/text", SECTION_TEXT_MAX))
    if fields is not None:
        errors.extend(_section_fields_errors(fields, f"{pointer}/fields"))
    accessory = block.get("accessory")
    if accessory is not None:
        errors.extend(_element_errors(accessory, f"{pointer}/accessory"))
    return errors


def _section_fields_errors(fields: Any, pointer: str) -> list[str]:
    if not isinstance(fields, list):
        return [_error("must provide an array", pointer)]
    if len(fields) > SECTION_FIELDS_MAX:
        return [_error(f"no more than {SECTION_FIELDS_MAX} items allowed", pointer)]
    errors: list[str] = []
    for index, item in enumerate(fields):
        errors.extend(_text_object_errors(item, f"{pointer}/{index}", SECTION_FIELD_TEXT_MAX))
    return errors


def _header_errors(block: dict[str, Any], pointer: str) -> list[str]:
    return _text_object_errors(
        block.get("text"), f"{pointer}/text", HEADER_TEXT_MAX, plain_only=True
    )


def _context_errors(block: dict[str, Any], pointer: str) -> list[str]:
    elements = block.get("elements")
    elements_pointer = f"{pointer}/elements"
    if not isinstance(elements, list) or not elements:
        return [_error("must provide a non-empty array", elements_pointer)]
    if len(elements) > CONTEXT_ELEMENTS_MAX:
        return [_error(f"no more than {CONTEXT_ELEMENTS_MAX} items allowed", elements_pointer)]
    errors: list[str] = []
    for index, element in enumerate(elements):
        element_pointer = f"{elements_pointer}/{index}"
        if isinstance(element, dict) and element.get("type") == "image":
            errors.extend(_image_errors(element, element_pointer))
        else:
            errors.extend(_text_object_errors(element, element_pointer, TEXT_OBJECT_MAX))
    return errors


def _actions_errors(block: dict[str, Any], pointer: str) -> list[str]:
    elements = block.get("elements")
    elements_pointer = f"{pointer}/elements"
    if not isinstance(elements, list) or not elements:
        return [_error("must provide a non-empty array", elements_pointer)]
    if len(elements) > ACTIONS_ELEMENTS_MAX:
        return [_error(f"no more than {ACTIONS_ELEMENTS_MAX} items allowed", elements_pointer)]
    errors: list[str] = []
    seen_action_ids: set[str] = set()
    for index, element in enumerate(elements):
        element_pointer = f"{elements_pointer}/{index}"
        errors.extend(_element_errors(element, element_pointer))
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if isinstance(action_id, str) and action_id:
            # NOTE: Slack's reference states that action ids "should be unique" within a
            # block. The stand-in rejects duplicates, which may be stricter than Slack.
            if action_id in seen_action_ids:
                detail = f"duplicate action_id {action_id!r}"
                errors.append(_error(detail, f"{element_pointer}/action_id"))
            seen_action_ids.add(action_id)
    return errors


def _input_errors(block: dict[str, Any], pointer: str) -> list[str]:
    errors = _text_object_errors(
        block.get("label"), f"{pointer}/label", INPUT_LABEL_MAX, plain_only=True
    )
    errors.extend(
        _text_object_errors(
            block.get("hint"), f"{pointer}/hint", INPUT_HINT_MAX, plain_only=True, required=False
        )
    )
    element = block.get("element")
    if element is None:
        errors.append(_error("must provide an object", f"{pointer}/element"))
    else:
        errors.extend(_element_errors(element, f"{pointer}/element"))
    return errors


def _image_errors(block: dict[str, Any], pointer: str) -> list[str]:
    errors: list[str] = []
    if not block.get("image_url") and not block.get("slack_file"):
        errors.append(_error("must provide image_url or slack_file", pointer))
    errors.extend(_too_long(block.get("image_url"), IMAGE_URL_MAX, f"{pointer}/image_url"))
    alt_text = block.get("alt_text")
    if not isinstance(alt_text, str) or not alt_text:
        errors.append(_error("must provide a string", f"{pointer}/alt_text"))
    errors.extend(_too_long(alt_text, IMAGE_ALT_TEXT_MAX, f"{pointer}/alt_text"))
    title = block.get("title")
    if title is not None:
        errors.extend(
            _text_object_errors(title, f"{pointer}/title", IMAGE_TITLE_MAX, plain_only=True)
        )
    return errors


def _markdown_errors(block: dict[str, Any], pointer: str) -> list[str]:
    text = block.get("text")
    if not isinstance(text, str) or not text:
        return [_error("must provide a non-empty string", f"{pointer}/text")]
    return _too_long(text, MARKDOWN_BLOCK_TEXT_MAX, f"{pointer}/text")


_BLOCK_CHECKERS = {
    "section": _section_errors,
    "header": _header_errors,
    "context": _context_errors,
    "actions": _actions_errors,
    "input": _input_errors,
    "image": _image_errors,
    "markdown": _markdown_errors,
}


def _element_errors(element: Any, pointer: str) -> list[str]:
    if not isinstance(element, dict):
        return [_error("must provide an object", pointer)]
    element_type = element.get("type")
    if not isinstance(element_type, str) or not element_type:
        return [_error("must provide a type", f"{pointer}/type")]
    errors = _too_long(element.get("action_id"), ACTION_ID_MAX, f"{pointer}/action_id")
    if element_type in PLACEHOLDER_ELEMENT_TYPES:
        placeholder = element.get("placeholder")
        errors.extend(
            _text_object_errors(
                placeholder,
                f"{pointer}/placeholder",
                PLACEHOLDER_MAX,
                plain_only=True,
                required=False,
            )
        )
    if element.get("confirm") is not None:
        errors.extend(_confirm_errors(element["confirm"], f"{pointer}/confirm"))
    checker = _ELEMENT_CHECKERS.get(element_type)
    if checker is not None:
        errors.extend(checker(element, pointer))
    return errors


def _button_errors(element: dict[str, Any], pointer: str) -> list[str]:
    errors = _text_object_errors(
        element.get("text"), f"{pointer}/text", BUTTON_TEXT_MAX, plain_only=True
    )
    errors.extend(_too_long(element.get("value"), BUTTON_VALUE_MAX, f"{pointer}/value"))
    errors.extend(_too_long(element.get("url"), BUTTON_URL_MAX, f"{pointer}/url"))
    label = element.get("accessibility_label")
    errors.extend(
        _too_long(label, BUTTON_ACCESSIBILITY_LABEL_MAX, f"{pointer}/accessibility_label")
    )
    style = element.get("style")
    if style is not None and style not in ("primary", "danger"):
        errors.append(_error("must be one of primary, danger", f"{pointer}/style"))
    return errors


def _overflow_errors(element: dict[str, Any], pointer: str) -> list[str]:
    options = element.get("options")
    options_pointer = f"{pointer}/options"
    if not isinstance(options, list):
        return [_error("must provide an array", options_pointer)]
    if not OVERFLOW_OPTIONS_MIN <= len(options) <= OVERFLOW_OPTIONS_MAX:
        detail = f"must have {OVERFLOW_OPTIONS_MIN} to {OVERFLOW_OPTIONS_MAX} items"
        return [_error(detail, options_pointer)]
    return _options_errors(options, options_pointer, allow_url=True)


def _static_select_errors(element: dict[str, Any], pointer: str) -> list[str]:
    options = element.get("options")
    groups = element.get("option_groups")
    if (options is None) == (groups is None):
        return [_error("must provide exactly one of options, option_groups", pointer)]
    if options is not None:
        return _bounded_options_errors(options, f"{pointer}/options", SELECT_OPTIONS_MAX)

    groups_pointer = f"{pointer}/option_groups"
    if not isinstance(groups, list):
        return [_error("must provide an array", groups_pointer)]
    if len(groups) > SELECT_OPTION_GROUPS_MAX:
        return [_error(f"no more than {SELECT_OPTION_GROUPS_MAX} items allowed", groups_pointer)]
    errors: list[str] = []
    for index, group in enumerate(groups):
        group_pointer = f"{groups_pointer}/{index}"
        if not isinstance(group, dict):
            errors.append(_error("must provide an object", group_pointer))
            continue
        errors.extend(
            _text_object_errors(
                group.get("label"),
                f"{group_pointer}/label",
                OPTION_GROUP_LABEL_MAX,
                plain_only=True,
            )
        )
        errors.extend(
            _bounded_options_errors(
                group.get("options"), f"{group_pointer}/options", SELECT_OPTIONS_MAX
            )
        )
    return errors


def _choice_errors(element: dict[str, Any], pointer: str) -> list[str]:
    return _bounded_options_errors(element.get("options"), f"{pointer}/options", CHOICE_OPTIONS_MAX)


def _bounded_options_errors(options: Any, pointer: str, maximum: int) -> list[str]:
    if not isinstance(options, list) or not options:
        return [_error("must provide a non-empty array", pointer)]
    if len(options) > maximum:
        return [_error(f"no more than {maximum} items allowed", pointer)]
    return _options_errors(options, pointer, allow_url=False)


def _options_errors(options: list[Any], pointer: str, *, allow_url: bool) -> list[str]:
    errors: list[str] = []
    for index, option in enumerate(options):
        option_pointer = f"{pointer}/{index}"
        if not isinstance(option, dict):
            errors.append(_error("must provide an object", option_pointer))
            continue
        errors.extend(
            _text_object_errors(option.get("text"), f"{option_pointer}/text", OPTION_TEXT_MAX)
        )
        value = option.get("value")
        if not isinstance(value, str):
            errors.append(_error("must provide a string", f"{option_pointer}/value"))
        errors.extend(_too_long(value, OPTION_VALUE_MAX, f"{option_pointer}/value"))
        errors.extend(
            _text_object_errors(
                option.get("description"),
                f"{option_pointer}/description",
                OPTION_DESCRIPTION_MAX,
                required=False,
            )
        )
        if option.get("url") is not None and not allow_url:
            errors.append(_error("url is only allowed in overflow menus", f"{option_pointer}/url"))
        errors.extend(_too_long(option.get("url"), OPTION_URL_MAX, f"{option_pointer}/url"))
    return errors


def _datepicker_errors(element: dict[str, Any], pointer: str) -> list[str]:
    initial = element.get("initial_date")
    if initial is not None and not (isinstance(initial, str) and DATE_PATTERN.match(initial)):
        return [_error("must be a date in YYYY-MM-DD format", f"{pointer}/initial_date")]
    return []


def _timepicker_errors(element: dict[str, Any], pointer: str) -> list[str]:
    initial = element.get("initial_time")
    if initial is not None and not (isinstance(initial, str) and TIME_PATTERN.match(initial)):
        return [_error("must be a time in HH:mm format", f"{pointer}/initial_time")]
    return []


def _plain_text_input_errors(element: dict[str, Any], pointer: str) -> list[str]:
    errors: list[str] = []
    for name, lowest in (("min_length", 0), ("max_length", 1)):
        value = element.get(name)
        if value is None:
            continue
        in_range = isinstance(value, int) and lowest <= value <= PLAIN_TEXT_INPUT_LENGTH_MAX
        if not in_range:
            detail = f"must be an integer from {lowest} to {PLAIN_TEXT_INPUT_LENGTH_MAX}"
            errors.append(_error(detail, f"{pointer}/{name}"))
    return errors


def _confirm_errors(confirm: Any, pointer: str) -> list[str]:
    if not isinstance(confirm, dict):
        return [_error("must provide an object", pointer)]
    errors = _text_object_errors(
        confirm.get("title"), f"{pointer}/title", CONFIRM_TITLE_MAX, plain_only=True
    )
    errors.extend(_text_object_errors(confirm.get("text"), f"{pointer}/text", CONFIRM_TEXT_MAX))
    for name in ("confirm", "deny"):
        errors.extend(
            _text_object_errors(
                confirm.get(name), f"{pointer}/{name}", CONFIRM_BUTTON_MAX, plain_only=True
            )
        )
    return errors


_ELEMENT_CHECKERS = {
    "button": _button_errors,
    "overflow": _overflow_errors,
    "static_select": _static_select_errors,
    "multi_static_select": _static_select_errors,
    "checkboxes": _choice_errors,
    "radio_buttons": _choice_errors,
    "datepicker": _datepicker_errors,
    "timepicker": _timepicker_errors,
    "plain_text_input": _plain_text_input_errors,
    "image": _image_errors,
}


def _view_field_errors(view: dict[str, Any]) -> list[str]:
    view_type = view.get("type")
    if view_type not in ("modal", "home"):
        return [_error("must be one of modal, home", "/view/type")]
    errors: list[str] = []
    if view_type == "modal":
        errors.extend(
            _text_object_errors(view.get("title"), "/view/title", VIEW_TITLE_MAX, plain_only=True)
        )
        for name in ("submit", "close"):
            errors.extend(
                _text_object_errors(
                    view.get(name),
                    f"/view/{name}",
                    VIEW_BUTTON_MAX,
                    plain_only=True,
                    required=False,
                )
            )
        if view.get("submit") is None and _has_input_block(view.get("blocks")):
            errors.append(_error("must provide submit when the view has input blocks", "/view"))
    limits = (
        ("private_metadata", VIEW_PRIVATE_METADATA_MAX),
        ("callback_id", VIEW_CALLBACK_ID_MAX),
        ("external_id", VIEW_EXTERNAL_ID_MAX),
    )
    for name, maximum in limits:
        errors.extend(_too_long(view.get(name), maximum, f"/view/{name}"))
    return errors


def _has_input_block(blocks: Any) -> bool:
    if not isinstance(blocks, list):
        return False
    return any(isinstance(block, dict) and block.get("type") == "input" for block in blocks)
