"""Render a plan as Block Kit messages that Slack accepts, whatever its size.

A plan too big for one message is split into pages. Each page is a complete
message with the plan's header, the page's milestones and tasks, and buttons
to move between pages. The page on show is stored on the room, so the live
plan message shows the same page to everyone in the channel.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InteractiveElement,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from bot import ids
from bot.blocks.controls import milestone_overflow, plan_add_buttons, task_overflow
from bot.blocks.paging import Budget, Page, Section, Unit, paginate, text_length
from bot.blocks.text import STATUS_EMOJI, escape, format_date, owner_text, shorten, slack_time
from storage.models import Side, Status
from storage.views import MilestoneView, PlanView, TaskView

MAX_BLOCKS = 50
# Slack rejects a message whose blocks carry more than about 13,000 characters
# (`msg_blocks_too_long`). Every page, header and buttons included, stays under
# this lower number, because the exact limit is not documented.
MAX_BLOCK_TEXT = 11_500
TITLE_IN_PLAN = 150
HEADER_LIMIT = 150
# Slack allows at most 100 options in a static select, of up to 75 characters.
MAX_SELECT_OPTIONS = 100
TITLE_IN_SELECT = 30
# Completed tasks are listed in context blocks of at most this many characters,
# so that a milestone with many of them can continue on the next page.
COMPLETED_CHUNK = 1_500
TITLE_IN_COMPLETED = 60
# A page number wide enough for any plan, used to size the page line.
WIDEST_PAGE_NUMBER = 9999

EMPTY_PLAN = (
    "This plan has no milestones yet. Add one with `/map add milestone Discovery due next friday`."
)
OUTDATED_NOTICE = (
    ":warning: This plan message is no longer updated. The buttons still work. "
    "Type `/map status` to post the current plan."
)


@dataclass(frozen=True)
class Message:
    """A message ready for chat.postMessage: blocks as dicts and a plain-text fallback."""

    text: str
    blocks: list[dict[str, Any]]


@dataclass(frozen=True)
class PlanLayout:
    """A plan split into pages. Page numbers start at 1."""

    plan: PlanView
    pages: tuple[Page, ...]
    jump_targets: tuple[MilestoneView, ...]

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def clamp(self, page: int) -> int:
        """Return the nearest existing page number, for a page stored before the plan shrank."""
        return min(max(page, 1), self.page_count)

    def page_of_milestone(self, milestone_id: int) -> int | None:
        """Return the first page that shows the milestone, or None if it is not in the plan."""
        for number, page in enumerate(self.pages, start=1):
            if milestone_id in page.keys:
                return number
        return None

    def message(self, page: int = 1, *, outdated: bool = False) -> Message:
        """Build the message for one page. A page out of range shows the nearest one.

        An outdated message gets a notice that it is no longer updated and
        no page buttons, because the page is shared with the live message.
        """
        number = self.clamp(page)
        # An outdated copy has no page buttons, so it does not claim other pages either.
        blocks = _head(self.plan, number, 1 if outdated else self.page_count)
        if outdated:
            blocks.append(_outdated_notice())
        if self.plan.milestones:
            blocks.extend(self.pages[number - 1].blocks())
        else:
            blocks.append(SectionBlock(text=MarkdownTextObject(text=EMPTY_PLAN)))
        elements = [] if outdated else self._page_elements(number)
        elements.extend(plan_buttons())
        if elements:
            blocks.append(ActionsBlock(block_id=ids.BLOCK_PLAN_ACTIONS, elements=elements))
        return _message(self.plan, blocks)

    def _page_elements(self, number: int) -> list[InteractiveElement]:
        if self.page_count == 1:
            return []
        targets = _window(self.jump_targets, self._first_target(number))
        return [*_page_buttons(number, self.page_count), _jump_select(targets)]

    def _first_target(self, number: int) -> int:
        keys = self.pages[number - 1].keys
        for index, milestone in enumerate(self.jump_targets):
            if keys and milestone.id == keys[0]:
                return index
        return 0


def plan_message(plan: PlanView, today: date, *, page: int = 1, outdated: bool = False) -> Message:
    """Build the plan message showing `page`: open milestones first, then completed ones."""
    return lay_out_plan(plan, today).message(page, outdated=outdated)


def lay_out_plan(plan: PlanView, today: date) -> PlanLayout:
    """Split the plan into pages, each within Slack's per-message block and text limits."""
    ordered = tuple(sorted(plan.milestones, key=lambda m: (not m.is_open, m.position)))
    sections = [_milestone_blocks(milestone, today, len(ordered)) for milestone in ordered]

    single = _budget_after(_chrome(plan, ordered, paged=False))
    pages = paginate(sections, single)
    if len(pages) > 1:
        pages = paginate(sections, _budget_after(_chrome(plan, ordered, paged=True)))
    return PlanLayout(plan=plan, pages=tuple(pages), jump_targets=ordered)


