"""`/map settings`: show or change a room's time zone and reminder settings.

`parse_settings` reads the text after `/map settings` into one typed request,
or raises InvalidInputError naming the bad value, the accepted forms and an
example. Nothing is written until the whole text has been parsed, so a bad
value changes nothing.
"""

from __future__ import annotations

import difflib
import itertools
import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import NoReturn
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.blocks.text import escape, shorten
from bot.dates import code_span, validate_timezone
from bot.payloads import CommandRequest
from bot.services import Services
from storage import plans, reminder_settings
from storage.errors import InvalidInputError
from storage.models import DealRoom, NudgeDelivery
from storage.reminder_calendar import DAYS_PER_WEEK, WEEKDAY_NAMES, WorkWeek

PREFIX = "/map settings"
# Overdue steps count working days, and a year of them is far more than any plan needs.
MAX_STEP = 260
MAX_STEPS = 10

SETTING_WORDS = ("timezone", "nudges", "reminder-hour", "workdays", "summary", "help")
EXAMPLES = {
    "timezone": f"`{PREFIX} timezone Europe/Berlin`",
    "nudges": f"`{PREFIX} nudges off`, `{PREFIX} nudges dm` or `{PREFIX} nudges schedule 1,3,7`",
    "schedule": f"`{PREFIX} nudges schedule 1,3,7`",
    "reminder-hour": f"`{PREFIX} reminder-hour 09:00`",
    "workdays": f"`{PREFIX} workdays mon-fri` or `{PREFIX} workdays sun,mon,tue,wed,thu`",
    "summary": f"`{PREFIX} summary monday 09:00` or `{PREFIX} summary off`",
}

_DAY_NUMBERS = {name.lower(): number for number, name in enumerate(WEEKDAY_NAMES)}
_DAY_NUMBERS.update({name[:3].lower(): number for number, name in enumerate(WEEKDAY_NAMES)})
_DAY_NUMBERS.update({"tues": 1, "thur": 3, "thurs": 3})
_TIME_RE = re.compile(r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<half>am|pm)?")


@dataclass(frozen=True)
class ShowSettings:
    """`/map settings` alone."""


@dataclass(frozen=True)
class ShowHelp:
    """`/map settings help`."""


@dataclass(frozen=True)
class SetTimezone:
    zone: str


@dataclass(frozen=True)
class SetNudgesEnabled:
    enabled: bool


@dataclass(frozen=True)
class SetOverdueSteps:
    steps: tuple[int, ...]


@dataclass(frozen=True)
class SetNudgeDelivery:
    delivery: NudgeDelivery


@dataclass(frozen=True)
class SetReminderTime:
    wall_time: time


@dataclass(frozen=True)
class SetWorkdays:
    week: WorkWeek


@dataclass(frozen=True)
class SetSummary:
    """A summary day and time. `weekday=None` turns summaries off, `wall_time=None` keeps it."""

    weekday: int | None
    wall_time: time | None


SettingsRequest = (
    ShowSettings
    | ShowHelp
    | SetTimezone
    | SetNudgesEnabled
    | SetOverdueSteps
    | SetNudgeDelivery
    | SetReminderTime
    | SetWorkdays
    | SetSummary
)


SETTINGS_HELP = "\n".join(
    [
        "*Reminder settings of this channel's deal room*",
        f"`{PREFIX}`: show the current settings.",
        f"`{PREFIX} timezone &lt;IANA name&gt;`: the room's time zone, for due dates, nudges "
        f"and summaries. Example: {EXAMPLES['timezone']}",
        f"`{PREFIX} nudges on` or `off`: turn due-date nudges on or off.",
        f"`{PREFIX} nudges channel` or `dm`: post nudges in this channel, or send them as "
        "direct messages to task owners in Slack (tasks of buyer contacts who are not in "
        "Slack stay in the channel).",
        f"`{PREFIX} nudges schedule &lt;days&gt;`: nudge overdue tasks after these numbers "
        f"of working days, then weekly. Example: {EXAMPLES['schedule']}",
        f"`{PREFIX} reminder-hour &lt;HH:MM&gt;`: when nudges go out on working days, in the "
        f"room's time zone. Example: {EXAMPLES['reminder-hour']}",
        f"`{PREFIX} workdays &lt;days&gt;`: the room's working days. "
        f"Example: {EXAMPLES['workdays']}",
        f"`{PREFIX} summary &lt;day&gt; &lt;HH:MM&gt;` or `off`: when the weekly summary is "
        f"posted. Example: {EXAMPLES['summary']}",
    ]
)


