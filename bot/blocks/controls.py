"""Menus and buttons that edit the plan, placed in the plan message by `bot.blocks.plan`."""

from __future__ import annotations

from slack_sdk.models.blocks import ButtonElement, Option, OverflowMenuElement

from bot import ids
from storage.models import Status
from storage.views import MilestoneView, TaskView


def task_overflow(task: TaskView) -> OverflowMenuElement:
    """Build the menu beside a task's Complete button: status, edit, move and delete.

    It always has 4 options, inside the 2 to 5 that Slack allows in an overflow menu.
    """
    # The status the option was drawn for rides along, so a pick on an older copy
    # of the plan cannot reopen a task that was completed meanwhile.
    if task.status is Status.NOT_STARTED:
        verb, label = ids.MENU_IN_PROGRESS, "Start"
    else:
        verb, label = ids.MENU_NOT_STARTED, "Mark not started"
    status = Option(text=label, value=f"{overflow_value(verb, task.id)}:{task.status.value}")
    return OverflowMenuElement(
        action_id=ids.TASK_OVERFLOW,
        options=[
            status,
            _option("Edit…", ids.TASK_EDIT, task.id),
            _option("Move to another milestone…", ids.TASK_MOVE, task.id),
            _option("Delete…", ids.TASK_DELETE, task.id),
        ],
    )


def milestone_overflow(milestone: MilestoneView, milestone_count: int) -> OverflowMenuElement:
    """Build the menu on a milestone's heading: rename, status, move up or down, delete.

    Move up is left out for the first milestone and Move down for the last,
    so the menu has 3 to 5 options.
    """
    options = [
        _option("Rename or set due date…", ids.MILESTONE_EDIT, milestone.id),
        _option("Set status…", ids.MILESTONE_STATUS, milestone.id),
    ]
    if milestone.position > 1:
        options.append(_option("Move up", ids.MILESTONE_UP, milestone.id))
    if milestone.position < milestone_count:
        options.append(_option("Move down", ids.MILESTONE_DOWN, milestone.id))
    options.append(_option("Delete…", ids.MILESTONE_DELETE, milestone.id))
    return OverflowMenuElement(action_id=ids.MILESTONE_OVERFLOW, options=options)


def plan_add_buttons() -> list[ButtonElement]:
    """Build the Add task and Add milestone buttons shown at the end of the plan message."""
    return [
        ButtonElement(text="Add task", action_id=ids.PLAN_ADD_TASK, value="add"),
        ButtonElement(text="Add milestone", action_id=ids.PLAN_ADD_MILESTONE, value="add"),
    ]


def overflow_value(verb: str, database_id: int) -> str:
    return f"{verb}:{database_id}"


def read_overflow_value(value: str) -> tuple[str, int] | None:
    """Split an overflow option value into its verb and id, or return None if it is malformed.

    Status options carry a third part, the status they were drawn for, which
    `bot.listeners.actions.parse_status_value` reads.
    """
    verb, _, rest = value.partition(":")
    raw_id = rest.split(":", 1)[0]
    if not verb or not raw_id.isdecimal():
        return None
    return verb, int(raw_id)


def _option(text: str, verb: str, database_id: int) -> Option:
    return Option(text=text, value=overflow_value(verb, database_id))