def plan_buttons() -> list[InteractiveElement]:
    """Buttons that act on the whole plan, shown at the end of every page."""
    return [*plan_add_buttons()]


def _chrome(plan: PlanView, ordered: tuple[MilestoneView, ...], *, paged: bool) -> list[Block]:
    """Return the largest set of blocks a page carries besides its milestones."""
    pages = WIDEST_PAGE_NUMBER if paged else 1
    blocks = [*_head(plan, pages, pages), _outdated_notice()]
    elements = _page_buttons(2, 3) if paged else []
    if paged:
        longest = sorted(ordered, key=lambda m: len(_jump_label(m)))[-MAX_SELECT_OPTIONS:]
        elements.append(_jump_select(tuple(longest)))
    elements.extend(plan_buttons())
    if elements:
        blocks.append(ActionsBlock(block_id=ids.BLOCK_PLAN_ACTIONS, elements=elements))
    return blocks


def _budget_after(chrome: list[Block]) -> Budget:
    return Budget(blocks=MAX_BLOCKS - len(chrome), chars=MAX_BLOCK_TEXT - text_length(chrome))


def _head(plan: PlanView, page: int, page_count: int) -> list[Block]:
    line = _progress_line(plan) + f" · Last changed {slack_time(plan.room.updated_at)}"
    if page_count > 1:
        line += f" · Page {page} of {page_count}, the same for everyone in this channel"
    return [
        HeaderBlock(text=shorten(f"Mutual Action Plan: {plan.room.deal_name}", HEADER_LIMIT)),
        ContextBlock(elements=[MarkdownTextObject(text=line)]),
    ]


def _outdated_notice() -> ContextBlock:
    return ContextBlock(
        block_id=ids.BLOCK_PLAN_OUTDATED, elements=[MarkdownTextObject(text=OUTDATED_NOTICE)]
    )


def _page_buttons(page: int, page_count: int) -> list[InteractiveElement]:
    buttons: list[InteractiveElement] = []
    if page > 1:
        buttons.append(
            ButtonElement(text="Previous", action_id=ids.PLAN_PAGE_PREVIOUS, value=str(page - 1))
        )
    if page < page_count:
        buttons.append(
            ButtonElement(text="Next", action_id=ids.PLAN_PAGE_NEXT, value=str(page + 1))
        )
    return buttons


def _jump_select(milestones: tuple[MilestoneView, ...]) -> StaticSelectElement:
    return StaticSelectElement(
        action_id=ids.PLAN_PAGE_MILESTONE,
        placeholder="Go to milestone…",
        options=[Option(text=_jump_label(m), value=str(m.id)) for m in milestones],
    )


def _jump_label(milestone: MilestoneView) -> str:
    return f"{milestone.position}. {shorten(milestone.title, TITLE_IN_SELECT)}"


