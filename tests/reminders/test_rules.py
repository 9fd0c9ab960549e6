from datetime import date, timedelta

import pytest

from reminders.rules import (
    NudgeKind,
    OverdueSchedule,
    TaskDates,
    latest_nudge,
    nudge_on,
)
from storage.reminder_calendar import WorkWeek

WEEK = WorkWeek()
SCHEDULE = OverdueSchedule()
# Monday 2026-12-07 and the days around it.
MONDAY = date(2026, 12, 7)


def day(offset: int) -> date:
    """Return the day `offset` days after MONDAY."""
    return MONDAY + timedelta(days=offset)


def kinds_by_day(task: TaskDates, days: int, week: WorkWeek = WEEK, schedule=SCHEDULE):
    """Return {day: kind} for every day from a week before MONDAY, through MONDAY + `days`."""
    found = {}
    for offset in range(-7, days + 1):
        kind = nudge_on(task, day(offset), week, schedule)
        if kind is not None:
            found[day(offset)] = kind
    return found


def test_monday_due_date_full_sequence():
    found = kinds_by_day(TaskDates(due=MONDAY), 40)
    assert found.pop(day(-3)) is NudgeKind.HEADS_UP  # the Friday before
    assert found.pop(MONDAY) is NudgeKind.DUE
    assert found.pop(day(1)) is NudgeKind.OVERDUE  # 1 working day overdue
    assert found.pop(day(3)) is NudgeKind.OVERDUE  # 3
    assert found.pop(day(9)) is NudgeKind.OVERDUE  # 7: Wednesday of next week
    assert found.pop(day(16)) is NudgeKind.OVERDUE  # then weekly, on Wednesdays
    assert found.pop(day(23)) is NudgeKind.OVERDUE
    assert found.pop(day(30)) is NudgeKind.OVERDUE
    assert found.pop(day(37)) is NudgeKind.OVERDUE
    assert found == {}


def test_weekend_due_date_gets_no_due_day_nudge():
    saturday = day(-2)
    found = kinds_by_day(TaskDates(due=saturday), 5)
    assert found == {
        day(-3): NudgeKind.HEADS_UP,  # Friday
        MONDAY: NudgeKind.OVERDUE,  # first working day after
        day(2): NudgeKind.OVERDUE,  # Wednesday: 3 working days
    }


def test_no_nudge_on_weekend_days():
    task = TaskDates(due=day(-10))
    for offset in (-2, -1, 5, 6, 12, 13):
        assert nudge_on(task, day(offset), WEEK, SCHEDULE) is None


def test_custom_schedule_and_work_week():
    # Working Sunday to Thursday, nudged 2 and 4 working days overdue, then weekly.
    week = WorkWeek.of([6, 0, 1, 2, 3])
    schedule = OverdueSchedule((2, 4))
    thursday = day(3)
    found = kinds_by_day(TaskDates(due=thursday), 30, week, schedule)
    assert found == {
        day(2): NudgeKind.HEADS_UP,  # Wednesday
        thursday: NudgeKind.DUE,
        day(7): NudgeKind.OVERDUE,  # Sunday is 1, Monday 2
        day(9): NudgeKind.OVERDUE,  # Wednesday: 4
        day(16): NudgeKind.OVERDUE,  # weekly: 9 working days
        day(23): NudgeKind.OVERDUE,
        day(30): NudgeKind.OVERDUE,
    }


def test_schedule_rejects_bad_steps():
    for steps in ((), (0, 3), (3, 3), (5, 2)):
        with pytest.raises(ValueError):
            OverdueSchedule(steps)


def test_snooze_silences_then_nudges_once():
    # Due last Monday; snoozed on this Monday for a week.
    task = TaskDates(due=day(-7), snoozed_until=day(7))
    found = kinds_by_day(task, 20)
    after_snooze = {when: kind for when, kind in found.items() if when >= MONDAY}
    assert after_snooze == {
        day(7): NudgeKind.SNOOZE_ENDED,
        day(9): NudgeKind.OVERDUE,  # back on the weekly schedule (12 working days)
        day(16): NudgeKind.OVERDUE,
    }


def test_snooze_ending_on_schedule_day_keeps_schedule_kind():
    task = TaskDates(due=MONDAY, snoozed_until=day(1))
    assert nudge_on(task, day(1), WEEK, SCHEDULE) is NudgeKind.OVERDUE


def test_snooze_ending_on_weekend_nudges_monday():
    task = TaskDates(due=day(-7), snoozed_until=day(-2))
    assert nudge_on(task, MONDAY, WEEK, SCHEDULE) is NudgeKind.SNOOZE_ENDED


def test_snooze_ending_long_before_due_is_silent():
    task = TaskDates(due=day(14), snoozed_until=day(1))
    assert nudge_on(task, day(1), WEEK, SCHEDULE) is None


def test_catch_up_sends_latest_missed():
    # Down from Monday to Wednesday: missed due day and 1 working day overdue.
    task = TaskDates(due=MONDAY)
    nudge = latest_nudge(task, since=MONDAY, until=day(2), week=WEEK, schedule=SCHEDULE)
    assert nudge is not None
    assert (nudge.day, nudge.kind) == (day(1), NudgeKind.OVERDUE)


def test_catch_up_drops_heads_up_once_due():
    # With no 1-day step, the only nudge missed before Tuesday is the heads-up.
    task = TaskDates(due=MONDAY)
    schedule = OverdueSchedule((3,))
    assert latest_nudge(task, since=day(-3), until=day(1), week=WEEK, schedule=schedule) is None
    still_true = latest_nudge(task, since=day(-3), until=day(-3), week=WEEK, schedule=schedule)
    assert still_true is not None
    assert still_true.kind is NudgeKind.HEADS_UP


def test_catch_up_with_nothing_missed():
    task = TaskDates(due=day(20))
    assert latest_nudge(task, since=MONDAY, until=day(4), week=WEEK, schedule=SCHEDULE) is None


def test_latest_step_counts_weekly_steps():
    assert SCHEDULE.latest_step(0, 5) is None
    assert SCHEDULE.latest_step(2, 5) == 1
    assert SCHEDULE.latest_step(6, 5) == 3
    assert SCHEDULE.latest_step(11, 5) == 7
    assert SCHEDULE.latest_step(12, 5) == 12
    assert SCHEDULE.latest_step(400, 5) == 397


def test_long_overdue_is_fast():
    # Overdue for ten years: arithmetic, not a walk over the days.
    task = TaskDates(due=date(2016, 12, 7))
    kinds = [nudge_on(task, day(offset), WEEK, SCHEDULE) for offset in range(7)]
    assert kinds.count(NudgeKind.OVERDUE) == 1
