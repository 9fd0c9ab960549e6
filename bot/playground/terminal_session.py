"""The `mapbot try` command loop: act as a person, send commands and clicks, print changes.

`PlaygroundSession.run_line` takes one line as the person typed it. Slash
commands, clicks and modal submissions go to the bot through `SlackDriver` as
real signed requests, and the session then prints what changed in the
channel, the way Slack would show it to the current person.
"""

from __future__ import annotations

import logging
import urllib.error
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from bot.playground.driver import Interaction, SlackDriver
from bot.playground.local import Person
from bot.playground.standin import SlackStandIn
from bot.playground.terminal_changes import Snapshot, message_changes, take_snapshot, ts_order
from bot.playground.terminal_clicks import confirm_question, is_yes, lookup_value, selection
from bot.playground.terminal_modal_commands import ModalCommands
from bot.playground.terminal_output import Target, change_tags, deleted_line, print_message
from bot.playground.terminal_people import (
    build_directory,
    find_person,
    side_of,
    who_lines,
    workspace_note,
)
from bot.playground.terminal_text import escape_typed_text
from bot.playground.terminal_values import InvalidValue

logger = logging.getLogger(__name__)

SLASH_COMMAND = "/map"

HELP_TEXT = """\
Commands of this terminal. A line starting with /map goes to the bot as typed.
  /map TEXT          run /map as the current person (start with /map help)
  click N [VALUE]    press button [N] or pick option [N]; N alone works too.
                     A person, channel or date menu takes a value: click 4 bea.buyer
  click LABEL        press the button or option shown as LABEL: click Complete #3
  show               print the latest message with buttons again, or the open modal
  as NAME            act as another person (/as NAME works too)
  who                list the people you can act as
  set N VALUE        fill field [N] of the open modal; set N alone clears it.
                     Options go by number or name, people by name, dates as YYYY-MM-DD
  submit, cancel     submit or close the open modal
  help               print this list
  quit, exit         stop the bot and leave (Ctrl-D works too)"""

# Reads one more line from the person (a y/n answer), or returns None at the end of input.
Ask = Callable[[str], "str | None"]
# Prints how a request changed the person's modal; returns whether it printed anything.
ModalPrinter = Callable[[Snapshot, Snapshot, "Interaction | None"], bool]


