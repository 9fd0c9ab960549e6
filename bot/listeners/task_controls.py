"""The menu beside each task in the plan message: status, edit, move to a milestone, delete."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import ids
from bot.blocks.controls import read_overflow_value
from bot.blocks.modals import (
    loading_modal,
    notice_modal,
    task_delete_modal,
    task_heading,
    task_move_modal,
)
from bot.forms import FieldErrors, ModalContext, Submission
from bot.listeners import modal_support as support
from bot.listeners.actions import TaskStatusAction, parse_status_value
from bot.listeners.task_modals import TaskForms
from bot.payloads import ActionRequest
from bot.services import Services
from storage import plan_edits, plans
from storage.errors import NotFoundError, UserError
from storage.models import DealRoom, Task
from storage.views import PlanView, TaskView

logger = logging.getLogger(__name__)

STATUS_VERBS = frozenset({ids.MENU_IN_PROGRESS, ids.MENU_NOT_STARTED})
TASK_ALREADY_DELETED = (
    "This task was already deleted, so nothing changed. Type `/map status` to see the current plan."
)


class TaskMenu:
    """Handles a pick from a task's overflow menu and the move and delete modals it opens."""

    def __init__(self, services: Services, forms: TaskForms) -> None:
        self.services = services
        self.forms = forms
        self.status_action = TaskStatusAction(services)

    def __call__(self, ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        click = ActionRequest.from_body(body)
        picked = read_overflow_value(click.value)
        try:
            support.check_click_team(click, self.services)
            if picked is None:
                raise NotFoundError(plans.TASK_GONE)
            if picked[0] in STATUS_VERBS:
                self.set_status(client, click)
                return
            opened = self.open(client, click, *picked)
        except UserError as error:
            respond(text=error.message, response_type="ephemeral", replace_original=False)
            return
        if not opened:
            support.tell_form_too_slow(respond)

    def set_status(self, client: WebClient, click: ActionRequest) -> None:
        """Apply a status pick with the status buttons' rules; a repeated pick changes nothing."""
        task_id, status, drawn_for = parse_status_value(click)
        if self.status_action.change(click, task_id, status, drawn_for):
            support.plan_changed(self.services, click.channel_id, click.message_ts or None)

    def open(self, client: WebClient, click: ActionRequest, verb: str, task_id: int) -> bool:
        """Open the modal for `verb`; return False if Slack no longer accepts the trigger."""
        if verb == ids.TASK_EDIT:
            return self.forms.open_edit(client, click, task_id)
        if verb not in (ids.TASK_MOVE, ids.TASK_DELETE):
            logger.warning("Rejected an unknown task menu option %r (user=%s)", verb, click.user_id)
            raise NotFoundError(plans.TASK_GONE)

        title = "Move task" if verb == ids.TASK_MOVE else "Delete task"
        opened = support.open_modal(client, click.trigger_id, loading_modal(title), click.user_id)
        if opened is None:
            return False
        plan = self.services.read(
            lambda session: plans.load_plan(session, self.services.team_id, click.channel_id)
        )
        task = plan.find_task(task_id) if plan is not None else None
        view = notice_modal(title, plans.TASK_GONE)
        if plan is not None and task is not None:
            context = ModalContext(
                channel_id=click.channel_id, message_ts=click.message_ts or None, task_id=task.id
            )
            view = self._view(verb, context, task, plan)
        support.fill_modal(client, opened, view)
        return True

    def _view(
        self, verb: str, context: ModalContext, task: TaskView, plan: PlanView
    ) -> dict[str, Any]:
        if verb == ids.TASK_MOVE:
            return task_move_modal(context, task, plan.milestones)
        return task_delete_modal(context, task)

    # Submissions

    def on_move(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        submission = support.read_submission(ack, body)
        if submission is None:
            return
        picked = submission.option(ids.FIELD_MILESTONE)

        def move(session: Session) -> support.Outcome:
            room, task = self._find_task(session, submission)
            if room is None or task is None:
                return support.Outcome(notice=plans.TASK_GONE)
            if picked is None or not picked.isdecimal():
                return support.Outcome(
                    errors=FieldErrors({ids.FIELD_MILESTONE: "Pick a milestone."})
                )
            try:
                milestone = plan_edits.find_milestone(session, room, int(picked))
            except NotFoundError:
                message = "That milestone was deleted. Pick another one."
                return support.Outcome(errors=FieldErrors({ids.FIELD_MILESTONE: message}))
            changed = plan_edits.move_task(
                session, room, task, milestone, actor=submission.user_id, now=self.services.now()
            )
            return support.Outcome(changed=changed)

        self._finish(ack, client, submission, "Move task", self.services.write(move))

    def on_delete(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        submission = support.read_submission(ack, body)
        if submission is None:
            return

        def delete(session: Session) -> support.Outcome:
            room, task = self._find_task(session, submission)
            if room is None:
                return support.Outcome(notice=plans.NOT_A_ROOM)
            if task is None:
                # Deleted already, by someone else or by an earlier click: tell the person.
                return support.Outcome(notice=TASK_ALREADY_DELETED)
            heading = task_heading(plan_edits.task_view(task))
            plan_edits.delete_task(
                session, room, task, actor=submission.user_id, now=self.services.now()
            )
            return support.Outcome(changed=True, confirmation=f"Deleted task {heading}.")

        self._finish(ack, client, submission, "Delete task", self.services.write(delete))

    def _find_task(
        self, session: Session, submission: Submission
    ) -> tuple[DealRoom | None, Task | None]:
        context = submission.context
        room = plans.find_room(session, self.services.team_id, context.channel_id)
        if room is None or context.task_id is None:
            return room, None
        try:
            return room, plans.find_task(session, room, task_id=context.task_id)
        except NotFoundError:
            return room, None

    def _finish(
        self,
        ack: Ack,
        client: WebClient,
        submission: Submission,
        title: str,
        outcome: support.Outcome,
    ) -> None:
        support.finish_submission(self.services, ack, client, submission, title, outcome)


def register(app: App, services: Services, forms: TaskForms) -> None:
    menu = TaskMenu(services, forms)
    app.action(ids.TASK_OVERFLOW)(menu)
    app.view(ids.VIEW_TASK_MOVE)(menu.on_move)
    app.view(ids.VIEW_TASK_DELETE)(menu.on_delete)
