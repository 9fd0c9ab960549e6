"""The task modal: add a task, or edit one, from `/map add task`, a button or a task's menu."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import ids
from bot.blocks.modals import loading_modal, notice_modal, task_modal
from bot.blocks.text import escape, format_date
from bot.dates import today_in_zone
from bot.forms import FieldErrors, ModalContext, Submission, TaskForm
from bot.listeners import modal_support as support
from bot.payloads import ActionRequest
from bot.people import NAME_INSTEAD, SlackPerson, look_up_person, person_name
from bot.services import Services
from storage import plan_edits, plans
from storage.errors import InvalidInputError, NotFoundError, UserError
from storage.models import DealRoom, Milestone, Side, Task
from storage.rules import clean_title
from storage.views import PlanView, TaskView

logger = logging.getLogger(__name__)

NO_MILESTONES = (
    "This plan has no milestones yet, and every task belongs to one. Add a milestone first "
    "with the *Add milestone* button or `/map add milestone`."
)
TASK_DELETED = "Someone deleted this task while you were editing it, so nothing was saved."


@dataclass
class TaskOutcome(support.Outcome):
    """A submission's outcome, with what only the task form needs."""

    # The task as it is now, when the edit was based on an older version.
    stale: TaskView | None = None
    stale_milestone: str = ""


