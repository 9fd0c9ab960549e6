import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bot.dates import code_span, parse_due_date, today_in_zone, validate_timezone
from storage.errors import InvalidInputError

FRIDAY = date(2026, 12, 4)
WEDNESDAY = date(2026, 12, 2)
SATURDAY = date(2026, 12, 5)
SUNDAY = date(2026, 12, 6)


def test_fixed_days_are_the_weekdays_named():
    assert FRIDAY.strftime("%A") == "Friday"
    assert WEDNESDAY.strftime("%A") == "Wednesday"
    assert SATURDAY.strftime("%A") == "Saturday"
    assert SUNDAY.strftime("%A") == "Sunday"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-01-10", date(2027, 1, 10)),
        ("2027-1-5", date(2027, 1, 5)),
        ("2027/01/10", date(2027, 1, 10)),
        ("2027.01.10", date(2027, 1, 10)),
        ("2026-12-01", date(2026, 12, 1)),
        ("2028-02-29", date(2028, 2, 29)),
        ("  2027-01-10  ", date(2027, 1, 10)),
    ],
)
def test_iso_dates(text, expected):
    assert parse_due_date(text, FRIDAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", FRIDAY),
        ("TODAY", FRIDAY),
        ("tomorrow", date(2026, 12, 5)),
        ("Tomorrow", date(2026, 12, 5)),
        ("tmrw", date(2026, 12, 5)),
        ("on tomorrow", date(2026, 12, 5)),
        ("tomorrow.", date(2026, 12, 5)),
    ],
)
def test_today_and_tomorrow(text, expected):
    assert parse_due_date(text, FRIDAY) == expected


def test_tomorrow_rolls_over_the_year():
    assert parse_due_date("tomorrow", date(2026, 12, 31)) == date(2027, 1, 1)


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        # A bare weekday is the nearest one on or after today.
        ("friday", FRIDAY, FRIDAY),
        ("Friday", FRIDAY, FRIDAY),
        ("fri", FRIDAY, FRIDAY),
        ("this friday", FRIDAY, FRIDAY),
        ("on friday", FRIDAY, FRIDAY),
        ("saturday", FRIDAY, date(2026, 12, 5)),
        ("sunday", FRIDAY, date(2026, 12, 6)),
        ("monday", FRIDAY, date(2026, 12, 7)),
        ("thursday", FRIDAY, date(2026, 12, 10)),
        ("thurs", FRIDAY, date(2026, 12, 10)),
        ("friday", WEDNESDAY, FRIDAY),
        ("wed", WEDNESDAY, WEDNESDAY),
        ("friday", SATURDAY, date(2026, 12, 11)),
        ("tues", date(2026, 12, 30), date(2027, 1, 5)),
        # `next <weekday>` is that day in the Monday-to-Sunday week after this one.
        ("next friday", FRIDAY, date(2026, 12, 11)),
        ("NEXT FRIDAY", FRIDAY, date(2026, 12, 11)),
        ("next fri", FRIDAY, date(2026, 12, 11)),
        ("friday next week", FRIDAY, date(2026, 12, 11)),
        ("next friday", WEDNESDAY, date(2026, 12, 11)),
        ("next friday", SATURDAY, date(2026, 12, 11)),
        ("next friday", SUNDAY, date(2026, 12, 11)),
        ("next monday", FRIDAY, date(2026, 12, 7)),
        ("next monday", SUNDAY, date(2026, 12, 7)),
        ("next monday", date(2026, 12, 7), date(2026, 12, 14)),
        ("next sunday", FRIDAY, date(2026, 12, 13)),
        ("next thursday", date(2026, 12, 31), date(2027, 1, 7)),
    ],
)
def test_weekdays(text, today, expected):
    assert parse_due_date(text, today) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jan 15", date(2027, 1, 15)),
        ("jan 15", date(2027, 1, 15)),
        ("Jan. 15", date(2027, 1, 15)),
        ("January 15", date(2027, 1, 15)),
        ("January 15th", date(2027, 1, 15)),
        ("15 Jan", date(2027, 1, 15)),
        ("15th January", date(2027, 1, 15)),
        ("15th of January", date(2027, 1, 15)),
        ("Sept 3", date(2027, 9, 3)),
        ("Dec 4", FRIDAY),
        ("Dec 31", date(2026, 12, 31)),
        ("Dec 3", date(2027, 12, 3)),
        ("Feb 29", date(2028, 2, 29)),
        ("Jan 15 2027", date(2027, 1, 15)),
        ("Jan 15, 2027", date(2027, 1, 15)),
        ("15 January 2027", date(2027, 1, 15)),
        ("1st of March 2028", date(2028, 3, 1)),
        ("Dec 1 2026", date(2026, 12, 1)),
    ],
)
def test_month_and_day(text, expected):
    assert parse_due_date(text, FRIDAY) == expected


