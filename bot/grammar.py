"""The `/map` slash command: its text parsed into typed commands.

`parse_command` turns the text after `/map` into one of the dataclasses below
or raises InvalidInputError with a message for the person who typed it.
Keywords are case-insensitive. Dates stay raw text here, because they are
read in the room's time zone by `bot.dates.parse_due_date`.

The text is expected as Slack sends it with escaping on: `&`, `<` and `>`
typed by people arrive as `&amp;`, `&lt;` and `&gt;`, and mentions and links
arrive as `<@U123|ada>` or `<https://example.com|example.com>`. Free text in
the returned commands (titles, names, dates) is plain text again, with those
entities decoded and each mention or link replaced by the text people saw, so
it must be escaped again before it goes back into mrkdwn.

Options after a task title are read from the end of the text backwards, in
any order. Reading stops at the first word that is not an option or at a
side or due date given a second time, and everything before it is the title.
So in `Review due diligence pack due friday` the title is `Review due
diligence pack`. A second owner is an error, because a task has one owner.
The first word always belongs to the title, and a title in double quotes is
never read for options.

A milestone title may contain `:`, so `/map add task` text is read once for
each `:` that could end the milestone, and the caller picks the reading that
names a milestone of the plan.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from bot.dates import code_span
from storage.errors import InvalidInputError
from storage.models import TITLE_MAX, Side
from storage.models import Status as TaskStatus
from storage.rules import clean_milestone_title, clean_title

__all__ = [
    "HELP_TEXT",
    "AddMilestone",
    "AddTask",
    "Command",
    "Help",
    "Init",
    "InvalidTaskReading",
    "OpenMilestoneForm",
    "OpenTaskForm",
    "SetTaskStatus",
    "Settings",
    "Side",
    "Status",
    "TaskReading",
    "TaskStatus",
    "check_title",
    "command_words",
    "parse_command",
]

INIT_EXAMPLE = "/map init Acme Corp renewal"
MILESTONE_EXAMPLE = "/map add milestone Legal review due friday"
TASK_EXAMPLE = "/map add task Security review: Share SOC 2 report @ada seller due 2027-01-10"

# Task numbers are stored in an Integer column, 32 bits on PostgreSQL, so
# larger ones cannot exist.
MAX_TASK_NUMBER = 2**31 - 1


@dataclass(frozen=True)
class Help:
    """`/map help`, or `/map` with no text."""


@dataclass(frozen=True)
class Init:
    """`/map init <deal name>`: create the plan of the channel's deal room."""

    deal_name: str


@dataclass(frozen=True)
class Status:
    """`/map status`: show the plan."""


@dataclass(frozen=True)
class AddMilestone:
    """`/map add milestone <title> [due <date>]`."""

    title: str
    due_text: str | None


@dataclass(frozen=True)
class TaskReading:
    """One reading of `/map add task` text: the milestone as typed, and the task.

    `milestone_ref` is the milestone's title or number as typed (`2` or
    `#2`), for the caller to look up. At most one of `owner_user_id` (a
    Slack user id such as `U0SELLER`) and `owner_name` (a free-text buyer
    contact) is set.
    """

    milestone_ref: str
    title: str
    owner_user_id: str | None
    owner_name: str | None
    side: Side | None
    due_text: str | None


@dataclass(frozen=True)
class InvalidTaskReading:
    """A reading of `/map add task` text whose task part is invalid, with the error message."""

    milestone_ref: str
    message: str


@dataclass(frozen=True)
class AddTask:
    """`/map add task <milestone>: <title> [options]`, read at each `:` that may end the milestone.

    `readings` has one reading per such colon, the first colon first, so
    `Phase 1: Discovery: Kickoff` gives the milestones `Phase 1` and `Phase 1:
    Discovery`. A quoted milestone title gives one reading. The caller picks
    the reading whose `milestone_ref` names a milestone of the plan, and
    raises the message of an InvalidTaskReading if it picks one. At least one
    reading is a TaskReading.
    """

    readings: tuple[TaskReading | InvalidTaskReading, ...]


@dataclass(frozen=True)
class OpenMilestoneForm:
    """`/map add milestone` with nothing after it: open the milestone form."""


@dataclass(frozen=True)
class OpenTaskForm:
    """`/map add task` with nothing after it: open the task form."""