class TaskForms:
    """Opens the task modal and saves what is submitted in it."""

    def __init__(self, services: Services) -> None:
        self.services = services

    # Opening

    def open_add(
        self,
        client: WebClient,
        trigger_id: str,
        *,
        channel_id: str,
        user_id: str,
        message_ts: str | None = None,
    ) -> bool:
        """Open the empty task form; return False if Slack no longer accepts the trigger."""
        opened = support.open_modal(client, trigger_id, loading_modal("Add task"), user_id)
        if opened is None:
            return False
        plan = self._read_plan(channel_id)
        context = ModalContext(channel_id=channel_id, message_ts=message_ts)
        support.fill_modal(client, opened, add_task_view(plan, context))
        return True

    def open_edit(self, client: WebClient, click: ActionRequest, task_id: int) -> bool:
        """Open the task form filled in with the task as it is now."""
        opened = support.open_modal(
            client, click.trigger_id, loading_modal("Edit task"), click.user_id
        )
        if opened is None:
            return False
        plan = self._read_plan(click.channel_id)
        task = plan.find_task(task_id) if plan is not None else None
        if plan is None or task is None:
            view = notice_modal("Edit task", plans.TASK_GONE)
        else:
            context = ModalContext(
                channel_id=click.channel_id,
                message_ts=click.message_ts or None,
                task_id=task.id,
                version=task.version,
                fingerprint=plan_edits.edit_fingerprint(task),
                owner_user_id=task.owner_user_id,
                side=task.side.value,
            )
            view = task_modal(context, plan.milestones, task)
        support.fill_modal(client, opened, view)
        return True

    def on_add_button(
        self, ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        support.open_add_from_button(self.services, self.open_add, ack, body, client, respond)

    # Submitting

    def on_submit(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        submission = support.read_submission(ack, body)
        if submission is None:
            return
        errors = FieldErrors()
        form = default_owner(TaskForm.read(submission, errors), submission)
        check_title_and_owner(form, errors)
        person = self._check_person(client, form, errors)
        side = resolve_side(form, person, submission.context, self.services.team_id)

        try:
            outcome = self.services.write(
                lambda session: self._save(session, submission, form, side, errors)
            )
        except UserError as error:
            # The fields were checked above, so only a rule of the store itself gets here.
            outcome = TaskOutcome(errors=FieldErrors({ids.FIELD_TITLE: error.message}))
        self._answer(ack, client, submission, outcome)

    def _check_person(
        self, client: WebClient, form: TaskForm, errors: FieldErrors
    ) -> SlackPerson | None:
        if form.owner_user_id is None or ids.FIELD_OWNER in errors:
            return None
        person = look_up_person(client, form.owner_user_id)
        if person is None:
            errors[ids.FIELD_OWNER] = (
                f"That Slack user was not found. Pick someone else, {NAME_INSTEAD}."
            )
            return None
        problem = person.owner_problem()
        if problem is not None:
            errors[ids.FIELD_OWNER] = problem
        return person

    def _save(
        self,
        session: Session,
        submission: Submission,
        form: TaskForm,
        side: Side,
        errors: FieldErrors,
    ) -> TaskOutcome:
        """Check what needs the database, then add or update the task; write nothing on errors."""
        context = submission.context
        room = plans.find_room(session, self.services.team_id, context.channel_id)
        if room is None:
            return TaskOutcome(notice=plans.NOT_A_ROOM)
        task = None
        if context.task_id is not None:
            try:
                task = plans.find_task(session, room, task_id=context.task_id)
            except NotFoundError:
                return TaskOutcome(notice=TASK_DELETED)

        outcome = TaskOutcome(errors=errors)
        today = today_in_zone(self.services.now(), room.timezone)
        current_due = task.due_date if task is not None else None
        support.check_due_date(form.due_date, today, current_due, context, outcome)
        milestone = None
        if form.milestone_id is not None:
            try:
                milestone = plan_edits.find_milestone(session, room, form.milestone_id)
            except NotFoundError:
                errors[ids.FIELD_MILESTONE] = "That milestone was deleted. Pick another one."
        elif ids.FIELD_MILESTONE not in errors:
            errors[ids.FIELD_MILESTONE] = "Pick the milestone this task belongs to."
        if errors or milestone is None:
            return outcome

        if task is None:
            return self._add(session, room, milestone, form, side, submission.user_id)
        changes = plan_edits.TaskChanges(
            title=form.title or "",
            side=side,
            owner_user_id=form.owner_user_id,
            owner_name=form.owner_name,
            due_date=form.due_date,
            description=form.description,
            milestone_id=milestone.id,
        )
        try:
            outcome.changed = plan_edits.update_task(
                session,
                room,
                task,
                changes,
                expected_version=context.version or 0,
                expected_fingerprint=context.fingerprint,
                actor=submission.user_id,
                now=self.services.now(),
            )
        except plan_edits.StaleEditError as stale:
            outcome.stale = stale.current
            outcome.stale_milestone = stale.milestone_title
        return outcome

    def _add(
        self,
        session: Session,
        room: DealRoom,
        milestone: Milestone,
        form: TaskForm,
        side: Side,
        actor: str,
    ) -> TaskOutcome:
        new = plans.NewTask(
            title=form.title or "",
            side=side,
            owner_user_id=form.owner_user_id,
            owner_name=form.owner_name,
            due_date=form.due_date,
            description=form.description,
        )
        task = plans.add_task(session, room, milestone, new, actor=actor, now=self.services.now())
        today = today_in_zone(self.services.now(), room.timezone)
        return TaskOutcome(changed=True, confirmation=added_message(task, milestone.title, today))

    def _answer(
        self, ack: Ack, client: WebClient, submission: Submission, outcome: TaskOutcome
    ) -> None:
        if outcome.stale is not None:
            owner = outcome.stale.owner_user_id
            name = person_name(client, owner) if owner else ""
            outcome.errors[ids.FIELD_TITLE] = plan_edits.stale_edit_message(
                outcome.stale, name, outcome.stale_milestone
            )
        title = "Edit task" if submission.context.task_id is not None else "Add task"
        support.finish_submission(self.services, ack, client, submission, title, outcome)

    def _read_plan(self, channel_id: str) -> PlanView | None:
        return self.services.read(
            lambda session: plans.load_plan(session, self.services.team_id, channel_id)
        )


def add_task_view(plan: PlanView | None, context: ModalContext) -> dict[str, Any]:
    """Build the add form, or a notice when the channel has no plan or no milestone."""
    if plan is None:
        return notice_modal("Add task", plans.NOT_A_ROOM)
    if not plan.milestones:
        return notice_modal("Add task", NO_MILESTONES)
    return task_modal(context, plan.milestones)


def default_owner(form: TaskForm, submission: Submission) -> TaskForm:
    """Make the submitter the owner of a new task that names no owner, as `/map add task` does.

    An edit keeps its owner fields as submitted, so clearing both is an error there.
    """
    adding = submission.context.task_id is None
    if adding and form.owner_user_id is None and form.owner_name is None:
        return replace(form, owner_user_id=submission.user_id)
    return form


def check_title_and_owner(form: TaskForm, errors: FieldErrors) -> None:
    """Check the fields that need neither Slack nor the database."""
    try:
        clean_title(form.title or "", "task title")
    except InvalidInputError as error:
        errors[ids.FIELD_TITLE] = error.message
    if form.owner_user_id is None and form.owner_name is None:
        errors[ids.FIELD_OWNER] = f"Pick the person who owns this task, {NAME_INSTEAD}."
    elif form.owner_user_id is not None and form.owner_name is not None:
        errors[ids.FIELD_OWNER_NAME] = (
            "A task has one owner. Clear this name to keep the person picked above, "
            "or clear the person to keep this name."
        )
    elif form.owner_name is not None:
        try:
            clean_title(form.owner_name, "owner name")
        except InvalidInputError as error:
            errors[ids.FIELD_OWNER_NAME] = error.message


def resolve_side(
    form: TaskForm, person: SlackPerson | None, context: ModalContext, home_team_id: str
) -> Side:
    """Decide the task's side: the one picked, else the owner's.

    A Slack user from another workspace, such as a Slack Connect guest, is a
    buyer, and so is a typed name. When an edit picks a new owner and leaves
    the side as the form showed it, the side follows the new owner.
    """
    derived = person.side(home_team_id) if person is not None else Side.BUYER
    if form.side is None:
        return derived
    editing = context.task_id is not None
    owner_changed = form.owner_user_id != context.owner_user_id
    if editing and owner_changed and form.side.value == context.side:
        return derived
    return form.side


def added_message(task: Task, milestone_title: str, today: date) -> str:
    """Format the confirmation shown to the person who added a task."""
    owner = f"<@{task.owner_user_id}>" if task.owner_user_id else escape(task.owner_name or "")
    text = (
        f"Added task *#{task.number} {escape(task.title)}* to *{escape(milestone_title)}* "
        f"for {owner} ({task.side.value})"
    )
    if task.due_date is not None:
        text += f", due {format_date(task.due_date, today)}"
    return text + "."


def register(app: App, services: Services) -> TaskForms:
    forms = TaskForms(services)
    app.action(ids.PLAN_ADD_TASK)(forms.on_add_button)
    app.view(ids.VIEW_TASK)(forms.on_submit)
    return forms
