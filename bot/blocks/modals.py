"""Modal views for tasks, and the small views every modal flow shares.

Builders are pure: plan values and a `ModalContext` in, a view dict out. Each
input's action_id equals its block_id (see `bot.ids`), which `bot.forms`
relies on to read submissions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.text import escape, shorten
from bot.forms import ModalContext
from storage.models import TITLE_MAX, Side
from storage.plan_edits import DESCRIPTION_MAX
from storage.views import MilestoneView, TaskView

# Slack's limits: a view title has at most 24 characters, a select at most 100
# options, an option text at most 75 characters.
VIEW_TITLE_MAX = 24
SELECT_OPTIONS_MAX = 100
OPTION_TEXT_MAX = 75

SIDE_HINT_NEW = (
    "Leave empty to take it from the owner: people from another workspace, such as "
    "Slack Connect guests, are buyers, and a typed name is a buyer."
)
SIDE_HINT_EDIT = "If you pick a new owner and leave this as it is, it follows the new owner."
# `/map add task` without an owner makes the person typing it the owner, and so does the form.
OWNER_HINT_NEW = "Leave this and the name below empty to own the task yourself."


def loading_modal(title: str) -> dict[str, Any]:
    """Build the view opened at once, before the plan is read, and replaced when it is."""
    return modal_view(title, [SectionBlock(text=MarkdownTextObject(text="Reading the plan…"))])


def notice_modal(title: str, text: str) -> dict[str, Any]:
    """Build a view that only shows the person a message, such as that a task is gone."""
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    return modal_view(title, blocks, callback_id=ids.VIEW_NOTICE, close="Close")


def task_modal(
    context: ModalContext,
    milestones: Sequence[MilestoneView],
    task: TaskView | None = None,
) -> dict[str, Any]:
    """Build the task form: empty to add a task, or filled in to edit `task`."""
    title = "Add task" if task is None else f"Edit task #{task.number}"
    milestone_id = task.milestone_id if task is not None else None
    blocks: list[Block] = [
        InputBlock(
            block_id=ids.FIELD_TITLE,
            label="Title",
            element=PlainTextInputElement(
                action_id=ids.FIELD_TITLE,
                max_length=TITLE_MAX,
                initial_value=task.title if task else None,
                placeholder="Share the SOC 2 report",
            ),
        ),
        InputBlock(
            block_id=ids.FIELD_MILESTONE,
            label="Milestone",
            element=milestone_select(milestones, milestone_id),
        ),
        InputBlock(
            block_id=ids.FIELD_OWNER,
            label="Owner",
            optional=True,
            hint=OWNER_HINT_NEW if task is None else None,
            element=UserSelectElement(
                action_id=ids.FIELD_OWNER,
                placeholder="Pick a person",
                initial_user=task.owner_user_id if task else None,
            ),
        ),
        InputBlock(
            block_id=ids.FIELD_OWNER_NAME,
            label="Or the owner's name",
            optional=True,
            hint="For a buyer contact who is not in Slack. Leave empty if you picked a person.",
            element=PlainTextInputElement(
                action_id=ids.FIELD_OWNER_NAME,
                max_length=TITLE_MAX,
                initial_value=task.owner_name if task else None,
            ),
        ),
        InputBlock(
            block_id=ids.FIELD_SIDE,
            label="Side",
            optional=True,
            hint=SIDE_HINT_NEW if task is None else SIDE_HINT_EDIT,
            element=StaticSelectElement(
                action_id=ids.FIELD_SIDE,
                placeholder="From the owner",
                options=[_side_option(Side.BUYER), _side_option(Side.SELLER)],
                initial_option=_side_option(task.side) if task else None,
            ),
        ),
        InputBlock(
            block_id=ids.FIELD_DUE_DATE,
            label="Due date",
            optional=True,
            element=DatePickerElement(
                action_id=ids.FIELD_DUE_DATE,
                initial_date=task.due_date.isoformat() if task and task.due_date else None,
            ),
        ),
        *remove_due_date_input(task.due_date if task is not None else None),
        InputBlock(
            block_id=ids.FIELD_DESCRIPTION,
            label="Description",
            optional=True,
            element=PlainTextInputElement(
                action_id=ids.FIELD_DESCRIPTION,
                multiline=True,
                max_length=DESCRIPTION_MAX,
                initial_value=task.description if task and task.description else None,
            ),
        ),
    ]
    submit = "Add task" if task is None else "Save"
    return modal_view(title, blocks, callback_id=ids.VIEW_TASK, context=context, submit=submit)


def task_move_modal(
    context: ModalContext, task: TaskView, milestones: Sequence[MilestoneView]
) -> dict[str, Any]:
    """Build the form that moves a task to another milestone."""
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=task_heading(task))),
        InputBlock(
            block_id=ids.FIELD_MILESTONE,
            label="Move to",
            element=milestone_select(milestones, task.milestone_id),
        ),
    ]
    return modal_view(
        f"Move task #{task.number}",
        blocks,
        callback_id=ids.VIEW_TASK_MOVE,
        context=context,
        submit="Move",
    )


def task_delete_modal(context: ModalContext, task: TaskView) -> dict[str, Any]:
    """Build the confirmation shown before a task is deleted."""
    text = (
        f"Delete {task_heading(task)}?\n"
        "It leaves the plan for everyone in this channel, and its number is not used again."
    )
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    return modal_view(
        f"Delete task #{task.number}",
        blocks,
        callback_id=ids.VIEW_TASK_DELETE,
        context=context,
        submit="Delete",
    )


def task_heading(task: TaskView) -> str:
    """Format a task as mrkdwn for a modal: its number and title in bold."""
    return f"*#{task.number} {escape(shorten(task.title, 150))}*"


def milestone_select(
    milestones: Sequence[MilestoneView], selected_id: int | None
) -> StaticSelectElement:
    """Build a select of the plan's milestones, with `selected_id` picked if given.

    Slack allows 100 options, so a longer plan offers its first 99 milestones
    and the selected one, so that editing a task never loses its milestone.
    """
    # NOTE: other milestones past the 100th cannot be picked here; an
    # external_select with an options endpoint would lift that limit.
    offered = list(milestones[:SELECT_OPTIONS_MAX])
    if len(milestones) > SELECT_OPTIONS_MAX and selected_id not in {m.id for m in offered}:
        selected = [m for m in milestones if m.id == selected_id]
        offered = offered[: SELECT_OPTIONS_MAX - len(selected)] + selected
    options = [
        Option(
            value=str(milestone.id),
            text=shorten(f"{milestone.position}. {milestone.title}", OPTION_TEXT_MAX),
        )
        for milestone in offered
    ]
    initial = next(
        (option for option in options if option.value == str(selected_id)),
        options[0] if len(options) == 1 else None,
    )
    return StaticSelectElement(
        action_id=ids.FIELD_MILESTONE,
        placeholder="Pick a milestone",
        options=options,
        initial_option=initial,
    )


def remove_due_date_input(due: date | None) -> list[InputBlock]:
    """Build the checkbox that removes a due date, for forms that show one.

    Slack's datepicker has no way to clear a date once one is picked, so an
    edit form needs this box to remove one.
    """
    if due is None:
        return []
    remove = Option(value="remove", text="Remove the due date")
    return [
        InputBlock(
            block_id=ids.FIELD_REMOVE_DUE_DATE,
            label="No due date",
            optional=True,
            element=CheckboxesElement(action_id=ids.FIELD_REMOVE_DUE_DATE, options=[remove]),
        )
    ]


def _side_option(side: Side) -> Option:
    return Option(value=side.value, text="Buyer" if side is Side.BUYER else "Seller")


def modal_view(
    title: str,
    blocks: Sequence[Block],
    *,
    callback_id: str = ids.VIEW_NOTICE,
    context: ModalContext | None = None,
    submit: str | None = None,
    close: str = "Cancel",
) -> dict[str, Any]:
    """Build a modal view dict; slack_sdk checks Slack's field limits on the way."""
    view = View(
        type="modal",
        callback_id=callback_id,
        title=shorten(title, VIEW_TITLE_MAX),
        submit=submit,
        close=close,
        blocks=list(blocks),
        private_metadata=context.encode() if context is not None else None,
    )
    return view.to_dict()