@dataclass(frozen=True)
class SetTaskStatus:
    """`/map done #7`, `/map start #7` or `/map reset #7`."""

    number: int
    status: TaskStatus


@dataclass(frozen=True)
class Settings:
    """`/map settings [...]`: the rest of the text, for `bot.settings_command` to parse.

    `text` is plain text, decoded from Slack's escaping like every other value here.
    """

    text: str


Command = (
    Help
    | Init
    | Status
    | AddMilestone
    | AddTask
    | OpenMilestoneForm
    | OpenTaskForm
    | SetTaskStatus
    | Settings
)

_STATUS_VERBS = {
    "done": TaskStatus.COMPLETED,
    "complete": TaskStatus.COMPLETED,
    "finish": TaskStatus.COMPLETED,
    "start": TaskStatus.IN_PROGRESS,
    "reset": TaskStatus.NOT_STARTED,
}
_COMMAND_WORDS = (
    "help",
    "init",
    "status",
    "add",
    "done",
    "complete",
    "finish",
    "start",
    "reset",
    "settings",
)
_ADD_WORDS = ("milestone", "task")

HELP_TEXT = "\n".join(
    [
        "*Mutual Action Plan commands*",
        f"`/map init &lt;deal name&gt;`: start the plan of this channel. Example: `{INIT_EXAMPLE}`",
        "`/map status`: show the plan. Example: `/map status`",
        "`/map add milestone &lt;title&gt; [due &lt;date&gt;]`: add a milestone. "
        f"Example: `{MILESTONE_EXAMPLE}`",
        "`/map add task &lt;milestone&gt;: &lt;title&gt; [@person | owner &lt;name&gt;] "
        "[buyer | seller] [due &lt;date&gt;]`: add a task to a milestone, named by its title "
        "or number. `owner` names a buyer contact who is not in Slack. "
        f"Example: `{TASK_EXAMPLE}`",
        "When a milestone title contains `:`, put it in double quotes. "
        'Example: `/map add task "Phase 1: Discovery": Kickoff call`',
        "`/map add milestone` or `/map add task` on its own: fill in a form instead.",
        "`/map start #&lt;number&gt;`: mark a task in progress. Example: `/map start #7`",
        "`/map done #&lt;number&gt;`: mark a task completed. `/map complete` and "
        "`/map finish` do the same. Example: `/map done #7`",
        "`/map reset #&lt;number&gt;`: mark a task not started. Example: `/map reset #7`",
        "`/map settings`: show or change this room's time zone, nudges and weekly summary. "
        "Type `/map settings help` for each setting. "
        "Example: `/map settings timezone Europe/Berlin`",
        "`/map help`: show this list.",
        "Dates: `2027-01-10`, `today`, `tomorrow`, `friday`, `next friday`, `Jan 15`, "
        "`in 2 weeks`, `end of month`.",
        "Put a title in double quotes when it contains `due`, `owner`, `buyer` or `seller`. "
        'Example: `/map add task Legal review: "Send redlines to buyer" seller`',
    ]
)

_TOKEN_RE = re.compile(r"<[^<>\s][^<>]*>|\S+")
_MENTION_RE = re.compile(r"<@(?P<escaped>[UW][A-Z0-9]+)(?:\|[^<>]*)?>|@(?P<raw>[UW][A-Z0-9]+)")
_CONTROL_RE = re.compile(r"<(?P<target>[^<>|]*)(?:\|(?P<label>[^<>]*))?>")
_TASK_NUMBER_RE = re.compile(r"#?(?P<digits>[0-9]{1,10})")
_OPENING_QUOTES = '"“'
_CLOSING_QUOTES = '"”'


def command_words() -> tuple[str, ...]:
    """Return the words that can follow `/map`, in the order of the help text."""
    return _COMMAND_WORDS


def check_title(title: str, what: str = "title") -> str:
    """Collapse whitespace in `title` and check its length, returning the clean title.

    Raises InvalidInputError naming `what` when the title is empty or longer
    than 200 characters. The plan store applies the same rule.
    """
    return clean_title(title, what)


