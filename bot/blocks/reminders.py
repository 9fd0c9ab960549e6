"""Block Kit for reminders: grouped nudge messages and the weekly summary.

Pure functions: values in, a `Message` out. Both messages stay within Slack's
limits of 50 blocks and about 13,000 characters of block text however many
tasks they are given, and end with a count of the tasks left out.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from bot import ids
from bot.blocks.plan import Message
from bot.blocks.text import STATUS_EMOJI, escape, format_date, owner_text, shorten
from storage.models import Status, Task
from storage.plan_edits import task_view
from storage.reminder_calendar import WorkWeek
from storage.views import MilestoneView, PlanView, TaskView, percent_of

MAX_BLOCKS = 50
# Slack rejects more than about 13,000 characters of block text
# (`msg_blocks_too_long`), so this leaves room for the footer.
MAX_BLOCK_TEXT = 11_500
HEADER_LIMIT = 150
SECTION_TEXT_LIMIT = 3000
FALLBACK_LIMIT = 1000
TITLE_IN_NUDGE = 150
TITLE_IN_SUMMARY = 80
# Characters of block text each task list of the summary may use, and the milestones.
SUMMARY_LIST_CHARS = 1800
SUMMARY_MILESTONE_CHARS = 3600
# Snooze choices on a nudge: days to add to the room's today, and the label shown.
SNOOZE_CHOICES = ((1, "1 day"), (7, "1 week"))

# Formats the end of a task's line in a summary list, such as `due Fri Dec 11`.
TaskDetail = Callable[[TaskView, date], str]


@dataclass(frozen=True)
class NudgeEntry:
    """One task in a nudge message, with how its due date reads today."""

    task: TaskView
    due_phrase: str
    snoozed_until: date | None = None


def nudge_entries(tasks: Sequence[Task], today: date, week: WorkWeek) -> list[NudgeEntry]:
    """Pair each task with how its due date reads today, leaving out tasks without one."""
    return [
        NudgeEntry(task_view(task), due_phrase(task.due_date, today, week), task.snoozed_until)
        for task in tasks
        if task.due_date is not None
    ]


def due_phrase(due: date, today: date, week: WorkWeek) -> str:
    """Describe a due date relative to the room's today, such as `overdue by 3 working days`."""
    if due > today:
        if due == today + timedelta(days=1):
            return "due tomorrow"
        return f"due {format_date(due, today)}"
    if due == today:
        return "due today"
    late = week.count_between(due, today)
    if late == 0:
        return f"overdue since {format_date(due, today)}"
    return f"overdue by {late} working day{'' if late == 1 else 's'}"


def action_value(channel_id: str, task_id: int, days: int | None = None) -> str:
    """Build a nudge button or snooze option value: `<deal channel>:<task id>[:<days>]`."""
    value = f"{channel_id}:{task_id}"
    return value if days is None else f"{value}:{days}"


def nudge_message(
    deal_name: str,
    channel_id: str,
    entries: Sequence[NudgeEntry],
    today: date,
    *,
    direct: bool,
) -> Message:
    """Build one message for the nudges of a room's channel, or of one owner's direct message.

    `channel_id` is the deal room's channel, which a direct message links to.
    """
    where = f" in <#{channel_id}>" if direct else ""
    title = escape(shorten(deal_name, TITLE_IN_NUDGE))
    head: list[Block] = [
        SectionBlock(
            block_id=ids.BLOCK_NUDGE_HEADER,
            text=f":alarm_clock: *Task reminders for {title}*{where}",
        )
    ]
    budget = _Budget(MAX_BLOCKS - len(head) - 1, MAX_BLOCK_TEXT - _text_length(head))
    body: list[Block] = []
    shown = 0
    for entry in entries:
        blocks = _nudge_blocks(entry, channel_id, today)
        if not budget.take(blocks):
            break
        body.extend(blocks)
        shown += 1
    if shown < len(entries):
        body.append(_left_out_note(len(entries) - shown, "task"))
    return _message(_nudge_fallback(deal_name, entries), head + body)


