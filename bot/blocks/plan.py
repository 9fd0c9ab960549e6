"""Render a plan as a Block Kit message that Slack accepts, whatever its size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot import ids
from bot.blocks.text import STATUS_EMOJI, escape, format_date, owner_text, shorten
from storage.models import Status
from storage.views import MilestoneView, PlanView, TaskView

MAX_BLOCKS = 50
# Slack rejects a message whose blocks carry more than about 13,000 characters
# (`msg_blocks_too_long`); this leaves room for the footer.
MAX_BLOCK_TEXT = 11_500
TITLE_IN_PLAN = 150
HEADER_LIMIT = 150
# Blocks kept free for the footer that says what was left out.
FOOTER_BLOCKS = 1


@dataclass(frozen=True)
class Message:
    """A message ready for chat.postMessage: blocks as dicts and a plain-text fallback."""

    text: str
    blocks: list[dict[str, Any]]


def plan_message(plan: PlanView, today: date) -> Message:
    """Build the plan message: open milestones first, then done ones, cut to Slack's limits."""
    head: list[Block] = [
        HeaderBlock(text=shorten(f"Mutual Action Plan: {plan.room.deal_name}", HEADER_LIMIT)),
        ContextBlock(elements=[MarkdownTextObject(text=_progress_line(plan))]),
    ]
    if not plan.milestones:
        head.append(SectionBlock(text=MarkdownTextObject(text=EMPTY_PLAN)))
        return _message(plan, head)

    budget = _Budget(blocks=MAX_BLOCKS - len(head) - FOOTER_BLOCKS, chars=MAX_BLOCK_TEXT)
    budget.spend_blocks(head)
    body: list[Block] = []
    ordered = sorted(plan.milestones, key=lambda m: (not m.is_open, m.position))
    left_out: list[MilestoneView] = []
    for milestone in ordered:
        if left_out:
            left_out.append(milestone)
            continue
        blocks, shown_all = _milestone_blocks(milestone, today, budget)
        body.extend(blocks)
        if not shown_all:
            left_out.append(milestone)
    if left_out:
        body.append(_left_out_footer(left_out))
    return _message(plan, head + body)


EMPTY_PLAN = (
    "This plan has no milestones yet. Add one with `/map add milestone Discovery due next friday`."
)


def _message(plan: PlanView, blocks: list[Block]) -> Message:
    text = f"Mutual Action Plan for {plan.room.deal_name}: {_progress_summary(plan)}"
    return Message(text=shorten(text, 3000), blocks=[block.to_dict() for block in blocks])


def _progress_summary(plan: PlanView) -> str:
    return f"{plan.done_count}/{plan.task_count} tasks, {plan.percent_done}%"


def _progress_line(plan: PlanView) -> str:
    milestones_done = sum(1 for m in plan.milestones if not m.is_open)
    return (
        f"*{_progress_summary(plan)}* done · "
        f"{milestones_done}/{len(plan.milestones)} milestones completed"
    )


class _Budget:
    """Blocks and characters still free in the message."""

    def __init__(self, blocks: int, chars: int) -> None:
        self.blocks = blocks
        self.chars = chars

    def fits(self, blocks: list[Block]) -> bool:
        return len(blocks) <= self.blocks and _text_length(blocks) <= self.chars

    def spend_blocks(self, blocks: list[Block]) -> None:
        self.chars -= _text_length(blocks)

    def spend(self, blocks: list[Block]) -> None:
        self.blocks -= len(blocks)
        self.chars -= _text_length(blocks)


def _milestone_blocks(
    milestone: MilestoneView, today: date, budget: _Budget
) -> tuple[list[Block], bool]:
    """Return the blocks for one milestone that fit, and whether all of it fit."""
    heading: list[Block] = [_milestone_section(milestone, today)]
    open_tasks = [task for task in milestone.tasks if task.is_open]
    done_tasks = [task for task in milestone.tasks if not task.is_open]
    # A milestone is only started when its heading and its first task fit.
    first = heading + (_task_blocks(open_tasks[0], today) if open_tasks else [])
    if len(open_tasks) > 1:
        first.append(_more_tasks_note(1))
    if not budget.fits(first):
        return [], False

    budget.spend(heading)
    blocks: list[Block] = list(heading)
    for shown, task in enumerate(open_tasks):
        task_blocks = _task_blocks(task, today)
        if not budget.fits([*task_blocks, _more_tasks_note(1)]):
            note = _more_tasks_note(len(open_tasks) - shown)
            budget.spend([note])
            return [*blocks, note], False
        budget.spend(task_blocks)
        blocks.extend(task_blocks)
    if done_tasks:
        done = _completed_context(done_tasks)
        if not budget.fits([done]):
            return blocks, False
        budget.spend([done])
        blocks.append(done)
    return blocks, True