def parse_command(text: str) -> Command:
    """Parse the text after `/map` into a command, raising InvalidInputError if it is invalid."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return Help()
    word = parts[0].casefold()
    rest = parts[1] if len(parts) > 1 else ""

    if word == "help":
        return Help()
    if word == "status":
        if rest:
            raise InvalidInputError(
                f"`/map status` takes no arguments, so {_quoted(rest)} was not understood. "
                "Type `/map status` on its own."
            )
        return Status()
    if word == "init":
        return _parse_init(rest)
    if word == "add":
        return _parse_add(rest)
    if word in _STATUS_VERBS:
        return _parse_set_status(word, rest)
    if word == "settings":
        return Settings(text=_plain_text(rest))
    raise InvalidInputError(_unknown_word_message(parts[0], _COMMAND_WORDS, "/map"))


def _unknown_word_message(word: str, choices: tuple[str, ...], prefix: str) -> str:
    message = f"{_quoted(word)} is not a `{prefix}` command."
    close = difflib.get_close_matches(word.casefold(), choices, n=1)
    if close:
        message += f" Did you mean `{prefix} {close[0]}`?"
    return message + " Type `/map help` for the list."


def _parse_init(rest: str) -> Init:
    name = _plain_text(rest)
    if not name:
        raise InvalidInputError(
            f"The deal name is missing. Type it after `init`, for example `{INIT_EXAMPLE}`."
        )
    return Init(deal_name=check_title(name, "deal name"))


def _parse_add(rest: str) -> AddMilestone | AddTask | OpenMilestoneForm | OpenTaskForm:
    parts = rest.split(maxsplit=1)
    if not parts:
        raise InvalidInputError(
            "`/map add` needs `milestone` or `task` after it, for example "
            f"`{MILESTONE_EXAMPLE}` or `{TASK_EXAMPLE}`."
        )
    word = parts[0].casefold()
    body = parts[1] if len(parts) > 1 else ""
    if word in _ADD_WORDS and not body.strip():
        return OpenMilestoneForm() if word == "milestone" else OpenTaskForm()
    if word == "milestone":
        return _parse_add_milestone(body)
    if word == "task":
        return _parse_add_task(body)
    raise InvalidInputError(_unknown_word_message(parts[0], _ADD_WORDS, "/map add"))


def _parse_add_milestone(body: str) -> AddMilestone:
    quoted = _split_quoted(body)
    if quoted is not None:
        title_text, after = quoted
        tokens = _tokens(after)
        if tokens and tokens[0].group().casefold() != "due":
            raise InvalidInputError(
                f"{_quoted(after)} after the quoted title was not understood. Only a due "
                f'date can follow it, for example `/map add milestone "Legal review" due friday`.'
            )
        due_index = 0 if tokens else None
    else:
        title_text, after = body, body
        tokens = _tokens(body)
        due_index = _last_keyword_index(tokens, ("due",), start=1)
        if due_index is not None:
            title_text = body[: tokens[due_index].start()]

    due_text = None
    if due_index is not None:
        due_text = _keyword_argument(after, tokens, due_index, len(tokens))

    title = _plain_text(title_text)
    if not title:
        raise InvalidInputError(
            "The milestone title is missing. Type it after `add milestone`, "
            f"for example `{MILESTONE_EXAMPLE}`."
        )
    return AddMilestone(title=clean_milestone_title(title), due_text=due_text)


def _parse_add_task(body: str) -> AddTask:
    readings: list[TaskReading | InvalidTaskReading] = []
    for milestone_text, after_colon in _split_milestone_ref(body):
        milestone_ref = _plain_text(milestone_text)
        if not readings and not milestone_ref:
            raise InvalidInputError(
                "The milestone is missing before the `:`. Name it by its title or number, "
                f"for example `{TASK_EXAMPLE}`."
            )
        if readings and len(milestone_ref) > TITLE_MAX:
            # No milestone title is this long, and later colons only make it longer.
            break
        try:
            readings.append(_read_task(milestone_ref, after_colon))
        except InvalidInputError as error:
            readings.append(InvalidTaskReading(milestone_ref=milestone_ref, message=error.message))

    valid = [reading for reading in readings if isinstance(reading, TaskReading)]
    if not valid:
        first = readings[0]
        assert isinstance(first, InvalidTaskReading)
        raise InvalidInputError(first.message)
    return AddTask(readings=tuple(readings))


def _read_task(milestone_ref: str, after_colon: str) -> TaskReading:
    """Read the task title and options that follow the milestone's `:`."""
    quoted = _split_quoted(after_colon.lstrip())
    if quoted is not None:
        title_text, options_text = quoted
        options = _TaskOptions.read(options_text, first_index=0)
        if options.start > 0:
            raise InvalidInputError(
                f"{_quoted(options_text)} after the quoted title was not understood. "
                "Options are `@person` or `owner &lt;name&gt;`, `buyer` or `seller`, and "
                f"`due &lt;date&gt;`, for example `{TASK_EXAMPLE}`."
            )
    else:
        options = _TaskOptions.read(after_colon, first_index=1)
        tokens = _tokens(after_colon)
        title_end = tokens[options.start].start() if options.start < len(tokens) else None
        title_text = after_colon[:title_end]

    title = _plain_text(title_text)
    if not title:
        raise InvalidInputError(
            f"The task title is missing after the `:`. Type it like `{TASK_EXAMPLE}`."
        )
    return TaskReading(
        milestone_ref=milestone_ref,
        title=check_title(title, "task title"),
        owner_user_id=options.owner_user_id,
        owner_name=options.owner_name,
        side=options.side,
        due_text=options.due_text,
    )


