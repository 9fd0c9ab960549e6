"""The terminal's modal commands: `set`, `submit` and `cancel`, and printing modals.

`ModalCommands` keeps a `ModalForm` per open view, so the answers typed so
far survive while the person switches to someone else and back, and while the
app updates the view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.playground.driver import Interaction
from bot.playground.terminal_changes import Snapshot, open_modals, top_modal
from bot.playground.terminal_modal import ModalForm
from bot.playground.terminal_output import INDENT

if TYPE_CHECKING:
    from bot.playground.terminal_session import PlaygroundSession


class ModalCommands:
    """Fills, submits and closes the modal the session's current person sees."""

    def __init__(self, session: PlaygroundSession) -> None:
        self.session = session
        self.forms: dict[str, ModalForm] = {}

    def open_form(self) -> ModalForm | None:
        """Return the form of the modal the current person sees, if one is open."""
        session = self.session
        view = top_modal(open_modals(session.standin), session.user.user_id)
        return self.form_for(view) if view is not None else None

    def form_for(self, view: dict[str, Any]) -> ModalForm:
        """Return the form of a view, rebuilt when the app has updated the view."""
        view_id = str(view.get("id"))
        existing = self.forms.get(view_id)
        if existing is not None and existing.hash == str(view.get("hash", "")):
            return existing
        form = ModalForm(view, self.session.directory)
        if existing is not None:
            form.carry_over(existing)
        self.forms[view_id] = form
        return form

    def print_form(self, heading: str, form: ModalForm) -> None:
        session = self.session
        session.say(f"{heading}: {form.title}")
        for line in form.render(session.width - len(INDENT)):
            session.say(INDENT + line if line else "")

    def print_change(self, before: Snapshot, after: Snapshot) -> bool:
        """Print the modal that opened, changed or closed for the current person, if any."""
        user_id = self.session.user.user_id
        old = top_modal(before.modals, user_id)
        new = top_modal(after.modals, user_id)
        old_key = (old.get("id"), old.get("hash")) if old else None
        new_key = (new.get("id"), new.get("hash")) if new else None
        if old_key == new_key:
            return False
        if new is None:
            self.session.say("The modal closed.")
            return True
        if old is not None and old.get("id") == new.get("id"):
            heading = "mapbot updated the modal"
        elif str(new.get("id")) in before.modals:
            heading = "Back to the modal"
        else:
            heading = "mapbot opened a modal"
        self.print_form(heading, self.form_for(new))
        return True

    def set_field(self, text: str) -> None:
        form = self.open_form()
        if form is None:
            self.session.say("No modal is open. set fills a field of an open modal.")
            return
        number_text, _, typed = text.partition(" ")
        if not number_text.isdecimal():
            self.session.say("Type set N VALUE, for example set 1 Share SOC 2 report.")
            return
        self.session.say(form.set(int(number_text), typed))

    def submit(self) -> None:
        session = self.session
        form = self.open_form()
        if form is None:
            session.say("No modal is open, so there is nothing to submit.")
            return
        missing = form.missing()
        if missing:
            names = ", ".join(f"[{field.number}] {field.label}" for field in missing)
            session.say(f"Fill in the required fields first: {names}. Type set N VALUE.")
            return
        form.errors.clear()
        user_id = session.user.user_id
        _, printed_any = session.run_and_print(
            lambda: session.driver.submit(user_id, form.view_id, form.submission()),
            lambda before, after, interaction: self.print_submission(
                form, before, after, interaction
            ),
        )
        if not printed_any:
            session.say_nothing_changed()

    def print_submission(
        self, form: ModalForm, before: Snapshot, after: Snapshot, interaction: Interaction | None
    ) -> bool:
        """Print the app's field errors if it returned any, else how the modal changed.

        An app may update the view and return errors for the same submission, so
        the errors are shown on the updated view, once.
        """
        errors = _field_errors(interaction)
        if errors is None:
            return self.print_change(before, after)
        view = after.modals.get(form.view_id)
        current = self.form_for(view) if view is not None else form
        unplaced = current.show_errors(errors)
        self.print_form("mapbot did not accept the modal", current)
        for line in unplaced:
            self.session.say(f"{INDENT}✗ {line}")
        return True

    def cancel(self) -> None:
        session = self.session
        form = self.open_form()
        if form is None:
            session.say("No modal is open, so there is nothing to cancel.")
            return
        user_id = session.user.user_id
        session.act(lambda: session.driver.close(user_id, form.view_id))


def _field_errors(interaction: Interaction | None) -> dict[str, Any] | None:
    """Return the field errors of a `response_action: errors` response, or None."""
    if interaction is None or interaction.response.status != 200:
        return None
    try:
        body = interaction.response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("response_action") != "errors":
        return None
    errors = body.get("errors")
    return errors if isinstance(errors, dict) else {}