def parse_settings(text: str) -> SettingsRequest:
    """Parse the text after `/map settings`, raising InvalidInputError if it is invalid."""
    parts = text.split(maxsplit=1)
    if not parts:
        return ShowSettings()
    word = parts[0].casefold()
    rest = parts[1].strip() if len(parts) > 1 else ""
    if word == "help":
        return ShowHelp()
    if word in ("timezone", "time-zone", "tz"):
        return SetTimezone(validate_timezone(rest))
    if word == "nudges":
        return _parse_nudges(rest)
    if word in ("reminder-hour", "reminder-time"):
        return SetReminderTime(parse_wall_time(rest, "reminder-hour"))
    if word in ("workdays", "working-days"):
        return SetWorkdays(parse_workdays(rest))
    if word == "summary":
        return _parse_summary(rest)
    message = f"{code_span(parts[0])} is not a setting."
    close = difflib.get_close_matches(word, SETTING_WORDS, n=1)
    if close:
        message += f" Did you mean `{PREFIX} {close[0]}`?"
    raise InvalidInputError(
        f"{message} The settings are {_word_list(SETTING_WORDS)}. "
        f"Type `{PREFIX}` to see the current values."
    )


_NUDGES_CHOICES = (
    "Use `on` or `off`, `channel` (post in this channel) or `dm` (direct messages to "
    "owners in Slack), or `schedule` with the working days overdue on which to nudge. "
    f"Example: {EXAMPLES['nudges']}."
)


def _parse_nudges(rest: str) -> SettingsRequest:
    words = rest.split(maxsplit=1)
    if not words:
        raise InvalidInputError(f"The value after `nudges` is missing. {_NUDGES_CHOICES}")
    choice = words[0].casefold()
    argument = words[1] if len(words) > 1 else ""
    if choice == "schedule":
        return SetOverdueSteps(parse_steps(argument))
    if choice not in ("on", "off", "channel", "dm"):
        raise InvalidInputError(
            f"{code_span(rest)} after `nudges` was not understood. {_NUDGES_CHOICES}"
        )
    if argument:
        _raise_text_after(f"nudges {choice}", argument)
    if choice in ("on", "off"):
        return SetNudgesEnabled(choice == "on")
    return SetNudgeDelivery(NudgeDelivery(choice))


def _raise_text_after(setting: str, extra: str) -> NoReturn:
    raise InvalidInputError(
        f"`{PREFIX} {setting}` takes nothing after it, so {code_span(extra)} was not "
        f"understood. Type `{PREFIX} {setting}` on its own."
    )


def parse_steps(text: str) -> tuple[int, ...]:
    """Read overdue steps such as `1,3,7`: whole working days, increasing, at most 10 of them."""
    example = EXAMPLES["schedule"]
    pieces = [piece for piece in re.split(r"[,\s]+", text.strip()) if piece]
    if not pieces:
        raise InvalidInputError(
            "The schedule is missing. List the working days overdue on which tasks get a "
            f"nudge, for example {example}; after the last one they are nudged weekly."
        )
    steps = []
    for piece in pieces:
        if not piece.isdecimal() or not 1 <= int(piece) <= MAX_STEP:
            raise InvalidInputError(
                f"{code_span(piece)} is not a number of working days from 1 to {MAX_STEP}. "
                f"Example: {example}."
            )
        steps.append(int(piece))
    if any(later <= earlier for earlier, later in itertools.pairwise(steps)):
        raise InvalidInputError(
            f"{code_span(text)} must list each number once, from small to large. "
            f"Example: {example}."
        )
    if len(steps) > MAX_STEPS:
        raise InvalidInputError(
            f"{code_span(text)} has {len(steps)} steps, and the limit is {MAX_STEPS}. "
            f"After the last step tasks are nudged weekly anyway. Example: {example}."
        )
    return tuple(steps)


