"""Due dates typed by people, and the room-local "today" they are read against.

`parse_due_date` reads the common forms itself, so that their meaning is
fixed and tested here:

- `2027-01-10` (also `2027/01/10`): that date. Every other all-number form,
  whatever its separators (`10/01/2027`, `10 01 2027`, `10,01,2027`), is
  rejected, because people read them as day-month or month-day depending on
  where they live.
- `today`, `tomorrow`.
- `friday`, `this friday`, `fri`: the nearest Friday on or after today, so on
  a Friday it is today.
- `next friday`, `friday next week`: the Friday of next week, with weeks
  starting on Monday. On a Friday that is 7 days away, on a Wednesday 9 days,
  on a Sunday 5 days.
- `Jan 15`, `January 15th`, `15 Jan`: the next 15 January on or after today,
  so typed in December it is next year's. With a year (`Jan 15 2027`,
  `15 Jan, 2027`) it is exactly that date.
- `in 3 days`, `in a week`, `in 2 months`, `in 1 year`, `in 3 days time`,
  `2 weeks from now`, `a week from today`. Adding months keeps the day of the
  month and moves it back to the last day of a shorter month.
- `end of week` (as `friday`), `end of next week` (as `next friday`),
  `end of month`, `end of quarter` (calendar quarters), `end of year`, and
  `end of next month` and so on.
- A leading `on` is ignored: `on friday` is `friday`.

A due date is a calendar day in the room's time zone, so text with a time of
day or a time zone (`tomorrow 23:00 PST`, `2027-01-10T10:00+05:00`) is
rejected rather than read with the time dropped.

Anything else goes to dateparser in strict mode, which returns a date only
when the text gives day, month and year or is relative to today (`next week`,
`day after tomorrow`, `15 January 2027`). The forms above are handled here
because dateparser 1.5 gets them wrong or rejects them: strict mode rejects
`Jan 15` and `friday`, `a week from today` comes back as a week ago, and
without strict mode `next friday` on a Wednesday is 2 days away.
"""

from __future__ import annotations

import calendar
import difflib
import functools
import re
import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import NoReturn

from storage.errors import InvalidInputError

MIN_DUE_DATE = date(2000, 1, 1)
MAX_YEARS_AHEAD = 10

DATE_EXAMPLES = "`2027-01-10`, `tomorrow`, `next friday` or `Jan 15`"
ZONE_EXAMPLES = "`Europe/Berlin` or `America/New_York`"

# Maximum length of a value quoted in an error message, so that a pasted
# paragraph does not fill the reply.
_MAX_QUOTED_LENGTH = 60

_WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}

_MONTH_PATTERN = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY_PATTERN = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_DAY_PATTERN = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR_PATTERN = r"(?:,?\s+(?P<year>\d{4}))?"

_YEAR_FIRST_RE = re.compile(
    r"(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})"
)
_ALL_NUMBERS_RE = re.compile(r"\d+(?:[\W_]+\d+)+")
_NUMBER_SEPARATOR_RE = re.compile(r"[\W_]+")
# A time of day: `23:00`, `9:30:15`, `5pm`, `5 p.m.`, `noon`, `midnight`, or the
# `T` of an ISO 8601 date and time. A colon form that runs on, such as
# `10:01:2027`, is not a time and is left to the all-number check.
_TIME_OF_DAY_RE = re.compile(
    r"(?<![\w:])\d{1,2}:\d{2}(?::\d{2})?(?![\w:])"
    r"|(?<![\w.:])\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.?|p\.m\.?)(?!\w)"
    r"|\d{4}-\d{1,2}-\d{1,2}t\d"
    r"|\b(?:noon|midnight)\b"
)
_WEEKDAY_RE = re.compile(
    rf"(?:(?P<which>this|next)\s+)?(?P<weekday>{_WEEKDAY_PATTERN})(?P<next_week>\s+next\s+week)?"
)
_MONTH_DAY_RE = re.compile(rf"(?P<month>{_MONTH_PATTERN})\.?\s+{_DAY_PATTERN}{_YEAR_PATTERN}")
_DAY_MONTH_RE = re.compile(
    rf"{_DAY_PATTERN}\s+(?:of\s+)?(?P<month>{_MONTH_PATTERN})\.?{_YEAR_PATTERN}"
)
_AMOUNT_RE = re.compile(
    r"(?:in\s+(?P<amount>\S+)\s+(?P<unit>day|week|month|year)s?(?:'?s?\s+time)?)"
    r"|(?:(?P<amount_from>\S+)\s+(?P<unit_from>day|week|month|year)s?\s+from\s+(?:now|today))"
)
_END_OF_RE = re.compile(
    r"end\s+of\s+(?:the\s+)?(?P<next>next\s+)?(?P<unit>week|month|quarter|year)"
)
_END_OF_SHORT = {"eow": "week", "eom": "month", "eoq": "quarter", "eoy": "year"}


