"""`/map settings`: parsing, replies, what is stored, and bad input that changes nothing."""

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select

from bot.payloads import CommandRequest
from bot.services import Services
from bot.settings_command import (
    SetNudgeDelivery,
    SetNudgesEnabled,
    SetOverdueSteps,
    SetReminderTime,
    SetSummary,
    SetTimezone,
    SetWorkdays,
    ShowHelp,
    ShowSettings,
    parse_settings,
    run_settings_command,
    workdays_text,
)
from storage.errors import InvalidInputError, NotFoundError
from storage.models import Activity, DealRoom, NudgeDelivery
from storage.reminder_calendar import WorkWeek
from tests.conftest import FakeClock
from tests.reminders.planning_support import CHANNEL, SELLER, TEAM, make_room, room_state

# Friday 2026-12-04 15:00 UTC.
NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ShowSettings()),
        ("help", ShowHelp()),
        ("timezone europe/berlin", SetTimezone("Europe/Berlin")),
        ("tz Asia/Tokyo", SetTimezone("Asia/Tokyo")),
        ("nudges on", SetNudgesEnabled(True)),
        ("NUDGES Off", SetNudgesEnabled(False)),
        ("nudges dm", SetNudgeDelivery(NudgeDelivery.DM)),
        ("nudges channel", SetNudgeDelivery(NudgeDelivery.CHANNEL)),
        ("nudges schedule 1,3,7", SetOverdueSteps((1, 3, 7))),
        ("nudges schedule 2, 5 10", SetOverdueSteps((2, 5, 10))),
        ("reminder-hour 09:00", SetReminderTime(time(9, 0))),
        ("reminder-hour 7:30", SetReminderTime(time(7, 30))),
        ("reminder-hour 14", SetReminderTime(time(14, 0))),
        ("reminder-hour 9am", SetReminderTime(time(9, 0))),
        ("reminder-hour 12:15 am", SetReminderTime(time(0, 15))),
        ("reminder-hour 5:30pm", SetReminderTime(time(17, 30))),
        ("workdays mon-fri", SetWorkdays(WorkWeek.of([0, 1, 2, 3, 4]))),
        ("workdays sun-thu", SetWorkdays(WorkWeek.of([6, 0, 1, 2, 3]))),
        ("workdays Monday, wed friday", SetWorkdays(WorkWeek.of([0, 2, 4]))),
        ("summary monday 09:00", SetSummary(0, time(9, 0))),
        ("summary Sundays 1:30", SetSummary(6, time(1, 30))),
        ("summary fri", SetSummary(4, None)),
        ("summary off", SetSummary(None, None)),
    ],
)
def test_parse_settings(text, expected):
    assert parse_settings(text) == expected


@pytest.mark.parametrize(
    ("text", "named", "example"),
    [
        ("timezone Mars/Base", "`Mars/Base`", "Europe/Berlin"),
        ("timezone", "time zone is missing", "Europe/Berlin"),
        ("nudges maybe", "`maybe`", "/map settings nudges schedule 1,3,7"),
        ("nudges", "value after `nudges` is missing", "/map settings nudges off"),
        ("nudges   ", "value after `nudges` is missing", "/map settings nudges off"),
        ("nudges on please", "`please`", "/map settings nudges on"),
        ("nudges dm now", "`now`", "/map settings nudges dm"),
        ("summary off please", "`please`", "/map settings summary off"),
        ("nudges schedule 0,3", "`0`", "/map settings nudges schedule 1,3,7"),
        ("nudges schedule 3,1", "`3,1`", "from small to large"),
        ("nudges schedule 1,1", "`1,1`", "from small to large"),
        ("nudges schedule one", "`one`", "/map settings nudges schedule 1,3,7"),
        ("nudges schedule 1,2,3,4,5,6,7,8,9,10,11", "11 steps", "limit is 10"),
        ("nudges schedule", "schedule is missing", "/map settings nudges schedule 1,3,7"),
        ("reminder-hour 25:00", "`25:00`", "/map settings reminder-hour 09:00"),
        ("reminder-hour 9:75", "`9:75`", "HH:MM"),
        ("reminder-hour 13pm", "`13pm`", "HH:MM"),
        ("reminder-hour noon", "`noon`", "HH:MM"),
        ("reminder-hour", "time is missing", "HH:MM"),
        ("workdays funday", "`funday`", "/map settings workdays mon-fri"),
        ("workdays mon-xyz", "`mon-xyz`", "/map settings workdays mon-fri"),
        ("workdays", "working days are missing", "mon-fri"),
        ("summary someday 09:00", "`someday`", "/map settings summary monday 09:00"),
        ("summary monday 9 o'clock", "`9 o'clock`", "/map settings summary monday 09:00"),
        ("summary", "summary day is missing", "/map settings summary off"),
        ("nudgse off", "`nudgse`", "Did you mean `/map settings nudges`?"),
    ],
)
def test_bad_settings_name_value_and_example(text, named, example):
    with pytest.raises(InvalidInputError) as raised:
        parse_settings(text)
    assert named in raised.value.message
    assert example in raised.value.message


def test_nudges_without_value_says_what_is_missing():
    with pytest.raises(InvalidInputError) as raised:
        parse_settings("nudges")
    message = raised.value.message
    assert message.startswith("The value after `nudges` is missing. Use `on` or `off`,")
    assert "not understood" not in message


