"""Steps the modal listeners share: open and fill a modal, respond to a submission, redraw the plan.

A trigger_id works once and only for about 3 seconds, so a modal that needs
the database opens at once with `loading_modal` and is filled in with
`views.update` after the read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ids
from bot.blocks.modals import notice_modal
from bot.dates import MAX_YEARS_AHEAD, MIN_DUE_DATE
from bot.forms import FieldErrors, ModalContext, Submission
from bot.payloads import ActionRequest
from bot.services import Services
from storage import plans
from storage.errors import NotFoundError, UserError

logger = logging.getLogger(__name__)

# views.open errors for a trigger_id that is too old, already used or unknown.
TRIGGER_ERRORS = frozenset({"expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id"})
# views.update errors for a modal the person closed, or that changed meanwhile.
VIEW_GONE_ERRORS = frozenset({"not_found", "hash_conflict"})
FORM_TOO_SLOW = "Slack did not open the form in time, so nothing was changed. Please try again."
FORM_OUTDATED = "This form is out of date, so nothing was saved. Close it and open it again."


@dataclass(frozen=True)
class OpenedView:
    """A modal that is open: its id, and the hash that `views.update` checks."""

    id: str
    hash: str


def open_modal(
    client: WebClient, trigger_id: str, view: dict[str, Any], user_id: str
) -> OpenedView | None:
    """Open `view` with the trigger; return None, after logging, when the trigger is unusable."""
    try:
        response = client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        code = str(error.response.get("error", ""))
        if code not in TRIGGER_ERRORS:
            raise
        logger.warning("Failed to open a modal: %s (user=%s)", code, user_id)
        return None
    opened = response["view"]
    return OpenedView(id=str(opened["id"]), hash=str(opened["hash"]))


def fill_modal(client: WebClient, opened: OpenedView, view: dict[str, Any]) -> None:
    """Replace the loading view with `view`, unless the person closed it meanwhile."""
    try:
        client.views_update(view_id=opened.id, hash=opened.hash, view=view)
    except SlackApiError as error:
        code = str(error.response.get("error", ""))
        if code not in VIEW_GONE_ERRORS:
            raise
        logger.info("Did not fill modal %s, because it was closed or changed: %s", opened.id, code)


def check_click_team(click: ActionRequest, services: Services) -> None:
    """Raise NotFoundError for a click from a workspace other than the app's own."""
    if click.team_id != services.team_id:
        logger.warning(
            "Rejected a click from another workspace (team=%s channel=%s user=%s)",
            click.team_id,
            click.channel_id,
            click.user_id,
        )
        raise NotFoundError(plans.TASK_GONE)


class OpensAddForm(Protocol):
    def __call__(
        self,
        client: WebClient,
        trigger_id: str,
        *,
        channel_id: str,
        user_id: str,
        message_ts: str | None = None,
    ) -> bool: ...


def open_add_from_button(
    services: Services,
    open_add: OpensAddForm,
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    respond: Respond,
) -> None:
    """Handle an Add task or Add milestone button: check the click, then open the form."""
    ack()
    click = ActionRequest.from_body(body)
    try:
        check_click_team(click, services)
    except UserError as error:
        respond(text=error.message, response_type="ephemeral", replace_original=False)
        return
    opened = open_add(
        client,
        click.trigger_id,
        channel_id=click.channel_id,
        user_id=click.user_id,
        message_ts=click.message_ts or None,
    )
    if not opened:
        tell_form_too_slow(respond)


def tell_form_too_slow(respond: Respond) -> None:
    respond(text=FORM_TOO_SLOW, response_type="ephemeral", replace_original=False)


def read_submission(ack: Ack, body: dict[str, Any]) -> Submission | None:
    """Parse a view submission, or respond with a notice and return None if it is unreadable."""
    try:
        return Submission.from_body(body)
    except ValueError:
        user = (body.get("user") or {}).get("id", "-")
        logger.warning("Rejected a modal submission without mapbot's metadata (user=%s)", user)
    ack(response_action="update", view=notice_modal("Form out of date", FORM_OUTDATED))
    return None


def answer_errors(ack: Ack, errors: FieldErrors) -> None:
    """Keep the modal open and show each error under its input."""
    ack(response_action="errors", errors=dict(errors))


def answer_notice(ack: Ack, title: str, text: str) -> None:
    """Replace the modal with a message, for a submission that can no longer be saved."""
    ack(response_action="update", view=notice_modal(title, text))