def parse_wall_time(text: str, setting: str) -> time:
    """Read a time of day: `09:00`, `9:30`, `14:00`, `9am` or `5:30 pm`."""
    cleaned = text.strip().casefold()
    if not cleaned:
        raise InvalidInputError(
            "The time is missing. Use 24-hour `HH:MM` in the room's time zone, such as "
            f"`09:00` or `14:30`. Example: {EXAMPLES[setting]}."
        )
    parsed = _wall_time(cleaned)
    if parsed is None:
        raise InvalidInputError(
            f"{code_span(text)} is not a time of day. Use 24-hour `HH:MM` in the room's time "
            f"zone, such as `09:00` or `14:30`. Example: {EXAMPLES[setting]}."
        )
    return parsed


def _wall_time(cleaned: str) -> time | None:
    match = _TIME_RE.fullmatch(cleaned)
    if match is None:
        return None
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    if match["half"] is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["half"] == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_workdays(text: str) -> WorkWeek:
    """Read working days: names or ranges such as `mon-fri` or `sun,mon,tue,wed,thu`."""
    pieces = [piece for piece in re.split(r"[,\s]+", text.strip().casefold()) if piece]
    if not pieces:
        raise InvalidInputError(f"The working days are missing. Example: {EXAMPLES['workdays']}.")
    weekdays: set[int] = set()
    for piece in pieces:
        first, _, last = piece.partition("-")
        start, end = _weekday(first, piece), _weekday(last or first, piece)
        span = (end - start) % DAYS_PER_WEEK
        weekdays.update((start + offset) % DAYS_PER_WEEK for offset in range(span + 1))
    return WorkWeek.of(weekdays)


def _weekday(word: str, piece: str) -> int:
    number = _DAY_NUMBERS.get(word)
    if number is None:
        raise InvalidInputError(
            f"{code_span(piece)} is not a day of the week or a range of days. Use day names "
            f"such as `mon` or `monday`, or ranges such as `mon-fri`. "
            f"Example: {EXAMPLES['workdays']}."
        )
    return number


def _parse_summary(rest: str) -> SetSummary:
    words = rest.split(maxsplit=1)
    if not words:
        raise InvalidInputError(
            "The summary day is missing. Give a day and a time in the room's time zone, "
            f"or `off`. Example: {EXAMPLES['summary']}."
        )
    if words[0].casefold() == "off":
        if len(words) > 1:
            _raise_text_after("summary off", words[1])
        return SetSummary(weekday=None, wall_time=None)
    day_word = words[0].casefold()
    # "mondays" reads as "monday".
    weekday = _DAY_NUMBERS.get(day_word, _DAY_NUMBERS.get(day_word.removesuffix("s")))
    if weekday is None:
        raise InvalidInputError(
            f"{code_span(words[0])} is not a day of the week or `off`. "
            f"Example: {EXAMPLES['summary']}."
        )
    wall_time = parse_wall_time(words[1], "summary") if len(words) > 1 else None
    return SetSummary(weekday=weekday, wall_time=wall_time)


def apply_settings(
    session: Session, room: DealRoom, request: SettingsRequest, *, actor: str, now: datetime
) -> str:
    """Apply a parsed settings request to the room and return the reply for the person."""
    match request:
        case ShowSettings():
            return describe_settings(room, now)
        case ShowHelp():
            return SETTINGS_HELP
        case SetTimezone(zone=zone):
            reminder_settings.set_timezone(session, room, zone, actor=actor, now=now)
            local = now.astimezone(ZoneInfo(zone))
            return (
                f"The room's time zone is now `{zone}` (it is {local:%a %H:%M} there). "
                "Due dates, nudges and summaries follow it."
            )
        case SetNudgesEnabled(enabled=enabled):
            reminder_settings.set_nudges_enabled(session, room, enabled, actor=actor, now=now)
            if enabled:
                return f"Nudges are on: {_nudge_timing(room)}."
            return "Nudges are off. Weekly summaries are not affected."
        case SetOverdueSteps(steps=steps):
            reminder_settings.set_overdue_steps(session, room, steps, actor=actor, now=now)
            return f"Overdue tasks are now nudged {_steps_text(steps)}."
        case SetNudgeDelivery(delivery=delivery):
            reminder_settings.set_nudge_delivery(session, room, delivery, actor=actor, now=now)
            return f"Nudges now go {_delivery_text(delivery)}."
        case SetReminderTime(wall_time=wall_time):
            reminder_settings.set_reminder_time(session, room, wall_time, actor=actor, now=now)
            return f"Nudges now go out at {wall_time:%H:%M} ({room.timezone}) on working days."
        case SetWorkdays(week=week):
            reminder_settings.set_work_week(session, room, week, actor=actor, now=now)
            return f"The working days are now {workdays_text(week)}."
        case SetSummary(weekday=weekday, wall_time=wall_time):
            reminder_settings.set_summary(session, room, weekday, wall_time, actor=actor, now=now)
            return f"Weekly summary: {_summary_text(room)}."
    raise AssertionError(f"unhandled settings request {request!r}")


