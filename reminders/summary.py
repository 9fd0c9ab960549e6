"""The weekly summary: what it shows, and when a room gets the next one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from bot.blocks.reminders import SummaryContent
from storage.models import DealRoom, Side, Status
from storage.reminder_settings import next_summary_instant
from storage.views import PlanView, TaskView

WINDOW = timedelta(days=7)


def weekly_summary(plan: PlanView, now: datetime, today: date) -> SummaryContent | None:
    """Collect a plan's weekly summary as of `now`, or None for a plan with no tasks.

    Completed means completed in the 7 days before `now`. Due soon means open
    and due from the room's `today` through the 6 days after it. Overdue
    means open and due before `today`.
    """
    if plan.task_count == 0:
        return None
    tasks = [task for milestone in plan.milestones for task in milestone.tasks]
    completed = sorted(
        (task for task in tasks if _completed_since(task, now - WINDOW)),
        key=lambda task: (task.completed_at, task.number),
        reverse=True,
    )
    due_soon = _by_due_date(
        task
        for task in tasks
        if task.is_open and task.due_date is not None and today <= task.due_date < today + WINDOW
    )
    overdue = [task for task in tasks if task.is_overdue(today)]
    return SummaryContent(
        plan=plan,
        today=today,
        completed=completed,
        due_soon=due_soon,
        overdue_buyer=_by_due_date(task for task in overdue if task.side is Side.BUYER),
        overdue_seller=_by_due_date(task for task in overdue if task.side is Side.SELLER),
    )


def next_summary_at(room: DealRoom, after: datetime) -> datetime | None:
    """Return the room's first summary time after `after`, or None when summaries are off.

    The time is a wall time in the room's zone, turned into an instant with
    `zoneinfo`: on the day clocks go back it happens once (at its first
    occurrence), and on the day they go forward a skipped time happens that
    many minutes after the change, so 02:30 becomes 03:30 in New York.
    """
    return next_summary_instant(room, after)


def _completed_since(task: TaskView, since: datetime) -> bool:
    return (
        task.status is Status.COMPLETED
        and task.completed_at is not None
        and task.completed_at >= since
    )


def _by_due_date(tasks: Iterable[TaskView]) -> list[TaskView]:
    return sorted(tasks, key=lambda task: (task.due_date or date.min, task.number))