def remember_warning(client: WebClient, submission: Submission, private_metadata: str) -> None:
    """Store new `private_metadata` in the open modal, keeping what the person entered.

    A `response_action: errors` response cannot change the modal, so the metadata
    is updated with `views.update` first. Slack keeps the inputs' values because
    the blocks keep their block_id and action_id.

    NOTE: this order (views.update of the submitted view, then the errors
    response) is tested against the local stand-in only, not against Slack.
    """
    view = {
        key: submission.view[key]
        for key in ("type", "callback_id", "title", "submit", "close", "blocks")
        if submission.view.get(key) is not None
    }
    view["private_metadata"] = private_metadata
    try:
        client.views_update(view_id=submission.view_id, hash=submission.view_hash, view=view)
    except SlackApiError as error:
        # The warning is still shown; the next submission warns again.
        logger.warning(
            "Failed to store a past-date warning in modal %s: %s",
            submission.view_id,
            error.response.get("error"),
        )


@dataclass
class Outcome:
    """The result of a submission's transaction, acted on after the commit.

    `errors` keeps the modal open, `notice` replaces it with a message, and
    otherwise it closes. `confirmation` is sent to the person as an ephemeral
    message, and `changed` is whether the plan message needs redrawing.
    """

    errors: FieldErrors = field(default_factory=FieldErrors)
    notice: str | None = None
    confirmation: str | None = None
    changed: bool = False
    # A past due date the person is warned about in this response.
    warned_due: date | None = None


def plan_changed(services: Services, channel_id: str, message_ts: str | None) -> None:
    """Schedule a redraw of the room's live plan message, and of `message_ts` if it is older."""
    services.plan_changed(channel_id, source_ts=message_ts)


def send_confirmation(client: WebClient, channel_id: str, user_id: str, text: str) -> None:
    """Show `text` to one person in the channel. A failure is only logged: the change is saved."""
    try:
        client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
    except SlackApiError as error:
        logger.warning(
            "Failed to send a confirmation: %s (channel=%s user=%s)",
            error.response.get("error"),
            channel_id,
            user_id,
        )


def finish_submission(
    services: Services,
    ack: Ack,
    client: WebClient,
    submission: Submission,
    title: str,
    outcome: Outcome,
) -> None:
    """Respond to a submission from its outcome, then redraw the plan and confirm if it changed."""
    context = submission.context
    if outcome.notice is not None:
        answer_notice(ack, title, outcome.notice)
        return
    if outcome.errors:
        if outcome.warned_due is not None:
            metadata = context.with_past_due_ok(outcome.warned_due).encode()
            remember_warning(client, submission, metadata)
        answer_errors(ack, outcome.errors)
        return
    ack()
    logger.info(
        "Saved %s (channel=%s user=%s changed=%s)",
        submission.callback_id,
        context.channel_id,
        submission.user_id,
        outcome.changed,
    )
    if outcome.changed:
        plan_changed(services, context.channel_id, context.message_ts)
    if outcome.confirmation is not None:
        send_confirmation(client, context.channel_id, submission.user_id, outcome.confirmation)


def check_due_date(
    due: date | None,
    today: date,
    current_due: date | None,
    context: ModalContext,
    outcome: Outcome,
) -> None:
    """Add an error for a due date out of range, or a warning for one in the past.

    The range is the one typed dates have: from 2000-01-01 to 10 years after
    the room's today. The date the task or milestone already has always passes.
    """
    if due is None or due == current_due:
        return
    latest = _years_after(today, MAX_YEARS_AHEAD)
    if due < MIN_DUE_DATE:
        outcome.errors[ids.FIELD_DUE_DATE] = (
            f"{due.isoformat()} is before the year 2000. Pick a date from 2000-01-01 on."
        )
    elif due > latest:
        outcome.errors[ids.FIELD_DUE_DATE] = (
            f"{due.isoformat()} is more than {MAX_YEARS_AHEAD} years away. "
            f"Pick a date up to {latest.isoformat()}."
        )
    else:
        warning = past_due_warning(due, today, current_due, context)
        if warning is not None:
            outcome.errors[ids.FIELD_DUE_DATE] = warning
            outcome.warned_due = due


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        # 29 February in a year that has none.
        return day.replace(year=day.year + years, day=28)


def past_due_warning(
    due: date | None, today: date, current_due: date | None, context: ModalContext
) -> str | None:
    """Return a warning for a due date before the room's today, unless it needs none.

    A date the person was already warned about passes, and so does the date
    the task or milestone already has, so an overdue one can be edited
    without confirming its date again.
    """
    if due is None or due >= today or due == current_due:
        return None
    if context.past_due_ok == due.isoformat():
        return None
    return (
        f"{due.isoformat()} is in the past: today is {today.isoformat()} in this deal room. "
        "Submit again to keep this date, or pick another one."
    )
