from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from storage.reminder_calendar import (
    WorkWeek,
    latest_working_day_started,
    local_instant,
    next_weekly_instant,
)

NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
SUNDAY = 6
# Days around 2026-12-04, a Friday.
FRIDAY = date(2026, 12, 4)
SATURDAY = date(2026, 12, 5)
MONDAY = date(2026, 12, 7)


def test_work_week_defaults_to_monday_to_friday():
    week = WorkWeek()
    assert week.weekdays == (0, 1, 2, 3, 4)
    assert week.is_working(FRIDAY)
    assert not week.is_working(SATURDAY)


def test_work_week_rejects_no_days():
    with pytest.raises(ValueError):
        WorkWeek(0)
    with pytest.raises(ValueError):
        WorkWeek.of([7])


def test_next_and_previous_skip_weekend():
    week = WorkWeek()
    assert week.next_working(FRIDAY) == MONDAY
    assert week.previous_working(MONDAY) == FRIDAY
    assert week.on_or_after(SATURDAY) == MONDAY
    assert week.on_or_after(FRIDAY) == FRIDAY


def test_count_between_matches_day_by_day():
    for mask in (0b0011111, 0b1000001, 0b0000001, 0b1111111, 0b0101010):
        week = WorkWeek(mask)
        for span in range(0, 40):
            end = date.fromordinal(FRIDAY.toordinal() + span)
            slow = sum(
                week.is_working(date.fromordinal(FRIDAY.toordinal() + offset))
                for offset in range(1, span + 1)
            )
            assert week.count_between(FRIDAY, end) == slow, (mask, span)


def test_nth_after_inverts_count_between():
    for mask in (0b0011111, 0b1000001, 0b0000001, 0b1111111):
        week = WorkWeek(mask)
        for start in (FRIDAY, SATURDAY, MONDAY):
            for count in range(1, 30):
                day = week.nth_after(start, count)
                assert week.is_working(day)
                assert week.count_between(start, day) == count, (mask, start, count)


def test_local_instant_spring_forward_gap_moves_later():
    # 2027-03-14: clocks in New York go from 02:00 EST to 03:00 EDT.
    instant = local_instant(date(2027, 3, 14), time(2, 30), NEW_YORK)
    assert instant == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)
    assert instant.astimezone(NEW_YORK).time() == time(3, 30)


def test_local_instant_fall_back_takes_first():
    # 2026-11-01: clocks in New York go from 02:00 EDT back to 01:00 EST.
    instant = local_instant(date(2026, 11, 1), time(1, 30), NEW_YORK)
    assert instant == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_weekly_instant_once_on_fall_back_sunday():
    start = datetime(2026, 10, 30, tzinfo=UTC)
    first = next_weekly_instant(start, SUNDAY, time(1, 30), NEW_YORK)
    second = next_weekly_instant(first, SUNDAY, time(1, 30), NEW_YORK)
    assert first == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert second == datetime(2026, 11, 8, 6, 30, tzinfo=UTC)
    # Asked again between the two 01:30s of that Sunday, the result is next week.
    between = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    assert next_weekly_instant(between, SUNDAY, time(1, 30), NEW_YORK) == second


def test_weekly_instant_once_on_spring_forward_sunday():
    start = datetime(2027, 3, 12, tzinfo=UTC)
    first = next_weekly_instant(start, SUNDAY, time(2, 30), NEW_YORK)
    second = next_weekly_instant(first, SUNDAY, time(2, 30), NEW_YORK)
    assert first.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2027, 3, 14, 3, 30)
    assert second.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2027, 3, 21, 2, 30)


def test_weekly_instant_is_strictly_after():
    monday_nine = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    following = next_weekly_instant(monday_nine, 0, time(9, 0), ZoneInfo("UTC"))
    assert following == datetime(2026, 12, 14, 9, 0, tzinfo=UTC)


def test_latest_working_day_started_west_and_east():
    week = WorkWeek()
    nine = time(9, 0)
    # Monday 16:00 UTC is Monday 08:00 in Los Angeles: before nine, so Friday.
    monday_utc = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
    assert latest_working_day_started(monday_utc, week, nine, LOS_ANGELES) == FRIDAY
    # Sunday 23:30 UTC is Monday 08:30 in Tokyo: before nine, so Friday.
    sunday_late = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    assert latest_working_day_started(sunday_late, week, nine, TOKYO) == FRIDAY
    # Half an hour later it is Monday 09:00 in Tokyo.
    assert (
        latest_working_day_started(datetime(2026, 12, 7, 0, 0, tzinfo=UTC), week, nine, TOKYO)
        == MONDAY
    )


def test_weekly_instant_rejects_bad_weekday():
    with pytest.raises(ValueError):
        next_weekly_instant(datetime(2026, 12, 7, tzinfo=UTC), 7, time(9, 0), NEW_YORK)
