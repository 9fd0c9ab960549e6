"""Working days and local wall-clock times turned into UTC instants.

Reminder settings are wall times such as "09:00 on working days" in a room's
IANA time zone. These pure functions turn them into aware UTC instants with
`zoneinfo`, so that the planner, the `/map settings` command and the tests
agree on when something is due.

Daylight-saving changes follow one rule everywhere: a wall time that does not
exist on a day (skipped when clocks go forward) happens that many minutes
later, so 02:30 on the spring-forward Sunday in America/New_York is 03:30
EDT. A wall time that happens twice (when clocks go back) means its first
occurrence only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAYS_PER_WEEK = 7
# Monday to Friday: bit 0 is Monday, bit 6 is Sunday.
MONDAY_TO_FRIDAY = 0b0011111
ALL_DAYS = 0b1111111


@dataclass(frozen=True)
class WorkWeek:
    """The days of the week a room works on, as a bit mask with Monday in bit 0."""

    mask: int = MONDAY_TO_FRIDAY

    def __post_init__(self) -> None:
        if not 1 <= self.mask <= ALL_DAYS:
            raise ValueError(f"a work week needs 1 to 7 working days, got mask {self.mask}")

    @classmethod
    def of(cls, weekdays: Iterable[int]) -> WorkWeek:
        """Build a work week from weekday numbers, Monday being 0."""
        mask = 0
        for weekday in weekdays:
            if not 0 <= weekday < DAYS_PER_WEEK:
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday}")
            mask |= 1 << weekday
        return cls(mask)

    @property
    def weekdays(self) -> tuple[int, ...]:
        return tuple(day for day in range(DAYS_PER_WEEK) if self.mask >> day & 1)

    @property
    def days_per_week(self) -> int:
        return len(self.weekdays)

    def is_working(self, day: date) -> bool:
        return bool(self.mask >> day.weekday() & 1)

    def next_working(self, day: date) -> date:
        """Return the first working day after `day`."""
        following = day + timedelta(days=1)
        while not self.is_working(following):
            following += timedelta(days=1)
        return following

    def previous_working(self, day: date) -> date:
        """Return the last working day before `day`."""
        earlier = day - timedelta(days=1)
        while not self.is_working(earlier):
            earlier -= timedelta(days=1)
        return earlier

    def on_or_after(self, day: date) -> date:
        """Return `day` if it is a working day, otherwise the next working day."""
        return day if self.is_working(day) else self.next_working(day)

    def count_between(self, start: date, end: date) -> int:
        """Count the working days after `start`, up to and including `end`.

        Every 7 calendar days contain `days_per_week` working days, so whole weeks
        are counted at once and only the remainder day by day.
        """
        if end <= start:
            return 0
        weeks, extra = divmod((end - start).days, DAYS_PER_WEEK)
        count = weeks * self.days_per_week
        day = start + timedelta(weeks=weeks)
        for _ in range(extra):
            day += timedelta(days=1)
            count += self.is_working(day)
        return count

    def nth_after(self, start: date, count: int) -> date:
        """Return the working day that is the `count`-th after `start` (count >= 1)."""
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        weeks, rest = divmod(count, self.days_per_week)
        if rest == 0:
            weeks, rest = weeks - 1, self.days_per_week
        day = start + timedelta(weeks=weeks)
        for _ in range(rest):
            day = self.next_working(day)
        return day


def local_instant(day: date, wall_time: time, zone: ZoneInfo) -> datetime:
    """Return the UTC instant of `wall_time` on `day` in `zone`.

    `fold=0` picks the first of two repeated wall times. For a skipped wall
    time, Python applies the offset from before the change, which lands as
    many minutes after the change as the time was past its start.
    """
    local = datetime.combine(day, wall_time.replace(fold=0, tzinfo=None), tzinfo=zone)
    return local.astimezone(UTC)


def latest_working_day_started(
    now: datetime, week: WorkWeek, wall_time: time, zone: ZoneInfo
) -> date:
    """Return the latest working day whose `wall_time` in `zone` is at or before `now`."""
    today = now.astimezone(zone).date()
    day = week.on_or_after(today)
    if day != today or local_instant(day, wall_time, zone) > now:
        day = week.previous_working(today)
    return day


def next_weekly_instant(after: datetime, weekday: int, wall_time: time, zone: ZoneInfo) -> datetime:
    """Return the first instant strictly after `after` that is `weekday` at `wall_time` in `zone`.

    Each local day maps to exactly one instant, so a weekly time neither
    repeats on the day clocks go back nor goes missing on the day they go
    forward.
    """
    if not 0 <= weekday < DAYS_PER_WEEK:
        raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday}")
    start = after.astimezone(zone).date()
    for offset in range(2 * DAYS_PER_WEEK + 1):
        day = start + timedelta(days=offset)
        if day.weekday() != weekday:
            continue
        instant = local_instant(day, wall_time, zone)
        if instant > after:
            return instant
    raise AssertionError("a weekly time always occurs within two weeks")
