"""The `/map` slash command."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

import bot.grammar as grammar
from bot.blocks.text import escape, format_date
from bot.dates import parse_due_date, today_in_zone
from bot.listeners import modal_support as support
from bot.listeners.errors import APOLOGY
from bot.listeners.milestone_controls import MilestoneControls
from bot.listeners.modal_support import FORM_TOO_SLOW
from bot.listeners.task_modals import TaskForms
from bot.owners import check_slack_owner
from bot.payloads import CommandRequest
from bot.services import Services
from bot.settings_command import run_settings_command
from storage import plans
from storage.errors import InvalidInputError, UserError
from storage.models import Side, Status

logger = logging.getLogger(__name__)

INVITE_HINT = (
    "I am not a member of this channel, so I can't post the plan here. "
    "Add me with `/invite @mapbot` and try again. "
    "Deal rooms work in public and private channels, not in direct messages."
)
# Slack returns `channel_not_found` for a private channel or a direct message
# the bot is not in, and `not_in_channel` for a public channel.
NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found"})
SLOW_DOWN_HINT = (
    "Slack is rate-limiting messages in this channel, so the plan was not posted. "
    "Type `/map status` again in a few seconds."
)


class MapCommand:
    """Parses `/map ...`, runs it through the plan store and replies."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.task_forms = TaskForms(services)
        self.milestone_forms = MilestoneControls(services)

    def run(self, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """Run a command after its HTTP response went out, replying through its response_url.

        Bolt's lazy runner only logs an exception, so this one logs it with the
        request's ids and apologises to the person.
        """
        request = CommandRequest.from_payload(command)
        try:
            parsed = grammar.parse_command(request.text)
            self.dispatch(parsed, request, client, respond)
        except UserError as error:
            respond(text=error.message, response_type="ephemeral")
        except Exception:
            logger.exception(
                "Failed to run a /map command (team=%s channel=%s user=%s)",
                request.team_id,
                request.channel_id,
                request.user_id,
            )
            respond(text=APOLOGY, response_type="ephemeral")

    def dispatch(
        self, parsed: grammar.Command, request: CommandRequest, client: WebClient, respond: Respond
    ) -> None:
        match parsed:
            case grammar.Help():
                respond(text=grammar.HELP_TEXT, response_type="ephemeral")
            case grammar.Init():
                self.init(parsed, request, respond)
            case grammar.Status():
                self.status(request, respond)
            case grammar.AddMilestone():
                self.add_milestone(parsed, request, respond)
            case grammar.AddTask():
                self.add_task(parsed, request, client, respond)
            case grammar.SetTaskStatus():
                self.set_status(parsed, request, respond)
            case grammar.Settings():
                reply = run_settings_command(self.services, request, parsed.text)
                respond(text=reply, response_type="ephemeral")
            case grammar.OpenTaskForm():
                self.open_form(self.task_forms.open_add, request, client, respond)
            case grammar.OpenMilestoneForm():
                self.open_form(self.milestone_forms.open_add, request, client, respond)

    def open_form(
        self,
        open_add: support.OpensAddForm,
        request: CommandRequest,
        client: WebClient,
        respond: Respond,
    ) -> None:
        opened = open_add(
            client, request.trigger_id, channel_id=request.channel_id, user_id=request.user_id
        )
        if not opened:
            respond(text=FORM_TOO_SLOW, response_type="ephemeral")

    def init(self, parsed: grammar.Init, request: CommandRequest, respond: Respond) -> None:
        def create(session: Session) -> str:
            room = plans.create_room(
                session,
                team_id=self.services.team_id,
                channel_id=request.channel_id,
                deal_name=parsed.deal_name,
                actor=request.user_id,
                now=self.services.now(),
            )
            return room.deal_name

        deal_name = self.services.write(create)
        logger.info("Created deal room (channel=%s user=%s)", request.channel_id, request.user_id)
        respond(
            response_type="in_channel",
            text=(
                f"<@{request.user_id}> made this channel the deal room for *{escape(deal_name)}*. "
                "Add the first milestone with `/map add milestone Discovery due next friday`, "
                "then tasks with `/map add task Discovery: Kickoff call @someone due tomorrow`. "
                "Type `/map help` for every command."
            ),
        )

    def status(self, request: CommandRequest, respond: Respond) -> None:
        """Post a new live plan message and mark the previous one as no longer updated."""
        live_plan = self.services.live_plan
        if live_plan is None:
            raise RuntimeError("Services.live_plan is not set, so /map status cannot post")
        try:
            posted = live_plan.post(self.services.team_id, request.channel_id)
        except SlackApiError as error:
            code = error.response.get("error")
            if code in NOT_A_MEMBER:
                respond(text=INVITE_HINT, response_type="ephemeral")
            elif code == "ratelimited":
                respond(text=SLOW_DOWN_HINT, response_type="ephemeral")
            else:
                raise
            return
        if posted is None:
            respond(text=plans.NOT_A_ROOM, response_type="ephemeral")

    def add_milestone(
        self, parsed: grammar.AddMilestone, request: CommandRequest, respond: Respond
    ) -> None:
        def add(session: Session) -> str:
            room = plans.require_room(session, self.services.team_id, request.channel_id)
            today = today_in_zone(self.services.now(), room.timezone)
            due = parse_due_date(parsed.due_text, today) if parsed.due_text else None
            milestone = plans.add_milestone(
                session,
                room,
                title=parsed.title,
                due_date=due,
                actor=request.user_id,
                now=self.services.now(),
            )
            position = milestone.position
            due_note = _due_note(due, today)
            return f"Added milestone {position}. *{escape(milestone.title)}*{due_note}"

        respond(text=self.services.write(add), response_type="ephemeral")
        self.services.plan_changed(request.channel_id)

    def add_task(
        self,
        parsed: grammar.AddTask,
        request: CommandRequest,
        client: WebClient,
        respond: Respond,
    ) -> None:
        readings = parsed.readings
        # Owners are checked before the transaction, so no write waits on a Web API
        # call. The readings nearly always share one owner, and an owner's error
        # counts only if the transaction picks a reading with that owner.
        slack_sides: dict[str, Side | UserError] = {}
        for candidate in readings:
            if not isinstance(candidate, grammar.TaskReading):
                continue
            candidate_owner = _owner_user_id(candidate, request.user_id)
            if candidate_owner is not None and candidate_owner not in slack_sides:
                try:
                    slack_sides[candidate_owner] = check_slack_owner(
                        client, candidate_owner, self.services.team_id
                    )
                except UserError as error:
                    slack_sides[candidate_owner] = error

        def add(session: Session) -> str:
            room = plans.require_room(session, self.services.team_id, request.channel_id)
            today = today_in_zone(self.services.now(), room.timezone)
            references = [reading.milestone_ref for reading in readings]
            index, milestone = plans.resolve_milestone_among(session, room, references)
            reading = readings[index]
            if isinstance(reading, grammar.InvalidTaskReading):
                raise InvalidInputError(reading.message)

            owner_user_id = _owner_user_id(reading, request.user_id)
            side = reading.side
            if owner_user_id is not None:
                slack_side = slack_sides[owner_user_id]
                if isinstance(slack_side, UserError):
                    raise slack_side
                side = side or slack_side
            side = side or Side.BUYER
            due = parse_due_date(reading.due_text, today) if reading.due_text else None
            new = plans.NewTask(
                title=reading.title,
                side=side,
                owner_user_id=owner_user_id,
                owner_name=reading.owner_name,
                due_date=due,
            )
            task = plans.add_task(
                session, room, milestone, new, actor=request.user_id, now=self.services.now()
            )
            owner = f"<@{owner_user_id}>" if owner_user_id else escape(task.owner_name or "")
            due_note = _due_note(due, today)
            return (
                f"Added task *#{task.number} {escape(task.title)}* to {escape(milestone.title)} "
                f"for {owner} ({side.value}){due_note}"
            )

        respond(text=self.services.write(add), response_type="ephemeral")
        self.services.plan_changed(request.channel_id)

    def set_status(
        self, parsed: grammar.SetTaskStatus, request: CommandRequest, respond: Respond
    ) -> None:
        status = Status(parsed.status)

        def change(session: Session) -> tuple[str, bool]:
            room = plans.require_room(session, self.services.team_id, request.channel_id)
            task = plans.find_task(session, room, number=parsed.number)
            result = plans.set_task_status(
                session, room, task, status, actor=request.user_id, now=self.services.now()
            )
            name = f"*#{task.number} {escape(task.title)}*"
            if not result.changed:
                return f"{name} is already {status.label}.", False
            return f"Marked {name} as {status.label}.", True

        reply, changed = self.services.write(change)
        respond(text=reply, response_type="ephemeral")
        if changed:
            self.services.plan_changed(request.channel_id)


def _due_note(due: date | None, today: date) -> str:
    """End a confirmation with the due date, and a warning when it is already past."""
    if due is None:
        return "."
    note = f", due {format_date(due, today)} ({due.isoformat()})."
    if due < today:
        note += (
            " :warning: That date is in the past. If that was a typo, change it with "
            "Edit in the task's menu or Rename or set due date in the milestone's menu."
        )
    return note


def _owner_user_id(reading: grammar.TaskReading, requester: str) -> str | None:
    """Return the Slack owner of a typed task: the one mentioned, or else the requester.

    A task given a contact who is not in Slack (`owner Dana`) has no Slack owner.
    """
    if reading.owner_user_id is not None:
        return reading.owner_user_id
    return requester if reading.owner_name is None else None


def acknowledge(ack: Ack) -> None:
    """Acknowledge at once; the command itself runs afterwards on the background pool."""
    ack()


def register(app: App, services: Services) -> None:
    app.command("/map")(ack=acknowledge, lazy=[MapCommand(services).run])