def test_month_and_day_on_that_day_is_today():
    assert parse_due_date("Jan 15", date(2027, 1, 15)) == date(2027, 1, 15)


def test_month_and_day_just_past_is_next_year():
    assert parse_due_date("Jan 15", date(2027, 1, 16)) == date(2028, 1, 15)


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("in 3 days", FRIDAY, date(2026, 12, 7)),
        ("in 1 day", FRIDAY, date(2026, 12, 5)),
        ("in 0 days", FRIDAY, FRIDAY),
        ("in 2 weeks", FRIDAY, date(2026, 12, 18)),
        ("in a week", FRIDAY, date(2026, 12, 11)),
        ("in two weeks", FRIDAY, date(2026, 12, 18)),
        ("in 3 days time", FRIDAY, date(2026, 12, 7)),
        ("2 weeks from now", FRIDAY, date(2026, 12, 18)),
        ("a week from today", FRIDAY, date(2026, 12, 11)),
        ("in 2 months", FRIDAY, date(2027, 2, 4)),
        ("in 1 month", date(2027, 1, 31), date(2027, 2, 28)),
        ("in 1 month", date(2028, 1, 31), date(2028, 2, 29)),
        ("in 1 year", FRIDAY, date(2027, 12, 4)),
        ("in 1 year", date(2028, 2, 29), date(2029, 2, 28)),
        ("in 30 days", FRIDAY, date(2027, 1, 3)),
    ],
)
def test_relative_amounts(text, today, expected):
    assert parse_due_date(text, today) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("end of month", FRIDAY, date(2026, 12, 31)),
        ("end of the month", FRIDAY, date(2026, 12, 31)),
        ("EOM", FRIDAY, date(2026, 12, 31)),
        ("end of month", date(2027, 2, 10), date(2027, 2, 28)),
        ("end of next month", FRIDAY, date(2027, 1, 31)),
        ("end of next month", date(2027, 1, 31), date(2027, 2, 28)),
        ("end of quarter", FRIDAY, date(2026, 12, 31)),
        ("end of quarter", date(2027, 4, 1), date(2027, 6, 30)),
        ("end of next quarter", FRIDAY, date(2027, 3, 31)),
        ("eoq", date(2027, 8, 15), date(2027, 9, 30)),
        ("end of year", FRIDAY, date(2026, 12, 31)),
        ("end of next year", FRIDAY, date(2027, 12, 31)),
        ("end of week", FRIDAY, FRIDAY),
        ("end of week", WEDNESDAY, FRIDAY),
        ("end of week", SATURDAY, date(2026, 12, 11)),
        ("end of next week", FRIDAY, date(2026, 12, 11)),
        ("end of next week", WEDNESDAY, date(2026, 12, 11)),
    ],
)
def test_end_of_period(text, today, expected):
    assert parse_due_date(text, today) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("day after tomorrow", date(2026, 12, 6)),
        ("next week", date(2026, 12, 11)),
        ("next month", date(2027, 1, 4)),
        ("yesterday", date(2026, 12, 3)),
    ],
)
def test_forms_left_to_dateparser(text, expected):
    assert parse_due_date(text, FRIDAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "blursday",
        "next blursday",
        "12345",
        "5",
        "2027",
        "jan",
        "soon",
        "asap",
        "tbd",
        "Q1",
        "the 15th",
        "this friday next week",
        "friday-ish",
    ],
)
def test_garbage_is_rejected(text):
    with pytest.raises(InvalidInputError) as error:
        parse_due_date(text, FRIDAY)
    assert f"`{text}` is not a date I can read" in error.value.message
    assert "`2027-01-10`" in error.value.message
    assert "`next friday`" in error.value.message