def _nudge_blocks(entry: NudgeEntry, channel_id: str, today: date) -> list[Block]:
    task = entry.task
    section = SectionBlock(
        block_id=f"{ids.BLOCK_NUDGE_TASK}:{task.id}", text=_nudge_line(entry, today)
    )
    if task.status is Status.COMPLETED:
        return [section]
    value = action_value(channel_id, task.id)
    buttons: list[Any] = [
        ButtonElement(text="Complete", action_id=ids.NUDGE_COMPLETE, value=value, style="primary")
    ]
    if task.status is not Status.IN_PROGRESS:
        buttons.append(
            ButtonElement(text="In progress", action_id=ids.NUDGE_IN_PROGRESS, value=value)
        )
    snooze = StaticSelectElement(
        placeholder="Snooze",
        action_id=ids.NUDGE_SNOOZE,
        options=[
            Option(text=label, value=action_value(channel_id, task.id, days))
            for days, label in SNOOZE_CHOICES
        ],
    )
    actions = ActionsBlock(
        block_id=f"{ids.BLOCK_NUDGE_ACTIONS}:{task.id}", elements=[*buttons, snooze]
    )
    return [section, actions]


def _nudge_line(entry: NudgeEntry, today: date) -> str:
    task = entry.task
    title = escape(shorten(task.title, TITLE_IN_NUDGE))
    if task.status is Status.COMPLETED:
        by = f" by <@{task.completed_by}>" if task.completed_by else ""
        return f"~*#{task.number}* {title}~\n{STATUS_EMOJI[task.status]} Completed{by}"
    when = entry.due_phrase
    if task.is_overdue(today):
        when = f":warning: *{when}*"
    details = [f"{STATUS_EMOJI[task.status]} {task.status.label}", owner_text(task), when]
    if entry.snoozed_until is not None and entry.snoozed_until > today:
        details.append(f":zzz: snoozed until {format_date(entry.snoozed_until, today)}")
    return f"*#{task.number}* {title}\n" + " · ".join(details)


def _nudge_fallback(deal_name: str, entries: Sequence[NudgeEntry]) -> str:
    parts = []
    for entry in entries:
        task = entry.task
        name = escape(task.owner_name or "no owner")
        owner = f"<@{task.owner_user_id}>" if task.owner_user_id else name
        parts.append(f"#{task.number} {escape(task.title)} ({entry.due_phrase}, {owner})")
    # The fallback is mrkdwn too, so people's text is escaped as in the blocks.
    text = f"Task reminders for {escape(deal_name)}: " + "; ".join(parts)
    return shorten(text, FALLBACK_LIMIT)


@dataclass(frozen=True)
class SummaryContent:
    """Content of the weekly summary, each task list already sorted."""

    plan: PlanView
    today: date
    completed: Sequence[TaskView]
    due_soon: Sequence[TaskView]
    overdue_buyer: Sequence[TaskView]
    overdue_seller: Sequence[TaskView]


def summary_message(content: SummaryContent) -> Message:
    """Build the weekly summary of a plan."""
    plan = content.plan
    today = content.today
    head: list[Block] = [
        HeaderBlock(text=shorten(f"Weekly summary: {plan.room.deal_name}", HEADER_LIMIT)),
        ContextBlock(elements=[MarkdownTextObject(text=_summary_progress(plan, today))]),
    ]
    completed_detail = functools.partial(_completed_detail, zone=ZoneInfo(plan.room.timezone))
    lists: list[tuple[str, Sequence[TaskView], TaskDetail]] = [
        ("Completed in the last 7 days", content.completed, completed_detail),
        ("Due in the next 7 days", content.due_soon, _due_detail),
        ("Overdue on the buyer side", content.overdue_buyer, _due_detail),
        ("Overdue on the seller side", content.overdue_seller, _due_detail),
    ]
    body: list[Block] = [
        SectionBlock(text=_task_list(heading, tasks, today, detail))
        for heading, tasks, detail in lists
    ]
    body.extend(_milestone_sections(plan.milestones, today))
    return _message(_summary_fallback(content), head + body)


def _summary_progress(plan: PlanView, today: date) -> str:
    milestones_done = sum(1 for milestone in plan.milestones if not milestone.is_open)
    return (
        f"*{plan.done_count}/{plan.task_count} tasks done ({plan.percent_done}%)* · "
        f"{milestones_done}/{len(plan.milestones)} milestones completed · "
        f"as of {format_date(today, today)}"
    )


def _completed_detail(task: TaskView, today: date, *, zone: ZoneInfo) -> str:
    if task.completed_at is None:
        return "completed"
    return f"completed {format_date(task.completed_at.astimezone(zone).date(), today)}"


def _due_detail(task: TaskView, today: date) -> str:
    return f"due {format_date(task.due_date, today)}" if task.due_date else "no due date"