def parse_due_date(text: str, today: date) -> date:
    """Read a due date typed by a person, relative to the room's local `today`.

    Raises InvalidInputError, with a message that quotes `text`, for text that
    is not a date or is an all-number date other than year-month-day. It also
    raises for an impossible date such as `2027-02-30`, for text with a time of
    day or a time zone, and for a date before 2000 or more than 10 years after
    `today`.
    """
    normalized = " ".join(text.lower().split()).rstrip(".")
    if normalized.startswith("on "):
        normalized = normalized[3:]
    if not normalized:
        raise InvalidInputError(f"The due date is missing. Use a date like {DATE_EXAMPLES}.")
    if _TIME_OF_DAY_RE.search(normalized):
        _raise_time_given(text, "a time of day")

    due = _parse_known_form(normalized, text, today)
    if due is None:
        due = _parse_with_dateparser(normalized, text, today)
    if due is None:
        raise InvalidInputError(
            f"{code_span(text)} is not a date I can read. Use a date like {DATE_EXAMPLES}."
        )
    _check_range(due, text, today)
    return due


def today_in_zone(now: datetime, zone: str) -> date:
    """Return the calendar date at instant `now` in the IANA time zone `zone`.

    `now` must be timezone-aware. Raises InvalidInputError if `zone` is not a
    time zone name that `validate_timezone` accepts.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(zoneinfo.ZoneInfo(validate_timezone(zone))).date()


def validate_timezone(name: str) -> str:
    """Check that `name` is an IANA time zone name and return its canonical spelling.

    Case is ignored, so `europe/berlin` returns `Europe/Berlin`. Raises
    InvalidInputError for an empty name or one that zoneinfo cannot load.
    """
    cleaned = name.strip()
    if not cleaned:
        raise InvalidInputError(f"The time zone is missing. Use an IANA name like {ZONE_EXAMPLES}.")

    canonical = _zone_names().get(cleaned.lower())
    if canonical is not None:
        return canonical

    message = f"{code_span(cleaned)} is not an IANA time zone name."
    suggestions = difflib.get_close_matches(cleaned, _zone_names().values(), n=1)
    if suggestions:
        message += f" Did you mean {code_span(suggestions[0])}?"
    raise InvalidInputError(f"{message} Use an IANA name like {ZONE_EXAMPLES}.")


def code_span(value: str) -> str:
    """Format plain text `value` as a Slack mrkdwn code span for a message.

    Backticks inside `value` would end the code span, so they become single
    quotes, and `&`, `<` and `>` are escaped as Slack requires. Text longer
    than 60 characters is cut and ends with an ellipsis.
    """
    single_line = " ".join(value.split()).replace("`", "'")
    if len(single_line) > _MAX_QUOTED_LENGTH:
        single_line = single_line[: _MAX_QUOTED_LENGTH - 1] + "…"
    escaped = single_line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"`{escaped}`"


@functools.cache
def _zone_names() -> dict[str, str]:
    """Map each loadable zone name, lowercased, to its canonical spelling."""
    # `localtime` is whatever zone the server runs in and `Factory` has no
    # offset of its own, so neither is a zone a room could mean.
    names = zoneinfo.available_timezones() - {"localtime", "Factory", "posixrules"}
    return {name.lower(): name for name in names}


def _parse_known_form(normalized: str, original: str, today: date) -> date | None:
    """Read the forms listed in the module docstring, or return None."""
    if normalized == "today":
        return today
    if normalized in ("tomorrow", "tmrw", "tmr"):
        return today + timedelta(days=1)

    match = _YEAR_FIRST_RE.fullmatch(normalized)
    if match:
        return _exact_date(int(match["year"]), int(match["month"]), int(match["day"]), original)
    if _ALL_NUMBERS_RE.fullmatch(normalized):
        _raise_all_numbers(normalized, original)

    match = _WEEKDAY_RE.fullmatch(normalized)
    if match:
        if match["which"] == "this" and match["next_week"]:
            return None
        next_week = match["which"] == "next" or match["next_week"] is not None
        return _weekday_date(_WEEKDAYS[match["weekday"]], next_week, today)

    match = _MONTH_DAY_RE.fullmatch(normalized) or _DAY_MONTH_RE.fullmatch(normalized)
    if match:
        return _month_day_date(match, original, today)

    match = _AMOUNT_RE.fullmatch(normalized)
    if match:
        amount = match["amount"] or match["amount_from"]
        unit = match["unit"] or match["unit_from"]
        return _date_after(amount, unit, original, today)

    unit = _END_OF_SHORT.get(normalized)
    if unit is not None:
        return _end_of(unit, False, today)
    match = _END_OF_RE.fullmatch(normalized)
    if match:
        return _end_of(match["unit"], match["next"] is not None, today)

    return None


def _raise_all_numbers(normalized: str, original: str) -> NoReturn:
    """Reject an all-number date that is not year-month-day, saying why for its shape."""
    lengths = [len(part) for part in _NUMBER_SEPARATOR_RE.split(normalized)]
    if len(lengths) == 3 and lengths[0] == 4 and max(lengths[1:]) <= 2:
        raise InvalidInputError(
            f"{code_span(original)} is not a date I can read. Write a date in numbers as "
            "year-month-day with `-` between the parts, like `2027-01-10`."
        )
    # Two small numbers, then maybe a 2- or 4-digit year: `10/01`, `10 01 2027`.
    day_and_month = len(lengths) in (2, 3) and max(lengths[:2]) <= 2
    if day_and_month and (len(lengths) == 2 or lengths[2] in (2, 4)):
        raise InvalidInputError(
            f"{code_span(original)} can be read as day-month or as month-day. "
            f"Write the date as year-month-day, like `2027-01-10`."
        )
    raise InvalidInputError(
        f"{code_span(original)} is not a date. Write a date as year-month-day, like "
        "`2027-01-10`, or in words, like `tomorrow`, `next friday` or `Jan 15`."
    )


def _raise_time_given(original: str, included: str) -> NoReturn:
    raise InvalidInputError(
        f"{code_span(original)} includes {included}, but a due date is a calendar day in the "
        "room's time zone (see `/map settings`). Type the day alone, like `today`, "
        "`tomorrow` or `2027-01-10`."
    )


def _exact_date(year: int, month: int, day: int, original: str) -> date:
    if year < MIN_DUE_DATE.year:
        _raise_too_early(original)
    if not 1 <= month <= 12:
        raise InvalidInputError(
            f"{code_span(original)} has no valid month: months run from 1 to 12. "
            f"Use a date like `2027-01-10`."
        )
    days_in_month = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days_in_month:
        raise InvalidInputError(
            f"{code_span(original)} is not a valid date: {calendar.month_name[month]} {year} "
            f"has {days_in_month} days. Use a date like `2027-01-10`."
        )
    return date(year, month, day)


def _weekday_date(weekday: int, next_week: bool, today: date) -> date:
    if next_week:
        next_monday = today + timedelta(days=7 - today.weekday())
        return next_monday + timedelta(days=weekday)
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _month_day_date(match: re.Match[str], original: str, today: date) -> date:
    month = _MONTHS[match["month"]]
    day = int(match["day"])
    if match["year"] is not None:
        return _exact_date(int(match["year"]), month, day, original)

    # 29 February exists only in leap years, so look up to 8 years ahead.
    for year in range(today.year, today.year + 9):
        if 1 <= day <= calendar.monthrange(year, month)[1]:
            candidate = date(year, month, day)
            if candidate >= today:
                return candidate
    raise InvalidInputError(
        f"{code_span(original)} is not a valid date: {calendar.month_name[month]} has no "
        f"day {day}. Use a date like {DATE_EXAMPLES}."
    )


def _date_after(amount_text: str, unit: str, original: str, today: date) -> date:
    amount = _NUMBER_WORDS.get(amount_text)
    if amount is None and amount_text.isdecimal():
        amount = int(amount_text)
    if amount is None:
        raise InvalidInputError(
            f"{code_span(original)} is not a date I can read: {code_span(amount_text)} is not a "
            f"whole number of {unit}s. Use a whole number, like `in 3 days` or `in 2 weeks`."
        )

    # Anything past this many days is outside the accepted range anyway, and
    # stopping here keeps date arithmetic away from year 9999.
    days_per_unit = {"day": 1, "week": 7, "month": 31, "year": 366}[unit]
    if amount * days_per_unit > (MAX_YEARS_AHEAD + 1) * 366:
        _raise_too_far(original, today)

    if unit == "day":
        return today + timedelta(days=amount)
    if unit == "week":
        return today + timedelta(weeks=amount)
    months = amount if unit == "month" else 12 * amount
    return _add_months(today, months)


def _add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def _end_of(unit: str, following: bool, today: date) -> date:
    if unit == "week":
        return _weekday_date(4, following, today)
    if unit == "month":
        year, month = today.year, today.month
        step = 1
    elif unit == "quarter":
        year, month = today.year, (today.month - 1) // 3 * 3 + 3
        step = 3
    else:
        return date(today.year + 1 if following else today.year, 12, 31)

    if following:
        last_month = _add_months(date(year, month, 1), step)
        year, month = last_month.year, last_month.month
    return date(year, month, calendar.monthrange(year, month)[1])


def _parse_with_dateparser(normalized: str, original: str, today: date) -> date | None:
    """Read `normalized` with dateparser, rejecting text that names a time or a time zone."""
    # dateparser 1.5 takes about 60 ms to import (`python -X importtime`) and
    # 120 ms more for its first parse, measured on one development container.
    # The CLI imports this module, so the import waits until a date needs it.
    from dateparser.date import DateDataParser

    settings: dict[str, object] = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": datetime.combine(today, time(12, 0)),
        "STRICT_PARSING": True,
        # The period is then `time` or `part_of_day` when the text names a time,
        # as in `in 3 hours` or `tomorrow evening`.
        "RETURN_TIME_AS_PERIOD": True,
    }
    try:
        parser = DateDataParser(languages=["en"], settings=settings)
        parsed = parser.get_date_data(normalized)
    except (ValueError, OverflowError):
        return None
    if parsed.date_obj is None:
        return None
    if parsed.period in ("time", "part_of_day"):
        _raise_time_given(original, "a time")
    if parsed.date_obj.tzinfo is not None:
        _raise_time_given(original, "a time zone")
    return parsed.date_obj.date()


def _check_range(due: date, original: str, today: date) -> None:
    if due < MIN_DUE_DATE:
        _raise_too_early(original)
    if due > _latest_due_date(today):
        _raise_too_far(original, today)


def _raise_too_early(original: str) -> NoReturn:
    raise InvalidInputError(
        f"{code_span(original)} is before the year 2000. Use a date from `2000-01-01` on."
    )


def _latest_due_date(today: date) -> date:
    return _add_months(today, 12 * MAX_YEARS_AHEAD)


def _raise_too_far(original: str, today: date) -> NoReturn:
    latest = _latest_due_date(today).isoformat()
    raise InvalidInputError(
        f"{code_span(original)} is more than {MAX_YEARS_AHEAD} years away. "
        f"Use a date up to `{latest}`."
    )