class PlaygroundSession:
    """One person at a time in one channel of the stand-in, typing into the terminal."""

    def __init__(
        self,
        *,
        standin: SlackStandIn,
        driver: SlackDriver,
        people: Sequence[Person],
        output: TextIO,
        ask: Ask,
        width: int,
        settle: Callable[[], object] | None = None,
    ) -> None:
        if not people:
            raise ValueError("the playground needs at least one person to act as")
        self.standin = standin
        self.driver = driver
        self.people = list(people)
        self.user = self.people[0]
        self.output = output
        self.ask = ask
        self.width = width
        # Runs the bot's pending background work, such as plan message updates,
        # after each request, so its effects print with the request that caused them.
        self.settle = settle
        self.channel_id = driver.channel_id
        self.directory = build_directory(standin, self.people, self.channel_id)
        self.targets: dict[int, Target] = {}
        self.modals = ModalCommands(self)

    @property
    def channel_name(self) -> str:
        return self.directory.channel_name(self.channel_id)

    def prompt(self) -> str:
        form = self.modals.open_form()
        modal = f" [modal: {form.title}]" if form else ""
        side = side_of(self.user, self.standin.team_id)
        return f"{self.user.name} ({side}) #{self.channel_name}{modal} > "

    def run_line(self, line: str) -> bool:
        """Run one typed line; return False when the person asked to quit."""
        text = line.strip()
        if not text or text.startswith("#"):
            return True
        word, _, rest = text.partition(" ")
        command = word.lower()
        if command in ("quit", "exit"):
            return False
        try:
            self.dispatch(command, rest.strip(), text)
        except InvalidValue as error:
            self.say(error.message)
        except (urllib.error.URLError, OSError) as error:
            logger.warning("Failed to reach the bot: %s", error)
            self.say("Failed to reach the bot, so nothing was sent. The log above says why.")
        return True

    def dispatch(self, command: str, rest: str, text: str) -> None:
        handlers: dict[str, Callable[[str], None]] = {
            "help": lambda _: self.say(HELP_TEXT),
            "who": lambda _: self.say("\n".join(self.who())),
            "as": self.switch,
            "/as": self.switch,
            "click": self.click,
            "show": lambda _: self.show(),
            "set": self.modals.set_field,
            "submit": lambda _: self.modals.submit(),
            "cancel": lambda _: self.modals.cancel(),
        }
        handler = handlers.get(command)
        if handler is not None:
            handler(rest)
        elif command.isdecimal():
            self.click(text)
        elif command == SLASH_COMMAND:
            self.slash_command(rest)
        elif command.startswith("/"):
            self.say(
                f"{command} is not a command of this bot, which has only {SLASH_COMMAND}. "
                f"Type {SLASH_COMMAND} help for its commands, or help for this terminal's."
            )
        else:
            self.say(
                f"Unknown command '{text.split()[0]}'. Type help for this terminal's commands, "
                f"or {SLASH_COMMAND} help for the bot's."
            )

    def say(self, text: str) -> None:
        print(text, file=self.output)

    def say_nothing_changed(self) -> None:
        self.say(f"Nothing changed in #{self.channel_name}.")

    # People

    def who(self) -> list[str]:
        return who_lines(self.people, self.user, self.standin.team_id)

    def switch(self, name: str) -> None:
        if not name:
            self.say("Type as NAME, for example as bea.buyer.")
            self.say("\n".join(self.who()))
            return
        person = find_person(self.people, self.directory, name)
        if person is None:
            names = ", ".join(person.name for person in self.people)
            self.say(f"No person is called '{name}'. Choose one of: {names}.")
            return
        self.user = person
        home = self.standin.team_id
        self.say(
            f"You are now {person.name} ({side_of(person, home)}, {workspace_note(person, home)})."
        )
        form = self.modals.open_form()
        if form is not None:
            self.modals.print_form(f"{person.name} has an open modal", form)

    # Slash commands and clicks

    def slash_command(self, text: str) -> None:
        if self.blocked_by_modal():
            return
        sent = escape_typed_text(text, self.directory)
        user_id = self.user.user_id
        self.act(lambda: self.driver.command(user_id, sent))

    def blocked_by_modal(self) -> bool:
        """Print a notice and return True when an open modal blocks commands, as in Slack."""
        form = self.modals.open_form()
        if form is None:
            return False
        self.say(f"The modal '{form.title}' is open. Finish it first: submit or cancel.")
        return True

    def click(self, text: str) -> None:
        if not text.strip():
            self.say("Type click N, where N is a number in brackets such as [2].")
            return
        if self.blocked_by_modal():
            return
        number_text, _, typed = text.strip().partition(" ")
        if number_text.isdecimal():
            target = self.targets.get(int(number_text))
            if target is None:
                self.say(self.no_target_message(number_text))
                return
        else:
            target, typed = self.target_by_label(text), ""
            if target is None:
                return
        if target.visible_to not in (None, self.user.user_id):
            owner = self.directory.user_name(str(target.visible_to))
            number = target.control.number
            self.say(f"[{number}] is on a message only {owner} sees. Type as {owner} first.")
            return
        selected = selection(target.control, typed.strip(), self.directory)
        dialog = target.control.confirm
        if dialog is not None:
            text, question = confirm_question(dialog, self.directory)
            self.say(text)
            if not is_yes(self.ask(question)):
                self.say("Not sent, because you did not confirm.")
                return
        self.send_click(target, selected)

    def target_by_label(self, label: str) -> Target | None:
        """Find the one control whose label is `label`, ignoring case, spacing and `…`.

        Scripts click by label (`click Complete #1`), so they keep working when
        the numbering changes. Prints why when no control or several match.
        """
        query = _label_key(label)
        found = [
            target for target in self.targets.values() if _label_key(target.control.label) == query
        ]
        if len(found) == 1:
            return found[0]
        if found:
            numbers = ", ".join(f"[{target.control.number}]" for target in found)
            self.say(f"'{label}' matches {numbers}. Type click and one of those numbers.")
        else:
            self.say(
                f"No button or option called '{label}' is shown. "
                "Type show to print the current buttons."
            )
        return None

    def no_target_message(self, number_text: str) -> str:
        if not self.targets:
            return (
                f"There is no [{number_text}], because no message with buttons is shown yet. "
                f"Type {SLASH_COMMAND} status to post the plan."
            )
        return (
            f"There is no [{number_text}]. The numbers shown go from 1 to {max(self.targets)}; "
            "type show to print them again."
        )

    def send_click(self, target: Target, selected: Any) -> None:
        control = target.control
        user_id = self.user.user_id
        try:
            self.act(
                lambda: self.driver.click(
                    user_id,
                    target.message_ts,
                    str(control.element.get("action_id", "")),
                    value=lookup_value(control),
                    selected=selected,
                    channel_id=target.channel_id,
                )
            )
        except LookupError:
            self.say(
                f"[{control.number}] is no longer on that message. "
                "Type show to print the current buttons."
            )

    # Printing what changed

    def show(self) -> None:
        form = self.modals.open_form()
        if form is not None:
            self.modals.print_form("Open modal", form)
            return
        for record, visible_to in self.messages_newest_first():
            printed = print_message(
                record,
                channel_id=self.channel_id,
                directory=self.directory,
                width=self.width,
                tags=["only visible to you"] if visible_to else [],
                visible_to=visible_to,
                first_number=1,
            )
            if printed.targets:
                self.say("\n".join(printed.lines))
                self.targets = {target.control.number: target for target in printed.targets}
                return
        self.say(f"No message with buttons yet. Type {SLASH_COMMAND} status to post the plan.")

    def messages_newest_first(self) -> list[tuple[dict[str, Any], str | None]]:
        """Return the channel's messages and this person's ephemeral messages, newest first."""
        found: list[tuple[dict[str, Any], str | None]] = [
            (record, None) for record in self.standin.messages(self.channel_id)
        ]
        found += [
            (record, self.user.user_id)
            for record in self.standin.ephemerals(self.channel_id, self.user.user_id)
        ]
        return sorted(found, key=lambda item: ts_order(str(item[0]["ts"])), reverse=True)

    def act(self, action: Callable[[], Interaction | None]) -> Interaction | None:
        """Run a request and print what it changed, or print that nothing changed."""
        interaction, printed_any = self.run_and_print(action)
        if not printed_any:
            self.say_nothing_changed()
        return interaction

    def run_and_print(
        self,
        action: Callable[[], Interaction | None],
        print_modal: ModalPrinter | None = None,
    ) -> tuple[Interaction | None, bool]:
        """Run a request and print what it changed.

        `print_modal` prints the change to the person's modal, by default
        `ModalCommands.print_change`. Returns the bot's HTTP response and
        whether anything was printed.
        """
        before = take_snapshot(self.standin, self.channel_id)
        interaction = action()
        if self.settle is not None:
            self.settle()
        after = take_snapshot(self.standin, self.channel_id)
        if interaction is not None and interaction.response.status != 200:
            self.say(
                f"The bot answered HTTP {interaction.response.status} instead of 200; "
                "the log on stderr may show the error."
            )
        printed_any = self.print_changes(before, after)
        if print_modal is None:
            printed_any = self.modals.print_change(before, after) or printed_any
        else:
            printed_any = print_modal(before, after, interaction) or printed_any
        return interaction, printed_any

    def print_changes(self, before: Snapshot, after: Snapshot) -> bool:
        """Print new, edited and deleted messages; number their controls from 1."""
        targets: list[Target] = []
        printed_any = False
        for change in message_changes(before, after):
            if change.ephemeral and change.viewer != self.user.user_id:
                if change.kind == "new":
                    name = self.directory.user_name(str(change.viewer))
                    self.say(f"(mapbot sent {name} a message that only {name} sees.)")
                continue
            printed_any = True
            if change.kind == "deleted":
                self.say(deleted_line(change, self.directory, self.width))
                continue
            printed = print_message(
                change.record,
                channel_id=self.channel_id,
                directory=self.directory,
                width=self.width,
                tags=change_tags(change, self.user.user_id),
                visible_to=change.viewer,
                first_number=len(targets) + 1,
            )
            self.say("\n".join(printed.lines))
            targets.extend(printed.targets)
        if targets:
            self.targets = {target.control.number: target for target in targets}
        return printed_any


def _label_key(label: str) -> str:
    """Normalise a label for matching: no ellipses, single spaces, case folded."""
    return " ".join(label.replace("…", " ").split()).casefold()