def _milestone_section(milestone: MilestoneView, today: date) -> SectionBlock:
    parts = [f"{STATUS_EMOJI[milestone.status]} {milestone.status.label}"]
    if milestone.status_manual:
        parts[0] += " (set by hand)"
    parts.append(f"{milestone.done_count}/{len(milestone.tasks)} tasks done")
    if milestone.due_date is not None:
        due = f"due {format_date(milestone.due_date, today)}"
        if milestone.is_open and milestone.due_date < today:
            due += " :warning: *overdue*"
        parts.append(due)
    title = escape(shorten(milestone.title, TITLE_IN_PLAN))
    text = f"*{milestone.position}. {title}*\n" + " · ".join(parts)
    return SectionBlock(block_id=f"{ids.BLOCK_MILESTONE}:{milestone.id}", text=text)


def _task_blocks(task: TaskView, today: date) -> list[Block]:
    section = SectionBlock(block_id=f"{ids.BLOCK_TASK}:{task.id}", text=task_line(task, today))
    actions = ActionsBlock(
        block_id=f"{ids.BLOCK_TASK_ACTIONS}:{task.id}",
        elements=[
            ButtonElement(
                text="Complete",
                action_id=ids.TASK_COMPLETE,
                value=str(task.id),
                style="primary",
            ),
            _status_button(task),
        ],
    )
    return [section, actions]


def task_line(task: TaskView, today: date) -> str:
    """Format one task as mrkdwn: number, title, status, owner, side and due date."""
    title = escape(shorten(task.title, TITLE_IN_PLAN))
    details = [f"{STATUS_EMOJI[task.status]} {task.status.label}", owner_text(task)]
    if task.due_date is not None:
        due = f"due {format_date(task.due_date, today)}"
        if task.is_overdue(today):
            due += " :warning: *overdue*"
        details.append(due)
    return f"*#{task.number}* {title}\n" + " · ".join(details)


def _status_button(task: TaskView) -> ButtonElement:
    """Offer the other open status: Start for a task not started, else back to Not started."""
    if task.status is Status.NOT_STARTED:
        return ButtonElement(
            text="Start", action_id=ids.TASK_MENU, value=f"{ids.MENU_IN_PROGRESS}:{task.id}"
        )
    return ButtonElement(
        text="Mark not started",
        action_id=ids.TASK_MENU,
        value=f"{ids.MENU_NOT_STARTED}:{task.id}",
    )


def _completed_context(tasks: list[TaskView]) -> ContextBlock:
    names = ", ".join(f"#{task.number} {escape(shorten(task.title, 60))}" for task in tasks)
    text = shorten(f":white_check_mark: Completed: {names}", 2900)
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _more_tasks_note(count: int) -> ContextBlock:
    noun = "task" if count == 1 else "tasks"
    return ContextBlock(
        elements=[MarkdownTextObject(text=f"…and {count} more open {noun} in this milestone.")]
    )


def _left_out_footer(left_out: list[MilestoneView]) -> ContextBlock:
    open_tasks = sum(1 for m in left_out for task in m.tasks if task.is_open)
    noun = "milestone" if len(left_out) == 1 else "milestones"
    text = (
        f"{len(left_out)} more {noun} with {open_tasks} open tasks did not fit in this "
        "message. Finish or remove tasks above to see them, or type `/map status`."
    )
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _text_length(blocks: list[Block]) -> int:
    return sum(_dict_text_length(block.to_dict()) for block in blocks)


def _dict_text_length(value: Any) -> int:
    if isinstance(value, dict):
        total = 0
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                total += len(item)
            else:
                total += _dict_text_length(item)
        return total
    if isinstance(value, list):
        return sum(_dict_text_length(item) for item in value)
    return 0
