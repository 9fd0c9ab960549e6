"""Buttons on nudge messages: Complete, In progress and Snooze.

A click changes the task through the plan store, then redraws the nudge
message in place and schedules an update of the room's live plan message.
The task must be in the deal room named by the button, in this workspace.
A click in the room's channel may come from anyone there, as on the plan
message. A click in a direct message must come from the task's owner,
because only they were sent it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot import ids
from bot.blocks.plan import Message
from bot.blocks.reminders import SNOOZE_CHOICES, nudge_entries, nudge_message
from bot.blocks.text import format_date
from bot.payloads import ActionRequest
from bot.services import Services
from storage import plans, reminder_settings
from storage.errors import NotFoundError, UserError
from storage.models import DealRoom, Status, Task
from storage.reminder_calendar import WorkWeek
from storage.reminder_queries import tasks_of_room

logger = logging.getLogger(__name__)

SNOOZE_DAYS = frozenset(days for days, _ in SNOOZE_CHOICES)
NOT_YOUR_TASK = (
    "Only the task's owner can change it from this direct message. "
    "Use the plan in the deal channel instead: type `/map status` there."
)


@dataclass(frozen=True)
class NudgeClick:
    """A parsed nudge button or snooze choice: the deal channel, the task and what to do."""

    channel_id: str
    task_id: int
    action_id: str
    snooze_days: int | None = None


SAVED_NOT_SHOWN = (
    "Done: the change is saved, but I couldn't update this reminder. "
    "Type `/map status` to see the current plan."
)


class NudgeAction:
    """Applies a click on a nudge message and redraws the message."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def __call__(self, ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        click = ActionRequest.from_body(body)
        try:
            target = parse_nudge_click(click)
            message = self.apply(click, target, message_task_ids(body))
        except UserError as error:
            respond(text=error.message, response_type="ephemeral", replace_original=False)
            return
        self.services.plan_changed(target.channel_id)
        if click.message_ts:
            self.redraw(client, click, message, respond)

    def redraw(
        self, client: WebClient, click: ActionRequest, message: Message, respond: Respond
    ) -> None:
        """Show the change on the nudge itself; the change is saved even if this fails."""
        try:
            client.chat_update(
                channel=click.channel_id,
                ts=click.message_ts,
                text=message.text,
                blocks=message.blocks,
            )
        except SlackApiError as error:
            logger.warning(
                "Failed to redraw a nudge after a click (channel=%s ts=%s user=%s error=%s)",
                click.channel_id,
                click.message_ts,
                click.user_id,
                error.response.get("error"),
            )
            respond(text=SAVED_NOT_SHOWN, response_type="ephemeral", replace_original=False)

    def apply(self, click: ActionRequest, target: NudgeClick, shown: list[int]) -> Message:
        """Change the task and return the redrawn nudge message."""
        if click.team_id != self.services.team_id:
            logger.warning(
                "Rejected a nudge click from another workspace (team=%s channel=%s user=%s)",
                click.team_id,
                click.channel_id,
                click.user_id,
            )
            raise NotFoundError(plans.TASK_GONE)

        def change(session: Session) -> Message:
            room = plans.find_room(session, self.services.team_id, target.channel_id)
            if room is None:
                raise NotFoundError(plans.TASK_GONE)
            direct = click.channel_id != room.channel_id
            if direct and not click.channel_id.startswith("D"):
                logger.warning(
                    "Rejected a nudge click naming another channel (channel=%s user=%s task=%d)",
                    click.channel_id,
                    click.user_id,
                    target.task_id,
                )
                raise NotFoundError(plans.TASK_GONE)
            task = plans.find_task(session, room, task_id=target.task_id)
            if direct and task.owner_user_id != click.user_id:
                raise NotFoundError(NOT_YOUR_TASK)
            today = self._today(room)
            self._change_task(session, room, task, target, click.user_id, today)
            return self._redraw(session, room, shown or [task.id], today, direct=direct)

        return self.services.write(change)

    def _change_task(
        self,
        session: Session,
        room: DealRoom,
        task: Task,
        target: NudgeClick,
        actor: str,
        today: date,
    ) -> None:
        now = self.services.now()
        if target.action_id == ids.NUDGE_COMPLETE:
            plans.set_task_status(session, room, task, Status.COMPLETED, actor=actor, now=now)
        elif target.action_id == ids.NUDGE_IN_PROGRESS:
            # A nudge is about open work: In progress never reopens a completed task.
            plans.set_task_status(
                session,
                room,
                task,
                Status.IN_PROGRESS,
                actor=actor,
                now=now,
                expected=Status.NOT_STARTED,
            )
        elif target.snooze_days is not None:
            until = today + timedelta(days=target.snooze_days)
            reminder_settings.snooze_task(session, room, task, until, actor=actor, now=now)
            logger.info(
                "Snoozed a task's nudges until %s (channel=%s task=%d)",
                format_date(until, today),
                room.channel_id,
                task.id,
            )

    def _redraw(
        self, session: Session, room: DealRoom, shown: list[int], today: date, *, direct: bool
    ) -> Message:
        order = {task_id: index for index, task_id in enumerate(shown)}
        tasks = sorted(tasks_of_room(session, room, shown), key=lambda task: order[task.id])
        entries = nudge_entries(tasks, today, WorkWeek(room.workday_mask))
        return nudge_message(room.deal_name, room.channel_id, entries, today, direct=direct)

    def _today(self, room: DealRoom) -> date:
        return self.services.now().astimezone(ZoneInfo(room.timezone)).date()


def parse_nudge_click(click: ActionRequest) -> NudgeClick:
    """Read `<deal channel>:<task id>` from a button, or `...:<days>` from a snooze choice."""
    parts = click.value.split(":")
    if click.action_id == ids.NUDGE_SNOOZE and len(parts) == 3:
        channel_id, raw_id, raw_days = parts
        if raw_id.isdecimal() and raw_days.isdecimal() and int(raw_days) in SNOOZE_DAYS:
            return NudgeClick(channel_id, int(raw_id), click.action_id, int(raw_days))
    elif click.action_id != ids.NUDGE_SNOOZE and len(parts) == 2 and parts[1].isdecimal():
        return NudgeClick(parts[0], int(parts[1]), click.action_id)
    logger.warning("Rejected a nudge action with an unknown value (action=%s)", click.action_id)
    raise NotFoundError(plans.TASK_GONE)


def message_task_ids(body: dict[str, Any]) -> list[int]:
    """Return the ids of the tasks a nudge message shows, from its block ids, in order."""
    blocks = (body.get("message") or {}).get("blocks") or []
    prefix = f"{ids.BLOCK_NUDGE_TASK}:"
    found = []
    for block in blocks:
        block_id = str(block.get("block_id", "")) if isinstance(block, dict) else ""
        suffix = block_id.removeprefix(prefix)
        if block_id.startswith(prefix) and suffix.isdecimal():
            found.append(int(suffix))
    return found


def register(app: App, services: Services) -> None:
    handler = NudgeAction(services)
    app.action(ids.NUDGE_COMPLETE)(handler)
    app.action(ids.NUDGE_IN_PROGRESS)(handler)
    app.action(ids.NUDGE_SNOOZE)(handler)
