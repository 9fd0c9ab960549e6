"""`mapbot try`: the whole bot on this machine, driven from a terminal or a script.

`run_playground` starts `LocalBot` (the Slack stand-in, the real HTTP server
with signature checks, and an SQLite database), then reads lines from the
terminal or from a script and hands each to `PlaygroundSession`. With a script,
each line is echoed after the prompt, so stdout reads as a transcript.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, TextIO

from bot.playground.local import PEOPLE, LocalBot
from bot.playground.terminal_session import PlaygroundSession
from bot.services import utc_now

logger = logging.getLogger(__name__)

# Scripts print at a fixed width, so a transcript is the same on every terminal.
SCRIPT_WIDTH = 88
MIN_WIDTH = 60
MAX_WIDTH = 120
EXIT_OK = 0
EXIT_NOT_STARTED = 1
EXIT_BAD_ARGUMENT = 2


class LineSource(Protocol):
    def read(self, prompt: str) -> str | None:
        """Return the next line the person typed, or None at the end of input."""
        ...


@dataclass(frozen=True)
class DatabasePlace:
    """Location of the playground's database, and whether it is removed at exit."""

    url: str
    # The file path or URL, as the greeting prints it.
    location: str
    temporary: bool


class DatabaseArgumentError(ValueError):
    """Invalid --database value. The message names the value and what to change."""


def run_playground(
    script: str | None,
    database: str | None,
    *,
    log_level: int = logging.WARNING,
    clock: Callable[[], datetime] = utc_now,
    output: TextIO | None = None,
) -> int:
    """Run the playground until the script ends or the person quits; return the exit code.

    The exit code is 0 even when lines of a script fail, 1 when the bot could
    not start and 2 for a script or database path that cannot be used.
    `log_level` applies to the root logger while the playground runs.
    """
    out = output if output is not None else sys.stdout
    lines: list[str] | None = None
    if script is not None:
        try:
            lines = Path(script).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            print(f"mapbot try: cannot read the script {script}: {_reason(error)}", file=sys.stderr)
            return EXIT_BAD_ARGUMENT

    restore_logging = _set_log_level(log_level)
    try:
        with database_place(database) as place:
            code = _run(place, lines, out, clock)
    except DatabaseArgumentError as error:
        print(f"mapbot try: {error}", file=sys.stderr)
        return EXIT_BAD_ARGUMENT
    finally:
        restore_logging()
    if code == EXIT_OK:
        outcome = "removed" if place.temporary else f"kept in {place.location}"
        print(f"Stopped the bot. The database is {outcome}.", file=out)
    return code


@contextmanager
def database_place(database: str | None) -> Iterator[DatabasePlace]:
    """Yield the database to use: `database` (a file or an SQLite URL), or a temporary file.

    The temporary file's folder is removed on exit, with SQLite's -wal and -shm files.
    Other databases are rejected, because their URLs can carry a password and the
    greeting prints the location.
    """
    if database is None:
        with tempfile.TemporaryDirectory(prefix="mapbot-try-") as folder:
            path = Path(folder) / "mapbot.db"
            yield DatabasePlace(f"sqlite:///{path}", str(path), temporary=True)
        return
    if "://" in database:
        if not database.startswith("sqlite"):
            raise DatabaseArgumentError(
                "--database takes an SQLite file, such as mapbot.db, or a sqlite:/// URL."
            )
        yield DatabasePlace(database, database, temporary=False)
        return
    path = Path(database).expanduser().resolve()
    if not path.parent.is_dir():
        raise DatabaseArgumentError(
            f"the folder {path.parent} of --database {database} does not exist. "
            "Create it first, or give a file in an existing folder."
        )
    yield DatabasePlace(f"sqlite:///{path}", str(path), temporary=False)


def _run(
    place: DatabasePlace, lines: list[str] | None, out: TextIO, clock: Callable[[], datetime]
) -> int:
    # The live plan thread stays off: the session flushes plan updates after each
    # request instead, so a click prints the updated plan right away.
    bot = LocalBot(place.url, clock=clock, live_plan_thread=False)
    try:
        bot.start()
    # Any failure here, from the database, the stand-in or the app, means there is
    # no bot to talk to. The traceback goes to the log, and the exit code is 1.
    except Exception:
        logger.exception("Failed to start the local bot (database %s)", place.location)
        print(
            "mapbot try: failed to start the bot. The log above shows the error.", file=sys.stderr
        )
        bot.stop()
        return EXIT_NOT_STARTED
    try:
        source: LineSource = ScriptInput(lines, out) if lines is not None else TerminalInput(out)
        width = SCRIPT_WIDTH if lines is not None else _terminal_width()
        session = PlaygroundSession(
            standin=bot.standin,
            driver=bot.driver(),
            people=PEOPLE,
            output=out,
            ask=source.read,
            width=width,
            settle=_settle(bot),
        )
        _greet(session, place, out)
        _loop(session, source, out)
    finally:
        bot.stop()
    return EXIT_OK


def _settle(bot: LocalBot) -> Callable[[], object]:
    if bot.runtime is None:
        raise RuntimeError("the local bot is not started")
    return bot.runtime.live_plan.flush_now


def _greet(session: PlaygroundSession, place: DatabasePlace, out: TextIO) -> None:
    lifetime = "a temporary file, removed when you quit" if place.temporary else "kept after exit"
    print(
        "mapbot playground: the bot, a stand-in for Slack and an SQLite database, "
        "all on this machine.",
        file=out,
    )
    print(f"Database: {place.location} ({lifetime})", file=out)
    print(
        f"You are {session.user.name} in #{session.channel_name}. Type /map help for the "
        "bot's commands and help for this terminal's.",
        file=out,
    )
    print(file=out)


def _loop(session: PlaygroundSession, source: LineSource, out: TextIO) -> None:
    while True:
        line = source.read(session.prompt())
        if line is None or not session.run_line(line):
            return
        if line.strip():
            print(file=out)


class ScriptInput:
    """Lines of a script, each echoed after the prompt as if typed.

    Blank lines and lines starting with `#` are skipped; `#` inside a line,
    as in `/map done #3`, is kept.
    """

    def __init__(self, lines: list[str], out: TextIO) -> None:
        self._lines = iter(lines)
        self._out = out

    def read(self, prompt: str) -> str | None:
        for line in self._lines:
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            print(prompt + text, file=self._out)
            return text
        return None


class TerminalInput:
    """Lines typed at the terminal, with line editing and history where readline exists."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        if sys.stdin.isatty():
            try:
                import readline  # noqa: F401  (importing it turns on line editing for input())
            except ImportError:
                logger.info("readline is not available; typing works without line editing")

    def read(self, prompt: str) -> str | None:
        try:
            return input(prompt)
        except EOFError:
            print(file=self._out)
            return None


def _terminal_width() -> int:
    columns = shutil.get_terminal_size((SCRIPT_WIDTH, 24)).columns
    return max(MIN_WIDTH, min(columns, MAX_WIDTH))


def _set_log_level(level: int) -> Callable[[], None]:
    """Set the root logger's level; return a function that puts the old level back."""
    root = logging.getLogger()
    previous = root.level
    root.setLevel(level)
    return lambda: root.setLevel(previous)


def _reason(error: Exception) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return "it is not UTF-8 text" if isinstance(error, UnicodeDecodeError) else str(error)
