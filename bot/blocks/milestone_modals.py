"""Modal views for milestones: add, rename and due date, status, delete."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    Block,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
)

from bot import ids
from bot.blocks.modals import modal_view, remove_due_date_input
from bot.blocks.text import escape, shorten
from bot.forms import AUTOMATIC_STATUS, ModalContext
from storage.models import TITLE_MAX, Status
from storage.views import MilestoneView


def milestone_add_modal(context: ModalContext) -> dict[str, Any]:
    """Build the form that adds a milestone; it needs nothing from the database."""
    blocks: list[Block] = [
        _title_input(None),
        _due_date_input(None),
        InputBlock(
            block_id=ids.FIELD_POSITION,
            label="Position",
            optional=True,
            hint="1 puts it first. Leave empty to add it at the end.",
            element=NumberInputElement(
                action_id=ids.FIELD_POSITION, is_decimal_allowed=False, min_value=1
            ),
        ),
    ]
    return modal_view(
        "Add milestone",
        blocks,
        callback_id=ids.VIEW_MILESTONE_ADD,
        context=context,
        submit="Add milestone",
    )


def milestone_edit_modal(context: ModalContext, milestone: MilestoneView) -> dict[str, Any]:
    """Build the form that renames a milestone and sets or clears its due date."""
    blocks: list[Block] = [
        _title_input(milestone.title),
        _due_date_input(milestone),
        *remove_due_date_input(milestone.due_date),
    ]
    return modal_view(
        "Edit milestone",
        blocks,
        callback_id=ids.VIEW_MILESTONE_EDIT,
        context=context,
        submit="Save",
    )


def milestone_status_modal(context: ModalContext, milestone: MilestoneView) -> dict[str, Any]:
    """Build the form that sets a milestone's status by hand, or back to automatic."""
    automatic = Option(
        value=AUTOMATIC_STATUS,
        text="Automatic",
        description="Follows its tasks: Completed when all are, In progress when any is started.",
    )
    options = [automatic] + [Option(value=status.value, text=status.label) for status in Status]
    initial = automatic if not milestone.status_manual else options[_status_index(milestone)]
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=milestone_heading(milestone))),
        InputBlock(
            block_id=ids.FIELD_STATUS,
            label="Status",
            hint="A status set by hand stays until you set it back to Automatic. "
            "It does not change the milestone's tasks.",
            element=RadioButtonsElement(
                action_id=ids.FIELD_STATUS, options=options, initial_option=initial
            ),
        ),
    ]
    return modal_view(
        "Milestone status",
        blocks,
        callback_id=ids.VIEW_MILESTONE_STATUS,
        context=context,
        submit="Save",
    )


def milestone_delete_modal(context: ModalContext, milestone: MilestoneView) -> dict[str, Any]:
    """Build the confirmation before a milestone is deleted, saying how many tasks go with it."""
    count = len(milestone.tasks)
    if count == 0:
        consequence = "It has no tasks."
    else:
        numbers = ", ".join(f"#{task.number}" for task in milestone.tasks[:20])
        if count > 20:
            numbers += f" and {count - 20} more"
        noun = "task" if count == 1 else "tasks"
        consequence = f"Its {count} {noun} ({numbers}) will be deleted with it."
    text = (
        f"Delete {milestone_heading(milestone)}?\n{consequence} "
        "This changes the plan for everyone in this channel."
    )
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    return modal_view(
        "Delete milestone",
        blocks,
        callback_id=ids.VIEW_MILESTONE_DELETE,
        context=context,
        submit="Delete",
    )


def milestone_heading(milestone: MilestoneView) -> str:
    """Format a milestone as mrkdwn for a modal: its position and title in bold."""
    return f"*{milestone.position}. {escape(shorten(milestone.title, 150))}*"


def _title_input(title: str | None) -> InputBlock:
    return InputBlock(
        block_id=ids.FIELD_TITLE,
        label="Title",
        element=PlainTextInputElement(
            action_id=ids.FIELD_TITLE,
            max_length=TITLE_MAX,
            initial_value=title,
            placeholder="Security review",
        ),
    )


def _due_date_input(milestone: MilestoneView | None) -> InputBlock:
    due = milestone.due_date if milestone is not None else None
    return InputBlock(
        block_id=ids.FIELD_DUE_DATE,
        label="Due date",
        optional=True,
        element=DatePickerElement(
            action_id=ids.FIELD_DUE_DATE, initial_date=due.isoformat() if due else None
        ),
    )


def _status_index(milestone: MilestoneView) -> int:
    """Return the index of the milestone's status among the options, after Automatic."""
    return 1 + list(Status).index(milestone.status)