def test_garbage_message_matches_example():
    with pytest.raises(InvalidInputError) as error:
        parse_due_date("next blursday", FRIDAY)
    assert error.value.message == (
        "`next blursday` is not a date I can read. Use a date like `2027-01-10`, "
        "`tomorrow`, `next friday` or `Jan 15`."
    )


@pytest.mark.parametrize("text", ["", "   ", "on"])
def test_missing_date_is_rejected(text):
    with pytest.raises(InvalidInputError) as error:
        parse_due_date(text, FRIDAY)
    assert "`2027-01-10`" in error.value.message


def test_empty_date_message_says_missing():
    with pytest.raises(InvalidInputError) as error:
        parse_due_date("", FRIDAY)
    assert error.value.message.startswith("The due date is missing.")


@pytest.mark.parametrize(
    ("text", "expected_part"),
    [
        ("2027-02-30", "February 2027 has 28 days"),
        ("2028-02-30", "February 2028 has 29 days"),
        ("2027-04-31", "April 2027 has 30 days"),
        ("2027-13-01", "months run from 1 to 12"),
        ("2027-00-10", "months run from 1 to 12"),
        ("2027-01-00", "January 2027 has 31 days"),
        ("Feb 30", "February has no day 30"),
        ("jan 32", "January has no day 32"),
        ("0 jan", "January has no day 0"),
        ("Feb 29 2027", "February 2027 has 28 days"),
    ],
)
def test_impossible_dates_are_rejected(text, expected_part):
    with pytest.raises(InvalidInputError) as error:
        parse_due_date(text, FRIDAY)
    assert error.value.message.startswith(f"`{text}` ")
    assert expected_part in error.value.message


@pytest.mark.parametrize(
    "text",
    [
        "10/01/2027",
        "01/10/2027",
        "25.12.2027",
        "1/2",
        "10-01-2027",
        # Any separators, not only `/`, `-` and `.`.
        "10 01 2027",
        "10,01,2027",
        "01 10 2027",
        "10, 01, 2027",
        "10 / 01 / 2027",
        "10:01:2027",
        "10_01_2027",
        "10-01-27",
        "10 01",
    ],
)
def test_ambiguous_numeric_dates_are_rejected(text):
    with pytest.raises(InvalidInputError) as error:
        parse_due_date(text, FRIDAY)
    assert error.value.message.startswith(f"`{text}` can be read as day-month or as month-day.")
    assert "`2027-01-10`" in error.value.message


@pytest.mark.parametrize(
    "text",
    ["2027 01 10", "2027,01,10", "2027 1 5", "2027-01/10", "2027 - 01 - 10"],
)
def test_year_first_without_one_iso_separator_is_rejected(text):
    with pytest.raises(InvalidInputError) as error:
        parse_due_date(text, FRIDAY)
    assert error.value.message == (
        f"`{text}` is not a date I can read. Write a date in numbers as year-month-day "
        "with `-` between the parts, like `2027-01-10`."
    )