def _task_list(heading: str, tasks: Sequence[TaskView], today: date, detail: TaskDetail) -> str:
    """Format a heading and a line per task, cut to SUMMARY_LIST_CHARS with a count of the rest."""
    if not tasks:
        return f"*{heading}*\nNone."
    text = f"*{heading} ({len(tasks)})*"
    for shown, task in enumerate(tasks):
        title = escape(shorten(task.title, TITLE_IN_SUMMARY))
        line = f"\n• *#{task.number}* {title} · {owner_text(task)} · {detail(task, today)}"
        rest = len(tasks) - shown
        if len(text) + len(line) + len(_more_line(rest)) > SUMMARY_LIST_CHARS:
            return text + _more_line(rest)
        text += line
    return text


def _more_line(count: int) -> str:
    return f"\n…and {count} more"


def _milestone_sections(milestones: Sequence[MilestoneView], today: date) -> list[Block]:
    """Format each milestone's progress, cut to SUMMARY_MILESTONE_CHARS with a count of the rest."""
    if not milestones:
        return [SectionBlock(text="*Milestones*\nThis plan has no milestones yet.")]
    lines = ["*Milestones*"]
    used = len(lines[0])
    for index, milestone in enumerate(milestones):
        line = _milestone_line(milestone, today)
        more = f"…and {len(milestones) - index} more milestones"
        if used + len(line) + len(more) + 2 > SUMMARY_MILESTONE_CHARS:
            lines.append(more)
            break
        lines.append(line)
        used += len(line) + 1
    return [SectionBlock(text=chunk) for chunk in _join_in_chunks(lines, SECTION_TEXT_LIMIT)]


def _join_in_chunks(lines: Sequence[str], limit: int) -> list[str]:
    """Join lines with newlines into as few texts of at most `limit` characters as it takes."""
    chunks = [lines[0]]
    for line in lines[1:]:
        if len(chunks[-1]) + 1 + len(line) > limit:
            chunks.append(line)
        else:
            chunks[-1] += "\n" + line
    return chunks


def _milestone_line(milestone: MilestoneView, today: date) -> str:
    total = len(milestone.tasks)
    percent = percent_of(milestone.done_count, total)
    title = escape(shorten(milestone.title, TITLE_IN_SUMMARY))
    parts = [
        f"{STATUS_EMOJI[milestone.status]} *{milestone.position}. {title}*",
        f"{milestone.done_count}/{total} tasks done ({percent}%)",
    ]
    if milestone.due_date is not None:
        due = f"due {format_date(milestone.due_date, today)}"
        if milestone.is_open and milestone.due_date < today:
            due += " :warning: overdue"
        parts.append(due)
    return " · ".join(parts)


def _summary_fallback(content: SummaryContent) -> str:
    plan = content.plan
    overdue = len(content.overdue_buyer) + len(content.overdue_seller)
    return shorten(
        f"Weekly summary for {escape(plan.room.deal_name)}: "
        f"{plan.done_count}/{plan.task_count} tasks "
        f"done ({plan.percent_done}%), {len(content.completed)} completed in the last 7 days, "
        f"{len(content.due_soon)} due in the next 7 days, {overdue} overdue.",
        FALLBACK_LIMIT,
    )


class _Budget:
    """Blocks and characters of block text still free in a message."""

    def __init__(self, blocks: int, chars: int) -> None:
        self.blocks = blocks
        self.chars = chars

    def take(self, blocks: list[Block]) -> bool:
        """Spend the room for `blocks` and return True, or return False if they do not fit."""
        length = _text_length(blocks)
        if len(blocks) > self.blocks or length > self.chars:
            return False
        self.blocks -= len(blocks)
        self.chars -= length
        return True


def _left_out_note(count: int, noun: str) -> ContextBlock:
    plural = noun if count == 1 else f"{noun}s"
    return ContextBlock(
        elements=[
            MarkdownTextObject(
                text=f"…and {count} more {plural} due or overdue. "
                "Type `/map status` to see the whole plan."
            )
        ]
    )


def _message(text: str, blocks: list[Block]) -> Message:
    return Message(text=text, blocks=[block.to_dict() for block in blocks])


def _text_length(blocks: Sequence[Block]) -> int:
    return sum(_dict_text_length(block.to_dict()) for block in blocks)


def _dict_text_length(value: Any) -> int:
    if isinstance(value, dict):
        return sum(
            len(item) if key == "text" and isinstance(item, str) else _dict_text_length(item)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return sum(_dict_text_length(item) for item in value)
    return 0
