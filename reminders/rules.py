"""Nudge rules: the nudge a task gets on a room-local day. Pure functions, no I/O.

An open task with a due date gets, on working days only:

- a heads-up on the last working day before its due date,
- a due-day nudge on the due date, if that is a working day,
- overdue nudges when it has been overdue for a number of working days in
  the room's schedule (default 1, 3 and 7), and after the last step every
  week, which is every `days_per_week` working days,
- one nudge on the first working day on or after its snooze ends, unless
  the schedule nudges it that day anyway.

No nudges go out while a task is snoozed. A snooze that ends while the due
date is still more than one working day away ends with no nudge.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from storage.reminder_calendar import WorkWeek

DEFAULT_OVERDUE_STEPS = (1, 3, 7)


class NudgeKind(StrEnum):
    HEADS_UP = "heads_up"
    DUE = "due"
    OVERDUE = "overdue"
    SNOOZE_ENDED = "snooze_ended"


@dataclass(frozen=True)
class OverdueSchedule:
    """Working days overdue on which a task is nudged, then weekly after the last one."""

    steps: tuple[int, ...] = DEFAULT_OVERDUE_STEPS

    def __post_init__(self) -> None:
        if not self.steps or self.steps[0] < 1:
            raise ValueError(f"overdue steps must start at 1 or more, got {self.steps}")
        if any(later <= earlier for earlier, later in itertools.pairwise(self.steps)):
            raise ValueError(f"overdue steps must increase, got {self.steps}")

    def latest_step(self, overdue_days: int, days_per_week: int) -> int | None:
        """Return the largest step at or below `overdue_days`, counting the weekly ones."""
        if overdue_days < self.steps[0]:
            return None
        last = self.steps[-1]
        if overdue_days <= last:
            return max(step for step in self.steps if step <= overdue_days)
        weeks = (overdue_days - last) // days_per_week
        return last + weeks * days_per_week


@dataclass(frozen=True)
class Nudge:
    day: date
    kind: NudgeKind


@dataclass(frozen=True)
class TaskDates:
    """The dates of a task that the rules read: its due date and when its snooze ends."""

    due: date
    snoozed_until: date | None = None


def nudge_on(
    task: TaskDates, day: date, week: WorkWeek, schedule: OverdueSchedule
) -> NudgeKind | None:
    """Return the nudge the task gets on `day`, or None."""
    nudge = latest_nudge(task, since=day, until=day, week=week, schedule=schedule)
    return nudge.kind if nudge is not None else None


def latest_nudge(
    task: TaskDates, *, since: date, until: date, week: WorkWeek, schedule: OverdueSchedule
) -> Nudge | None:
    """Return the task's latest nudge on a day from `since` to `until`, if still true on `until`.

    After downtime the planner calls this with the days it missed, so a task
    gets one nudge however many it missed. A heads-up is true only before
    the due date and a due-day nudge only on it, so a missed heads-up is
    dropped once the task is due.
    """
    in_window = [
        nudge
        for nudge in _latest_of_each_kind(task, until, week, schedule)
        if since <= nudge.day and not _snoozed(task, nudge.day)
    ]
    if not in_window:
        return None
    # The schedule's own kind wins over SNOOZE_ENDED on the same day.
    latest = max(in_window, key=lambda nudge: (nudge.day, nudge.kind is not NudgeKind.SNOOZE_ENDED))
    return latest if _still_true(latest.kind, task.due, until) else None


def _latest_of_each_kind(
    task: TaskDates, until: date, week: WorkWeek, schedule: OverdueSchedule
) -> list[Nudge]:
    due = task.due
    nudges = [Nudge(week.previous_working(due), NudgeKind.HEADS_UP)]
    if week.is_working(due):
        nudges.append(Nudge(due, NudgeKind.DUE))
    step = schedule.latest_step(week.count_between(due, until), week.days_per_week)
    if step is not None:
        nudges.append(Nudge(week.nth_after(due, step), NudgeKind.OVERDUE))
    if task.snoozed_until is not None:
        back = week.on_or_after(task.snoozed_until)
        # A snooze that ends long before the due date has nothing to remind of yet.
        if due <= week.next_working(back):
            nudges.append(Nudge(back, NudgeKind.SNOOZE_ENDED))
    return [nudge for nudge in nudges if nudge.day <= until]


def _snoozed(task: TaskDates, day: date) -> bool:
    return task.snoozed_until is not None and day < task.snoozed_until


def _still_true(kind: NudgeKind, due: date, today: date) -> bool:
    if kind is NudgeKind.HEADS_UP:
        return today < due
    if kind is NudgeKind.DUE:
        return today == due
    if kind is NudgeKind.OVERDUE:
        return today > due
    return True