@pytest.mark.parametrize("text", ["99999-01-01", "1 2 3 4", "10 2027", "2027-001-10", "123/4"])
def test_other_numeric_forms_are_not_dates(text):
    with pytest.raises(InvalidInputError) as error:
        parse_due_date(text, FRIDAY)
    message = error.value.message
    assert message.startswith(f"`{text}` is not a date.")
    assert "day-month" not in message
    assert "`2027-01-10`" in message
    assert "`next friday`" in message


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("in x days", "x", "days"),
        ("in -3 days", "-3", "days"),
        ("in some weeks", "some", "weeks"),
        ("in 1.5 weeks", "1.5", "weeks"),
        ("in 1,5 weeks", "1,5", "weeks"),
        ("2.5 months from now", "2.5", "months"),
    ],
)
def test_relative_amount_must_be_a_whole_number(text, amount, unit):
    with pytest.raises(InvalidInputError) as error:
        parse_due_date(text, FRIDAY)
    message = error.value.message
    assert message.startswith(f"`{text}` is not a date I can read")
    assert f"`{amount}` is not a whole number of {unit}." in message
    assert "`in 3 days`" in message


TIME_OF_DAY_MESSAGE = (
    "includes a time of day, but a due date is a calendar day in the room's time zone "
    "(see `/map settings`). Type the day alone, like `today`, `tomorrow` or `2027-01-10`."
)


@pytest.mark.parametrize(
    "text",
    [
        "tomorrow 23:00 PST",
        "2027-01-10T10:00+05:00",
        "2027-01-10T10:00Z",
        "2027-01-10 10:00",
        "tomorrow at 5pm",
        "tomorrow 5 p.m.",
        "friday 9:30",
        "jan 15 10am",
        "in 2 days at 3pm",
        "next week 9am",
        "15 january 2027 14:00 utc",
        "tomorrow 12:00",
        "tomorrow noon",
        "noon",
        "tomorrow midnight",
        "10:30",
    ],
)
def test_time_of_day_is_rejected(text):
    with pytest.raises(InvalidInputError) as error:
        parse_due_date(text, FRIDAY)
    assert error.value.message == f"`{text}` {TIME_OF_DAY_MESSAGE}"


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("tomorrow pst", "a time zone"),
        ("2027-01-10z", "a time zone"),
        ("in 3 hours", "a time"),
        ("tomorrow evening", "a time"),
        ("now", "a time"),
    ],
)
def test_time_words_and_zones_are_rejected(text, what):
    with pytest.raises(InvalidInputError) as error:
        parse_due_date(text, FRIDAY)
    message = error.value.message
    assert message.startswith(f"`{text}` includes {what}, but a due date is a calendar day")
    assert "`tomorrow`" in message


@pytest.mark.parametrize("text", ["1999-12-31", "0000-01-01", "1 Jan 1999", "Dec 31 1999"])
def test_dates_before_2000_are_rejected(text):
    with pytest.raises(InvalidInputError) as error:
        parse_due_date(text, FRIDAY)
    assert error.value.message.startswith(f"`{text}` is before the year 2000.")
    assert "`2000-01-01`" in error.value.message


def test_first_day_of_2000_is_accepted():
    assert parse_due_date("2000-01-01", FRIDAY) == date(2000, 1, 1)


def test_date_ten_years_ahead_is_accepted():
    assert parse_due_date("2036-12-04", FRIDAY) == date(2036, 12, 4)
    assert parse_due_date("in 10 years", FRIDAY) == date(2036, 12, 4)


@pytest.mark.parametrize(
    "text",
    [
        "2036-12-05",
        "Dec 31 2040",
        "in 11 years",
        "in 3700 days",
        "in 100000 days",
        "in 99999999999999999999 days",
        "in 530 weeks",
        "in 200 months",
    ],
)
def test_dates_past_ten_years_are_rejected(text):
    with pytest.raises(InvalidInputError) as error:
        parse_due_date(text, FRIDAY)
    assert error.value.message.startswith(f"`{text}` is more than 10 years away.")
    assert "`2036-12-04`" in error.value.message


def test_ten_year_limit_from_leap_day():
    assert parse_due_date("2038-02-28", date(2028, 2, 29)) == date(2038, 2, 28)
    with pytest.raises(InvalidInputError):
        parse_due_date("2038-03-01", date(2028, 2, 29))


