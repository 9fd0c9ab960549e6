"""Milestones from Slack: the add modal, and each milestone's menu in the plan message."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import ids
from bot.blocks.controls import read_overflow_value
from bot.blocks.milestone_modals import (
    milestone_add_modal,
    milestone_delete_modal,
    milestone_edit_modal,
    milestone_heading,
    milestone_status_modal,
)
from bot.blocks.modals import loading_modal, notice_modal
from bot.blocks.text import escape, format_date
from bot.dates import today_in_zone
from bot.forms import FieldErrors, MilestoneForm, ModalContext, Submission, picked_status
from bot.listeners import modal_support as support
from bot.payloads import ActionRequest
from bot.services import Services
from storage import plan_edits, plans
from storage.errors import InvalidInputError, NotFoundError, UserError
from storage.models import DealRoom, Milestone
from storage.rules import clean_title
from storage.views import MilestoneView

logger = logging.getLogger(__name__)

MODAL_TITLES = {
    ids.MILESTONE_EDIT: "Edit milestone",
    ids.MILESTONE_STATUS: "Milestone status",
    ids.MILESTONE_DELETE: "Delete milestone",
}
MOVES = {ids.MILESTONE_UP: plan_edits.Direction.UP, ids.MILESTONE_DOWN: plan_edits.Direction.DOWN}
ViewBuilder = Callable[[ModalContext, MilestoneView], dict[str, Any]]
VIEW_BUILDERS: dict[str, ViewBuilder] = {
    ids.MILESTONE_EDIT: milestone_edit_modal,
    ids.MILESTONE_STATUS: milestone_status_modal,
    ids.MILESTONE_DELETE: milestone_delete_modal,
}
# The fields each modal changes. The modal carries them as it showed them, and a
# submission is rejected when someone changed them meanwhile.
SHOWN_FIELDS = {
    ids.MILESTONE_EDIT: ("title", "due_date"),
    ids.MILESTONE_STATUS: ("manual_status",),
}
MILESTONE_ALREADY_DELETED = (
    "This milestone was already deleted, so nothing changed. "
    "Type `/map status` to see the current plan."
)


class MilestoneControls:
    """Opens the milestone modals, moves milestones, and saves what the modals submit."""

    def __init__(self, services: Services) -> None:
        self.services = services

    # Adding

    def open_add(
        self,
        client: WebClient,
        trigger_id: str,
        *,
        channel_id: str,
        user_id: str,
        message_ts: str | None = None,
    ) -> bool:
        """Open the add form at once: it needs nothing from the database."""
        context = ModalContext(channel_id=channel_id, message_ts=message_ts)
        view = milestone_add_modal(context)
        return support.open_modal(client, trigger_id, view, user_id) is not None

    def on_add_button(
        self, ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        support.open_add_from_button(self.services, self.open_add, ack, body, client, respond)

    def on_add_submit(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        submission = support.read_submission(ack, body)
        if submission is None:
            return
        errors = FieldErrors()
        form = MilestoneForm.read(submission, errors)
        check_milestone_title(form, errors)

        def add(session: Session) -> support.Outcome:
            room = plans.find_room(session, self.services.team_id, submission.context.channel_id)
            if room is None:
                return support.Outcome(notice=plans.NOT_A_ROOM)
            outcome = support.Outcome(errors=errors)
            self._check_due(room, form, None, submission.context, outcome)
            if form.position is not None and ids.FIELD_POSITION not in errors:
                try:
                    count = plan_edits.count_milestones(session, room)
                    plan_edits.check_position(form.position, count)
                except InvalidInputError as error:
                    errors[ids.FIELD_POSITION] = error.message
            if errors:
                return outcome
            milestone = plan_edits.add_milestone_at(
                session,
                room,
                title=form.title or "",
                due_date=form.due_date,
                position=form.position,
                actor=submission.user_id,
                now=self.services.now(),
            )
            outcome.changed = True
            outcome.confirmation = self._added_message(room, milestone)
            return outcome

        self._finish(ack, client, submission, "Add milestone", add)

    # The menu on each milestone

    def on_menu(self, ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        click = ActionRequest.from_body(body)
        picked = read_overflow_value(click.value)
        try:
            support.check_click_team(click, self.services)
            if picked is None or picked[0] not in (*VIEW_BUILDERS, *MOVES):
                logger.warning("Rejected a milestone menu option (user=%s)", click.user_id)
                raise NotFoundError(plan_edits.MILESTONE_GONE)
            verb, milestone_id = picked
            if verb in MOVES:
                self.move(click, MOVES[verb], milestone_id, client, respond)
                return
            opened = self.open_modal(client, click, verb, milestone_id)
        except UserError as error:
            respond(text=error.message, response_type="ephemeral", replace_original=False)
            return
        if not opened:
            support.tell_form_too_slow(respond)

    def open_modal(
        self, client: WebClient, click: ActionRequest, verb: str, milestone_id: int
    ) -> bool:
        """Open the edit, status or delete modal of a milestone, filled in after the read."""
        title = MODAL_TITLES[verb]
        opened = support.open_modal(client, click.trigger_id, loading_modal(title), click.user_id)
        if opened is None:
            return False
        plan = self.services.read(
            lambda session: plans.load_plan(session, self.services.team_id, click.channel_id)
        )
        milestones = plan.milestones if plan is not None else ()
        milestone = next((m for m in milestones if m.id == milestone_id), None)
        view = notice_modal(title, plan_edits.MILESTONE_GONE)
        if milestone is not None:
            fields = plan_edits.milestone_fields(milestone)
            names = SHOWN_FIELDS.get(verb)
            context = ModalContext(
                channel_id=click.channel_id,
                message_ts=click.message_ts or None,
                milestone_id=milestone.id,
                shown_values={name: fields[name] for name in names} if names else None,
            )
            view = VIEW_BUILDERS[verb](context, milestone)
        support.fill_modal(client, opened, view)
        return True

    def move(
        self,
        click: ActionRequest,
        direction: plan_edits.Direction,
        milestone_id: int,
        client: WebClient,
        respond: Respond,
    ) -> None:
        """Move a milestone one place; at either end, tell the clicker and change nothing."""

        def apply(session: Session) -> bool:
            room = plans.find_room(session, self.services.team_id, click.channel_id)
            if room is None:
                raise NotFoundError(plan_edits.MILESTONE_GONE)
            milestone = plan_edits.find_milestone(session, room, milestone_id)
            return plan_edits.move_milestone(
                session, room, milestone, direction, actor=click.user_id, now=self.services.now()
            )

        if self.services.write(apply):
            support.plan_changed(self.services, click.channel_id, click.message_ts or None)
            return
        end = "first" if direction is plan_edits.Direction.UP else "last"
        respond(
            text=f"That milestone is already the {end} one, so nothing was moved.",
            response_type="ephemeral",
            replace_original=False,
        )

    # Submissions of the menu's modals

    def on_edit_submit(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        submission = support.read_submission(ack, body)
        if submission is None:
            return
        errors = FieldErrors()
        form = MilestoneForm.read(submission, errors)
        check_milestone_title(form, errors)

        def edit(session: Session, room: DealRoom, milestone: Milestone) -> support.Outcome:
            stale = _stale_error(session, room, milestone, submission, ids.FIELD_TITLE)
            if stale is not None:
                return stale
            outcome = support.Outcome(errors=errors)
            self._check_due(room, form, milestone.due_date, submission.context, outcome)
            if errors:
                return outcome
            actor, now = submission.user_id, self.services.now()
            renamed = plan_edits.rename_milestone(
                session, room, milestone, form.title or "", actor=actor, now=now
            )
            due_set = plan_edits.set_milestone_due(
                session, room, milestone, form.due_date, actor=actor, now=now
            )
            outcome.changed = renamed or due_set
            return outcome

        self._finish(
            ack, client, submission, "Edit milestone", self._on_milestone(edit, submission)
        )

    def on_status_submit(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        submission = support.read_submission(ack, body)
        if submission is None:
            return
        picked, status = picked_status(submission)

        def set_status(session: Session, room: DealRoom, milestone: Milestone) -> support.Outcome:
            if not picked:
                return support.Outcome(errors=FieldErrors({ids.FIELD_STATUS: "Pick a status."}))
            stale = _stale_error(session, room, milestone, submission, ids.FIELD_STATUS)
            if stale is not None:
                return stale
            changed = plan_edits.set_milestone_status(
                session, room, milestone, status, actor=submission.user_id, now=self.services.now()
            )
            return support.Outcome(changed=changed)

        work = self._on_milestone(set_status, submission)
        self._finish(ack, client, submission, "Milestone status", work)

    def on_delete_submit(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        submission = support.read_submission(ack, body)
        if submission is None:
            return

        # NOTE: a task added to the milestone after this confirmation opened is deleted
        # with it, although the confirmation did not list it.
        def delete(session: Session, room: DealRoom, milestone: Milestone) -> support.Outcome:
            heading = milestone_heading(plan_edits.milestone_view(milestone))
            count = plan_edits.delete_milestone(
                session, room, milestone, actor=submission.user_id, now=self.services.now()
            )
            noun = "task" if count == 1 else "tasks"
            tasks = f" and its {count} {noun}" if count else ""
            text = f"Deleted milestone {heading}{tasks}."
            return support.Outcome(changed=True, confirmation=text)

        # Deleted already, by someone else or by an earlier click: tell the person, change nothing.
        already_deleted = support.Outcome(notice=MILESTONE_ALREADY_DELETED)
        work = self._on_milestone(delete, submission, when_gone=already_deleted)
        self._finish(ack, client, submission, "Delete milestone", work)

    # Helpers

    def _on_milestone(
        self,
        change: Callable[[Session, DealRoom, Milestone], support.Outcome],
        submission: Submission,
        *,
        when_gone: support.Outcome | None = None,
    ) -> Callable[[Session], support.Outcome]:
        """Wrap `change` to run on the submission's milestone, or return `when_gone`."""
        gone = when_gone or support.Outcome(notice=plan_edits.MILESTONE_GONE)

        def work(session: Session) -> support.Outcome:
            context = submission.context
            room = plans.find_room(session, self.services.team_id, context.channel_id)
            if room is None or context.milestone_id is None:
                return gone
            try:
                milestone = plan_edits.find_milestone(session, room, context.milestone_id)
            except NotFoundError:
                return gone
            return change(session, room, milestone)

        return work

    def _check_due(
        self,
        room: DealRoom,
        form: MilestoneForm,
        current_due: date | None,
        context: ModalContext,
        outcome: support.Outcome,
    ) -> None:
        today = today_in_zone(self.services.now(), room.timezone)
        support.check_due_date(form.due_date, today, current_due, context, outcome)

    def _added_message(self, room: DealRoom, milestone: Milestone) -> str:
        text = f"Added milestone {milestone.position}. *{escape(milestone.title)}*"
        if milestone.due_date is not None:
            today = today_in_zone(self.services.now(), room.timezone)
            text += f", due {format_date(milestone.due_date, today)}"
        return text + "."

    def _finish(
        self,
        ack: Ack,
        client: WebClient,
        submission: Submission,
        title: str,
        work: Callable[[Session], support.Outcome],
    ) -> None:
        try:
            outcome = self.services.write(work)
        except UserError as error:
            # The fields were checked before, so only a rule of the store itself gets
            # here. Slack shows field errors only under inputs that the view has.
            if ids.FIELD_TITLE in submission.values:
                outcome = support.Outcome(errors=FieldErrors({ids.FIELD_TITLE: error.message}))
            else:
                outcome = support.Outcome(notice=error.message)
        support.finish_submission(self.services, ack, client, submission, title, outcome)