def describe_settings(room: DealRoom, now: datetime) -> str:
    """Format the room's settings and how to change them, as mrkdwn."""
    local = now.astimezone(ZoneInfo(room.timezone))
    nudges = f"on, {_nudge_timing(room)}" if room.nudges_enabled else "off"
    steps = reminder_settings.parse_steps(room.overdue_steps)
    title = escape(shorten(room.deal_name, 150))
    return "\n".join(
        [
            f"*Reminder settings for {title}*",
            f"• Time zone: `{room.timezone}` (it is {local:%a %H:%M} there)",
            f"• Nudges: {nudges}",
            f"• Overdue tasks: nudged {_steps_text(steps)}",
            f"• Weekly summary: {_summary_text(room)}",
            "Change them with `/map settings &lt;setting&gt; &lt;value&gt;`, for example "
            f"{EXAMPLES['reminder-hour']}. Type `{PREFIX} help` for every setting.",
        ]
    )


def workdays_text(week: WorkWeek) -> str:
    """Name the working days briefly: `Mon-Fri`, `Sun-Thu`, or `Mon, Wed, Fri`."""
    days = week.weekdays
    if len(days) == DAYS_PER_WEEK:
        return "every day"
    # Rotate the week so that a run crossing Sunday to Monday stays in one piece.
    first = next(day for day in days if (day - 1) % DAYS_PER_WEEK not in days)
    ordered = sorted(days, key=lambda day: (day - first) % DAYS_PER_WEEK)
    consecutive = all(
        (later - earlier) % DAYS_PER_WEEK == 1 for earlier, later in itertools.pairwise(ordered)
    )
    if consecutive and len(ordered) > 2:
        return f"{_short_day(ordered[0])}-{_short_day(ordered[-1])}"
    return ", ".join(_short_day(day) for day in ordered)


def _short_day(day: int) -> str:
    return WEEKDAY_NAMES[day][:3]


def _nudge_timing(room: DealRoom) -> str:
    week = WorkWeek(room.workday_mask)
    return (
        f"at {room.reminder_time:%H:%M} on {workdays_text(week)}, "
        f"{_delivery_text(room.nudge_delivery)}"
    )


def _delivery_text(delivery: NudgeDelivery) -> str:
    if delivery is NudgeDelivery.DM:
        return "by direct message to task owners in Slack (others in this channel)"
    return "to this channel"


def _steps_text(steps: tuple[int, ...]) -> str:
    numbers = [str(step) for step in steps]
    listed = numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + f" and {numbers[-1]}"
    unit = "working day" if steps == (1,) else "working days"
    return f"{listed} {unit} overdue, then weekly"


def _summary_text(room: DealRoom) -> str:
    if room.summary_weekday is None:
        return "off"
    day = WEEKDAY_NAMES[room.summary_weekday]
    return f"{day}s at {room.summary_time:%H:%M} ({room.timezone})"


def _word_list(words: tuple[str, ...]) -> str:
    quoted = [f"`{word}`" for word in words]
    return ", ".join(quoted[:-1]) + f" and {quoted[-1]}"


def run_settings_command(services: Services, request: CommandRequest, text: str) -> str:
    """Parse and apply `/map settings ...` in the request's room, and return the reply.

    Raises InvalidInputError for bad input and NotFoundError outside a deal room,
    both before anything is written.
    """
    parsed = parse_settings(text)

    def work(session: Session) -> str:
        room = plans.require_room(session, services.team_id, request.channel_id)
        now = services.now()
        return apply_settings(session, room, parsed, actor=request.user_id, now=now)

    if isinstance(parsed, ShowSettings | ShowHelp):
        return services.read(work)
    return services.write(work)