def _split_milestone_ref(body: str) -> Iterator[tuple[str, str]]:
    """Split `<milestone>: <rest>` at each colon that may end the milestone, the first first.

    After a quoted milestone title only the colon that follows the quote counts.
    Raises InvalidInputError, before the first split, when there is no such colon.
    """
    stripped = body.strip()
    if not stripped:
        raise InvalidInputError(
            f"The milestone and the task title are missing. Type them like `{TASK_EXAMPLE}`."
        )

    quoted = _split_quoted(stripped)
    if quoted is not None:
        milestone_text, after = quoted
        if after.lstrip().startswith(":"):
            yield milestone_text, after.lstrip()[1:]
            return
    else:
        # A colon inside a Slack link such as <https://example.com> is not the separator.
        masked = _CONTROL_RE.sub(lambda match: "x" * len(match.group()), stripped)
        colons = [index for index, character in enumerate(masked) if character == ":"]
        for colon in colons:
            yield stripped[:colon], stripped[colon + 1 :]
        if colons:
            return

    raise InvalidInputError(
        f"{_quoted(stripped)} has no `:` between the milestone and the task title. "
        f"Type it like `{TASK_EXAMPLE}`."
    )


@dataclass
class _TaskOptions:
    """Options read from the end of a task's text, and the token index where they start."""

    start: int
    owner_user_id: str | None = None
    owner_name: str | None = None
    side: Side | None = None
    due_text: str | None = None
    # The owner option as typed, as a code span for error messages.
    owner_text: str | None = None

    @classmethod
    def read(cls, text: str, first_index: int) -> _TaskOptions:
        """Read options backwards from the end of `text`, never before token `first_index`."""
        tokens = _tokens(text)
        options = cls(start=len(tokens))
        while options.start > first_index and options._read_last(text, tokens, first_index):
            pass
        return options

    def _read_last(self, text: str, tokens: list[re.Match[str]], first_index: int) -> bool:
        """Read the option that ends at `self.start`, returning False if there is none."""
        last = tokens[self.start - 1].group()
        side = _side_of(last)
        if side is not None:
            if self.side is not None:
                return False
            self.side = side
            self.start -= 1
            return True

        mention = _MENTION_RE.fullmatch(last)
        if mention is not None:
            self._take_owner(_quoted(last))
            self.owner_user_id = mention["escaped"] or mention["raw"]
            self.start -= 1
            return True
        if last.startswith("@") and len(last) > 1:
            raise InvalidInputError(
                f"{_quoted(last)} is not a Slack user mention. Pick the person from "
                "Slack's @ menu, or name a buyer contact who is not in Slack with "
                "`owner Ada Lovelace`."
            )

        return self._read_keyword_option(text, tokens, first_index)

    def _read_keyword_option(
        self, text: str, tokens: list[re.Match[str]], first_index: int
    ) -> bool:
        index = _last_keyword_index(tokens[: self.start], ("due", "owner"), first_index)
        if index is None:
            return False

        if tokens[index].group().casefold() == "due":
            if self.due_text is not None:
                return False
            self.due_text = _keyword_argument(text, tokens, index, self.start)
        else:
            stop = tokens[self.start].start() if self.start < len(tokens) else len(text)
            if self.owner_text is not None and not _plain_text(text[tokens[index].end() : stop]):
                # `Update owner @ada`: a bare `owner` before another owner is title text.
                return False
            self._take_owner(_quoted(text[tokens[index].start() : stop]))
            name = _keyword_argument(text, tokens, index, self.start)
            self.owner_name = check_title(name, "owner name")
        self.start = index
        return True

    def _take_owner(self, owner_text: str) -> None:
        """Record the owner option `owner_text`, raising InvalidInputError if one was read already.

        Options are read from the end, so `owner_text` comes before the owner read already.
        """
        if self.owner_text is not None:
            raise InvalidInputError(
                f"{owner_text} and {self.owner_text} both name an owner, but a task has one owner. "
                f"Keep one, like `{TASK_EXAMPLE}`. To keep the first in the title, put the "
                'title in double quotes, like `/map add task Legal review: "Update owner list" '
                "@ada`."
            )
        self.owner_text = owner_text