def _window(milestones: tuple[MilestoneView, ...], center: int) -> tuple[MilestoneView, ...]:
    """Return at most MAX_SELECT_OPTIONS milestones around index `center`."""
    if len(milestones) <= MAX_SELECT_OPTIONS:
        return milestones
    start = min(max(center - MAX_SELECT_OPTIONS // 2, 0), len(milestones) - MAX_SELECT_OPTIONS)
    return milestones[start : start + MAX_SELECT_OPTIONS]


def _message(plan: PlanView, blocks: list[Block]) -> Message:
    # Slack reads the fallback text as mrkdwn too, so the deal name is escaped here as well.
    text = f"Mutual Action Plan for {escape(plan.room.deal_name)}: {_progress_summary(plan)}"
    return Message(text=shorten(text, 3000), blocks=[block.to_dict() for block in blocks])


def _progress_summary(plan: PlanView) -> str:
    return f"{plan.done_count}/{plan.task_count} tasks, {plan.percent_done}%"


def _progress_line(plan: PlanView) -> str:
    milestones_done = sum(1 for m in plan.milestones if not m.is_open)
    return (
        f"*{_progress_summary(plan)}* done · "
        f"{milestones_done}/{len(plan.milestones)} milestones completed"
    )


def _milestone_blocks(milestone: MilestoneView, today: date, milestone_count: int) -> Section:
    open_tasks = [task for task in milestone.tasks if task.is_open]
    done_tasks = [task for task in milestone.tasks if not task.is_open]
    units = [_task_unit(task, today) for task in open_tasks]
    units.extend(Unit.of([block]) for block in _completed_contexts(milestone.id, done_tasks))
    return Section(
        key=milestone.id,
        heading=_milestone_unit(milestone, today, milestone_count, continued=False),
        continued_heading=_milestone_unit(milestone, today, milestone_count, continued=True),
        units=units,
    )


def _milestone_unit(
    milestone: MilestoneView, today: date, milestone_count: int, *, continued: bool
) -> Unit:
    text = _milestone_text(milestone, today, continued=continued)
    menu_length = _milestone_menu_length(
        milestone.position > 1, milestone.position < milestone_count
    )
    return Unit(
        block_count=1,
        length=len(text) + menu_length,
        build=lambda: [_milestone_section(milestone, text, milestone_count)],
    )


def _milestone_text(milestone: MilestoneView, today: date, *, continued: bool) -> str:
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
    suffix = " (continued)" if continued else ""
    return f"*{milestone.position}. {title}*{suffix}\n" + " · ".join(parts)


def _milestone_section(milestone: MilestoneView, text: str, milestone_count: int) -> SectionBlock:
    return SectionBlock(
        block_id=f"{ids.BLOCK_MILESTONE}:{milestone.id}",
        text=text,
        accessory=milestone_overflow(milestone, milestone_count),
    )


@cache
def _milestone_menu_length(has_previous: bool, has_next: bool) -> int:
    """Measure the text of a milestone's menu once per shape, since it does not vary otherwise."""
    position = 2 if has_previous else 1
    sample = MilestoneView(
        id=1,
        position=position,
        title="",
        due_date=None,
        status=Status.NOT_STARTED,
        status_manual=False,
        tasks=(),
    )
    count = position + 1 if has_next else position
    return text_length([SectionBlock(text=" ", accessory=milestone_overflow(sample, count))]) - 1


def _task_unit(task: TaskView, today: date) -> Unit:
    text = task_line(task, today)
    return Unit(
        block_count=2,
        length=len(text) + _task_actions_length(task.status),
        build=lambda: [
            SectionBlock(block_id=f"{ids.BLOCK_TASK}:{task.id}", text=text),
            _task_actions(task),
        ],
    )


def _task_actions(task: TaskView) -> ActionsBlock:
    return ActionsBlock(
        block_id=f"{ids.BLOCK_TASK_ACTIONS}:{task.id}",
        elements=[
            ButtonElement(
                text="Complete",
                action_id=ids.TASK_COMPLETE,
                value=str(task.id),
                style="primary",
            ),
            task_overflow(task),
        ],
    )


@cache
def _task_actions_length(status: Status) -> int:
    """Measure a task's buttons once per status, the only thing their text depends on."""
    return text_length([_task_actions(replace(_SAMPLE_TASK, status=status))])


_SAMPLE_TASK = TaskView(
    id=1,
    number=1,
    milestone_id=1,
    title="",
    description=None,
    owner_user_id=None,
    owner_name=None,
    side=Side.SELLER,
    due_date=None,
    status=Status.NOT_STARTED,
    completed_at=None,
    completed_by=None,
    version=1,
)


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


def _completed_contexts(milestone_id: int, tasks: list[TaskView]) -> list[ContextBlock]:
    """List completed tasks with when they were completed, in blocks of COMPLETED_CHUNK."""
    chunks: list[list[str]] = []
    length = COMPLETED_CHUNK
    for task in tasks:
        entry = _completed_entry(task)
        if length + len(entry) + 2 > COMPLETED_CHUNK:
            chunks.append([])
            length = 0
        chunks[-1].append(entry)
        length += len(entry) + 2
    blocks = []
    for index, entries in enumerate(chunks):
        label = "Completed" if index == 0 else "Completed (continued)"
        text = f":white_check_mark: {label}: " + ", ".join(entries)
        blocks.append(
            ContextBlock(
                block_id=f"{ids.BLOCK_COMPLETED}:{milestone_id}:{index}",
                elements=[MarkdownTextObject(text=text)],
            )
        )
    return blocks


def _completed_entry(task: TaskView) -> str:
    entry = f"#{task.number} {escape(shorten(task.title, TITLE_IN_COMPLETED))}"
    details = []
    if task.completed_by:
        details.append(f"<@{task.completed_by}>")
    if task.completed_at is not None:
        details.append(slack_time(task.completed_at))
    return f"{entry} ({', '.join(details)})" if details else entry