def test_rejected_value_is_shown_safely():
    with pytest.raises(InvalidInputError) as error:
        parse_due_date("a `b` <c> & d", FRIDAY)
    assert error.value.message.startswith("`a 'b' &lt;c&gt; &amp; d` is not a date")


def test_imports_dateparser_lazily():
    code = "import sys, bot.dates; print('dateparser' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("friday", "`friday`"),
        ("a`b", "`a'b`"),
        ("R&D <team>", "`R&amp;D &lt;team&gt;`"),
        ("two\n lines", "`two lines`"),
        ("x" * 60, "`" + "x" * 60 + "`"),
        ("x" * 61, "`" + "x" * 59 + "…`"),
    ],
)
def test_code_span(value, expected):
    assert code_span(value) == expected


@pytest.mark.parametrize(
    ("now", "zone", "expected"),
    [
        (datetime(2026, 12, 4, 23, 30, tzinfo=UTC), "Europe/Berlin", date(2026, 12, 5)),
        (datetime(2026, 12, 4, 22, 59, tzinfo=UTC), "Europe/Berlin", date(2026, 12, 4)),
        (datetime(2026, 12, 4, 3, 0, tzinfo=UTC), "America/Los_Angeles", date(2026, 12, 3)),
        (datetime(2026, 12, 4, 11, 0, tzinfo=UTC), "Pacific/Kiritimati", date(2026, 12, 5)),
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), "Asia/Tokyo", date(2027, 1, 1)),
        (datetime(2026, 12, 4, 12, 0, tzinfo=UTC), "UTC", date(2026, 12, 4)),
        # Summer time: Berlin is UTC+2 in July.
        (datetime(2026, 7, 1, 22, 30, tzinfo=UTC), "Europe/Berlin", date(2026, 7, 2)),
        (
            datetime(2026, 12, 4, 20, 0, tzinfo=timezone(timedelta(hours=-5))),
            "UTC",
            date(2026, 12, 5),
        ),
    ],
)
def test_today_in_zone(now, zone, expected):
    assert today_in_zone(now, zone) == expected


def test_today_in_zone_rejects_naive_now():
    with pytest.raises(ValueError, match="timezone-aware"):
        today_in_zone(datetime(2026, 12, 4, 12, 0), "UTC")


def test_today_in_zone_rejects_unknown_zone():
    with pytest.raises(InvalidInputError) as error:
        today_in_zone(datetime(2026, 12, 4, 12, 0, tzinfo=UTC), "Mars/Olympus")
    assert "`Mars/Olympus`" in error.value.message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("  Europe/Berlin ", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("America/New_York", "America/New_York"),
        ("utc", "UTC"),
        ("Asia/Kolkata", "Asia/Kolkata"),
        ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ],
)
def test_validate_timezone_accepts(name, expected):
    assert validate_timezone(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "Mars/Olympus",
        "Europe/Berlin/",
        "../etc/passwd",
        "/etc/localtime",
        "localtime",
        "Factory",
        "Berlin",
        "GMT+25",
        "Europe/Berlin\x00",
        "a" * 300,
    ],
)
def test_validate_timezone_rejects(name):
    with pytest.raises(InvalidInputError) as error:
        validate_timezone(name)
    message = error.value.message
    assert message.startswith(code_span(name.strip()) + " is not an IANA time zone name.")
    assert "`Europe/Berlin`" in message


def test_validate_timezone_suggests_close_name():
    with pytest.raises(InvalidInputError) as error:
        validate_timezone("Europe/Berln")
    assert "Did you mean `Europe/Berlin`?" in error.value.message


@pytest.mark.parametrize("name", ["", "   "])
def test_validate_timezone_rejects_empty(name):
    with pytest.raises(InvalidInputError) as error:
        validate_timezone(name)
    assert error.value.message.startswith("The time zone is missing.")
    assert "`Europe/Berlin`" in error.value.message