def _side_of(word: str) -> Side | None:
    try:
        return Side(word.casefold())
    except ValueError:
        return None


def _parse_set_status(verb: str, rest: str) -> SetTaskStatus:
    example = f"`/map {verb} #7`"
    words = rest.split()
    if not words:
        raise InvalidInputError(f"The task number is missing. Type it like {example}.")
    if len(words) > 1:
        raise InvalidInputError(
            f"`/map {verb}` takes one task number, so {_quoted(rest)} was not understood. "
            f"Type it like {example}."
        )

    match = _TASK_NUMBER_RE.fullmatch(words[0])
    number = int(match["digits"]) if match else 0
    if not 1 <= number <= MAX_TASK_NUMBER:
        raise InvalidInputError(
            f"{_quoted(words[0])} is not a task number. Type the number shown next to "
            f"the task in `/map status`, like {example}."
        )
    return SetTaskStatus(number=number, status=_STATUS_VERBS[verb])


def _tokens(text: str) -> list[re.Match[str]]:
    """Split `text` into words, keeping a Slack `<...>` sequence with spaces as one word."""
    return list(_TOKEN_RE.finditer(text))


def _last_keyword_index(
    tokens: list[re.Match[str]], keywords: tuple[str, ...], start: int
) -> int | None:
    for index in range(len(tokens) - 1, start - 1, -1):
        if tokens[index].group().casefold() in keywords:
            return index
    return None


def _keyword_argument(text: str, tokens: list[re.Match[str]], index: int, end: int) -> str:
    """Return the plain text between keyword token `index` and token `end`."""
    keyword = tokens[index].group().casefold()
    stop = tokens[end].start() if end < len(tokens) else len(text)
    argument = _plain_text(text[tokens[index].end() : stop])
    if argument:
        return argument

    if keyword == "due":
        problem = "The date after `due` is missing. Add one like `due friday`."
        quoted_title = '"Review due dates"'
    else:
        problem = "The name after `owner` is missing. Add one like `owner Ada Lovelace`."
        quoted_title = '"Update owner list"'
    raise InvalidInputError(
        f"{problem} To use the word {code_span(keyword)} in a title, put the title in "
        f"double quotes, like `{quoted_title}`."
    )


def _split_quoted(text: str) -> tuple[str, str] | None:
    """Split text that starts with a double quote into the quoted part and the rest."""
    if not text or text[0] not in _OPENING_QUOTES:
        return None
    for index in range(1, len(text)):
        if text[index] in _CLOSING_QUOTES:
            return text[1:index], text[index + 1 :]
    raise InvalidInputError(
        f"The double quote at the start of {_quoted(text)} is not closed. "
        'Close it after the title, like `"Send redlines to buyer"`.'
    )


def _quoted(raw: str) -> str:
    """Return Slack-escaped `raw` text as a code span for an error message."""
    return code_span(_plain_text(raw))


def _plain_text(text: str) -> str:
    """Return Slack-escaped `text` as the plain text people saw, with whitespace collapsed."""
    restored = _CONTROL_RE.sub(_control_label, text)
    unescaped = restored.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(unescaped.split())


def _control_label(match: re.Match[str]) -> str:
    """Return the visible text of a Slack `<...>` sequence: a mention, channel or link."""
    target = match["target"]
    label = match["label"]
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        return label or "@" + target[1:]
    return label or target