def check_milestone_title(form: MilestoneForm, errors: FieldErrors) -> None:
    try:
        clean_title(form.title or "", "milestone title")
    except InvalidInputError as error:
        errors[ids.FIELD_TITLE] = error.message


def _stale_error(
    session: Session, room: DealRoom, milestone: Milestone, submission: Submission, block_id: str
) -> support.Outcome | None:
    """Return an error under `block_id` if the milestone changed since the modal showed it.

    A modal opened by an older version of mapbot has no `shown_values` and is not checked.
    """
    shown_values = submission.context.shown_values or {}
    try:
        plan_edits.check_milestone_unchanged(session, room, milestone, shown_values)
    except plan_edits.StaleMilestoneError as stale:
        logger.info(
            "Rejected a stale milestone edit (channel=%s user=%s milestone=%s)",
            submission.context.channel_id,
            submission.user_id,
            milestone.id,
        )
        return support.Outcome(errors=FieldErrors({block_id: stale.message}))
    return None


def register(app: App, services: Services) -> MilestoneControls:
    controls = MilestoneControls(services)
    app.action(ids.PLAN_ADD_MILESTONE)(controls.on_add_button)
    app.action(ids.MILESTONE_OVERFLOW)(controls.on_menu)
    app.view(ids.VIEW_MILESTONE_ADD)(controls.on_add_submit)
    app.view(ids.VIEW_MILESTONE_EDIT)(controls.on_edit_submit)
    app.view(ids.VIEW_MILESTONE_STATUS)(controls.on_status_submit)
    app.view(ids.VIEW_MILESTONE_DELETE)(controls.on_delete_submit)
    return controls
