"""Buttons and menus on the plan message."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlalchemy.orm import Session

from bot import ids
from bot.payloads import ActionRequest
from bot.services import Services
from storage import plans
from storage.errors import NotFoundError, UserError
from storage.models import Status

logger = logging.getLogger(__name__)

MENU_STATUSES = {
    ids.MENU_IN_PROGRESS: Status.IN_PROGRESS,
    ids.MENU_NOT_STARTED: Status.NOT_STARTED,
}


class TaskStatusAction:
    """Moves a task to a new status from a button or menu, then schedules a plan redraw."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def __call__(self, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        click = ActionRequest.from_body(body)
        try:
            task_id, status, drawn_for = parse_status_value(click)
            changed = self.change(click, task_id, status, drawn_for)
        except UserError as error:
            respond(text=error.message, response_type="ephemeral", replace_original=False)
            return
        if changed:
            # The live message is redrawn; so is the clicked one if it is an older copy.
            self.services.plan_changed(click.channel_id, source_ts=click.message_ts or None)

    def change(
        self, click: ActionRequest, task_id: int, status: Status, drawn_for: Status | None = None
    ) -> bool:
        """Apply the change; return False when the task already had that status.

        `drawn_for` is the status the clicked control was drawn for. When the
        task has moved on to a third status since, nothing changes and
        ConflictError explains why.
        """
        if click.team_id != self.services.team_id:
            logger.warning(
                "Rejected a click from another workspace (team=%s channel=%s user=%s)",
                click.team_id,
                click.channel_id,
                click.user_id,
            )
            raise NotFoundError(plans.TASK_GONE)

        def apply(session: Session) -> bool:
            room = plans.find_room(session, self.services.team_id, click.channel_id)
            if room is None:
                raise NotFoundError(plans.TASK_GONE)
            task = plans.find_task(session, room, task_id=task_id)
            result = plans.set_task_status(
                session,
                room,
                task,
                status,
                actor=click.user_id,
                now=self.services.now(),
                expected=drawn_for,
            )
            return result.changed

        return self.services.write(apply)


def parse_status_value(click: ActionRequest) -> tuple[int, Status, Status | None]:
    """Read the task id, the target status and the status the control was drawn for."""
    if click.action_id == ids.TASK_COMPLETE:
        verb, raw_id, raw_drawn_for = ids.MENU_COMPLETE, click.value, ""
    else:
        verb, _, rest = click.value.partition(":")
        raw_id, _, raw_drawn_for = rest.partition(":")
    status = MENU_STATUSES.get(verb) if verb != ids.MENU_COMPLETE else Status.COMPLETED
    drawn_for = _status_or_none(raw_drawn_for)
    if status is None or not raw_id.isdecimal() or (raw_drawn_for and drawn_for is None):
        logger.warning("Rejected an action with an unknown value (action=%s)", click.action_id)
        raise NotFoundError(plans.TASK_GONE)
    return int(raw_id), status, drawn_for


def _status_or_none(value: str) -> Status | None:
    try:
        return Status(value)
    except ValueError:
        return None


def register(app: App, services: Services) -> None:
    handler = TaskStatusAction(services)
    app.action(ids.TASK_COMPLETE)(handler)
    app.action(ids.TASK_MENU)(handler)