@pytest.mark.parametrize(
    ("text", "setting", "extra"),
    [
        ("summary off please", "summary off", "please"),
        ("summary OFF now", "summary off", "now"),
        ("nudges on please", "nudges on", "please"),
        ("nudges channel too", "nudges channel", "too"),
    ],
)
def test_text_after_a_complete_setting_is_rejected(text, setting, extra):
    with pytest.raises(InvalidInputError) as raised:
        parse_settings(text)
    assert raised.value.message == (
        f"`/map settings {setting}` takes nothing after it, so `{extra}` was not understood. "
        f"Type `/map settings {setting}` on its own."
    )


@pytest.mark.parametrize(
    ("mask", "expected"),
    [
        (0b0011111, "Mon-Fri"),
        (0b1001111, "Sun-Thu"),
        (0b1111111, "every day"),
        (0b0010101, "Mon, Wed, Fri"),
        (0b1100000, "Sat, Sun"),
    ],
)
def test_workdays_text(mask, expected):
    assert workdays_text(WorkWeek(mask)) == expected


@pytest.fixture
def services(sessions) -> Services:
    return Services(sessions=sessions, team_id=TEAM, clock=FakeClock(NOW))


@pytest.fixture
def room_id(sessions) -> int:
    with sessions.begin() as session:
        return make_room(session).id


def run(services: Services, text: str, channel: str = CHANNEL) -> str:
    request = CommandRequest(TEAM, channel, SELLER, f"settings {text}", "", "")
    return run_settings_command(services, request, text)


def stored_room(sessions, room_id: int) -> DealRoom:
    with sessions.begin() as session:
        room = session.get(DealRoom, room_id)
        assert room is not None
        return room


def activity_count(sessions) -> int:
    with sessions.begin() as session:
        return session.scalar(select(func.count()).select_from(Activity))


def test_show_default_settings(services, room_id):
    reply = run(services, "")
    assert "*Reminder settings for Deal in C0DEAL*" in reply
    assert "• Time zone: `UTC` (it is Fri 15:00 there)" in reply
    assert "• Nudges: on, at 09:00 on Mon-Fri, to this channel" in reply
    assert "• Overdue tasks: nudged 1, 3 and 7 working days overdue, then weekly" in reply
    assert "• Weekly summary: Mondays at 09:00 (UTC)" in reply


def test_settings_outside_deal_room(services):
    with pytest.raises(NotFoundError):
        run(services, "nudges off", channel="C0NOTROOM")


def test_change_each_setting(services, sessions, room_id):
    assert "`Europe/Berlin` (it is Fri 16:00 there)" in run(services, "timezone europe/berlin")
    assert run(services, "nudges schedule 2,5") == (
        "Overdue tasks are now nudged 2 and 5 working days overdue, then weekly."
    )
    assert "by direct message" in run(services, "nudges dm")
    assert run(services, "reminder-hour 8:30") == (
        "Nudges now go out at 08:30 (Europe/Berlin) on working days."
    )
    assert run(services, "workdays sun-thu") == "The working days are now Sun-Thu."
    assert run(services, "summary friday 16:00") == (
        "Weekly summary: Fridays at 16:00 (Europe/Berlin)."
    )
    assert run(services, "nudges off") == "Nudges are off. Weekly summaries are not affected."

    room = stored_room(sessions, room_id)
    assert room.timezone == "Europe/Berlin"
    assert room.overdue_steps == "2,5"
    assert room.nudge_delivery is NudgeDelivery.DM
    assert room.reminder_time == time(8, 30)
    assert room.workday_mask == WorkWeek.of([6, 0, 1, 2, 3]).mask
    assert (room.summary_weekday, room.summary_time) == (4, time(16, 0))
    assert room.nudges_enabled is False
    assert activity_count(sessions) == 1 + 7  # the room, then one per change


def test_summary_change_reschedules(services, sessions, room_id):
    run(services, "timezone America/New_York")
    run(services, "summary friday 16:00")
    # Friday 15:00 UTC is 10:00 in New York, so today's 16:00 is still ahead.
    assert room_state(sessions, room_id)["next_summary_at"] == datetime(
        2026, 12, 4, 21, 0, tzinfo=UTC
    )
    run(services, "summary off")
    assert room_state(sessions, room_id)["next_summary_at"] is None


def test_reminder_hour_reschedules(services, sessions, room_id):
    with sessions.begin() as session:
        session.get(DealRoom, room_id).nudges_planned_through = date(2026, 12, 4)
    run(services, "reminder-hour 07:00")
    assert room_state(sessions, room_id)["next_nudge_at"] == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


def test_bad_value_changes_nothing(services, sessions, room_id):
    before = activity_count(sessions)
    for text in ("timezone Nowhere/Land", "nudges schedule 5,2", "summary someday"):
        with pytest.raises(InvalidInputError):
            run(services, text)
    assert activity_count(sessions) == before
    room = stored_room(sessions, room_id)
    assert room.timezone == "UTC"
    assert room.overdue_steps == "1,3,7"
    assert room.summary_weekday == 0


def test_settings_help_lists_every_setting(services, room_id):
    reply = run(services, "help")
    words = (
        "timezone",
        "nudges on",
        "nudges channel",
        "nudges schedule",
        "reminder-hour",
        "workdays",
        "summary",
    )
    for word in words:
        assert f"/map settings {word}" in reply
